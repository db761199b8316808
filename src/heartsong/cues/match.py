"""Find every music cue in an episode, streaming, against a :class:`FingerprintIndex`.

Pipeline (per 61 s chunk of episode audio, then once globally):

1. Fingerprint the chunk as a *query* and look every hash up in the index.
   Each hit says: episode time ``tq``, track, track time ``tr``, pitch offset ``p``.
2. *Coarse vote* (per chunk, vectorised): hits are counted in cells of
   (track, 4 s episode window, 0.25 s diagonal offset ``tr - tq``, pitch offset)
   with two staggered grids; only hits in well-populated cells survive. A
   ±6 % stretch drifts the offset by < 8 frames across a window, so one cell
   holds a stretched cue. This keeps memory bounded for a two-hour film.
3. *Fine vote* (per surviving cell): search the stretch factor on a grid and
   find the tightest cluster of hits on a line ``tr = u + (tq - centre) / a``
   with a consistent pitch offset -> a window *detection*.
4. *Chain* detections of the same track whose diagonals continue each other
   (gaps up to ``max_gap`` seconds: dialogue dips and fades do not split a cue)
   and fit one line per chain to its inliers: a *cue*.
5. *Refine* boundaries and estimate gain by projecting the track's stored peaks
   through the fitted map (:mod:`heartsong.cues.refine`); a candidate is kept only when
   those peaks stand out in the episode far beyond chance (a z-score). One with weak hash
   evidence needs more, unless its audible peaks share one gain (the track itself, not
   other music lighting them); one that comes close is kept when it also stands clearly
   above every other track proposed over the same seconds (music not in the library fits
   several about equally). A weak candidate rejected on its hashes' line is tried again,
   at the weakest hashes' bar, on the line the track's peaks fit (:func:`_refit_weak`).
6. *Explain away*: strongest first, a candidate overlapping stronger cues must still be
   significant on the peaks they do not already explain (a version of a song with the
   same arrangement, a quoted theme, the same track shifted by a repeat are not); one let
   in by its phases passes its phase test again on the seconds they leave it, or goes (a
   tempo-changed or transposed cue never counts against it: a vocoder rebuilds phases).
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from heartsong.cues.coherence import coherence_test
from heartsong.cues.fingerprint import FingerprintConfig, Peaks, StreamChunk, fingerprint_stream
from heartsong.cues.index import FingerprintIndex, expand_ranges
from heartsong.cues.kernels import (
    band_counts,
    distinct_pairs,
    fine_cells,
    line_inliers,
    median_intercept,
)
from heartsong.cues.refine import (
    Presence,
    Spectrum,
    absence,
    extend,
    fade_edges,
    gain_spread,
    presence,
    significance,
    unexplained_significance,
)
from heartsong.cues.votes import untouched_alignments
from heartsong.errors import ParameterError

__all__ = ["Cue", "Identification", "find_cues", "identify", "mark_overlaps"]

# Coarse-vote geometry (frames of 16 ms).
_WIN = 256  # 4.1 s windows
_OBIN = 16  # 0.26 s diagonal-offset cells
_PBIN = 3.0  # pitch-offset cells (bands of 50 cents)
_PMAX = 3.0  # |pitch offset| searched (bands): ±150 cents covers ±100 cents pitch and ±3 % speed
_STRETCH = np.arange(0.94, 1.0601, 0.004)  # episode time per track time
_INV_STRETCH32 = (1.0 / _STRETCH).astype(np.float32)
_CHUNK_FRAMES = 15 * _WIN  # 61.4 s: chunks hold whole windows
# Extra z-score a candidate below min_score must reach (over min_significance: 7 + 4 = 11).
_WEAK_EXTRA_Z = 4.0
# Less extra with more hashes, for a candidate heard for at least _GRADED_SECONDS at the
# track's own pitch: chance alignments with 9-11 hashes are over 100 times rarer than with
# 4-5 (benchmarks/cues.py, seed 0: 80 against 9,600 in 83 h), so fewer of them compete for
# the same z-score. Shorter spans keep the full extra (the extended test picks a chance fit's
# brightest second or two), and so do transposed fits: music in the same tuning also fits
# a semitone up or down, which triples the alignments that compete (seed 2's unindexed
# music did, at 9-11 hashes and z 8.5-11).
_GRADED_EXTRA_Z = ((9, 1.0), (6, 3.0))  # (at least this many hashes, extra z), descending
_GRADED_SECONDS = 3.0
_GRADED_PITCH = 0.5  # bands (25 cents)
# A weak candidate whose clearly audible peaks (>= _SPAN_CONSISTENT[0]) share one gain within
# _SPAN_CONSISTENT[1] dB (median absolute deviation) over _CONSISTENT_SECONDS or more
# (_GRADED_SECONDS and _TRANSPOSED_MAD when transposed) needs only min_significance: chance
# alignments with other music or dialogue have levels of their own (benchmarks/cues.py, seed
# 0: 40 more true cues at +10/0/-10 dB, 2 chance fits, both inside another cue). Seeds 1 and
# 2 had chance fits a semitone off at 1.0 dB over 2-4 s (true transposed cues of seed 0: 7 of
# 9 at 0.5). The looser core bar only lets such a candidate past the first look.
_SPAN_CONSISTENT = (10, 1.0)
_TRANSPOSED_MAD = 0.5
_CORE_CONSISTENT = (5, 1.5)
_CONSISTENT_SECONDS = 2.0
_EXTEND_SECONDS = 60.0  # how far verification looks beyond a candidate's matched core
_FINE_MAX = 384  # hits of one cell used to search its stretch
_SHADOW_RATIO = 1.5  # a same-track overlap this much weaker than another is its shadow
_UNEXPLAINED_SHARE = 0.5  # of its z-score a cue must keep on evidence of its own
_OWN_SECONDS = 2.0  # a phase-tested cue's own stretch, outside stronger cues (_explain_away)
# Tempo and pitch this far (bands) from a speed change's pairing: a vocoded line (_vocoded).
# A ±5 % tempo change is 1.8 bands off it, ±100 cents 2; a line's fitted pitch errs by <0.1.
_VOCODED_BANDS = 0.5
_GAIN_TOL = 6.0  # dB above the cue's gain that marks another music's level (refine.extend)
# A candidate lying (this share of it) inside a stronger cue of another track is judged on
# its own evidence with a wider reach (frames, bands) around the stronger cue's peaks: two
# tracks rarely play together for a whole cue, and a version of the song, a quote of its
# theme or same-key music aligned a little stretched light the stronger cue's notes a few
# frames off its 14 stored peaks per second (the demo's versions and quotes).
_NESTED = 0.8
_NESTED_REACH = (12, 1)
_CORE_EXTRA_Z = 2.0  # over the needed z, for a strong candidate's core alone (see _refine)
# A strong candidate whose core alone falls short of that still gets the extended test, at
# the same z: its core is only the seconds its hashes span, the cue around it may add more
# (benchmarks/cues.py at 0 dB: 3-4 s cues with 13-19 hashes, core z < 9, whole cue z 9-10).
_CORE_EXTENDED = True
# A candidate of at least _SHIFT_MIN_SECONDS accepted on a z-score below _SHIFT_CHECK_Z must
# beat the same track moved along its line by 0.75-8 s (see _shift_margin). Shorter cues are
# exempt: within a bar or two a track's own chords and beat fit it shifted nearly as well.
_SHIFT_CHECK_Z = 9.0
_SHIFT_MIN_SECONDS = 8.0
_SHIFTS = tuple(float(s) for s in np.arange(-8.0, 8.01, 0.5) if abs(s) >= 0.75)
# Fragments of one track whose lines are at most this far apart (s) where they meet may be
# one cue (see _join_fragments).
_JOIN_MISMATCH = 2.0
# Phase coherence (see _coherent_candidate): the statistic a window must reach, over how
# many 3 s windows, for proposals of at least this many hashes.
_COHERENT_Z = (24.0, 13.0)  # all peaks, peaks above 400 Hz
_COHERENT_WZ = (22.0, 11.0)  # the same, weighted (coherence(weighted=True)): the other way in
_COHERENT_WINDOWS = 3
_COHERENT_WINDOW = 3.0  # seconds
_COHERENT_SCORE = 3
_COHERENT_GATE = 4.0  # z-score of the magnitude tests a proposal needs to be phase-tested
_VOTE_Z = 8.0  # single-peak vote z-score of an alignment phase-tested (README: its calibration)
_VOTE_MAX = 8  # per track, strongest first
_VOTE_DELAY = 1.5  # frames: how far off the votes' offset can be
_VOTE_WEIGHTED_Z = 4.0  # weighted z-score a coherent vote alignment must also reach
# The weighted phase statistic a vote alignment can reach instead of _COHERENT_Z (all peaks,
# peaks above 400 Hz): calibrated on the votes' proposals (README).
_VOTE_COHERENT_WZ = (20.0, 10.0)
_UNTOUCHED_SLOPE = 0.012  # lines this close to slope 1 are also tested at slope 1 ...
_UNTOUCHED_RANGE = 2e-4  # ... searched this far around it
_SURE_Z = 12.0  # z-score beyond which a candidate is certain; more z says no more
# Proposals from fewer than _THIN_SCORE hashes are many (140,000 in the 16.7 h of
# benchmarks/cues.py --seed 2) and nearly all chance; each costs a first look. Only those whose
# hashes span _THIN_SECONDS or more, at a pitch within _THIN_PITCH bands, get one: chance fits
# of music in the same tuning crowd a semitone off (56 % of those proposals lie beyond 1.4
# bands, 8 % of those accepted on true cues), and 16 % span under 0.25 s (5 %).
# That leaves 51,000 (a third of the time) and 108 of the 123 accepted on true cues.
_THIN_SCORE = 4
_THIN_SECONDS = 0.25
_THIN_PITCH = 1.4
# A candidate whose *weighted* z-score (refine.significance(weighted=True): each peak weighs
# by its loudness in the track, contrasts clipped) reaches this is accepted whatever bar the
# plain z set it, and that z-score also gets a candidate past the first look. Dialogue masks
# a track's quiet peaks first, so the weighted score keeps a cue's evidence where the plain
# one drowns it, and chance fits have a far thinner tail (benchmarks/cues.py, seed 0, every
# proposal: the highest weighted z of a chance fit 12.6, the highest plain z over 20).
# Seeds 0/1/2: 6/5/6 more cues (mostly transposed or stretched, at -5 to -15 dB), no new
# false cue; 12 added 3 more, 11.5 let in chance fits a semitone off. With 6 hashes or more
# at a pitch within 70 cents of the track's, 11: chance fits with that many hashes are far
# rarer (see _GRADED_EXTRA_Z), and those a semitone off are kept out (seed 0's one chance fit
# at 11, 107 cents off). Seeds 1/2: 2/3 more cues; seed 3, not used to set it, checked it.
_PITCH_TOL = (0.75, 0.4)  # bands around the pitch, for the pairs of each pass (_line_pitch)
_PITCH_PAIRS = 8
# _line_refit: pairs within 1 s of the hashes' line; slopes searched in steps of 0.2 %
# (a slope lining up 1.2 times the pairs of the hashes' in a 3-frame band replaces theirs),
# then 0.05 % around it; least squares on the pairs within 3, 2, then 1.5 frames of the fit
# before; 12 pairs at least. A finer search in a 1.5-frame band gave the same errors.
_REFIT_REACH = 64.0
# _refit_weak: rejected weak proposals with z >= _REFIT_GATE are tried again on the line
# their peaks fit best, over their matched core and 2 s either side.
_REFIT_GATE = 5.0
_REFIT_AROUND = 125.0  # frames
_REFIT_STEPS = (0.002, 0.0005)
_REFIT_BAND = 3.0
_REFIT_GAIN = 1.2
_REFIT_KEEP = (3.0, 2.0, 1.5)
_REFIT_PAIRS = 12
_WEIGHTED_Z = 12.5
_WEIGHTED_GRADED = (6, 11.0, 1.4)  # (hashes at least, weighted z, |pitch| bands at most)
# A cue whose loud peaks are missing from the episode (refine.absence: z-score of their
# count against a rate of 0.1) is music that only shares the track's harmony. On
# benchmarks/cues.py seeds 0-3 the six false cues scored 0.9-15.9 (four above 4.5),
# the true cues found at most 3.7; on seed 4, drawn to check it, one true 3 s cue that ran
# on for 20 s into such music scored 9.5 and was lost (keeping only the run of its seconds
# where the peaks are there let chance runs of false fits back in). Exempt: a cue with
# _ABSENT_SCORE times min_score hashes or more (the false ones had at most 23): its
# accompaniment matches hash for hash, as a film's instrumental mix of a vocal track.
_ABSENT_Z = 4.5
_ABSENT_SCORE = 3
_ABSORB_REACH = 2.0  # see _absorb_continuations


@dataclass(frozen=True)
class Cue:
    """One use of a reference track in an episode. Times in seconds.

    ``tempo`` is the playback rate relative to the track (1.03 = 3 % faster);
    ``pitch_cents`` the pitch shift; ``gain_db`` the level relative to the
    reference (album master); ``overlap`` is True when another cue overlaps
    this one (a cross-fade).
    """

    track_id: int
    start: float
    end: float
    track_start: float
    tempo: float = 1.0
    pitch_cents: float = 0.0
    gain_db: float = 0.0
    confidence: float = 0.0
    score: int = 0
    overlap: bool = False
    episode: str | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def track_end(self) -> float:
        return self.track_start + self.duration * self.tempo

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["duration"] = self.duration
        d["track_end"] = self.track_end
        return d


@dataclass(frozen=True)
class Identification:
    """A track found in a clip: where the clip starts in the track, and how sure we are."""

    track_id: int
    position: float  # seconds into the track at the clip's first sample
    tempo: float
    pitch_cents: float
    confidence: float
    score: int
    start: float  # span of the clip where the track was heard, seconds
    end: float


@dataclass
class _Detection:
    track: int
    window: int
    slope: float  # episode frames per track frame
    u: float  # track frame at the window centre
    pitch: float
    tq: np.ndarray  # float32, as the fingerprints' and index's times
    tr: np.ndarray  # float32
    p: np.ndarray  # float32

    @property
    def score(self) -> int:
        return int(self.tq.size)


@dataclass
class _Chain:
    track: int
    dets: list[_Detection] = field(default_factory=list)

    @property
    def last(self) -> _Detection:
        return self.dets[-1]


def _median(x: np.ndarray | list[float]) -> float:
    """Median of a small array: np.median's overhead dominates at the sizes used here."""
    a = np.sort(np.asarray(x, np.float64).ravel())
    n = a.size
    return float(0.5 * (a[(n - 1) // 2] + a[n // 2]))


def _distinct_pairs(*cols: np.ndarray) -> np.ndarray:
    """Indices of the first of each distinct row of ``cols`` (e.g. ``(tq, tr)``: the probes
    of one query triplet repeat a pair; they are one piece of evidence)."""
    if cols[0].size == 0:
        return np.zeros(0, np.int64)
    if (len(cols) == 2 and all(c.dtype == np.float32 for c in cols)
            and cols[0].min() >= 0 and cols[1].min() >= 0):
        # Two non-negative float32 columns: their bits sort in the same order as the
        # values (compiled: a few thousand chain fits per episode call this).
        return distinct_pairs(cols[0], cols[1])
    o = np.lexsort(cols[::-1])
    first = np.ones(o.size, bool)  # (np.r_ costs more than the rest at these sizes)
    step = first[1:]
    step[:] = cols[0][o[1:]] != cols[0][o[:-1]]
    for c in cols[1:]:
        step |= c[o[1:]] != c[o[:-1]]
    return o[first]


def _distinct_hits(track: np.ndarray, tq: np.ndarray, tr: np.ndarray) -> np.ndarray:
    """Indices of the first hit of each distinct ``(track, tq, tr)`` (in no particular order).

    What :func:`_distinct_pairs` does for three columns, from one sort of a 64-bit key
    instead of a three-key lexsort (3x faster on the coarse vote's hundreds of thousands
    of hits): the exact bits of both times, mixed with the track. Two different hits
    share a key with probability ~n^2 / 2^64 (1e-8 for 300,000 hits); one vote is lost then.
    """
    if tq.size == 0:
        return np.zeros(0, np.int64)
    return _first_of_each(_bits_key(tq, tr) ^ (track.astype(np.uint64)
                                               * np.uint64(0x9E3779B97F4A7C15)))


def _bits_key(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The bits of float32 ``a`` and ``b`` as the high and low half of one uint64 (exact;
    for non-negative values it sorts as ``(a, b)`` does)."""
    zero = np.float32(0.0)  # + 0.0 turns -0.0 into 0.0: equal values, other bits
    return ((np.asarray(a, np.float32) + zero).view(np.uint32).astype(np.uint64) << np.uint64(32)
            | (np.asarray(b, np.float32) + zero).view(np.uint32).astype(np.uint64))


def _first_of_each(key: np.ndarray) -> np.ndarray:
    """Indices of the first (earliest) element of each distinct key, in key order."""
    o = np.argsort(key, kind="stable")
    ks = key[o]
    first = np.ones(ks.size, bool)
    np.not_equal(ks[1:], ks[:-1], out=first[1:])
    return o[first]


def _coarse_keep(track: np.ndarray, tq: np.ndarray, tr: np.ndarray, p: np.ndarray,
                 min_votes: int) -> np.ndarray:
    """Mask of hits lying in a cell with at least ``min_votes`` hits (any of 4 staggered grids)."""
    w = (tq // _WIN).astype(np.int64)
    keep = np.zeros(tq.size, bool)
    # Votes are distinct (track, tq, tr) hits: the probes of one query triplet (and
    # reference triplets sharing an anchor) repeat one, and are one piece of evidence.
    weight = np.zeros(tq.size)
    weight[_distinct_hits(track, tq, tr)] = 1.0
    # Table about 4x the hits: collisions stay rare and the counts stay cache-sized.
    size = 1 << max(16, int(tq.size * 4).bit_length())
    for oo in (0.0, _OBIN / 2):
        o = np.floor((tr - tq + oo) / _OBIN).astype(np.int64)
        for po in (0.0, _PBIN / 2):
            pb = np.floor((p + po) / _PBIN).astype(np.int64)
            key = ((track * 1_000_003 + w) * 1_000_033 + o) * 31 + pb
            # Hashing keys into a fixed table and counting with bincount is ~10x faster
            # than sorting; a collision can only let a few extra hits through to the
            # exact fine vote, never lose one.
            slot = (key * 0x9E3779B1) % size
            counts = np.bincount(slot, weights=weight, minlength=size)
            keep |= counts[slot] >= min_votes
    return keep


def _window_counts(rows: np.ndarray, width: float) -> np.ndarray:
    """For each row (sorted ascending), how many of its values lie in ``[v, v + width]``.

    One ``searchsorted`` over all rows at once: each row is lifted by a multiple of a
    span larger than any row's range (in the rows' own dtype), so the flattened array
    stays sorted and windows never cross rows.
    """
    k, n = rows.shape
    if n == 0:
        return np.zeros((k, 0), np.int64)
    lift = float(rows[:, -1].max() - rows[:, 0].min()) + 2 * width + 1.0
    flat = (rows + (np.arange(k, dtype=rows.dtype) * rows.dtype.type(lift))[:, None]).ravel()
    return (np.searchsorted(flat, flat + width, "right") - np.arange(flat.size)).reshape(k, n)


def _chain(dets: list[_Detection], max_gap_frames: float) -> list[_Chain]:
    dets = sorted(dets, key=lambda d: (d.window, -d.score))
    chains: list[_Chain] = []
    open_by_track: dict[int, list[_Chain]] = {}
    for d in dets:
        centre = d.window * _WIN + _WIN / 2
        best, best_err = None, math.inf
        open_ = open_by_track.setdefault(d.track, [])
        still_open = []
        for ch in open_:
            last = ch.last
            gap = (d.window - last.window) * _WIN
            if gap > max_gap_frames + _WIN:
                continue  # windows only grow: closed for every later detection too
            still_open.append(ch)
            lc = last.window * _WIN + _WIN / 2
            pred = last.u + (centre - lc) / last.slope
            err = abs(d.u - pred)
            if err <= 4.0 + 0.012 * gap and abs(d.pitch - last.pitch) <= 1.0 and err < best_err:
                best, best_err = ch, err
        if len(still_open) < len(open_):
            open_[:] = still_open
        if best is None:
            best = _Chain(d.track)
            chains.append(best)
            open_.append(best)
        if best.dets and best.last.window == d.window:
            # Duplicate from another coarse grid: keep the stronger detection.
            if d.score > best.last.score:
                best.dets[-1] = d
            continue
        best.dets.append(d)
    return chains


def _fit(ch: _Chain) -> tuple[float, float, float, np.ndarray, np.ndarray]:
    """Line ``tq = slope * tr + intercept`` through a chain's inliers, with pitch."""
    tq = np.concatenate([d.tq for d in ch.dets])
    tr = np.concatenate([d.tr for d in ch.dets])
    p = np.concatenate([d.p for d in ch.dets])
    idx = _distinct_pairs(tq, tr)
    tq, tr, p = tq[idx], tr[idx], p[idx]
    slope = _median([d.slope for d in ch.dets])
    # Compiled (a few thousand chains per episode), in the float32 arithmetic NumPy gives
    # the detections' float32 times.
    intercept = median_intercept(tq, tr, slope)
    if np.ptp(tr) > 2 * _WIN:
        # Window-level stretches are noisy; over the whole chain the right slope is the
        # one that lines most matches up: search it on a fine grid, then least squares.
        grid = np.arange(_STRETCH[0], _STRETCH[-1] + 1e-9, 0.001)
        ref = _median(tr)
        # One row per slope: intercepts at the chain's median track time, sorted.
        bs = np.sort(tq[None, :] - grid[:, None] * (tr[None, :] - ref), axis=1)
        cnt = _window_counts(bs, 4.0)
        best = cnt.max(axis=1)
        cands = np.nonzero(best == best.max())[0]
        k = int(cands[np.argmin(np.abs(grid[cands] - 1.0))])
        i = int(np.argmax(cnt[k]))
        slope = float(grid[k])
        intercept = _median(bs[k, i : i + best[k]]) - slope * ref
        res = tq - (slope * tr + intercept)
        ok = np.abs(res) <= 3.0
        if ok.sum() >= 8 and np.ptp(tr[ok]) > 2 * _WIN:
            slope, intercept = (float(v) for v in np.polyfit(tr[ok], tq[ok], 1))
            slope = float(np.clip(slope, _STRETCH[0], _STRETCH[-1]))
            intercept = _median(tq[ok] - slope * tr[ok])
    # No inlier at all: the chain's detections disagree (the caller drops it).
    ok, pitch = line_inliers(tq, tr, p, slope, intercept)
    return slope, intercept, pitch, tq[ok], tr[ok]


def _merge(chains: list[_Chain], max_gap_frames: float) -> list[tuple]:  # type: ignore[type-arg]
    """Fit each chain, then join chains of one track lying on one line (gap <= max_gap).

    Window-level stretch estimates are noisy, so a tempo-changed cue can break into
    pieces while chaining; the fitted lines of the pieces still agree.
    """
    fits = [f for f in ((*_fit(ch), ch) for ch in chains) if f[3].size]
    fits.sort(key=_merge_key)
    keys = [_merge_key(f) for f in fits]
    # Scan neighbours in (track, start) order and join the first pair that fits; after a
    # join only the pairs next to the joined fit are new, so the scan resumes just before
    # it (the same joins, in the same order, as rescanning the re-sorted list from the top).
    i = 0
    while i < len(fits) - 1:
        a, b = fits[i], fits[i + 1]
        joined = _join(a, b, max_gap_frames)
        if joined is None:
            i += 1
            continue
        del fits[i : i + 2], keys[i : i + 2]
        # Where a stable re-sort would put it: after equal keys before it, before those after.
        k = _merge_key(joined)
        if i and keys[i - 1] > k:
            j = bisect.bisect_right(keys, k, 0, i)
        else:
            j = bisect.bisect_left(keys, k, i)
        fits.insert(j, joined)
        keys.insert(j, k)
        i = max(min(i, j) - 1, 0)
    return fits


def _merge_key(f: tuple) -> tuple[int, float]:  # type: ignore[type-arg]
    return f[5].track, float(f[3].min())


def _join(a: tuple, b: tuple, max_gap_frames: float) -> tuple | None:  # type: ignore[type-arg]
    """The fit of chains ``a`` and ``b`` (``b`` starting later) joined, when they lie on
    one line of one track; else None."""
    if a[5].track != b[5].track:
        return None
    gap = float(b[3].min() - a[3].max())
    if gap > max_gap_frames:
        return None
    # B's matches against A's line, and A's against B's: both must agree.
    ra = _median(np.abs(b[3] - (a[0] * b[4] + a[1])))
    rb = _median(np.abs(a[3] - (b[0] * a[4] + b[1])))
    if min(ra, rb) > 6.0 or abs(a[2] - b[2]) > 1.0:
        return None
    ch = _Chain(a[5].track, sorted(a[5].dets + b[5].dets, key=lambda d: d.window))
    joined = (*_fit(ch), ch)
    return joined if joined[3].size else None


def _confidence(score: int, seconds: float) -> float:
    # Chance alignments give a handful of votes; real cues dozens. Longer spans
    # need proportionally more votes to be equally convincing.
    expected_noise = 4.0 + 0.3 * seconds
    return float(np.clip(1.0 - np.exp(-(score - expected_noise) / 10.0), 0.0, 1.0))


def mark_overlaps(cues: Sequence[Cue], *, min_overlap: float = 0.5) -> list[Cue]:
    """Return ``cues`` sorted by start, with ``overlap`` set where two overlap.

    Examples
    --------
    >>> a = Cue(1, start=0.0, end=10.0, track_start=0.0)
    >>> b = Cue(2, start=8.0, end=20.0, track_start=5.0)
    >>> [c.overlap for c in mark_overlaps([b, a])]
    [True, True]
    """
    cues = sorted(cues, key=lambda c: (c.episode or "", c.start, c.end))
    flags = [False] * len(cues)
    for i, a in enumerate(cues):
        for j in range(i + 1, len(cues)):
            b = cues[j]
            if b.episode != a.episode or b.start >= a.end:
                break
            if min(a.end, b.end) - b.start >= min_overlap:
                flags[i] = flags[j] = True
    return [replace(c, overlap=f) for c, f in zip(cues, flags, strict=True)]


def _tee(blocks: Iterator[np.ndarray], into: list[np.ndarray] | None) -> Iterator[np.ndarray]:
    """Pass ``blocks`` on, keeping a float16 copy of each in ``into`` (unless None)."""
    for b in blocks:
        if into is not None:
            into.append(b.astype(np.float16))
        yield b


def _coherent_candidate(index: FingerprintIndex, track: int, S: Spectrum, y: np.ndarray,
                        qt: np.ndarray, qf: np.ndarray, proposal: tuple, lo: float,  # type: ignore[type-arg]
                        hi: float, *, score: int) -> tuple | None:  # type: ignore[type-arg]
    """A proposal the magnitude tests rejected, kept when the episode holds the track's
    own waveform on its line (:func:`_phase_test`, the weighted way in at ``_COHERENT_WZ``)
    in a window of its seconds ``[lo, hi)`` (the extended or the core span the tests looked
    at). Returns the candidate (placed by the extended test on the refitted line) or None."""
    _, c_lo, c_hi, slope, intercept, pitch, t_begin, t_end, _ = proposal
    if y.size == 0:
        return None
    phases = index.phases(track)
    if not np.isfinite(phases).any():
        return None
    peaks = index.peaks(track)
    a, b = max(min(lo, c_lo), t_begin, 0.0), min(max(hi, c_hi), t_end)
    slope, intercept, pitch = _peaks_line(peaks, qt, qf, (slope, intercept, pitch), a, b)
    # Windows from just before the hashes' core (where the evidence is), not from the far
    # start of a long extended span.
    w_lo = max(a, c_lo - 0.5 * _COHERENT_WINDOW / index.config.frame_seconds)
    if not _phase_test(y, peaks, phases, (slope, intercept, pitch), w_lo, b, index.config,
                       weighted_bar=_COHERENT_WZ):
        if not (_UNTOUCHED_RANGE < abs(slope - 1.0) <= _UNTOUCHED_SLOPE
                and abs(pitch) < _GRADED_PITCH):
            return None
        # The line of a short cue under dialogue can be 0.5-0.8 % off; most cues play the
        # track untouched (slope 1): that line, through the same middle, is tested too.
        mid = 0.5 * (a + b)
        line = (1.0, mid - (mid - intercept) / slope, pitch)
        if not _phase_test(y, peaks, phases, line, w_lo, b, index.config,
                           weighted_bar=_COHERENT_WZ, slope_range=_UNTOUCHED_RANGE):
            return None
        slope, intercept = line[0], line[1]
    return _coherent_placed(index, S, proposal, slope, intercept, pitch, score)


def _coherent_placed(index: FingerprintIndex, S: Spectrum, proposal: tuple,  # type: ignore[type-arg]
                     slope: float, intercept: float, pitch: float,
                     score: int) -> tuple:  # type: ignore[type-arg]
    """A coherent proposal as a candidate, placed by the extended test on its line."""
    track, c_lo, c_hi, _, _, _, t_begin, t_end, _ = proposal
    pres, _, _, _, z = _extended(index, track, S, slope, intercept, pitch, c_lo, c_hi,
                                 t_begin, t_end)
    fs = index.config.frame_seconds
    new_lo, new_hi, gain = _place(pres, c_lo, c_hi, fs)
    new_lo, new_hi = max(new_lo, t_begin, 0.0), min(new_hi, t_end, float(S.shape[0]))
    return (track, new_lo, new_hi, slope, intercept, pitch, gain, score, z)


def _vote_candidates(index: FingerprintIndex, S: Spectrum, y: np.ndarray, qt: np.ndarray,
                     qf: np.ndarray, cands: list[tuple],  # type: ignore[type-arg]
                     nframes: int) -> list[tuple]:  # type: ignore[type-arg]
    """Cues no hash proposed, from single-peak votes (:mod:`heartsong.cues.votes`): each
    untouched alignment is kept when the phase-coherence test finds the track's own
    waveform there (see :func:`_coherent_candidate`)."""
    fs = index.config.frame_seconds
    test = _vote_test(index.config)
    window = _COHERENT_WINDOW / fs
    out: list[tuple] = []  # type: ignore[type-arg]
    for track in sorted(index.saved_track_ids):
        peaks = index.peaks(track)
        phases = index.phases(track)
        if not np.isfinite(phases).any():
            continue
        found = untouched_alignments(qt, qf, peaks, min_z=_VOTE_Z)
        for icpt, lo, hi, _z in found[:_VOTE_MAX]:
            mid = 0.5 * (lo + hi)
            if any(c[0] == track and min(hi, c[2]) > max(lo, c[1])
                   and _position_gap(c[3:5], (1.0, icpt), mid) * fs <= _JOIN_MISMATCH
                   for c in (*cands, *out)):
                continue  # already found
            t_begin, t_end = _track_ends(index, track, 1.0, icpt)
            hi = min(hi, float(nframes))
            # Whole windows from the first vote; votes closer together than a window, one
            # window centred on them (from the first vote, a 2-3 s cue would fill part of
            # it and the rest would dilute it).
            w_lo = max(mid - 0.5 * window, 0.0) if hi - lo < window else lo
            w_hi = w_lo + window * max(1, math.ceil((hi - w_lo) / window))
            # The votes fix the offset to a frame or so and the slope to 1: the test
            # searches that delay, and little slope.
            coherent = _phase_test(y, peaks, phases, (1.0, icpt, 0.0), w_lo, w_hi,
                                   index.config, test.weighted_bar, **dict(test.search))
            # Music not in the library can hold a track's exact material (a shared drum
            # sample or loop) and pass the phase test there; its magnitudes, weighted to
            # the track's loud peaks, still say little (benchmarks/cues.py, see README).
            if coherent and _weighted_z(S, peaks, (1.0, icpt, 0.0), w_lo,
                                        w_hi) >= test.weighted_z:
                # Placed from the seconds the waveform was found in: the votes' first or
                # last can be chance's, seconds off the cue, and the placement only grows.
                a, b = max(lo, coherent[0]), min(hi, coherent[1])
                if b > a:
                    lo, hi = a, b
                proposal = (track, lo, hi, 1.0, icpt, 0.0, t_begin, t_end, 0)
                out.append(_coherent_placed(index, S, proposal, 1.0, icpt, 0.0, 0))
    return out


class _PhaseTest(NamedTuple):
    """How a candidate was let in by its phases: the weighted bar (the plain one is always
    ``_COHERENT_Z``), the delay and slope search, and the weighted z-score also needed."""

    weighted_bar: tuple[float, float]
    search: tuple[tuple[str, float], ...] = ()
    weighted_z: float = -math.inf


def _vote_test(config: FingerprintConfig) -> _PhaseTest:
    """The votes' phase test: slope 1 and the votes' offset fix the line to a frame or so."""
    return _PhaseTest(_VOTE_COHERENT_WZ, (("slope_range", _UNTOUCHED_RANGE),
                                          ("delay", _VOTE_DELAY * config.hop)),
                      _VOTE_WEIGHTED_Z)


def _phase_test(y: np.ndarray, peaks: Peaks, phases: np.ndarray,
                line: tuple[float, float, float], lo: float, hi: float,
                config: FingerprintConfig, weighted_bar: tuple[float, float],
                **search: float) -> tuple[float, float] | None:
    """The window of ``[lo, hi)`` (episode frames) where the episode holds the track's own
    waveform on ``line``, or None: the plain phase statistic reaches ``_COHERENT_Z``, or
    the weighted one (each peak as much as the music is heard there) ``weighted_bar``. Each
    way in was calibrated on its own (README); a cue under dialogue often passes only the
    weighted one, a short cue whose few peaks the weighting thins out sometimes only the
    plain one."""
    return coherence_test(y, peaks, phases, line=line, lo=lo, hi=hi, config=config,
                          bar=_COHERENT_Z, weighted_bar=weighted_bar,
                          max_windows=_COHERENT_WINDOWS, **search)


def _blocks(source: object, sr: int | None, target: int) -> Iterator[np.ndarray]:
    from heartsong.cues.fingerprint import resample

    if isinstance(source, str | Path):
        from heartsong.audio import stream

        yield from stream(source, sr=target, mono=True, block_seconds=30.0)
        return
    if sr is None:
        raise ParameterError("sr", "is required when the episode is given as samples")
    if isinstance(source, np.ndarray):
        y = source.mean(axis=0) if source.ndim == 2 else source
        yield resample(np.asarray(y, np.float32), sr=sr, target=target)
        return
    if isinstance(source, Iterable):
        for b in source:
            b = np.asarray(b, np.float32)
            yield resample(b.mean(axis=0) if b.ndim == 2 else b, sr=sr, target=target)
        return
    raise ParameterError("episode", f"must be a path, an array or blocks, got {type(source)}")


def find_cues(
    index: FingerprintIndex,
    episode: str | Path | np.ndarray | Iterable[np.ndarray],
    *,
    sr: int | None = None,
    min_votes: int = 6,
    min_score: int = 12,
    min_duration: float = 1.5,
    max_gap: float = 20.0,
    min_quality: float = 2.0,
    refine: bool = True,
    name: str | None = None,
    min_significance: float = 7.0,
    seed_votes: int | None = None,
    seed_score: int | None = None,
    cohort_margin: float | None = 5.0,
    shift_margin: float | None = 3.0,
) -> list[Cue]:
    """Find every cue of an indexed track in an episode.

    Parameters
    ----------
    index : FingerprintIndex
        Reference tracks (saved).
    episode : path, array or iterable of arrays
        A file (decoded in 30 s blocks, so films need little memory), mono
        samples, or mono blocks; arrays need ``sr``.
    sr : int, optional
        Sample rate of array input.
    min_votes : int
        Hits a 4 s window must gather on one line to count as a detection.
    min_score : int
        Distinct matching hashes a cue needs in total.
    min_duration : float
        Shorter cues are dropped (seconds).
    max_gap : float
        Longest stretch (seconds) without matches inside one cue.
    min_quality : float
        Mean peak contrast (dB) the aligned track must show over the cue (with ``refine``).
    refine : bool
        Refine boundaries and estimate gain from the reference's peaks, and verify each
        candidate with them. Without it, ``min_votes``/``min_score`` alone decide.
    name : str, optional
        Stored in each cue's ``episode`` (defaults to the file name for paths).
    min_significance : float
        With ``refine``: z-score the aligned track's peak contrast must reach over the cue
        (see :func:`heartsong.cues.refine.significance`). Chance alignments with dialogue
        score about N(0, 1); with other music, whose held chords fit a track's now and then,
        the spread is 1.6-1.8 (benchmarks/cues.py), hence 7.
    seed_votes, seed_score : int, optional
        With ``refine``, the (lower) hash thresholds a *candidate* needs before that
        verification; default ``min(min_votes, 3)`` and ``min(min_score, 3)``. Weak hash
        evidence is enough to propose a cue under heavy dialogue, because the verification,
        not the hash count, decides. Proposals from 3 hashes are tested only when those
        span 0.25 s or more at a pitch within 1.4 bands (70 cents) of the track's.
    cohort_margin : float or None
        With ``refine``: a candidate with weak hash evidence that misses its (higher)
        needed z-score but reaches ``min_significance`` is kept when its z-score exceeds,
        by this much, that of every other track proposed over the same seconds (music
        not in the library fits several tracks about equally; a true cue fits one).
        ``None`` turns this test off.
    shift_margin : float or None
        With ``refine``: a candidate of 8 s or more that reached its needed z-score but
        stays below 9 must also beat by this much the same track moved 0.75-8 s along its
        line, over the same seconds (candidates kept by the cohort test are not tested
        again). Music not in the library that shares a track's key, chords and
        tempo fits it about as well a bar earlier or later; over 8 s or more the track
        itself fits clearly best where it plays (its melody moves on). ``None`` turns
        this test off.

    Returns
    -------
    list of Cue
        Sorted by start time, overlaps flagged.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from heartsong.cues import FingerprintIndex, synth
    >>> idx = FingerprintIndex(tempfile.mkdtemp())
    >>> idx.add(1, synth.music(1, duration=40, sr=8000), sr=8000); idx.save()
    >>> ep = np.concatenate([np.zeros(8000 * 5), synth.music(1, duration=40, sr=8000)[8000 * 10:]])
    >>> [(c.track_id, round(c.start), round(c.track_start)) for c in find_cues(idx, ep, sr=8000)]
    [(1, 5, 10)]
    """
    if seed_votes is None:
        seed_votes = min(min_votes, 3) if refine else min_votes
    if seed_score is None:
        seed_score = min(min_score, 3) if refine else min_score
    for pname, v in (("min_votes", min_votes), ("min_score", min_score),
                     ("seed_votes", seed_votes), ("seed_score", seed_score)):
        if not isinstance(v, int) or v < 3:
            raise ParameterError(pname, f"must be an integer >= 3, got {v!r}")
    if not max_gap >= 0:
        raise ParameterError("max_gap", f"must be >= 0, got {max_gap!r}")
    if not min_duration >= 0:
        raise ParameterError("min_duration", f"must be >= 0, got {min_duration!r}")
    if cohort_margin is not None and not cohort_margin > 0:
        raise ParameterError("cohort_margin", f"must be > 0 or None, got {cohort_margin!r}")
    if shift_margin is not None and not shift_margin > 0:
        raise ParameterError("shift_margin", f"must be > 0 or None, got {shift_margin!r}")
    cfg = index.config
    if name is None and isinstance(episode, str | Path):
        name = Path(episode).name
    # The episode's samples (float16: 58 MB per hour) for the phase-coherence test.
    audio: list[np.ndarray] = []
    chunks = fingerprint_stream(
        _tee(_blocks(episode, sr, cfg.sr), audio if refine else None), role="query",
        config=cfg, chunk_seconds=_CHUNK_FRAMES * cfg.frame_seconds,
    )
    dets: list[_Detection] = []
    spec_parts: list[np.ndarray] = []
    # The episode's peaks (time, band at sub-band precision): they measure each cue's pitch.
    peak_t: list[np.ndarray] = []
    peak_f: list[np.ndarray] = []
    nframes = 0
    for ch in chunks:
        dets.extend(_detect_chunk(index, ch, seed_votes))
        peak_t.append(ch.peaks.t)
        peak_f.append(ch.peaks.f)
        if refine:
            # Episode spectrogram kept as uint8 (0.5 dB steps): 27 MB per hour.
            spec_parts.append(Spectrum.quantise(ch.spectrogram))
        nframes = ch.frame0 + ch.spectrogram.shape[0]
    # Prepared once for the thousands of peak tests below (4 bytes per cell: 108 MB per hour).
    S = Spectrum(np.concatenate(spec_parts), smooth=cfg.time_smooth) if spec_parts else None
    y = np.concatenate(audio) if audio else np.zeros(0, np.float16)
    audio.clear()
    fs = cfg.frame_seconds
    qt = np.concatenate(peak_t) if peak_t else np.zeros(0, np.float32)
    qf = np.concatenate(peak_f) if peak_f else np.zeros(0, np.float32)
    order = np.argsort(qt, kind="stable")  # once, for every pairing with the track's peaks
    qt, qf = qt[order], qf[order]
    cands = []
    phased: dict[tuple, _PhaseTest] = {}  # type: ignore[type-arg]  # let in by its phases: how
    # Every proposal (track, core, line, ends on the line) and, for weak ones that came
    # close, the extended span and z: the cohort test below compares them.
    proposals: list[tuple] = []  # type: ignore[type-arg]
    full_z: dict[int, float] = {}  # proposal -> z over its extended span, once computed
    close: list[tuple[int, float, float, float]] = []  # (proposal, lo, hi, z)
    close_pres: dict[int, Presence] = {}  # their extended test, to place the kept ones
    for slope, intercept, pitch, tq, _tr, chain in _merge(_chain(dets, max_gap / fs), max_gap / fs):
        score = int(tq.size)
        if score < (seed_score if refine else min_score) or _too_thin(tq, pitch, fs):
            continue
        lo, hi = float(tq.min()), float(tq.max()) + cfg.max_span / 2
        # A cue cannot extend past either end of the track.
        t_begin, t_end = _track_ends(index, chain.track, slope, intercept)
        gain, z = 0.0, math.nan
        if refine and S is not None:
            # Weak hash evidence (a candidate under heavy dialogue, or a chance alignment
            # with other music) must be confirmed by clearly stronger audible evidence.
            need = functools.partial(_needed_z, score, pitch=pitch,
                                     min_significance=min_significance, min_score=min_score)
            kw: dict[str, float | None] = dict(
                core_need=min_significance + _CORE_EXTRA_Z if score >= min_score else None,
                graded_core=min_significance,
                consistent_z=min_significance if score < min_score else None,
                weighted_z=_weighted_bar(score, pitch))
            lo0, hi0 = lo, hi
            lo, hi, gain, qual, z, pres, need_z = _refine(
                index, chain.track, S, slope, intercept, pitch, lo, hi, t_begin, t_end, need, **kw)
            if score < min_score and (qual < min_quality or z < need_z) and z >= _REFIT_GATE:
                again = _refit_weak(index, chain.track, S, qt, qf, (slope, intercept, pitch),
                                    lo0, hi0, kw, min_significance=min_significance,
                                    min_score=min_score, min_quality=min_quality)
                if again is not None:
                    (slope, intercept, pitch, t_begin, t_end), res = again
                    lo, hi, gain, qual, z, pres, need_z = res
            proposals.append((chain.track, lo0, hi0, slope, intercept, pitch, t_begin, t_end,
                              score))
            if pres is not None:
                full_z[len(proposals) - 1] = z
            if qual < min_quality or z < need_z:
                kept = None
                if score >= _COHERENT_SCORE and z >= _COHERENT_GATE:
                    kept = _coherent_candidate(index, chain.track, S, y, qt, qf,
                                               proposals[-1], lo, hi, score=score)
                if kept is not None:
                    cands.append(kept)
                    phased[kept] = _PhaseTest(_COHERENT_WZ)
                elif pres is not None and qual >= min_quality and z >= min_significance:
                    close.append((len(proposals) - 1, lo, hi, z))
                    close_pres[len(proposals) - 1] = pres
                continue
            if (shift_margin is not None and z < _SHIFT_CHECK_Z
                    and (hi - lo) * fs >= _SHIFT_MIN_SECONDS
                    and _shift_margin(index, chain.track, S, slope, intercept, pitch, lo, hi,
                                      z) < shift_margin):
                continue
        elif score < min_score:
            continue
        lo, hi = max(lo, t_begin, 0.0), min(hi, t_end, float(nframes))
        cands.append((chain.track, lo, hi, slope, intercept, pitch, gain, score, z))
    if refine and S is not None and y.size:
        voted = _vote_candidates(index, S, y, qt, qf, cands, nframes)
        cands += voted
        phased.update(dict.fromkeys(voted, _vote_test(cfg)))
    if close and S is not None and cohort_margin is not None:
        for k in _cohort(index, S, proposals, full_z, close, cohort_margin):
            track, lo, hi, slope, intercept, pitch, t_begin, t_end, score = proposals[k]
            lo, hi, gain = _place(close_pres[k], lo, hi, fs)
            lo, hi = max(lo, t_begin, 0.0), min(hi, t_end, float(nframes))
            cands.append((track, lo, hi, slope, intercept, pitch, gain, score, full_z[k]))
    cands = _union_same_line(cands, fs, max_gap / fs)
    if refine and S is not None:
        cands = _join_fragments(index, S, cands, max_gap / fs)
        cands = _explain_away(index, S, cands, min_significance, min_score, y=y,
                              phased=phased)
        cands = _absorb_continuations(index, S, cands, max_gap / fs)
        cands = [c for c in cands if not _absent(index, S, c, min_score)]
    cues = []
    for track, lo, hi, slope, intercept, pitch, gain, score, z in cands:
        if (hi - lo) * fs < min_duration:
            continue
        slope, intercept, pitch = _peaks_line(index.peaks(track), qt, qf,
                                              (slope, intercept, pitch), lo, hi)
        conf = _confidence(score, (hi - lo) * fs) if math.isnan(z) else _z_confidence(z)
        cues.append(
            Cue(
                track_id=track,
                start=round(lo * fs, 3),
                end=round(hi * fs, 3),
                track_start=round(max(0.0, (lo - intercept) / slope) * fs, 3),
                tempo=round(1.0 / slope, 4),
                pitch_cents=round(pitch * 1200.0 / cfg.bins_per_octave, 1),
                gain_db=round(gain, 1),
                confidence=round(conf, 3),
                score=score,
                episode=name,
            )
        )
    return mark_overlaps(_drop_shadows(cues))


def _refit_weak(index: FingerprintIndex, track: int, S: Spectrum, qt: np.ndarray,
                qf: np.ndarray, line: tuple[float, float, float], lo: float, hi: float,
                kw: dict[str, float | None], *, min_significance: float, min_score: int,
                min_quality: float) -> tuple[tuple[float, float, float, float, float],
                                             tuple] | None:  # type: ignore[type-arg]
    """A weak proposal that :func:`_refine` rejected on its hashes' line, tried again on the
    line its peaks fit best: ``((slope, intercept, pitch, t_begin, t_end), refine result)``
    when accepted there, else None.

    A few hashes leave a short cue's slope uncertain by percents, and a phase vocoder's
    smeared onsets move them further (a 3 s cue 5 % slower came in at slope 1.000), so the
    track's peaks, tested on that line, drift off the episode's. The pitch and line are
    refitted on peak pairs (as for a cue's report, over the matched core ``[lo, hi)`` and
    ``_REFIT_AROUND`` frames either side) and the proposal tested again with ``kw`` (the
    first test's arguments). The refitted line was *searched* (slope, and position within
    a second), and its hashes no longer vouch for it, so it gets the bar of the weakest
    hash evidence: no grading by hashes and no weighted-z way in. On benchmarks/cues.py
    seeds 0-4, the hashes' own bars let 4 chance fits in as false cues, the weakest bar with
    the weighted-z way 1, this bar none.
    """
    s2, i2, p2 = _peaks_line(index.peaks(track), qt, qf, line, lo - _REFIT_AROUND,
                             hi + _REFIT_AROUND)
    if (s2, i2, p2) == line:
        return None
    t_begin, t_end = _track_ends(index, track, s2, i2)
    need = functools.partial(_needed_z, 0, pitch=p2, min_significance=min_significance,
                             min_score=min_score)
    res = _refine(index, track, S, s2, i2, p2, lo, hi, t_begin, t_end, need,
                  **{**kw, "weighted_z": math.inf})  # type: ignore[arg-type]
    if res[3] < min_quality or res[4] < res[6]:
        return None
    return (s2, i2, p2, t_begin, t_end), res


def _peak_pairs(ref: Peaks, qt: np.ndarray, qf: np.ndarray, *, slope: float,
                intercept: float, lo: float, hi: float,
                reach: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of a track peak mapped by ``t_ep = slope * t_ref + intercept`` into
    episode frames ``[lo, hi)`` and an episode peak (``qt``, ``qf``: by time) within
    ``reach`` frames of it: the track peak's time, the episode peak's time (frames) and the
    episode peak's band minus the track peak's.

    Examples
    --------
    >>> import numpy as np
    >>> ref = Peaks(np.float32([0, 10]), np.float32([5, 9]), np.zeros(2, np.float32))
    >>> x, y, d = _peak_pairs(ref, np.float32([21, 31, 60]), np.float32([5.5, 9, 1]),
    ...                       slope=1.0, intercept=20.0, lo=0, hi=100, reach=2.0)
    >>> x.tolist(), y.tolist(), d.tolist()
    ([0.0, 10.0], [21.0, 31.0], [0.5, 0.0])
    """
    tr = ref.t.astype(np.float64)
    te = slope * tr + intercept
    sel = (te >= lo) & (te < hi)
    te, tr, rf = te[sel], tr[sel], ref.f[sel].astype(np.float64)
    which, j = expand_ranges(np.searchsorted(qt, te - reach),
                             np.searchsorted(qt, te + reach, "right"))
    return tr[which], qt[j].astype(np.float64), qf[j].astype(np.float64) - rf[which]


def _peaks_line(ref: Peaks, qt: np.ndarray, qf: np.ndarray, line: tuple[float, float, float],
                lo: float, hi: float) -> tuple[float, float, float]:
    """``line`` ``(slope, intercept, pitch)`` refitted on the peak pairs over episode frames
    ``[lo, hi)``: the pitch (:func:`_line_pitch`), then slope and intercept at that pitch
    (:func:`_line_refit`)."""
    slope, intercept, pitch = line
    pitch = _line_pitch(ref, qt, qf, slope=slope, intercept=intercept, pitch=pitch, lo=lo, hi=hi)
    slope, intercept = _line_refit(ref, qt, qf, slope=slope, intercept=intercept, pitch=pitch,
                                   lo=lo, hi=hi)
    return slope, intercept, pitch


def _line_pitch(ref: Peaks, qt: np.ndarray, qf: np.ndarray, *, slope: float, intercept: float,
               pitch: float, lo: float, hi: float) -> float:
    """Pitch offset (bands) of the episode against the track on the line ``t_ep = slope *
    t_ref + intercept``, from their peaks over episode frames ``[lo, hi)`` (``qt``, ``qf``:
    the episode's peaks by time).

    The hashes' pitch carries the index's half-band rounding of each anchor, and tonal music
    puts its partials at the same places against that grid, so their median is off by up to
    a quarter band (about -8 cents on untouched cues of benchmarks/cues.py). The track's own
    peaks are stored to a quarter band and the episode's are sub-band: every episode peak
    within 2 frames and ``_PITCH_TOL`` bands of a track peak moved by ``pitch`` is a pair,
    and the median over the pairs, taken twice (narrower the second time), is the offset.
    Fewer than ``_PITCH_PAIRS`` pairs keep ``pitch``.

    Examples
    --------
    >>> import numpy as np
    >>> ref = Peaks(np.arange(0, 200, 10, dtype=np.float32),
    ...             np.tile(np.float32([20.0, 30.25]), 10), np.zeros(20, np.float32))
    >>> qt = ref.t * 1.0 + 50                         # the track 50 frames in
    >>> qf = ref.f + np.float32(0.37)                 # 18.5 cents sharp
    >>> round(_line_pitch(ref, qt, qf, slope=1.0, intercept=50.0, pitch=0.5, lo=0, hi=400), 2)
    0.37
    """
    if qt.size == 0 or len(ref) == 0:
        return pitch
    _x, _y, d = _peak_pairs(ref, qt, qf, slope=slope, intercept=intercept, lo=lo, hi=hi,
                            reach=2.0)
    if d.size == 0:
        return pitch
    centre = pitch
    for tol in _PITCH_TOL:
        near = d[np.abs(d - centre) <= tol]
        if near.size < _PITCH_PAIRS:
            return pitch
        centre = float(np.median(near))
    return centre


def _line_refit(ref: Peaks, qt: np.ndarray, qf: np.ndarray, *, slope: float, intercept: float,
                pitch: float, lo: float, hi: float) -> tuple[float, float]:
    """The line ``t_ep = slope * t_ref + intercept`` refitted on peak pairs over episode
    frames ``[lo, hi)``, for the tempo and position a cue reports.

    The line comes from the hashes, fitted on their anchors at whole frames; on a short cue a
    few hashes leave its slope uncertain by percents, and on a phase-vocoder stretch, whose
    smeared onsets move the anchors, even a long cue's line can be 3 % off (benchmarks/
    cues.py). The peaks are many more and at sub-frame times: every episode peak within
    ``_REFIT_REACH`` frames and ``_PITCH_TOL[1]`` bands of a track peak (moved by
    ``pitch``) is a pair. The slope that lines up the most pairs within a frame and a half
    (searched over ``_STRETCH``'s range, coarse then fine) replaces the hashes' when it
    lines up ``_REFIT_GAIN`` times as many as theirs; then a straight line fitted by least
    squares on the pairs within ``_REFIT_KEEP`` frames of the fit before (three rounds,
    narrowing) is the line. With fewer than ``_REFIT_PAIRS`` pairs the line stays.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = Peaks(np.sort(rng.uniform(0, 300, 120)).astype(np.float32),
    ...             rng.uniform(10, 60, 120).astype(np.float32), np.zeros(120, np.float32))
    >>> qt = (ref.t * 1.04 + 40).astype(np.float32)      # 4 % slower, 40 frames in
    >>> slope, icpt = _line_refit(ref, qt, ref.f, slope=1.0, intercept=45.0, pitch=0.0,
    ...                           lo=0, hi=400)
    >>> round(slope, 3), round(icpt, 1)
    (1.04, 40.0)
    """
    if qt.size == 0 or len(ref) == 0:
        return slope, intercept
    x, y, d = _peak_pairs(ref, qt, qf, slope=slope, intercept=intercept, lo=lo, hi=hi,
                          reach=_REFIT_REACH)
    ok = np.abs(d - pitch) <= _PITCH_TOL[1]
    x, y = x[ok], y[ok]
    if x.size < _REFIT_PAIRS:
        return slope, intercept
    # Pivot at the pairs' middle: the slopes tried then move the line's ends, not its centre.
    xm = float(np.median(x))
    n0 = _best_slope(x - xm, y, np.array([slope]))[2]
    coarse, fine = _REFIT_STEPS
    found = _best_slope(x - xm, y, np.arange(_STRETCH[0], _STRETCH[-1] + coarse / 2, coarse))
    s = found[0] if found[2] >= _REFIT_GAIN * n0 else slope
    # Then finer, within a coarse step of it.
    n_fine = int(round(coarse / fine))
    s, c, _n = _best_slope(x - xm, y, s + fine * np.arange(-n_fine, n_fine + 1))
    for keep in _REFIT_KEEP:
        near = np.abs(y - (s * (x - xm) + c)) <= keep
        if int(near.sum()) < _REFIT_PAIRS or np.ptp(x[near]) <= 0.0:
            return slope, intercept
        s, c = (float(v) for v in np.polyfit(x[near] - xm, y[near], 1))
    return s, c - s * xm


def _best_slope(x: np.ndarray, y: np.ndarray, slopes: np.ndarray) -> tuple[float, float, int]:
    """Of ``slopes``, the one whose line ``y = s * x + c`` (best ``c``) has the most points
    in a band ``_REFIT_BAND`` frames wide: ``(s, c, count)``."""
    r = np.sort(y[None, :] - slopes[:, None] * x[None, :], axis=1)
    counts = band_counts(r, _REFIT_BAND)  # points within the band from each point
    k = np.argmax(counts, axis=1)
    best = int(np.argmax(counts[np.arange(slopes.size), k]))
    i = int(k[best])
    n = int(counts[best, i])
    return float(slopes[best]), float(np.median(r[best, i : i + n])), n


def _too_thin(tq: np.ndarray, pitch: float, fs: float) -> bool:
    """Whether a proposal from fewer than ``_THIN_SCORE`` hashes (query frames ``tq``) is
    too thin to be worth a first look: its hashes span under ``_THIN_SECONDS`` or it
    sits more than ``_THIN_PITCH`` bands off pitch."""
    return tq.size < _THIN_SCORE and (
        abs(pitch) > _THIN_PITCH or float(np.ptp(tq)) * fs < _THIN_SECONDS)


def _z_confidence(z: float) -> float:
    # Chance alignments score z ~ N(0, 1.6-1.8); the default acceptance is z >= 7.
    return float(np.clip(1.0 - np.exp(-max(z - 3.0, 0.0) / 5.0), 0.0, 1.0))


def _union_same_line(cands: list[tuple], fs: float,  # type: ignore[type-arg]
                     max_gap_frames: float) -> list[tuple]:  # type: ignore[type-arg]
    """Join candidates of one track on one line whose spans overlap or lie within
    ``max_gap_frames`` of each other.

    Verification extends every fragment of a cue (split by dialogue or a fade
    when hashing) to the whole cue, so the fragments come back as copies; under loud
    dialogue the extension stops short and the fragments come back apart, each with
    its own slightly different estimate of the line.
    """
    cands = sorted(cands, key=lambda c: (c[0], c[1]))
    out: list[list] = []  # type: ignore[type-arg]
    for c in cands:
        track, lo, hi, slope, intercept = c[:5]
        for o in out:
            if o[0] != track or lo > o[2] + max_gap_frames or hi < o[1] - max_gap_frames:
                continue
            # Compared where they meet: inside the overlap, or in the middle of the gap.
            mid = 0.5 * (max(lo, o[1]) + min(hi, o[2]))
            if (_position_gap((slope, intercept), o[3:5], mid) * fs <= 0.5
                    and abs(c[5] - o[5]) <= 1.0):
                c_strong = (c[8] if not math.isnan(c[8]) else c[7]) > (
                    o[8] if not math.isnan(o[8]) else o[7])
                strong, weak = (c, tuple(o)) if c_strong else (tuple(o), c)
                inter = min(hi, o[2]) - max(lo, o[1])
                if inter > 0.5 * (weak[2] - weak[1]):
                    # Mostly the same span: the stronger candidate's edges are the better.
                    a, b = strong[1], strong[2]
                else:  # fragments of one cue: their union
                    a, b = min(lo, o[1]), max(hi, o[2])
                o[:] = [track, a, b, *strong[3:7], max(c[7], o[7]), max(c[8], o[8])]
                break
        else:
            out.append(list(c))
    return [tuple(o) for o in out]


def _position_gap(a: Sequence[float], b: Sequence[float], at: float) -> float:
    """Track frames between the places two lines ``(slope, intercept)`` put at episode
    frame ``at``: how far apart in the track two candidates are where they are compared."""
    return abs((at - a[1]) / a[0] - (at - b[1]) / b[0])


def _track_ends(index: FingerprintIndex, track: int, slope: float,
                intercept: float) -> tuple[float, float]:
    """Episode frames where the track's first and last frame fall on the line."""
    return intercept, slope * index.duration(track) / index.config.frame_seconds + intercept


def _join_fragments(index: FingerprintIndex, S: Spectrum, cands: list[tuple],  # type: ignore[type-arg]
                    max_gap_frames: float) -> list[tuple]:  # type: ignore[type-arg]
    """Join consecutive fragments of one track whose lines nearly meet, when a line
    through both (see :func:`_join_line`) explains their union at least as well as
    either explains itself.

    Under loud dialogue a tempo-changed cue comes back in pieces, each fitted from a
    handful of hashes to a slightly wrong line (benchmarks/cues.py: a cue slowed by 5 %
    found as two pieces fitted at 1.0 and 0.976, 0.65 s apart where they meet, so
    :func:`_union_same_line` rightly refuses them). A line through both pieces' centres
    is the better estimate of the one cue; its z-score over the whole span decides.
    """
    fs = index.config.frame_seconds
    out = sorted(cands, key=lambda c: (c[0], c[1]))
    k = 0
    while k + 1 < len(out):
        a, b = out[k], out[k + 1]
        if a[0] != b[0] or b[1] - a[2] > max_gap_frames or abs(a[5] - b[5]) > 1.5:
            k += 1
            continue
        ea, eb = 0.5 * (a[1] + a[2]), 0.5 * (b[1] + b[2])
        ta, tb = (ea - a[4]) / a[3], (eb - b[4]) / b[3]  # track frames at each centre
        mid = 0.5 * (a[2] + b[1])
        mismatch = _position_gap(a[3:5], b[3:5], mid) * fs
        if not (mismatch <= _JOIN_MISMATCH and tb > ta):
            k += 1
            continue
        pitch = (a[5] * a[7] + b[5] * b[7]) / (a[7] + b[7])
        lo, hi = a[1], max(a[2], b[2])
        slope, intercept = _join_line(index, a[0], S, (ea, ta), (eb, tb), pitch, lo, hi)
        t_begin, t_end = _track_ends(index, a[0], slope, intercept)
        pres = _extended(index, a[0], S, slope, intercept, pitch, lo, hi, t_begin, t_end)[0]
        z = significance(pres, lo, hi)[1]
        if not z >= max(a[8], b[8]):
            k += 1
            continue
        # The better line may hear the cue further out (its fades); placed as any cue.
        new_lo, new_hi, gain = _place(pres, lo, hi, fs)
        new_lo, new_hi = max(new_lo, t_begin, 0.0), min(new_hi, t_end, float(S.shape[0]))
        out[k : k + 2] = [(a[0], new_lo, new_hi, slope, intercept, pitch, gain, a[7] + b[7], z)]
    return out


def _join_line(index: FingerprintIndex, track: int, S: Spectrum, ca: tuple[float, float],
               cb: tuple[float, float], pitch: float, lo: float, hi: float,
               ) -> tuple[float, float]:
    """Line ``(slope, intercept)`` through two fragments' centres ``(episode, track)`` frames
    that fits the track best over ``[lo, hi)``.

    The line through both centres, and lines of each stretch on the grid through their
    midpoint: each fragment's own line is fitted from a few hashes, so a centre can sit a
    few tenths of a second off and tilt the two-point line past the real stretch
    (benchmarks/cues.py: a cue slowed by 5 % whose centres gave 1.073 for a true 1.053).
    """
    (ea, ta), (eb, tb) = ca, cb
    em, tm = 0.5 * (ea + eb), 0.5 * (ta + tb)
    two_point = (eb - ea) / (tb - ta)
    slopes = [float(s) for s in _STRETCH]
    if _STRETCH[0] <= two_point <= _STRETCH[-1]:
        slopes.append(two_point)
    peaks = index.peaks(track)
    best, best_z = (slopes[0], em - slopes[0] * tm), -math.inf
    for s in slopes:
        icpt = em - s * tm
        pres = presence(S, 0, peaks, slope=s, intercept=icpt, pitch=pitch, lo=int(lo),
                        hi=int(hi) + 1, gain=False, weighted=False)
        z = significance(pres, lo, hi)[1]
        if z > best_z:
            best, best_z = (s, icpt), z
    return best


def _weighted_bar(score: int, pitch: float) -> float:
    """Weighted z-score that accepts a candidate with ``score`` hashes at ``pitch`` (bands)
    whatever its plain bar (see ``_WEIGHTED_Z``)."""
    hashes, bar, max_pitch = _WEIGHTED_GRADED
    return bar if score >= hashes and abs(pitch) <= max_pitch else _WEIGHTED_Z


def _needed_z(score: int, seconds: float, pitch: float, *, min_significance: float,
              min_score: int) -> float:
    """z-score a candidate with ``score`` hashes, heard for ``seconds`` at ``pitch`` (bands),
    must reach: more when its hash evidence is weak, less so the more hashes line up when it
    lasts at the track's own pitch (see ``_GRADED_EXTRA_Z``)."""
    if score >= min_score:
        return min_significance
    if seconds >= _GRADED_SECONDS and abs(pitch) < _GRADED_PITCH:
        for level, extra in _GRADED_EXTRA_Z:
            if score >= level:
                return min_significance + extra
    return min_significance + _WEAK_EXTRA_Z


def _explain_away(index: FingerprintIndex, S: Spectrum, cands: list[tuple],  # type: ignore[type-arg]
                  min_significance: float, min_score: int, *, y: np.ndarray | None = None,
                  phased: dict[tuple, _PhaseTest] | None = None,  # type: ignore[type-arg]
                  ) -> list[tuple]:  # type: ignore[type-arg]
    """Keep, strongest first, the candidates whose own evidence survives the stronger
    ones overlapping them (see :func:`heartsong.cues.refine.unexplained_significance`).

    A candidate let in by the phase test (``phased``: its test's bars and search) has little
    magnitude evidence of its own; overlapped (a cross-fade), not nested, it is kept when
    it passes that test again on its longest stretch the stronger cues do not cover. The
    vocoded ones among those (see :func:`_vocoded`) do not count against it."""
    kept: list[tuple] = []  # type: ignore[type-arg]
    # Strongest first. The peaks' z-score decides up to certainty (_SURE_Z); beyond it the
    # hash count does: a repeated chorus, a version or a slightly stretched alignment makes
    # the track's peaks stand out about as much, but the exact place matches more hashes.
    bpo = index.config.bins_per_octave
    for c in sorted(cands, key=lambda c: (-min(c[8], _SURE_Z), -c[7], -c[8])):
        track, lo, hi, slope, intercept, pitch, _gain, score = c[:8]
        over = [o for o in kept if min(hi, o[2]) > max(lo, o[1])]
        if phased and c in phased:
            # A phase vocoder rebuilds the phases: a tempo-changed or transposed cue cannot
            # hold the waveform the phase test found, whatever it shares with the track.
            over = [o for o in over if not _vocoded(o[3], o[5], bpo)]
        if over:
            need = _needed_z(score, (hi - lo) * index.config.frame_seconds, pitch,
                             min_significance=min_significance, min_score=min_score)
            if c[8] < need:
                # Kept below its bar by the cohort test (the one way there): its own evidence
                # is judged at the base level (else any overlap, as a cross-fade, drops it).
                need = min_significance
            nested = any(o[0] != track and min(hi, o[2]) - max(lo, o[1]) >= _NESTED * (hi - lo)
                         for o in over)
            # Inside another track's cue only exact hash geometry tells a second music from
            # the first lighting the track's peaks: held chords of two pieces in related keys
            # fit by chance (the demo: "Still I Wait" a semitone down inside "A Letter Never
            # Sent", 5 hashes, z 17, 14.5 of it unexplained by that cue's stored peaks).
            if nested and score < min_score:
                continue
            others = [(index.peaks(o[0]), (o[3], o[4], o[5])) for o in over]
            z = unexplained_significance(S, index.peaks(track), line=(slope, intercept, pitch),
                                         lo=lo, hi=hi, others=others,
                                         reach=_NESTED_REACH if nested else (3, 1))
            # Most of its evidence explained by a stronger cue: a version, quote or repeat.
            if z < max(need, _UNEXPLAINED_SHARE * c[8]) and not (
                    y is not None and phased and c in phased and not nested
                    and _coherent_outside(index, S, y, c, over, phased[c])):
                continue
        kept.append(c)
    return kept


def _vocoded(slope: float, pitch: float, bins_per_octave: int) -> bool:
    """Whether a line's tempo and pitch changed apart (a phase vocoder's work) rather than
    together (played faster or slower: ``pitch = -bins_per_octave * log2(slope)``)."""
    return abs(pitch + bins_per_octave * math.log2(slope)) > _VOCODED_BANDS


def _coherent_outside(index: FingerprintIndex, S: Spectrum, y: np.ndarray,
                      cand: tuple, over: list[tuple],  # type: ignore[type-arg]
                      test: _PhaseTest) -> bool:
    """Whether ``cand`` passes its phase test (``test``) on the longest
    stretch of its seconds that no cue of ``over`` covers (at least ``_OWN_SECONDS``)."""
    track, lo, hi, slope, intercept, pitch = cand[:6]
    cuts = sorted((max(o[1], lo), min(o[2], hi)) for o in over)
    best, at = (0.0, 0.0), lo
    for a, b in cuts:
        if a - at > best[1] - best[0]:
            best = (at, a)
        at = max(at, b)
    if hi - at > best[1] - best[0]:
        best = (at, hi)
    a, b = best
    if (b - a) * index.config.frame_seconds < _OWN_SECONDS:
        return False
    peaks, phases = index.peaks(track), index.phases(track)
    line = (slope, intercept, pitch)
    if not _phase_test(y, peaks, phases, line, a, b, index.config, test.weighted_bar,
                       **dict(test.search)):
        return False
    return test.weighted_z == -math.inf or _weighted_z(S, peaks, line, a, b) >= test.weighted_z


def _absorb_continuations(index: FingerprintIndex, S: Spectrum,
                          cands: list[tuple],  # type: ignore[type-arg]
                          max_gap_frames: float) -> list[tuple]:  # type: ignore[type-arg]
    """Drop a candidate that a stronger one of the same track, on another line, explains
    better over its own seconds; join the two when they lie within ``max_gap_frames``.

    Where a cue's extension stops short (music not in the library cross-fades in, loud
    dialogue), the rest of the cue can come back as a weaker candidate on another line:
    the track's harmony at another place fits the music about as well as chance allows.
    The stronger cue's line, carried over those seconds, fits far better: the track plays
    on there. Within ``_ABSORB_REACH`` times ``max_gap_frames`` of it, such a candidate is
    its shadow; within ``max_gap_frames``, the seconds between belong to the cue, as
    fragments on one line are joined (:func:`_union_same_line`).
    """
    ref_of = index.peaks
    order = sorted(range(len(cands)), key=lambda k: -(cands[k][8] if not math.isnan(cands[k][8])
                                                         else -math.inf))
    out = [list(c) for c in cands]
    gone: set[int] = set()
    for w in reversed(order):  # weakest first
        track, lo, hi, slope, intercept, pitch = out[w][:6]
        own = None
        for k in order:
            if k == w or k in gone or out[k][0] != track:
                continue
            st = out[k]
            if not (st[8] > out[w][8]):
                break  # the rest are no stronger
            gap = max(lo - st[2], st[1] - hi)
            if gap > _ABSORB_REACH * max_gap_frames or min(hi, st[2]) - max(lo, st[1]) > 0:
                continue
            if gap <= max_gap_frames and _position_gap(
                    st[3:5], (slope, intercept), 0.5 * (lo + hi),
            ) * index.config.frame_seconds <= _JOIN_MISMATCH:
                continue  # about the same line, close: the joining steps decide
            if own is None:
                own = _weighted_z(S, ref_of(track), (slope, intercept, pitch), lo, hi)
            if _weighted_z(S, ref_of(track), tuple(st[3:6]), lo, hi) > own:
                gone.add(w)
                if gap <= max_gap_frames:
                    st[1], st[2] = min(st[1], lo), max(st[2], hi)
                break
    return [tuple(c) for k, c in enumerate(out) if k not in gone]


def _weighted_z(S: Spectrum, ref: Peaks, line: tuple[float, float, float], lo: float,
                hi: float) -> float:
    """Weighted z-score of ``ref`` on ``line`` (slope, intercept, pitch) over ``[lo, hi)``."""
    pres = presence(S, 0, ref, slope=line[0], intercept=line[1], pitch=line[2], lo=int(lo),
                    hi=int(math.ceil(hi)), gain=False)
    return significance(pres, lo, hi, weighted=True)[1]


def _absent(index: FingerprintIndex, S: Spectrum, cand: tuple,  # type: ignore[type-arg]
            min_score: int) -> bool:
    """Whether a candidate's track lacks too many of its loud peaks in the episode (see
    :func:`heartsong.cues.refine.absence` and ``_ABSENT_Z``)."""
    track, lo, hi, slope, intercept, pitch, _gain, score = cand[:8]
    if score >= _ABSENT_SCORE * min_score:
        return False
    z = absence(S, index.peaks(track), line=(slope, intercept, pitch), lo=lo, hi=hi)[0]
    return z > _ABSENT_Z


def _drop_shadows(cues: list[Cue]) -> list[Cue]:
    """Drop weak cues that overlap a much stronger cue of the same track.

    Music repeats itself (choruses, loops): a strong cue also aligns, weakly,
    with the track shifted by a repetition period. Real repeats of a track
    are separate in episode time, so a weak same-track overlap is a shadow.
    """
    out = []
    for c in cues:
        shadow = False
        for d in cues:
            if d is c or d.track_id != c.track_id or d.score < _SHADOW_RATIO * c.score:
                continue
            # A track does not cross-fade into itself: any real overlap (more than a
            # couple of seconds, or most of the weaker cue) marks a shadow.
            inter = min(c.end, d.end) - max(c.start, d.start)
            if inter > min(2.0, 0.5 * c.duration):
                shadow = True
                break
        if not shadow:
            out.append(c)
    return out


def _detect_chunk(index: FingerprintIndex, ch: StreamChunk, min_votes: int) -> list[_Detection]:
    fp = ch.fingerprints
    hits = index.lookup(fp)
    if len(hits) == 0:
        return []
    tq = fp.t[hits.query]
    p = fp.f[hits.query] - hits.f
    ok = np.abs(p) <= _PMAX
    track, tq, tr, p = hits.track[ok], tq[ok], hits.t[ok], p[ok]
    keep = _coarse_keep(track, tq, tr, p, min_votes)
    track, tq, tr, p = track[keep], tq[keep], tr[keep], p[keep]
    if tq.size == 0:
        return []
    w = (tq // _WIN).astype(np.int64)
    order = np.lexsort((w, track))
    track, tq, tr, p, w = track[order], tq[order], tr[order], p[order], w[order]
    bounds = np.flatnonzero(np.diff(track) | np.diff(w)) + 1
    starts, ends = np.r_[0, bounds], np.r_[bounds, track.size]
    cell, k, u, pitch, off, idx = fine_cells(
        tq, tr, p, w, starts, ends, min_votes, _FINE_MAX, _WIN,
        _INV_STRETCH32, _STRETCH)
    out = []
    for j in range(cell.size):
        a, sel = starts[cell[j]], idx[off[j] : off[j + 1]]
        out.append(_Detection(int(track[a]), int(w[a]), float(_STRETCH[k[j]]), float(u[j]),
                              float(pitch[j]), tq[sel], tr[sel], p[sel]))
    return out


def _cohort(index: FingerprintIndex, S: Spectrum, proposals: list[tuple],  # type: ignore[type-arg]
            full_z: dict[int, float], close: list[tuple[int, float, float, float]],
            margin: float) -> list[int]:
    """The weak candidates that came close whose z stands out from their cohort's.

    Music that is not in the library aligns by chance with some indexed track (same key,
    a compatible tempo), and the extended test then finds its best seconds: z 6-10 with
    weak hash evidence, like a true cue under loud dialogue. But such music aligns about
    as well with *other* tracks proposed over the same seconds, while a true cue is the
    one track that fits (a ratio test, as in local-feature matching). Each competing
    proposal (another track, its matched core inside the candidate's extended span) is
    given the same extended test; the candidate is kept when its z exceeds every
    competitor's by ``margin``.
    """
    keep = []
    for k, lo, hi, z in close:
        track = proposals[k][0]
        best = -math.inf
        for j, p in enumerate(proposals):
            if p[0] == track or p[2] <= lo or p[1] >= hi:
                continue
            if j not in full_z:
                full_z[j] = _extended(index, p[0], S, *p[3:6], p[1], p[2], *p[6:8])[4]
            best = max(best, full_z[j])
            if z - best < margin:
                break
        if z - best >= margin:
            keep.append(k)
    return keep


def _refine(index: FingerprintIndex, track: int, S: Spectrum, slope: float, intercept: float,
            pitch: float, lo: float, hi: float, t_begin: float, t_end: float,
            need: Callable[[float], float], core_need: float | None = None,
            graded_core: float | None = None, consistent_z: float | None = None,
            weighted_z: float = _WEIGHTED_Z,
            ) -> tuple[float, float, float, float, float, Presence | None, float]:
    """Extend ``[lo, hi)`` to where the aligned track is audible; gain, quality, z-score,
    the extended test's presence (None: rejected before or without it) and the z-score
    it needed (infinite: rejected whatever its z-score).

    ``need`` gives the z-score needed for an extended span of that many seconds. A cheap
    first look around the matched core must reach half of ``need(0)`` (plain or weighted
    z-score). A weighted z-score of ``weighted_z`` over the extended span accepts a
    candidate that its plain z-score left below ``need``. Else the core alone
    may carry the candidate on: with z-score ``core_need`` (strong hash evidence; short of
    it, the extended span must reach ``core_need``, see ``_CORE_EXTENDED``), or with
    ``graded_core`` when ``need`` is graded (then only a span of ``_GRADED_SECONDS`` or more
    reaching the graded z-score passes, and the cohort test never sees it).

    With ``consistent_z``, a candidate whose clearly audible peaks share one gain (see
    :func:`heartsong.cues.refine.gain_spread`) needs only that z-score, when it is heard
    for ``_CONSISTENT_SECONDS`` or more (transposed: ``_GRADED_SECONDS``, and closer
    levels); such a core also passes the first look, and then only this test lets it in.
    """
    fs = index.config.frame_seconds
    peaks = index.peaks(track)
    # Cheap first look at the matched core and 8 s around it: a chance alignment
    # shows nothing there, and most candidates stop here.
    pad = int(8.0 / fs)
    pre = presence(S, 0, peaks, slope=slope, intercept=intercept, pitch=pitch,
                   lo=int(max(lo - pad, t_begin - 2)), hi=int(min(hi + pad, t_end + 2)),
                   gain=False)
    q0, z0 = significance(pre, lo - pad, hi + pad)
    z0 = max(z0, significance(pre, lo - pad, hi + pad, weighted=True)[1])
    strict, graded = need(0.0), need(math.inf)
    only_graded = only_consistent = only_core = False
    if z0 < 0.5 * strict:
        # A short cue between louder tracks or dialogue: the seconds around it dilute its
        # evidence (or drown it: another track's music scatters the contrast). A clearly
        # significant core goes on to the full test, when there are such seconds (not in
        # a clip that is hardly longer than the core).
        context = min(hi + pad, S.shape[0]) - max(lo - pad, 0) - (hi - lo)
        zc = -math.inf
        if context * fs >= 4.0:
            zc = significance(pre, max(lo, t_begin), min(hi, t_end))[1]
        if not (core_need is not None and zc >= core_need):
            if graded < strict and (z0 >= 0.5 * graded
                                    or (graded_core is not None and zc >= graded_core)):
                only_graded = True
            elif consistent_z is not None and _consistent(
                    S, peaks, (slope, intercept, pitch), max(lo, t_begin), min(hi, t_end),
                    _CORE_CONSISTENT):
                only_consistent = True
            elif core_need is not None and _CORE_EXTENDED:
                only_core = True
            else:
                return lo, hi, 0.0, q0, z0, None, strict
    pres, new_lo, new_hi, qual, z = _extended(index, track, S, slope, intercept, pitch, lo, hi,
                                              t_begin, t_end)
    seconds = (new_hi - new_lo) * fs
    needed = need(seconds)
    # Transposed fits need longer and closer: music in the same tuning also fits a semitone off.
    untransposed = abs(pitch) < _GRADED_PITCH
    lasting = seconds >= (_CONSISTENT_SECONDS if untransposed else _GRADED_SECONDS)
    bar = _SPAN_CONSISTENT if untransposed else (_SPAN_CONSISTENT[0], _TRANSPOSED_MAD)
    if (z < needed or only_graded or only_consistent) and consistent_z is not None \
            and lasting and z >= consistent_z and _consistent(
                S, peaks, (slope, intercept, pitch), new_lo, new_hi, bar):
        needed = consistent_z
    elif (only_consistent
          or (only_graded and not (seconds >= _GRADED_SECONDS and z >= needed))):
        # Let in on a bar it did not reach: rejected, and the cohort test never sees it.
        return new_lo, new_hi, 0.0, qual, z, None, math.inf
    if only_core and not z >= core_need:
        return new_lo, new_hi, 0.0, qual, z, None, math.inf
    if z < needed and significance(pres, new_lo, new_hi, weighted=True)[1] >= weighted_z:
        needed = z  # the weighted score is beyond chance: accepted on it
    if z < needed:
        return new_lo, new_hi, 0.0, qual, z, pres, needed
    new_lo, new_hi, gain = _place(pres, lo, hi, fs)
    return new_lo, new_hi, gain, qual, z, pres, needed


def _consistent(S: Spectrum, peaks: Peaks, line: tuple[float, float, float], lo: float,
                hi: float, bar: tuple[int, float]) -> bool:
    """Whether at least ``bar[0]`` clearly audible peaks of the aligned track over
    ``[lo, hi)`` share one gain within ``bar[1]`` dB (median absolute deviation)."""
    n, mad = gain_spread(S, peaks, line=line, lo=lo, hi=hi)
    return n >= bar[0] and mad <= bar[1]


def _shift_margin(index: FingerprintIndex, track: int, S: Spectrum, slope: float,
                  intercept: float, pitch: float, lo: float, hi: float, z: float) -> float:
    """How far the z-score ``z`` of a candidate over ``[lo, hi)`` stands above the best
    z-score of the same track's peaks moved along the line by each of ``_SHIFTS`` seconds
    (the same episode seconds, other seconds of the track)."""
    fs = index.config.frame_seconds
    peaks = index.peaks(track)
    best = -math.inf
    for shift in _SHIFTS:
        pres = presence(S, 0, peaks, slope=slope, intercept=intercept + shift / fs,
                        pitch=pitch, lo=int(lo), hi=int(hi), gain=False, weighted=False)
        best = max(best, significance(pres, lo, hi)[1])
    return z - best


def _place(pres: Presence, lo: float, hi: float, fs: float) -> tuple[float, float, float]:
    """Edges and gain of an accepted candidate with matched core ``[lo, hi)``."""
    # The decision is taken on the plain span; the gain test only places the edges (a
    # chance alignment trimmed to its best seconds would look more significant).
    new_lo, new_hi = extend(pres, lo, hi, gain_tol=_GAIN_TOL)
    a = int((new_lo - pres.start_frame) // 16)
    b = int((new_hi - pres.start_frame) // 16) + 1
    g = pres.gain[max(a, 0) : max(b, 0)]
    g = g[np.isfinite(g)]
    gain = float(np.median(g)) if g.size else 0.0
    if g.size:
        new_lo, new_hi = fade_edges(pres, new_lo, new_hi, gain, frame_seconds=fs)
    return new_lo, new_hi, gain


def _extended(index: FingerprintIndex, track: int, S: Spectrum, slope: float, intercept: float,
              pitch: float, lo: float, hi: float, t_begin: float, t_end: float,
              ) -> tuple[Presence, float, float, float, float]:
    """The extended test: presence around ``[lo, hi)``, the span where the aligned track
    is audible, and its quality and z-score."""
    # Look far beyond the matched core (long fades, whole cues under dialogue where
    # only a few hashes survived), but not past the track's ends on this line.
    margin = int(_EXTEND_SECONDS / index.config.frame_seconds)
    a0 = int(max(lo - margin, t_begin - 2))
    b0 = int(min(hi + margin, t_end + 2))
    pres = presence(S, 0, index.peaks(track), slope=slope, intercept=intercept, pitch=pitch,
                    lo=a0, hi=max(b0, a0 + 1))
    new_lo, new_hi = extend(pres, lo, hi)
    qual, z = significance(pres, new_lo, new_hi)
    return pres, new_lo, new_hi, qual, z


def identify(
    index: FingerprintIndex,
    clip: str | Path | np.ndarray,
    *,
    sr: int | None = None,
    top: int = 3,
) -> list[Identification]:
    """Which indexed track(s) play in a clip (3 s or more), and where in the track.

    Returns up to ``top`` results, most confident first; empty when nothing matches.
    The clip is decoded into memory (it is short). A match needs at least
    ``seconds + 4`` matching hashes (6 to 12) unless the track's peaks make it highly
    significant: a longer clip offers more chances of a coincidental alignment.

    Examples
    --------
    >>> import tempfile
    >>> from heartsong.cues import FingerprintIndex, synth
    >>> idx = FingerprintIndex(tempfile.mkdtemp())
    >>> y = synth.music(4, duration=30, sr=8000)
    >>> idx.add(4, y, sr=8000); idx.save()
    >>> r = identify(idx, y[8000 * 12 : 8000 * 17], sr=8000)[0]
    >>> r.track_id, round(r.position)
    (4, 12)
    """
    if not isinstance(top, int) or top < 1:
        raise ParameterError("top", f"must be an integer >= 1, got {top!r}")
    target = index.config.sr
    y = np.concatenate([np.zeros(0, np.float32), *_blocks(clip, sr, target)])
    # Hash evidence a clip needs grows with its length: a longer clip offers more windows
    # for chance alignments with similar music (benchmarks/cues.py: with a fixed 6, 10 s
    # clips of unindexed music got an answer 7 times in 40; once in 40 with this).
    min_score = int(np.clip(round(y.size / target + 4), 6, 12))
    # No cohort test: a clip offers too few other proposals to compare with (clips of
    # music not in the library were answered 4/40 times with it, 1/40 without).
    cues = find_cues(index, y, sr=target, min_votes=5, min_score=min_score, min_duration=0.0,
                     max_gap=10.0, name=Path(clip).name if isinstance(clip, str | Path) else None,
                     cohort_margin=None)
    out = []
    for c in sorted(cues, key=lambda c: -c.score)[:top]:
        # Position at the clip's first sample, extrapolated along the fitted line.
        pos = max(0.0, c.track_start - c.start * c.tempo)
        out.append(Identification(c.track_id, round(pos, 3), c.tempo, c.pitch_cents,
                                  c.confidence, c.score, c.start, c.end))
    return out
