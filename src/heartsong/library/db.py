"""SQLite connection, schema and recorded migrations.

The schema only moves forward through :data:`MIGRATIONS`. Each applied step is
recorded in ``schema_migrations``; before migrating a library that already holds
data, the file is copied (SQLite online backup) to ``<name>.v<old>.bak``.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from heartsong.errors import LibraryError

__all__ = ["MIGRATIONS", "connect", "default_library_path", "schema_version"]

# (version, name, SQL). Append only: never edit a step that has shipped.
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "initial schema: works, albums, files, tracks, episodes",
        """
        CREATE TABLE works (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE albums (
            id INTEGER PRIMARY KEY,
            work_id INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            album_artist TEXT,
            UNIQUE (work_id, title)
        );
        -- Every file a scan met, readable or not: the scan's memory and status log.
        CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('track', 'episode')),
            work_id INTEGER REFERENCES works(id) ON DELETE CASCADE,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            hash TEXT,
            status TEXT NOT NULL CHECK (status IN ('ok', 'unreadable')),
            reason TEXT,
            scanned_at TEXT NOT NULL
        );
        CREATE INDEX files_hash ON files(hash);
        CREATE TABLE tracks (
            id INTEGER PRIMARY KEY,
            file_id INTEGER NOT NULL UNIQUE REFERENCES files(id) ON DELETE CASCADE,
            work_id INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
            album_id INTEGER REFERENCES albums(id) ON DELETE SET NULL,
            title TEXT NOT NULL,
            artist TEXT,
            album TEXT,
            composer TEXT,
            genre TEXT,
            track_number INTEGER,
            disc_number INTEGER,
            instrumental INTEGER NOT NULL DEFAULT 0,
            duration REAL NOT NULL,
            format TEXT NOT NULL,
            codec TEXT NOT NULL,
            sample_rate INTEGER NOT NULL,
            channels INTEGER NOT NULL
        );
        CREATE INDEX tracks_work ON tracks(work_id);
        CREATE TABLE episodes (
            id INTEGER PRIMARY KEY,
            file_id INTEGER NOT NULL UNIQUE REFERENCES files(id) ON DELETE CASCADE,
            work_id INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
            season INTEGER,
            number INTEGER,
            title TEXT NOT NULL,
            duration REAL NOT NULL,
            format TEXT NOT NULL,
            codec TEXT NOT NULL,
            has_video INTEGER NOT NULL
        );
        CREATE INDEX episodes_work ON episodes(work_id);
        """,
    ),
    (
        2,
        "results: one row per (file, kind) of computed results, with algorithm version",
        """
        -- What a capability computed for one file (e.g. kind 'analysis' for a track):
        -- valid while both the algorithm version and the file's content hash match.
        CREATE TABLE results (
            file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            version TEXT NOT NULL,
            file_hash TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
            reason TEXT,
            data TEXT,
            computed_at TEXT NOT NULL,
            seconds REAL,
            PRIMARY KEY (file_id, kind)
        );
        """,
    ),
]


def default_library_path() -> Path:
    """``$HEARTSONG_LIBRARY`` if set, else ``library.db`` in the user's data directory."""
    env = os.environ.get("HEARTSONG_LIBRARY")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("heartsong")) / "library.db"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def schema_version(conn: sqlite3.Connection) -> int:
    """Highest migration recorded in ``conn`` (0 for a new file)."""
    has = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
    ).fetchone()
    if not has:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def _backup(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    dest = path.with_name(f"{path.name}.v{version}.bak")
    target = sqlite3.connect(dest)
    try:
        conn.backup(target)
    finally:
        target.close()
    return dest


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate a library file.

    Raises
    ------
    LibraryError
        The file is not a SQLite database, is locked, or was written by a newer heartsong.
    """
    p = Path(path).expanduser()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so each file is one transaction.
        conn = sqlite3.connect(p, isolation_level=None, timeout=30.0)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        current = schema_version(conn)
    except sqlite3.DatabaseError as exc:
        raise LibraryError(f"{p}: not a heartsong library ({exc})") from exc
    except OSError as exc:
        raise LibraryError(f"{p}: cannot open library ({exc.strerror or exc})") from exc
    latest = MIGRATIONS[-1][0]
    if current > latest:
        conn.close()
        raise LibraryError(
            f"{p}: library schema v{current} is newer than this heartsong knows (v{latest}); "
            "upgrade heartsong"
        )
    if current < latest:
        _migrate(conn, p, current)
    return conn


def _migrate(conn: sqlite3.Connection, path: Path, current: int) -> None:
    if current > 0:
        _backup(conn, path, current)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    for version, name, sql in MIGRATIONS:
        if version <= current:
            continue
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, _now()),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise LibraryError(f"{path}: migration to v{version} failed: {exc}") from exc


def _statements(sql: str) -> list[str]:
    # executescript() would commit implicitly; split so a step stays one transaction.
    out, buf = [], []
    for line in sql.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        if line.rstrip().endswith(";") and sqlite3.complete_statement("\n".join(buf)):
            out.append("\n".join(buf).strip())
            buf = []
    if "".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out
