"""On-disk fingerprint index of reference tracks, built incrementally.

Layout of the index directory::

    manifest.json          format, fingerprint config, tracks -> segment, segment list
    seg-000001.npz         one immutable segment per `save()` with new tracks

A segment holds the triplet hashes of its tracks sorted by hash (so a lookup is
a binary search), delta-coded and zlib-compressed, plus each track's spectral
peaks (time, band, level, phase) used to refine cue boundaries, estimate gain and
test phase coherence (:mod:`heartsong.cues.coherence`).
Nothing is pickled: segments are plain ``.npz`` arrays loaded with
``allow_pickle=False`` and the manifest is JSON.

Adding tracks writes a new segment; removing a track only drops it from the
manifest (its rows are skipped at lookup) until :meth:`FingerprintIndex.compact`
rewrites the live rows into one segment. Every file is written to a temporary
name and renamed into place, manifest last, so a crash leaves the previous
index intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heartsong.cues.coherence import peak_phases
from heartsong.cues.fingerprint import (
    FingerprintConfig,
    Fingerprints,
    Peaks,
    fingerprint,
    resample,
)
from heartsong.errors import HeartsongError, ParameterError

__all__ = ["FORMAT", "FingerprintIndex", "Hits", "IndexError_"]

FORMAT = 1
_MANIFEST = "manifest.json"


class IndexError_(HeartsongError):
    """The index directory is missing, corrupt, or built with another fingerprint config."""


@dataclass(frozen=True)
class Hits:
    """Lookup result: one row per (query entry, matching reference entry)."""

    query: np.ndarray  # int64 index into the query Fingerprints
    track: np.ndarray  # int64 track id
    t: np.ndarray  # float32 reference anchor time (frames)
    f: np.ndarray  # float32 reference anchor band

    def __len__(self) -> int:
        return int(self.query.size)


@dataclass
class _Segment:
    name: str
    hash: np.ndarray  # uint32 sorted
    track: np.ndarray  # int64
    t: np.ndarray  # uint32 frames
    f: np.ndarray  # uint8 half-bands
    peak_tracks: np.ndarray  # int64, track id per peak block
    peak_offsets: np.ndarray  # int64, len(peak_tracks) + 1
    peak_t: np.ndarray  # float32 frames
    peak_f: np.ndarray  # float32 bands
    peak_db: np.ndarray  # float32
    peak_phase: np.ndarray  # float32 radians, NaN where unknown (segments written before it)


# Peaks are stored in quarter frames and quarter bands (plenty for refinement); the
# phases are measured where the stored peaks lie (see FingerprintIndex.add).
_PEAK_STEPS = 4


def _on_stored_grid(x: np.ndarray) -> np.ndarray:
    """``x`` (frames or bands) rounded as the index stores it."""
    return (np.rint(np.asarray(x) * _PEAK_STEPS) / np.float32(_PEAK_STEPS)).astype(np.float32)


# Phases are stored in 1/256 turns (int8); -128 (half a turn) stands for unknown, so a
# true half turn is stored as 127/256 (0.025 rad off, far below what the test resolves).
_PHASE_UNKNOWN = -128


def _encode_phase(phase: np.ndarray) -> np.ndarray:
    q = np.rint(np.nan_to_num(phase, nan=0.0) / (2 * np.pi) * 256).astype(np.int64)
    q = ((q + 128) % 256) - 128
    q = np.where(q == _PHASE_UNKNOWN, 127, q)
    return np.where(np.isfinite(phase), q, _PHASE_UNKNOWN).astype(np.int8)


def _decode_phase(q: np.ndarray) -> np.ndarray:
    ph = q.astype(np.float32) * np.float32(2 * np.pi / 256)
    return np.where(q == _PHASE_UNKNOWN, np.float32(np.nan), ph).astype(np.float32)


def _atomic_write_bytes(path: Path, write) -> None:  # type: ignore[no-untyped-def]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def expand_ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(i, k)`` with ``lo[i] <= k < hi[i]``, as two arrays (``i`` ascending, then
    ``k``): the rows that runs found with ``searchsorted`` cover, and whose run each is.

    Examples
    --------
    >>> import numpy as np
    >>> i, k = expand_ranges(np.array([3, 0, 5]), np.array([5, 0, 6]))
    >>> i.tolist(), k.tolist()
    ([0, 0, 2], [3, 4, 5])
    """
    cnt = hi - lo
    owner = np.repeat(np.arange(cnt.size, dtype=np.int64), cnt)
    # Row = lo[owner] + rank within the owner's run.
    starts = np.repeat(np.cumsum(cnt) - cnt, cnt)
    return owner, np.repeat(lo, cnt) + (np.arange(int(cnt.sum())) - starts)


