"""Cues for a whole library: the fingerprint index beside it, cue sheets stored in it.

- :func:`build_index` fingerprints new or changed tracks and drops removed ones.
- :func:`library_cues` finds (or reuses) every episode's cues, in worker processes.
- :func:`scenes` lists where a track plays; :func:`identify_clip` names a clip and its scenes.

Stored cue sheets stay valid while the episode file, the matcher and the indexed tracks are
the same; adding a track to the index makes them stale, so the next run recomputes them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from heartsong.audio import load
from heartsong.cues import kernels
from heartsong.cues.export import TrackInfo
from heartsong.cues.fingerprint import FingerprintConfig
from heartsong.cues.index import FingerprintIndex
from heartsong.cues.match import Cue, Identification, find_cues, identify
from heartsong.errors import AudioError, HeartsongError, ParameterError
from heartsong.jobs import BatchReport, run_batch
from heartsong.library import Episode, Library, Track

__all__ = [
    "CUES_KIND",
    "FINGERPRINT_KIND",
    "IndexReport",
    "Scene",
    "build_index",
    "index_directory",
    "library_cues",
    "open_index",
    "scenes",
    "track_infos",
]

FINGERPRINT_KIND = "fingerprint"
CUES_KIND = "cues"
#: Bump when the matcher's output changes meaning, so stored cue sheets are recomputed.
MATCHER_VERSION = "cues-21"
# Fingerprints are computed at the index's own rate; decoding straight to it is cheapest.
_FP_SR = 8000
# Save the index every this many tracks, so a killed build keeps most of its work.
_SAVE_EVERY = 25

Progress = Callable[[int, int, str], None]


def index_directory(lib: Library) -> Path:
    """Where the fingerprint index of ``lib`` lives: ``<library file>.fingerprints/``."""
    return lib.path.with_name(lib.path.name + ".fingerprints")


def open_index(lib: Library) -> FingerprintIndex:
    """The library's fingerprint index (empty when never built)."""
    return FingerprintIndex(index_directory(lib))


# What a track's index entry holds beyond what its config sets; bumped when it gains
# something (2: the phase of each peak), so that `heartsong index` fingerprints every track
# of an older index again.
_ENTRY_VERSION = 2


def _fingerprint_version(index: FingerprintIndex) -> str:
    cfg = json.dumps(index.config.to_dict(), sort_keys=True)
    if _ENTRY_VERSION > 1:  # entries of version 1 keep the version string they had
        cfg += f";entry={_ENTRY_VERSION}"
    return "fp-" + hashlib.blake2b(cfg.encode(), digest_size=6).hexdigest()


@dataclass
class IndexReport:
    """What :func:`build_index` did."""

    added: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    tracks: int = 0
    index_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "failed": [list(f) for f in self.failed]}


