"""The storage of collected static files in production: WhiteNoise's compressed manifest
storage (names with a hash of the content, a compressed copy beside each file), except that
`sourceMappingURL` comments are left alone: the vendored Bootstrap files name source maps
that are not shipped (static/vendor/), and Django would refuse to collect them."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns: tuple) -> tuple:
    def keep(pattern: str | tuple[str, str]) -> bool:
        regex = pattern if isinstance(pattern, str) else pattern[0]
        return "sourceMappingURL" not in regex

    return tuple((glob, tuple(p for p in found if keep(p))) for glob, found in patterns)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