class FingerprintIndex:
    """Fingerprints of reference tracks, keyed by integer track id.

    Parameters
    ----------
    directory : str or Path
        Where the index lives (created on first :meth:`save`).
    config : FingerprintConfig, optional
        Only for a new index; an existing one keeps the config it was built with.

    Examples
    --------
    >>> import tempfile
    >>> from heartsong.cues import synth
    >>> d = tempfile.mkdtemp()
    >>> idx = FingerprintIndex(d)
    >>> idx.add(7, synth.music(7, duration=10, sr=8000), sr=8000)
    >>> idx.save()
    >>> sorted(FingerprintIndex(d).track_ids)
    [7]
    """

    def __init__(self, directory: str | Path, *, config: FingerprintConfig | None = None) -> None:
        self.directory = Path(directory)
        self._segments: list[_Segment] = []
        self._tracks: dict[int, dict[str, object]] = {}
        self._pending: dict[int, tuple[Fingerprints, Peaks, float, np.ndarray]] = {}
        self._removed_rows = 0
        self._next_segment = 1
        manifest = self.directory / _MANIFEST
        if manifest.exists():
            self._load(manifest, config)
        else:
            self.config = config or FingerprintConfig()

    # ------------------------------------------------------------------ loading
    @staticmethod
    def _manifest(manifest: Path) -> dict:  # type: ignore[type-arg]
        try:
            data = json.loads(manifest.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexError_(f"{manifest}: unreadable index manifest ({exc})") from exc
        if data.get("format") != FORMAT:
            raise IndexError_(f"{manifest}: index format {data.get('format')!r} is not {FORMAT}")
        return data  # type: ignore[no-any-return]

    @staticmethod
    def stored_config(directory: str | Path) -> FingerprintConfig | None:
        """The fingerprint config an index directory was built with (its manifest only,
        no segments are read); None when there is no index."""
        manifest = Path(directory) / _MANIFEST
        if not manifest.exists():
            return None
        return FingerprintConfig.from_dict(FingerprintIndex._manifest(manifest)["config"])

    def _load(self, manifest: Path, config: FingerprintConfig | None) -> None:
        data = self._manifest(manifest)
        stored = FingerprintConfig.from_dict(data["config"])
        if config is not None and config != stored:
            raise IndexError_(
                f"{self.directory}: built with another fingerprint config; rebuild the index"
            )
        self.config = stored
        self._tracks = {int(k): v for k, v in data["tracks"].items()}
        self._next_segment = int(data.get("next_segment", 1))
        for name in data["segments"]:
            seg = self._read_segment(self.directory / name)
            self._segments.append(seg)
            self._removed_rows += int(np.count_nonzero(~np.isin(seg.track, self._live_in(seg))))

    @staticmethod
    def _read_segment(path: Path) -> _Segment:
        try:
            with np.load(path, allow_pickle=False) as z:
                deltas = z["hash_delta"]
                h = np.cumsum(deltas, dtype=np.uint64).astype(np.uint32)
                return _Segment(
                    name=path.name,
                    hash=h,
                    track=z["track"].astype(np.int64),
                    t=z["time"],
                    f=z["band"],
                    peak_tracks=z["peak_tracks"].astype(np.int64),
                    peak_offsets=z["peak_offsets"].astype(np.int64),
                    peak_t=np.cumsum(z["peak_time"].astype(np.int64)).astype(np.float32)
                    / _PEAK_STEPS,
                    peak_f=z["peak_band"].astype(np.float32) / _PEAK_STEPS,
                    peak_db=z["peak_db"].astype(np.float32) / 2.0,
                    peak_phase=_decode_phase(z["peak_phase"]) if "peak_phase" in z.files
                    else np.full(z["peak_db"].size, np.nan, np.float32),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise IndexError_(f"{path}: unreadable index segment ({exc})") from exc

    # ----------------------------------------------------------------- mutation
    @property
    def track_ids(self) -> set[int]:
        """Ids of the tracks in the index, saved or pending."""
        return set(self._tracks) | set(self._pending)

    @property
    def saved_track_ids(self) -> set[int]:
        """Ids of the saved tracks: those matching reads (peaks, phases, hashes)."""
        return set(self._tracks)

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._tracks or track_id in self._pending

    def __len__(self) -> int:
        return len(self.track_ids)

    def duration(self, track_id: int) -> float:
        """Length in seconds of an indexed track."""
        if track_id in self._pending:
            return self._pending[track_id][2]
        try:
            return float(self._tracks[track_id]["duration"])  # type: ignore[arg-type]
        except KeyError:
            raise ParameterError("track_id", f"{track_id!r} is not in the index") from None

    def add(self, track_id: int, samples: np.ndarray, *, sr: int) -> None:
        """Fingerprint a track (mono samples) and stage it; :meth:`save` writes it.

        Adding an id that is already indexed replaces it.
        """
        if not isinstance(track_id, int | np.integer) or isinstance(track_id, bool):
            raise ParameterError("track_id", f"must be an integer, got {track_id!r}")
        if not 0 <= int(track_id) < 2**32:
            raise ParameterError("track_id", f"must be in [0, 2**32), got {track_id!r}")
        y = np.asarray(samples, dtype=np.float32)
        if y.ndim == 2:
            y = y.mean(axis=0)
        if y.ndim != 1 or y.size == 0:
            raise ParameterError("samples", f"must be non-empty mono audio, got shape {y.shape}")
        fp, pk = fingerprint(y, sr=sr, role="reference", config=self.config)
        # The phases are measured where the stored (quantised) peaks say they are.
        pk = Peaks(_on_stored_grid(pk.t), _on_stored_grid(pk.f), pk.db)
        ph = peak_phases(resample(y, sr=int(sr), target=self.config.sr), pk, config=self.config)
        tid = int(track_id)
        if tid in self._tracks:
            self.remove(tid)
        self._pending[tid] = (fp, pk, y.size / sr, ph)

    def add_many(self, items: Iterable[tuple[int, np.ndarray]], *, sr: int) -> None:
        """:meth:`add` each ``(track_id, samples)`` pair."""
        for tid, y in items:
            self.add(tid, y, sr=sr)

    def remove(self, track_id: int) -> None:
        """Drop a track (its rows stay on disk, ignored, until :meth:`compact`)."""
        tid = int(track_id)
        if tid in self._pending:
            del self._pending[tid]
            return
        info = self._tracks.pop(tid, None)
        if info is None:
            raise ParameterError("track_id", f"{track_id!r} is not in the index")
        self._removed_rows += int(info["rows"])  # type: ignore[call-overload]

    def sync(self, wanted: Iterable[int]) -> list[int]:
        """Remove every indexed track not in ``wanted``; return the ids removed."""
        keep = {int(t) for t in wanted}
        gone = sorted(self.track_ids - keep)
        for tid in gone:
            self.remove(tid)
        return gone

    def save(self) -> None:
        """Write pending tracks as a new segment and the manifest, atomically."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._pending:
            items = sorted(self._pending.items())
            seg = self._build_segment(
                f"seg-{self._next_segment:06d}.npz",
                [(tid, fp.hash, np.rint(fp.t), fp.f) for tid, (fp, _, _, _) in items],
                [(tid, pk.t, pk.f, pk.db, ph) for tid, (_, pk, _, ph) in items],
            )
            self._next_segment += 1
            self._write_segment(seg)
            self._segments.append(seg)
            for tid, (fp, pk, dur, _) in items:
                self._tracks[tid] = {
                    "segment": seg.name, "rows": len(fp), "peaks": len(pk), "duration": dur,
                }
            self._pending.clear()
        self._write_manifest()
        self._delete_orphans()

    def compact(self) -> None:
        """Rewrite live rows into a single segment (after many removals)."""
        self.save()
        rows, peaks = [], []
        for seg in self._segments:
            live = self._live_in(seg)
            keep = np.isin(seg.track, live)
            if keep.any():
                rows.append((None, seg.hash[keep], seg.t[keep], seg.f[keep], seg.track[keep]))
            for i, tid in enumerate(seg.peak_tracks):
                if tid in live:
                    a, b = seg.peak_offsets[i], seg.peak_offsets[i + 1]
                    peaks.append((int(tid), seg.peak_t[a:b], seg.peak_f[a:b], seg.peak_db[a:b],
                                  seg.peak_phase[a:b]))
        seg = self._build_segment(f"seg-{self._next_segment:06d}.npz", rows, sorted(peaks))
        self._next_segment += 1
        self._write_segment(seg)
        self._segments = [seg]
        for info in self._tracks.values():
            info["segment"] = seg.name
        self._removed_rows = 0
        self._write_manifest()
        self._delete_orphans()

    def _build_segment(self, name: str, rows: list, peaks: list) -> _Segment:  # type: ignore[type-arg]
        hs, ts, fs, tr = [], [], [], []
        for row in rows:
            if row[0] is None:  # already-encoded rows from compaction
                _, h, t, f, trk = row
                hs.append(h)
                ts.append(t.astype(np.uint32))
                fs.append(f)
                tr.append(trk)
            else:
                tid, h, t, f = row
                hs.append(h)
                ts.append(np.clip(t, 0, 2**32 - 1).astype(np.uint32))
                fs.append(np.clip(np.rint(np.asarray(f) * 2), 0, 255).astype(np.uint8))
                tr.append(np.full(h.size, tid, np.int64))
        h = np.concatenate(hs) if hs else np.zeros(0, np.uint32)
        order = np.lexsort((np.concatenate(tr) if tr else np.zeros(0, np.int64), h))
        pt = [p[0] for p in peaks]
        counts = [len(p[1]) for p in peaks]
        return _Segment(
            name=name,
            hash=h[order].astype(np.uint32),
            track=(np.concatenate(tr) if tr else np.zeros(0, np.int64))[order],
            t=(np.concatenate(ts) if ts else np.zeros(0, np.uint32))[order],
            f=(np.concatenate(fs) if fs else np.zeros(0, np.uint8))[order],
            peak_tracks=np.asarray(pt, np.int64),
            peak_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            peak_t=np.concatenate([p[1] for p in peaks]).astype(np.float32)
            if peaks else np.zeros(0, np.float32),
            peak_f=np.concatenate([p[2] for p in peaks]).astype(np.float32)
            if peaks else np.zeros(0, np.float32),
            peak_db=np.concatenate([p[3] for p in peaks]).astype(np.float32)
            if peaks else np.zeros(0, np.float32),
            peak_phase=np.concatenate([p[4] for p in peaks]).astype(np.float32)
            if peaks else np.zeros(0, np.float32),
        )

    def _write_segment(self, seg: _Segment) -> None:
        deltas = np.diff(seg.hash.astype(np.int64), prepend=0).astype(np.uint32)
        # Peaks are stored in quarter frames / quarter bands / half dB: plenty for refinement.
        arrays = {
            "hash_delta": deltas,
            "track": seg.track.astype(np.uint32),
            "time": seg.t.astype(np.uint32),
            "band": seg.f.astype(np.uint8),
            "peak_tracks": seg.peak_tracks.astype(np.uint32),
            "peak_offsets": seg.peak_offsets.astype(np.uint64),
            "peak_time": np.diff(np.rint(seg.peak_t * _PEAK_STEPS).astype(np.int64), prepend=0)
            .astype(np.int32),
            "peak_band": np.clip(np.rint(seg.peak_f * _PEAK_STEPS), 0, 65535).astype(np.uint16),
            "peak_db": np.clip(np.rint(seg.peak_db * 2), -128, 127).astype(np.int8),
            "peak_phase": _encode_phase(seg.peak_phase),
        }
        _atomic_write_bytes(self.directory / seg.name, lambda fh: np.savez_compressed(fh, **arrays))

    def _write_manifest(self) -> None:
        data = {
            "format": FORMAT,
            "config": self.config.to_dict(),
            "segments": [s.name for s in self._segments],
            "next_segment": self._next_segment,
            "tracks": {str(k): v for k, v in sorted(self._tracks.items())},
        }
        text = json.dumps(data, indent=1).encode("utf-8")
        _atomic_write_bytes(self.directory / _MANIFEST, lambda fh: fh.write(text))

    def _delete_orphans(self) -> None:
        live = {s.name for s in self._segments}
        for p in self.directory.glob("seg-*.npz"):
            if p.name not in live:
                p.unlink(missing_ok=True)

    def _live_in(self, seg: _Segment) -> np.ndarray:
        # A re-added track's old rows stay in older segments: only its current one is live.
        return np.array(
            sorted(t for t, i in self._tracks.items() if i["segment"] == seg.name), np.int64
        )

    # ------------------------------------------------------------------ queries
    @property
    def nbytes(self) -> int:
        """Bytes on disk (segments and manifest)."""
        if not self.directory.exists():
            return 0
        return sum(p.stat().st_size for p in self.directory.iterdir() if p.is_file())

    @property
    def seconds(self) -> float:
        """Total duration of indexed (saved) audio in seconds."""
        return float(sum(float(v["duration"]) for v in self._tracks.values()))  # type: ignore[arg-type]

    def lookup(self, fp: Fingerprints) -> Hits:
        """All reference rows sharing a hash with ``fp`` (saved tracks only)."""
        qs, ts, tt, ff = [], [], [], []
        # Sorted needles walk the table in order (40 % less time than in query order).
        order = np.argsort(fp.hash, kind="stable")
        needles = fp.hash[order]
        for seg in self._segments:
            if seg.hash.size == 0 or len(fp) == 0:
                continue
            lo = np.empty(order.size, np.int64)
            hi = np.empty(order.size, np.int64)
            lo[order] = np.searchsorted(seg.hash, needles, side="left")
            hi[order] = np.searchsorted(seg.hash, needles, side="right")
            cnt = hi - lo
            total = int(cnt.sum())
            if total == 0:
                continue
            q, rows = expand_ranges(lo, hi)
            trk = seg.track[rows]
            if self._removed_rows:
                keep = np.isin(trk, self._live_in(seg))
                q, rows, trk = q[keep], rows[keep], trk[keep]
            qs.append(q)
            ts.append(trk)
            tt.append(seg.t[rows].astype(np.float32))
            ff.append(seg.f[rows].astype(np.float32) * 0.5)
        if not qs:
            z = np.zeros(0, np.int64)
            return Hits(z, z.copy(), np.zeros(0, np.float32), np.zeros(0, np.float32))
        return Hits(np.concatenate(qs), np.concatenate(ts), np.concatenate(tt), np.concatenate(ff))

    def _peak_rows(self, track_id: int) -> tuple[_Segment, slice]:
        """The segment holding a saved track's peaks, and their rows in it."""
        info = self._tracks.get(int(track_id))
        if info is None:
            raise ParameterError("track_id", f"{track_id!r} is not in the saved index")
        for seg in self._segments:
            if seg.name == info["segment"]:
                i = int(np.searchsorted(seg.peak_tracks, int(track_id)))
                return seg, slice(int(seg.peak_offsets[i]), int(seg.peak_offsets[i + 1]))
        raise IndexError_(f"{self.directory}: segment {info['segment']} missing")

    def peaks(self, track_id: int) -> Peaks:
        """The stored spectral peaks of a saved track."""
        seg, rows = self._peak_rows(track_id)
        return Peaks(seg.peak_t[rows], seg.peak_f[rows], seg.peak_db[rows])

    def phases(self, track_id: int) -> np.ndarray:
        """The phase (radians) of each of :meth:`peaks`; NaN where unknown (a track
        indexed before phases were stored: re-add it to test its coherence)."""
        seg, rows = self._peak_rows(track_id)
        return seg.peak_phase[rows]
