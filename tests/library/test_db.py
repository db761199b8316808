"""Schema creation, recorded migrations with backups, and refusing foreign files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from heartsong.errors import LibraryError
from heartsong.library import MIGRATIONS, Library, connect, default_library_path, schema_version
from heartsong.library import db as dbmod


def test_new_library_is_migrated_and_recorded(tmp_path: Path) -> None:
    conn = connect(tmp_path / "lib.db")
    assert schema_version(conn) == MIGRATIONS[-1][0]
    rows = conn.execute("SELECT version, name, applied_at FROM schema_migrations").fetchall()
    assert [r[0] for r in rows] == [m[0] for m in MIGRATIONS]
    assert all(r[2] for r in rows)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.close()
    # A new file has nothing to back up.
    assert not list(tmp_path.glob("*.bak"))


def test_migration_backs_up_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "lib.db"
    with Library(path) as lib:
        lib.connection.execute("INSERT INTO works(name, created_at) VALUES ('Kept', 'now')")
    step = (
        MIGRATIONS[-1][0] + 1,
        "test: add a column",
        "ALTER TABLE works ADD COLUMN note TEXT;",
    )
    monkeypatch.setattr(dbmod, "MIGRATIONS", [*MIGRATIONS, step])
    conn = dbmod.connect(path)
    assert schema_version(conn) == step[0]
    assert [tuple(r) for r in conn.execute("SELECT name, note FROM works")] == [("Kept", None)]
    backup = path.with_name(f"lib.db.v{MIGRATIONS[-1][0]}.bak")
    assert backup.exists()
    old = sqlite3.connect(backup)
    assert old.execute("SELECT name FROM works").fetchall() == [("Kept",)]
    assert (
        old.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
        == (MIGRATIONS[-1][0])
    )
    old.close()
    conn.close()


def test_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "lib.db"
    Library(path).close()
    bad = (MIGRATIONS[-1][0] + 1, "broken", "ALTER TABLE nope ADD COLUMN x TEXT;")
    monkeypatch.setattr(dbmod, "MIGRATIONS", [*MIGRATIONS, bad])
    with pytest.raises(LibraryError, match="migration to v"):
        dbmod.connect(path)
    monkeypatch.undo()
    conn = connect(path)
    assert schema_version(conn) == MIGRATIONS[-1][0]
    conn.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lib.db"
    conn = connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'later')")
    conn.close()
    with pytest.raises(LibraryError, match="newer than this heartsong"):
        connect(path)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "lib.db"
    path.write_text("definitely not sqlite " * 100)
    with pytest.raises(LibraryError, match="not a heartsong library"):
        Library(path)


def test_default_path_honours_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTSONG_LIBRARY", str(tmp_path / "x.db"))
    assert default_library_path() == tmp_path / "x.db"
    monkeypatch.delenv("HEARTSONG_LIBRARY")
    assert default_library_path().name == "library.db"
