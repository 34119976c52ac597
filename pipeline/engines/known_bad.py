"""Published model packages known to be broken, shipped with the pipeline.

``pipeline models install`` never picks a listed version from the index (it takes the newest
version not listed and says what it skipped), refuses a listed package file unless ``--force``
is given, and ``pipeline doctor`` flags a listed package that is installed. Add an entry when a
published package is found broken; remove it when the package is republished under the same
version (it never is: a fix gets a new version).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownBad:
    """One broken package version: ``package`` as the Argos index names it (``translate-es_en``)."""

    package: str
    version: str
    reason: str
    links: tuple[str, ...]

    def describe(self) -> str:
        """The reason and where it is documented, in one line."""
        return f"{self.reason} (see {', '.join(self.links)})" if self.links else self.reason


KNOWN_BAD: tuple[KnownBad, ...] = (
    KnownBad(
        package="translate-es_en",
        version="1.9",
        reason='translates any Spanish text as "mainstremainstre…" (a broken upload); 1.0 works',
        links=(
            "https://github.com/argosopentech/argos-translate/issues/504",
            "https://github.com/argosopentech/argos-translate/issues/522",
        ),
    ),
)


def argos_package_name(from_code: str, to_code: str) -> str:
    """The Argos index's name of a translate package, e.g. ``translate-es_en``."""
    return f"translate-{from_code}_{to_code}"


def _same_version(a: str, b: str) -> bool:
    import packaging.version

    try:
        return packaging.version.parse(a) == packaging.version.parse(b)
    except packaging.version.InvalidVersion:
        return a.strip() == b.strip()


def find_known_bad(
    from_code: str, to_code: str, version: str, table: tuple[KnownBad, ...] = KNOWN_BAD
) -> KnownBad | None:
    """The entry listing the Argos package ``from_code``→``to_code`` ``version``, if any."""
    name = argos_package_name(from_code, to_code)
    for entry in table:
        if entry.package == name and _same_version(entry.version, version):
            return entry
    return None
