"""``pipeline translate``: placeholder until the spine lands."""
