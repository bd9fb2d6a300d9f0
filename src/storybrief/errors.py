"""One exception hierarchy, rooted in :class:`StorybriefError`.

Every message says what was wrong and, where there is one, what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


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


class HTTPStatusError(FetchError):
    """The server answered with an HTTP error status; ``headers`` (lower-cased names) keep
    what it said about when to come back (``retry-after``)."""

    def __init__(self, message: str, *, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})


class HostUnreachableError(FetchError):
    """The host of ``url`` could not be connected to (its name did not resolve, it refused,
    or the connection timed out)."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class RobotsDisallowedError(FetchError):
    """The site's robots.txt does not allow storybrief to fetch the page, or could not be read
    (which, per RFC 9309, means nothing on the site is fetched for a while)."""


class HostPausedError(FetchError):
    """A host asked for a pause (HTTP 429 or 503 with Retry-After) that has not ended yet;
    ``wait_seconds`` is how long is left of it."""

    def __init__(self, message: str, *, wait_seconds: float) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


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


class NothingToPublishError(EngineError):
    """The articles hold nothing an explainer may publish (no text, or no sentence that is
    supported and stands on its own). The same articles always give this answer: a story that
    gets it is not explained again until its articles change."""


@contextmanager
def reading(error: type[SourceError], what: str) -> Iterator[None]:
    """The boundary around a parser of outside input (feeds, OPML, pages): whatever it
    raises on a hostile document becomes ``error`` naming ``what`` and the cause, so the
    caller records one failed item and goes on. :class:`StorybriefError` passes through."""
    try:
        yield
    except StorybriefError:
        raise
    except RecursionError:
        raise error(f"cannot read {what}: it is nested too deeply") from None
    except MemoryError:
        raise error(f"cannot read {what}: it needs more memory than there is") from None
    except Exception as exc:
        detail = " ".join(str(exc).split())[:300] or "no details"
        raise error(f"cannot read {what}: {type(exc).__name__}: {detail}") from exc
