"""The soundtrack library: works, albums, tracks and episodes in one SQLite file."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from heartsong.audio import verify
from heartsong.errors import AudioError, LibraryError, ParameterError
from heartsong.library.db import connect, default_library_path
from heartsong.library.tags import is_instrumental_title, parse_episode_name, read_tags

__all__ = [
    "AUDIO_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "Episode",
    "FileStatus",
    "Library",
    "Result",
    "ScanReport",
    "Track",
    "Work",
]

AUDIO_EXTENSIONS = frozenset(
    {".mp3", ".flac", ".ogg", ".oga", ".opus", ".wav", ".m4a", ".aac", ".wma", ".aiff", ".aif"}
)
VIDEO_EXTENSIONS = frozenset({".mkv", ".mp4", ".webm", ".m4v", ".mov", ".avi", ".ts"})

# (done, total, path) after each file; the CLI draws its progress bar from it.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Work:
    id: int
    name: str
    tracks: int
    episodes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Track:
    id: int
    path: str
    work: str
    title: str
    artist: str | None
    album: str | None
    composer: str | None
    genre: str | None
    track_number: int | None
    disc_number: int | None
    instrumental: bool
    duration: float
    format: str
    codec: str
    sample_rate: int
    channels: int
    hash: str
    file_id: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Episode:
    id: int
    path: str
    work: str
    season: int | None
    number: int | None
    title: str
    duration: float
    format: str
    codec: str
    has_video: bool
    hash: str
    file_id: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FileStatus:
    path: str
    kind: str
    status: str
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Result:
    """What a capability computed for one file (``data`` is the decoded JSON)."""

    kind: str
    version: str
    status: str
    reason: str | None
    data: Any
    computed_at: str
    seconds: float | None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class ScanReport:
    """What one scan did; ``failed`` holds (path, reason) for unreadable files."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged + self.moved + len(self.failed)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "failed": [list(f) for f in self.failed]}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def file_hash(path: Path) -> str:
    """BLAKE2b-128 of the file content (streams; constant memory)."""
    h = hashlib.blake2b(digest_size=16)
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class Library:
    """A soundtrack library stored in one SQLite file.

    Parameters
    ----------
    path : str or Path, optional
        The library file. Defaults to ``$HEARTSONG_LIBRARY`` or the user data directory.

    Examples
    --------
    >>> import tempfile, os
    >>> lib = Library(os.path.join(tempfile.mkdtemp(), "lib.db"))
    >>> lib.works()
    []
    >>> lib.close()
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_library_path()
        self._conn = connect(self.path)

    # -- plumbing ---------------------------------------------------------------------------
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The open SQLite connection, for modules that store their own tables here."""
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit: committed whole or not at all (also on Ctrl-C or kill)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _work_id(self, name: str) -> int:
        row = self._conn.execute("SELECT id FROM works WHERE name = ?", (name,)).fetchone()
        if row:
            return int(row[0])
        cur = self._conn.execute(
            "INSERT INTO works(name, created_at) VALUES (?, ?)", (name, _now())
        )
        return int(cur.lastrowid or 0)

    def _album_id(self, work_id: int, title: str | None, album_artist: str | None) -> int | None:
        if not title:
            return None
        row = self._conn.execute(
            "SELECT id FROM albums WHERE work_id = ? AND title = ?", (work_id, title)
        ).fetchone()
        if row:
            return int(row[0])
        cur = self._conn.execute(
            "INSERT INTO albums(work_id, title, album_artist) VALUES (?, ?, ?)",
            (work_id, title, album_artist),
        )
        return int(cur.lastrowid or 0)

    # -- scanning ---------------------------------------------------------------------------
    def scan(
        self,
        paths: Iterable[str | Path],
        *,
        work: str | None = None,
        episodes: bool = False,
        force: bool = False,
        progress: Progress | None = None,
    ) -> ScanReport:
        """Add, update and remove entries for the media files under ``paths``.

        Unchanged files (same size and mtime, else same content hash) are skipped
        unless ``force``. Each file is committed on its own, so an interrupted scan
        keeps everything done so far and a re-run resumes. Files that vanished from a
        scanned folder are removed at the end of a complete scan. An unreadable file is
        recorded with its reason and never stops the scan.

        Parameters
        ----------
        paths : iterable of str or Path
            Folders (searched recursively) or single files.
        work : str, optional
            The drama, film or game these files belong to. Default: the album tag,
            else the folder's name (for episodes, the folder's name).
        episodes : bool
            The files are episodes (video or audio of the show), not album tracks.
        force : bool
            Re-read every file even when unchanged.
        progress : callable, optional
            Called as ``progress(done, total, path)`` after each file.

        Returns
        -------
        ScanReport
        """
        roots = [Path(p).expanduser().resolve() for p in paths]
        if not roots:
            raise ParameterError("paths", "give at least one folder or file to scan")
        for r in roots:
            if not r.exists():
                raise ParameterError("paths", f"{r} does not exist")
        if work is not None and not work.strip():
            raise ParameterError("work", "must not be empty")
        kind = "episode" if episodes else "track"
        files = sorted({f for r in roots for f in _media_files(r)})
        report = ScanReport()
        for i, f in enumerate(files):
            self._scan_one(f, roots, kind=kind, work=work, force=force, report=report)
            if progress is not None:
                progress(i + 1, len(files), str(f))
        report.removed = self._remove_missing(roots, kind=kind, seen={str(f) for f in files})
        return report

    def _scan_one(
        self,
        f: Path,
        roots: list[Path],
        *,
        kind: str,
        work: str | None,
        force: bool,
        report: ScanReport,
    ) -> None:
        st = f.stat()
        row = self._conn.execute(
            "SELECT id, size, mtime_ns, hash, status, kind FROM files WHERE path = ?", (str(f),)
        ).fetchone()
        same_kind = row is not None and not force and row["kind"] == kind
        if same_kind and (row["size"], row["mtime_ns"]) == (st.st_size, st.st_mtime_ns):
            if row["status"] == "ok":
                report.unchanged += 1
            else:
                report.failed.append((str(f), self._reason(row["id"])))
            return
        digest = file_hash(f)
        if same_kind and row["hash"] == digest:
            # Touched but not changed: remember the new mtime, keep everything else.
            with self.transaction() as c:
                c.execute(
                    "UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?",
                    (st.st_size, st.st_mtime_ns, row["id"]),
                )
            if row["status"] == "ok":
                report.unchanged += 1
            else:
                report.failed.append((str(f), self._reason(row["id"])))
            return
        if row is None and not force and self._relink_moved(f, digest, st, kind):
            report.moved += 1
            return
        work_name = work or self._default_work(f, roots, kind)
        try:
            info = verify(f)
        except AudioError as exc:
            self._store_failure(f, st, digest, kind, work_name, exc.reason, explicit=bool(work))
            report.failed.append((str(f), exc.reason))
            return
        with self.transaction() as c:
            work_id = self._work_id(work_name)
            file_id = self._upsert_file(c, f, st, digest, kind, work_id, "ok", None)
            if kind == "track":
                self._store_track(c, f, file_id, work_id, info)
            else:
                self._store_episode(c, f, file_id, work_id, info)
        if row is None:
            report.added += 1
        else:
            report.updated += 1

    def _reason(self, file_id: int) -> str:
        row = self._conn.execute("SELECT reason FROM files WHERE id = ?", (file_id,)).fetchone()
        return str(row[0]) if row and row[0] else "unreadable"

    def _default_work(self, f: Path, roots: list[Path], kind: str) -> str:
        if kind == "track":
            album = read_tags(f).album
            if album:
                return album
        root = next((r for r in roots if r == f or r in f.parents), f.parent)
        return (root if root.is_dir() else f.parent).name or "Unknown work"

    def _relink_moved(self, f: Path, digest: str, st: os.stat_result, kind: str) -> bool:
        # A file renamed or moved keeps its id (and so everything computed for it).
        for old in self._conn.execute(
            "SELECT id, path FROM files WHERE hash = ? AND kind = ? AND status = 'ok'",
            (digest, kind),
        ).fetchall():
            if not Path(old["path"]).exists():
                with self.transaction() as c:
                    c.execute(
                        "UPDATE files SET path = ?, size = ?, mtime_ns = ?, scanned_at = ? "
                        "WHERE id = ?",
                        (str(f), st.st_size, st.st_mtime_ns, _now(), old["id"]),
                    )
                return True
        return False

    def _upsert_file(
        self,
        c: sqlite3.Connection,
        f: Path,
        st: os.stat_result,
        digest: str,
        kind: str,
        work_id: int | None,
        status: str,
        reason: str | None,
    ) -> int:
        row = c.execute("SELECT id, kind FROM files WHERE path = ?", (str(f),)).fetchone()
        if row is not None:
            if row["kind"] != kind:
                # The same file re-scanned as the other kind: drop its old entity.
                c.execute("DELETE FROM tracks WHERE file_id = ?", (row["id"],))
                c.execute("DELETE FROM episodes WHERE file_id = ?", (row["id"],))
            c.execute(
                "UPDATE files SET kind = ?, work_id = ?, size = ?, mtime_ns = ?, hash = ?, "
                "status = ?, reason = ?, scanned_at = ? WHERE id = ?",
                (
                    kind,
                    work_id,
                    st.st_size,
                    st.st_mtime_ns,
                    digest,
                    status,
                    reason,
                    _now(),
                    row["id"],
                ),
            )
            return int(row["id"])
        cur = c.execute(
            "INSERT INTO files(path, kind, work_id, size, mtime_ns, hash, status, reason, "
            "scanned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (str(f), kind, work_id, st.st_size, st.st_mtime_ns, digest, status, reason, _now()),
        )
        return int(cur.lastrowid or 0)

    def _store_failure(
        self,
        f: Path,
        st: os.stat_result,
        digest: str,
        kind: str,
        work_name: str,
        reason: str,
        *,
        explicit: bool,
    ) -> None:
        with self.transaction() as c:
            # An unreadable file joins a work that exists or was named, but never invents one.
            found = c.execute("SELECT id FROM works WHERE name = ?", (work_name,)).fetchone()
            work_id = self._work_id(work_name) if explicit or found else None
            file_id = self._upsert_file(c, f, st, digest, kind, work_id, "unreadable", reason)
            # A file that broke since the last scan must not keep a stale entry.
            c.execute("DELETE FROM tracks WHERE file_id = ?", (file_id,))
            c.execute("DELETE FROM episodes WHERE file_id = ?", (file_id,))

    def _store_track(
        self, c: sqlite3.Connection, f: Path, file_id: int, work_id: int, info: Any
    ) -> None:
        tags = read_tags(f)
        title = tags.title or f.stem
        album_id = self._album_id(work_id, tags.album, tags.album_artist)
        values = (
            work_id,
            album_id,
            title,
            tags.artist,
            tags.album,
            tags.composer,
            tags.genre,
            tags.track_number,
            tags.disc_number,
            int(is_instrumental_title(title)),
            info.duration,
            f.suffix.lower().lstrip("."),
            info.codec,
            info.sample_rate,
            info.channels,
        )
        cols = (
            "work_id, album_id, title, artist, album, composer, genre, track_number, "
            "disc_number, instrumental, duration, format, codec, sample_rate, channels"
        )
        # Upsert, not delete+insert: a re-read file keeps its track id (and what hangs on it).
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols.split(", "))
        c.execute(
            f"INSERT INTO tracks(file_id, {cols}) VALUES ({', '.join('?' * 16)}) "
            f"ON CONFLICT(file_id) DO UPDATE SET {updates}",
            (file_id, *values),
        )

    def _store_episode(
        self, c: sqlite3.Connection, f: Path, file_id: int, work_id: int, info: Any
    ) -> None:
        season, number, name_title = parse_episode_name(f.stem)
        title = read_tags(f).title or name_title
        cols = "work_id, season, number, title, duration, format, codec, has_video"
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols.split(", "))
        c.execute(
            f"INSERT INTO episodes(file_id, {cols}) VALUES ({', '.join('?' * 9)}) "
            f"ON CONFLICT(file_id) DO UPDATE SET {updates}",
            (
                file_id,
                work_id,
                season,
                number,
                title,
                info.duration,
                f.suffix.lower().lstrip("."),
                info.codec,
                int(info.has_video),
            ),
        )

    def _remove_missing(self, roots: list[Path], *, kind: str, seen: set[str]) -> int:
        removed = 0
        for r in roots:
            prefix = str(r) if r.is_file() else str(r) + os.sep
            rows = self._conn.execute(
                "SELECT id, path FROM files "
                "WHERE kind = ? AND (path = ? OR substr(path, 1, ?) = ?)",
                (kind, str(r), len(prefix), prefix),
            ).fetchall()
            gone = [row["id"] for row in rows if row["path"] not in seen]
            if gone:
                with self.transaction() as c:
                    c.executemany("DELETE FROM files WHERE id = ?", [(i,) for i in gone])
                    self._drop_empty_works(c)
                removed += len(gone)
        return removed

    @staticmethod
    def _drop_empty_works(c: sqlite3.Connection) -> None:
        c.execute("DELETE FROM works WHERE id NOT IN (SELECT work_id FROM files)")
        c.execute(
            "DELETE FROM albums WHERE id NOT IN (SELECT album_id FROM tracks "
            "WHERE album_id IS NOT NULL)"
        )

    # -- queries ----------------------------------------------------------------------------
    def works(self) -> list[Work]:
        """Every work with its numbers of tracks and episodes, by name."""
        rows = self._conn.execute(
            "SELECT w.id, w.name, "
            " (SELECT COUNT(*) FROM tracks t WHERE t.work_id = w.id) AS tracks, "
            " (SELECT COUNT(*) FROM episodes e WHERE e.work_id = w.id) AS episodes "
            "FROM works w ORDER BY w.name"
        ).fetchall()
        return [Work(r["id"], r["name"], r["tracks"], r["episodes"]) for r in rows]

    def _work_filter(self, work: str | None) -> tuple[str, tuple[Any, ...]]:
        if work is None:
            return "", ()
        if not self._conn.execute("SELECT 1 FROM works WHERE name = ?", (work,)).fetchone():
            raise ParameterError("work", f"no work named {work!r} in {self.path}")
        return " AND w.name = ?", (work,)

    def tracks(self, *, work: str | None = None) -> list[Track]:
        """Readable tracks, ordered by work, disc, track number and title."""
        where, args = self._work_filter(work)
        rows = self._conn.execute(
            "SELECT t.*, f.path, f.hash, w.name AS work FROM tracks t "
            "JOIN files f ON f.id = t.file_id JOIN works w ON w.id = t.work_id "
            f"WHERE 1 = 1{where} "
            "ORDER BY w.name, t.disc_number, t.track_number, t.title",
            args,
        ).fetchall()
        return [_track(r) for r in rows]

    def episodes(self, *, work: str | None = None) -> list[Episode]:
        """Readable episodes, ordered by work, season and number."""
        where, args = self._work_filter(work)
        rows = self._conn.execute(
            "SELECT e.*, f.path, f.hash, w.name AS work FROM episodes e "
            "JOIN files f ON f.id = e.file_id JOIN works w ON w.id = e.work_id "
            f"WHERE 1 = 1{where} ORDER BY w.name, e.season, e.number, e.title",
            args,
        ).fetchall()
        return [_episode(r) for r in rows]

    def track(self, ref: int | str) -> Track:
        """One track by id, path, or exact (case-insensitive) title."""
        return _one(self._find(ref, "tracks"), ref, "track", _track)

    def episode(self, ref: int | str) -> Episode:
        """One episode by id, path, or exact (case-insensitive) title."""
        return _one(self._find(ref, "episodes"), ref, "episode", _episode)

    def _find(self, ref: int | str, table: str) -> list[sqlite3.Row]:
        base = (
            f"SELECT x.*, f.path, f.hash, w.name AS work FROM {table} x "
            "JOIN files f ON f.id = x.file_id JOIN works w ON w.id = x.work_id WHERE "
        )
        if isinstance(ref, int) or str(ref).isdigit():
            return self._conn.execute(base + "x.id = ?", (int(ref),)).fetchall()
        p = str(Path(str(ref)).expanduser().resolve())
        rows = self._conn.execute(base + "f.path = ?", (p,)).fetchall()
        return (
            rows or self._conn.execute(base + "lower(x.title) = lower(?)", (str(ref),)).fetchall()
        )

    def statuses(self, *, failed_only: bool = False) -> list[FileStatus]:
        """The status every scanned file got (``ok`` or ``unreadable`` with a reason)."""
        q = "SELECT path, kind, status, reason FROM files"
        if failed_only:
            q += " WHERE status != 'ok'"
        rows = self._conn.execute(q + " ORDER BY path").fetchall()
        return [FileStatus(r["path"], r["kind"], r["status"], r["reason"]) for r in rows]

    # -- computed results -------------------------------------------------------------------
    def result(self, item: Track | Episode, kind: str) -> Result | None:
        """The stored ``kind`` result for a track/episode, if it is still valid.

        A result computed from other file content (the file changed) is not returned.
        """
        row = self._conn.execute(
            "SELECT * FROM results WHERE file_id = ? AND kind = ? AND file_hash = ?",
            (item.file_id, kind, item.hash),
        ).fetchone()
        if row is None:
            return None
        return Result(
            kind=row["kind"],
            version=row["version"],
            status=row["status"],
            reason=row["reason"],
            data=json.loads(row["data"]) if row["data"] is not None else None,
            computed_at=row["computed_at"],
            seconds=row["seconds"],
        )

    def store_result(
        self,
        item: Track | Episode,
        kind: str,
        *,
        version: str,
        data: Any = None,
        error: str | None = None,
        seconds: float | None = None,
    ) -> None:
        """Store (atomically, replacing any older one) a result or the reason it failed."""
        if not kind:
            raise ParameterError("kind", "must not be empty")
        payload = None if data is None else json.dumps(data, separators=(",", ":"))
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO results(file_id, kind, version, file_hash, status, "
                "reason, data, computed_at, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    item.file_id,
                    kind,
                    version,
                    item.hash,
                    "failed" if error is not None else "ok",
                    error,
                    payload,
                    _now(),
                    seconds,
                ),
            )

    def pending(
        self, items: Iterable[Track | Episode], kind: str, *, version: str, force: bool = False
    ) -> list[Track | Episode]:
        """The items without a current ``kind`` result (same version, same content).

        Items that failed with the current version are not retried unless ``force``.
        """
        todo = []
        for item in items:
            res = None if force else self.result(item, kind)
            if res is None or res.version != version:
                todo.append(item)
        return todo

    def adopt_rewrite(self, item: Track | Episode) -> None:
        """Record that the file was rewritten without touching its audio (e.g. tags written).

        The file's new size, mtime and hash are stored and its results carried over, so
        the next scan does not treat it as changed music.
        """
        p = Path(item.path)
        st = p.stat()
        digest = file_hash(p)
        with self.transaction() as c:
            c.execute(
                "UPDATE files SET size = ?, mtime_ns = ?, hash = ? WHERE id = ?",
                (st.st_size, st.st_mtime_ns, digest, item.file_id),
            )
            c.execute(
                "UPDATE results SET file_hash = ? WHERE file_id = ? AND file_hash = ?",
                (digest, item.file_id, item.hash),
            )

    # -- removal ----------------------------------------------------------------------------
    def remove(
        self,
        refs: Iterable[int | str] = (),
        *,
        work: str | None = None,
        kind: str | None = None,
    ) -> int:
        """Forget tracks/episodes (by id, path or folder) or a whole work; files stay on disk.

        Parameters
        ----------
        refs : iterable of int or str
            Track/episode ids, or file or folder paths.
        work : str, optional
            Remove every entry of this work.
        kind : {"track", "episode"}, optional
            Which kind numeric ids refer to; default: tracks.

        Returns
        -------
        int
            How many files were forgotten.
        """
        if kind not in (None, "track", "episode"):
            raise ParameterError("kind", f"must be 'track' or 'episode', got {kind!r}")
        refs = list(refs)
        if not refs and work is None:
            raise ParameterError("refs", "name ids or paths to remove, or a work")
        file_ids: set[int] = set()
        if work is not None:
            self._work_filter(work)
            file_ids |= {
                r[0]
                for r in self._conn.execute(
                    "SELECT f.id FROM files f JOIN works w ON w.id = f.work_id WHERE w.name = ?",
                    (work,),
                )
            }
        table = "episodes" if kind == "episode" else "tracks"
        for ref in refs:
            found = self._file_ids_for(ref, table)
            if not found:
                raise ParameterError("refs", f"nothing in the library matches {ref!r}")
            file_ids |= found
        with self.transaction() as c:
            c.executemany("DELETE FROM files WHERE id = ?", [(i,) for i in sorted(file_ids)])
            self._drop_empty_works(c)
        return len(file_ids)

    def _file_ids_for(self, ref: int | str, table: str) -> set[int]:
        if isinstance(ref, int) or str(ref).isdigit():
            rows = self._conn.execute(f"SELECT file_id FROM {table} WHERE id = ?", (int(ref),))
            return {r[0] for r in rows}
        p = Path(str(ref)).expanduser().resolve()
        prefix = str(p) + os.sep
        rows = self._conn.execute(
            "SELECT id FROM files WHERE path = ? OR substr(path, 1, ?) = ?",
            (str(p), len(prefix), prefix),
        )
        return {r[0] for r in rows}


