"""The soundtrack library: an embedded SQLite file with recorded schema migrations."""

from heartsong.library.db import MIGRATIONS, connect, default_library_path, schema_version
from heartsong.library.library import (
    AUDIO_EXTENSIONS,
    VIDEO_EXTENSIONS,
    Episode,
    FileStatus,
    Library,
    Result,
    ScanReport,
    Track,
    Work,
)
from heartsong.library.tags import Tags, is_instrumental_title, parse_episode_name, read_tags

__all__ = [
    "AUDIO_EXTENSIONS",
    "MIGRATIONS",
    "VIDEO_EXTENSIONS",
    "Episode",
    "FileStatus",
    "Library",
    "Result",
    "ScanReport",
    "Tags",
    "Track",
    "Work",
    "connect",
    "default_library_path",
    "is_instrumental_title",
    "parse_episode_name",
    "read_tags",
    "schema_version",
]
