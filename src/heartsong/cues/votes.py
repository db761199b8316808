"""Single-peak offset votes: alignments of weak, untouched cues that no hash reaches.

A triplet hash needs three of the track's peaks to survive in the episode, so under
dialogue 10-15 dB louder than the music a cue of 5-20 s often keeps fewer than three
hashes (``benchmarks/cues.py --diagnose``), while a good share of its single peaks still
stand out. Here every episode peak votes for the track offsets that put one of the
track's peaks on it (same band within ``tol``); a track playing untouched (slope 1, no
transposition) gathers its votes on one offset, chance spreads them over all. The
alignments found are only proposals: :func:`heartsong.cues.match.find_cues` keeps one
when the episode holds the track's own waveform there (its phase-coherence test).
"""

from __future__ import annotations

import numpy as np

from heartsong.cues.fingerprint import Peaks
from heartsong.cues.kernels import offset_runs
from heartsong.errors import ParameterError

__all__ = ["untouched_alignments"]


def untouched_alignments(qt: np.ndarray, qf: np.ndarray, peaks: Peaks, *,
                         spans: tuple[float, ...] = (256.0, 512.0), tol: float = 0.25,
                         min_votes: int = 4, min_z: float = 9.0, loudest: float = 0.5,
                         ) -> list[tuple[float, float, float, float]]:
    """Offsets where a track's peaks line up with the episode's more than chance allows.

    Parameters
    ----------
    qt, qf : np.ndarray
        The episode's peaks: times (frames, ascending) and bands (fractional).
    peaks : Peaks
        The track's stored peaks.
    spans : tuple of float
        Lengths (frames) of the stretches over which votes are counted.
    tol : float
        Bands within which an episode peak matches a track peak.
    min_votes : int
        Votes (within one frame of the offset, in one span) an alignment needs.
    min_z : float
        ``(votes - expected) / sqrt(expected + 1)`` it needs; the votes expected are those
        cast from its frames times 3 / the track's length in frames.
    loudest : float
        Share of the track's peaks that take votes, loudest first: they are the ones that
        stand out under dialogue, and half the peaks cost half the time.

    Returns
    -------
    list of (intercept, lo, hi, z)
        ``tq = tr + intercept`` (frames), the episode frames ``[lo, hi)`` from the
        stretch's first vote to its last, and z; strongest first, one per offset and
        stretch (weaker ones within 3 frames of a stronger one's offset, over the same
        span of frames, are its neighbours).

    Examples
    --------
    >>> import numpy as np
    >>> from heartsong.cues.fingerprint import Peaks
    >>> rng = np.random.default_rng(0)
    >>> ref = Peaks(np.sort(rng.uniform(0, 3000, 2000)).astype(np.float32),
    ...             rng.uniform(0, 110, 2000).astype(np.float32), np.zeros(2000, np.float32))
    >>> on = (ref.t > 1000) & (ref.t < 1600) & (rng.random(2000) < 0.3)  # 30 % survive
    >>> qt = np.r_[ref.t[on] + 5000, rng.uniform(4000, 9000, 3000)].astype(np.float32)
    >>> qf = np.r_[ref.f[on], rng.uniform(0, 110, 3000)].astype(np.float32)
    >>> o = np.argsort(qt); found = untouched_alignments(qt[o], qf[o], ref)
    >>> abs(found[0][0] - 5000) <= 1, found[0][3] > 9      # within the frame of tolerance
    (True, True)
    """
    if not tol > 0:
        raise ParameterError("tol", f"must be > 0, got {tol!r}")
    if not (isinstance(min_votes, int) and min_votes >= 2):
        raise ParameterError("min_votes", f"must be an integer >= 2, got {min_votes!r}")
    if not spans or not all(s > 0 for s in spans):
        raise ParameterError("spans", f"must be positive frame counts, got {spans!r}")
    if not 0 < loudest <= 1:
        raise ParameterError("loudest", f"must be in (0, 1], got {loudest!r}")
    if qt.size == 0 or len(peaks) == 0 or min_z == np.inf:
        return []
    if loudest < 1:
        keep = peaks.db >= np.quantile(peaks.db, 1.0 - loudest)
        peaks = Peaks(peaks.t[keep], peaks.f[keep], peaks.db[keep])
    band = np.rint(peaks.f).astype(np.int64)
    if band.min() < 0:
        raise ParameterError("peaks", "bands must be >= 0")
    order = np.argsort(band, kind="stable")
    band_start = np.searchsorted(band[order], np.arange(int(band.max()) + 2)).astype(np.int64)
    rt = np.ascontiguousarray(peaks.t[order], np.float32)
    rf = np.ascontiguousarray(peaks.f[order], np.float32)
    length = float(peaks.t.max()) + 1.0
    rows = offset_runs(np.ascontiguousarray(qt, np.float32), np.ascontiguousarray(qf, np.float32),
                       rt, rf, band_start, length, np.asarray(spans, np.float64), float(tol),
                       # z >= min_z needs at least min_z votes
                       max(int(min_votes), int(np.ceil(min_z))))
    z = (rows[:, 2] - rows[:, 3]) / np.sqrt(rows[:, 3] + 1.0)
    keep = z >= min_z
    found = list(zip(rows[keep, 0].tolist(), rows[keep, 4].tolist(),
                     (rows[keep, 4] + rows[keep, 1]).tolist(), z[keep].tolist(),
                     rows[keep, 5].tolist(), (rows[keep, 6] + 1.0).tolist(), strict=True))
    # Strongest first; of neighbours that tie (one frame apart, the same votes), the offset
    # the votes themselves chose most.
    found.sort(key=lambda a: (-a[3], -a[4]))
    kept: list[tuple[float, ...]] = []
    for a in found:
        if not any(abs(a[0] - b[0]) <= 3 and min(a[2], b[2]) > max(a[1], b[1]) for b in kept):
            kept.append(a)
    # The span's end is only where the count stopped; the last vote says where the track
    # was last heard (a 3 s cue counted over 8 s would be placed and tested on 5 s of
    # something else).
    return [(a[0], a[1], a[5], a[3]) for a in kept]