def build_index(
    lib: Library,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the fingerprint index in line with the library's tracks.

    New and changed tracks are fingerprinted, tracks no longer in the library are
    dropped, unchanged ones are skipped (all of them again with ``force``). The index is
    saved every few tracks, so an interrupted build keeps most of its work.

    Parameters
    ----------
    lib : Library
    force : bool
        Fingerprint every track again.
    progress : callable, optional
        ``progress(done, total, title)`` after each track.

    Returns
    -------
    IndexReport
    """
    index = open_index(lib)
    if index.config != FingerprintConfig():
        # Built by a heartsong with other fingerprint settings: its hashes can never match
        # a query made with today's, so start again (the index is derived from the tracks,
        # and the version check below re-fingerprints every one of them).
        shutil.rmtree(index.directory, ignore_errors=True)
        index = open_index(lib)
    version = _fingerprint_version(index)
    tracks = lib.tracks()
    report = IndexReport()
    report.removed = len(index.sync(t.id for t in tracks))
    todo = []
    for t in tracks:
        res = None if force else lib.result(t, FINGERPRINT_KIND)
        if t.id in index and res is not None and res.ok and res.version == version:
            report.unchanged += 1
        else:
            todo.append(t)
    staged: list[tuple[Track, dict[str, Any] | None, str | None, float]] = []

    def flush() -> None:
        # The index is saved before the library records it: a kill in between only
        # means the next run fingerprints those tracks again.
        index.save()
        for track, data, error, seconds in staged:
            lib.store_result(
                track, FINGERPRINT_KIND, version=version, data=data, error=error, seconds=seconds
            )
        staged.clear()

    for i, t in enumerate(todo):
        t0 = time.perf_counter()
        try:
            y, _ = load(t.path, sr=_FP_SR, allow_silence=False)
            index.add(t.id, y, sr=_FP_SR)
            staged.append((t, {"seconds": y.size / _FP_SR}, None, time.perf_counter() - t0))
            report.added += 1
        except HeartsongError as exc:
            if t.id in index:
                index.remove(t.id)
            reason = exc.reason if isinstance(exc, AudioError) else str(exc)
            staged.append((t, None, reason, time.perf_counter() - t0))
            report.failed.append((t.path, reason))
        if len(staged) >= _SAVE_EVERY:
            flush()
        if progress is not None:
            progress(i + 1, len(todo), t.title)
    flush()
    if report.removed and report.removed * 4 > max(1, len(index)):
        index.compact()  # many dead rows: rewrite once rather than scan them forever
    report.tracks = len(index)
    report.index_bytes = index.nbytes
    return report


def _index_signature(lib: Library, index: FingerprintIndex) -> str:
    """Changes whenever a track enters, leaves or is re-fingerprinted in the index."""
    h = hashlib.blake2b(digest_size=8)
    h.update(MATCHER_VERSION.encode())
    h.update(_fingerprint_version(index).encode())
    by_id = {t.id: t.hash for t in lib.tracks()}
    for tid in sorted(index.track_ids):
        h.update(f"{tid}:{by_id.get(tid, '')};".encode())
    return h.hexdigest()


def _match_episode(job: tuple[str, str]) -> list[dict[str, Any]]:
    # Runs in a worker process: open the (read-only) index there, not in the parent.
    index_dir, path = job
    cues = find_cues(FingerprintIndex(index_dir), path, name=Path(path).name)
    return [c.to_dict() for c in cues]


def _cue(d: dict[str, Any]) -> Cue:
    fields = Cue.__dataclass_fields__
    return Cue(**{k: v for k, v in d.items() if k in fields})


def library_cues(
    lib: Library,
    episodes: Sequence[Episode],
    *,
    force: bool = False,
    workers: int = 1,
    progress: Progress | None = None,
) -> tuple[dict[int, list[Cue]], BatchReport]:
    """Cue sheets for ``episodes``: stored ones when still valid, else computed and stored.

    Parameters
    ----------
    lib : Library
    episodes : sequence of Episode
    force : bool
        Recompute even valid stored cue sheets.
    workers : int
        Worker processes matching episodes side by side.
    progress : callable, optional
        ``progress(done, total, title)`` after each computed episode.

    Returns
    -------
    cues : dict
        Episode id -> its cues (start-ordered). Episodes that failed are absent.
    report : BatchReport
        Episodes computed now, and failures with reasons.
    """
    index = open_index(lib)
    if len(index) == 0:
        raise HeartsongError(
            f"{index_directory(lib)}: the fingerprint index is empty; run `heartsong index` first"
        )
    version = _index_signature(lib, index)
    todo = lib.pending(episodes, CUES_KIND, version=version, force=force)
    by_path = {e.path: e for e in todo}

    def store(job: tuple[str, str], data: Any, error: str | None, seconds: float) -> None:
        ep = by_path[job[1]]
        payload = {"cues": data} if error is None else None
        lib.store_result(ep, CUES_KIND, version=version, data=payload, error=error, seconds=seconds)

    if todo:
        kernels.warm()  # compiled here once, so that worker processes only load the cache
    report = run_batch(
        [(str(index.directory), e.path) for e in todo],
        _match_episode,
        store=store,
        label=lambda job: job[1],
        workers=workers,
        progress=(lambda d, t, p: progress(d, t, by_path[p].title)) if progress else None,
    )
    out: dict[int, list[Cue]] = {}
    for e in episodes:
        res = lib.result(e, CUES_KIND)
        if res is not None and res.ok:
            out[e.id] = [_cue(d) for d in res.data["cues"]]
    return out, report


def track_infos(lib: Library, track_ids: Sequence[int] | None = None) -> dict[int, TrackInfo]:
    """Cue-sheet metadata (title, artist, composer, file name) for library tracks."""
    wanted = None if track_ids is None else set(track_ids)
    return {
        t.id: TrackInfo(
            title=t.title,
            artist=t.artist or "",
            composer=t.composer or "",
            reference=Path(t.path).name,
            usage="Background instrumental" if t.instrumental else "Background vocal",
        )
        for t in lib.tracks()
        if wanted is None or t.id in wanted
    }


@dataclass(frozen=True)
class Scene:
    """A place where a track plays: an episode and the span in it."""

    episode_id: int
    episode: str
    number: int | None
    start: float
    end: float
    track_start: float
    track_end: float
    overlap: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def scenes(lib: Library, track: Track, *, at: float | None = None) -> list[Scene]:
    """Every stored cue of ``track``; with ``at``, only those playing that track moment.

    Only episodes whose cue sheets are stored (``heartsong cues``) are searched.
    """
    found = []
    for e in lib.episodes():
        res = lib.result(e, CUES_KIND)
        if res is None or not res.ok:
            continue
        for c in map(_cue, res.data["cues"]):
            if c.track_id != track.id:
                continue
            if at is not None and not (c.track_start - 1.0 <= at <= c.track_end + 1.0):
                continue
            if at is not None:
                # The episode time where that very moment of the track plays.
                t = c.start + (at - c.track_start) / c.tempo
                start = end = min(max(t, c.start), c.end)
            else:
                start, end = c.start, c.end
            found.append(
                Scene(e.id, e.title, e.number, start, end, c.track_start, c.track_end, c.overlap)
            )
    return sorted(found, key=lambda s: (s.number if s.number is not None else 1 << 30, s.start))


def identify_clip(
    lib: Library, clip: str | Path, *, top: int = 3
) -> list[tuple[Identification, Track, list[Scene]]]:
    """Name a recorded or cut clip: the track, the position in it, and its scenes.

    Raises
    ------
    AudioError
        The clip is unreadable or shorter than 3 s.
    """
    index = open_index(lib)
    if len(index) == 0:
        raise HeartsongError(
            f"{index_directory(lib)}: the fingerprint index is empty; run `heartsong index` first"
        )
    y, sr = load(clip, sr=_FP_SR)
    if y.size < 3 * sr:
        raise AudioError(clip, f"too short to identify ({y.size / sr:.1f} s; need 3 s or more)")
    if not isinstance(top, int) or top < 1:
        raise ParameterError("top", f"must be an integer >= 1, got {top!r}")
    out = []
    for hit in identify(index, y, sr=sr, top=top):
        try:
            track = lib.track(hit.track_id)
        except HeartsongError:
            continue  # indexed but since removed from the library
        out.append((hit, track, scenes(lib, track, at=hit.position)))
    return out
