"""The one base of every error the pipeline reports to its user.

A ``PipelineError``'s message is one line, in the user's words, naming the file or setting that
is wrong and what to do. Each stage subclasses it; ``run`` and the CLI catch this one type and
print the message; anything else is a bug.
"""

from __future__ import annotations


class PipelineError(Exception):
    """A failure the user can act on; ``str(error)`` is the one line to show."""