def _media_files(root: Path) -> Iterator[Path]:
    exts = AUDIO_EXTENSIONS | VIDEO_EXTENSIONS
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in exts:
                yield Path(dirpath) / name


def _track(r: sqlite3.Row) -> Track:
    return Track(
        id=r["id"],
        path=r["path"],
        work=r["work"],
        title=r["title"],
        artist=r["artist"],
        album=r["album"],
        composer=r["composer"],
        genre=r["genre"],
        track_number=r["track_number"],
        disc_number=r["disc_number"],
        instrumental=bool(r["instrumental"]),
        duration=r["duration"],
        format=r["format"],
        codec=r["codec"],
        sample_rate=r["sample_rate"],
        channels=r["channels"],
        hash=r["hash"],
        file_id=r["file_id"],
    )


def _episode(r: sqlite3.Row) -> Episode:
    return Episode(
        id=r["id"],
        path=r["path"],
        work=r["work"],
        season=r["season"],
        number=r["number"],
        title=r["title"],
        duration=r["duration"],
        format=r["format"],
        codec=r["codec"],
        has_video=bool(r["has_video"]),
        hash=r["hash"],
        file_id=r["file_id"],
    )


def _one(rows: list[sqlite3.Row], ref: int | str, what: str, make: Callable[..., Any]) -> Any:
    if not rows:
        raise LibraryError(f"no {what} matches {ref!r}")
    if len(rows) > 1:
        ids = ", ".join(str(r["id"]) for r in rows)
        raise LibraryError(f"{len(rows)} {what}s match {ref!r} (ids {ids}); use an id")
    return make(rows[0])
