"""heartsong: understand film, TV and game soundtracks.

Data flows one way: files -> :mod:`heartsong.audio` (decode once) -> :mod:`heartsong.library`
(SQLite) -> per-track analyses -> cross-track results (themes, cues) -> discovery and reports.
"""

from heartsong.errors import AudioError, HeartsongError, LibraryError, ParameterError

__version__ = "0.1.0"

__all__ = [
    "AudioError",
    "HeartsongError",
    "Library",
    "LibraryError",
    "ParameterError",
    "__version__",
]


def __getattr__(name: str) -> object:
    # Lazy so that `import heartsong` stays cheap for the CLI's --help.
    if name == "Library":
        from heartsong.library import Library

        return Library
    raise AttributeError(name)
