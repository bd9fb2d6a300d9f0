"""One exception hierarchy, rooted in :class:`StorybriefError`.

Every message says what was wrong and, where there is one, what to do about it.
"""

from __future__ import annotations


class StorybriefError(Exception):
    """Base class of every error storybrief raises on purpose."""


class ConfigError(StorybriefError):
    """A setting is invalid or unsafe."""


class MissingExtraError(StorybriefError):
    """An optional dependency is needed but not installed."""

    def __init__(self, feature: str, extra: str, package: str) -> None:
        super().__init__(
            f"{feature} needs the optional package {package!r}: pip install 'storybrief[{extra}]'"
        )


class SourceError(StorybriefError):
    """A source (file, URL, feed) could not be read or understood."""


class FetchError(SourceError):
    """A URL could not be fetched (network error, HTTP error, too large, too slow)."""


class BlockedAddressError(FetchError):
    """A URL resolves to a private, loopback or link-local address that settings do not allow."""


class FeedError(SourceError):
    """A feed or OPML document is malformed."""


class ExtractionError(SourceError):
    """A page or file holds no article text that could be extracted."""


class StorageError(StorybriefError):
    """The database could not be opened, migrated or written."""


class NotFoundError(StorybriefError):
    """An article, story or explainer with that id does not exist."""


class EngineError(StorybriefError):
    """An explainer engine failed or is misconfigured."""
