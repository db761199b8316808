"""One exception hierarchy for the whole package.

Every error heartsong raises on purpose derives from :class:`HeartsongError`,
so callers (and the CLI) can catch one type and print one clear line.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AudioError",
    "HeartsongError",
    "LibraryError",
    "ParameterError",
]


class HeartsongError(Exception):
    """Root of every error heartsong raises deliberately."""


class ParameterError(HeartsongError, ValueError):
    """A bad argument value; the message names the argument.

    Examples
    --------
    >>> raise ParameterError("sr", "must be a positive integer, got -1")
    Traceback (most recent call last):
    ...
    heartsong.errors.ParameterError: sr: must be a positive integer, got -1
    """

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"{name}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # Pickled as its constructor's arguments: a worker process's error must reach the
        # parent intact (the default pickles ``args``, which this __init__ cannot take).
        return type(self), (self.name, self.reason)


class AudioError(HeartsongError):
    """A file that cannot be used as audio: missing, empty, corrupt, silent...

    ``str(err)`` is ``"<path>: <reason>"``, the one line the CLI prints.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return type(self), (self.path, self.reason)


class LibraryError(HeartsongError):
    """The library database cannot be opened, migrated or queried as asked."""
