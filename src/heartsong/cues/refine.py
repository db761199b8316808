"""Cue boundary refinement and gain estimation against the reference's own peaks.

The matcher knows, for a cue, the affine map from track time to episode time
and the pitch offset. Projecting the reference track's stored spectral peaks
through that map predicts where the music's peaks must be in the episode. A
peak that is audible stands out from its neighbouring bands (positive
*contrast*); where the music is absent or masked, contrast is noise around 0.
This matched test is far more sensitive than hash matching (no triplet must
survive), so it finds the quiet tails of fades and the music under dialogue,
and bridges dips instead of splitting the cue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

from heartsong.cues.fingerprint import Peaks, box_max
from heartsong.cues.kernels import (
    contrast,
    evidence,
    median_abs_deviation,
    missing_peaks,
    peak_weights,
)
from heartsong.errors import ParameterError

__all__ = ["Presence", "Spectrum", "absence", "extend", "fade_edges", "gain_spread", "presence",
           "quality", "significance", "unexplained_significance", "weigh"]

# Time resolution of the presence curve (frames of 16 ms: 0.256 s).
BIN = 16
# The z-score weighs each peak by how loud it is in the track: a peak _REL_DB below the
# loudest of its quarter second (track time) weighs _W_MIN, the loudest 1. Dialogue and
# effects mask a track's quiet peaks first, so they add mostly noise. It also clips each
# peak's contrast over the null to +-_CLIP_DB: one dialogue harmonic on a peak, or a
# peak on a loud onset, then weighs no more than a clearly audible note.
# benchmarks/cues.py, seed 0, every proposal's extended test: of 71,000 chance fits 3 reach a
# weighted z of 12 (44 a plain z of 12), of 11,000 on true cues 1,322 (1,159).
_REL_DB = 20.0
_W_MIN = 0.05
_CLIP_DB = 8.0
_VAR_MIN = 16.0
# absence(): a loud peak (weight >= _LOUD_W) is missing when the episode's level lies
# _MISSING_DB below the track's there plus the gain of the clear peaks (contrast over
# _CLEAR_DB) within _GAIN_REACH frames (1 s: fades move the gain). True cues miss few:
# benchmarks/cues.py seeds 0-3, 4,365 cues found, median share 0.003-0.015 per SNR, p99
# 0.12-0.21 (the six false cues, fits of music that only shares a track's harmony:
# 0.14-0.45); _MISSING_RATE is the rate the z-score is measured against.
_LOUD_W = 0.75
_CLEAR_DB = 6.0
_GAIN_REACH = 64.0
_MISSING_DB = 10.0
_MISSING_RATE = 0.1


@dataclass(frozen=True)
class Presence:
    """Per-bin evidence that the aligned reference is audible in the episode."""

    start_frame: int  # episode frame of bin 0
    contrast: np.ndarray  # dB, mean peak contrast minus the off-pitch null
    gain: np.ndarray  # dB, episode level minus reference level at audible peaks (nan if none)
    count: np.ndarray  # reference peaks projected into the bin
    dsum: np.ndarray | None = None  # sum over the bin's peaks of (contrast - null), dB
    d2sum: np.ndarray | None = None  # sum of its squares
    # The weighted statistic (see weigh): sums of w * x, w * x**2, w, w**2 per bin; None:
    # every peak weighs 1 and dsum, d2sum are used.
    xsum: np.ndarray | None = None
    x2sum: np.ndarray | None = None
    wsum: np.ndarray | None = None
    w2sum: np.ndarray | None = None


class Spectrum:
    """An episode spectrogram prepared for the peak tests below.

    Every test reads, at a (frame, band), the best level of its 3 x 3 neighbourhood and
    the mean level of the bands 3 and 4 away. Both are computed once per episode here
    (thousands of candidates are tested against one spectrogram), on the spectrogram
    quantised to 0.5 dB steps (as :func:`heartsong.cues.find_cues` keeps it): one byte
    per cell for the best level, two for the sum of the four side levels.

    With ``smooth`` > 1 the levels are first averaged (in dB) over that many frames, as the
    reference's peaks were picked (``FingerprintConfig.time_smooth``): a held note keeps its
    partials while speech glides and consonants smear out, so dialogue scatters the
    contrast far less (benchmarks/cues.py, z at the true alignment under dialogue at
    -10 dB: median 9.4 -> 11.8 with 17 frames; chance alignments' spread 1.6 -> 1.8).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.full((10, 20), -60.0, np.float32); S[5, 10] = -20.0
    >>> sp = Spectrum.from_db(S)
    >>> best, contrast = sp.contrast(np.array([5.0]), np.array([10.0]))
    >>> float(best[0]), float(contrast[0])
    (-20.0, 40.0)
    """

    def __init__(self, q: np.ndarray, *, smooth: int = 1) -> None:
        q = np.ascontiguousarray(q, np.uint8)
        if q.ndim != 2:
            raise ParameterError("q", f"must be a 2-D (frames, bands) array, got shape {q.shape}")
        if not isinstance(smooth, int) or smooth < 1:
            raise ParameterError("smooth", f"must be an integer >= 1, got {smooth!r}")
        self.shape = q.shape
        # Levels (for gains) come from the unaveraged spectrogram, as the reference's stored
        # levels do (averaging would bias gains ~0.5 dB low); contrasts from the averaged one.
        self.level = box_max(q, (3, 3))
        if smooth > 1:
            q = _smooth_frames(q, smooth)
            self.best = box_max(q, (3, 3))
        else:
            self.best = self.level
        side = np.zeros(q.shape, np.uint16)
        if q.shape[1] >= 9:
            w = q.astype(np.uint16)
            side[:, 4:-4] = w[:, 1:-7] + w[:, 7:-1] + w[:, :-8] + w[:, 8:]
        self.side = side

    @staticmethod
    def quantise(S: np.ndarray) -> np.ndarray:
        """dB spectrogram -> the uint8 code used here (0.5 dB steps from -100 dB)."""
        return np.clip((np.asarray(S, np.float32) + 100.0) * 2.0, 0, 255).astype(np.uint8)

    @classmethod
    def from_db(cls, S: np.ndarray, *, smooth: int = 1) -> Spectrum:
        """Prepare a dB spectrogram ``(frames, bands)`` (e.g. from
        :func:`heartsong.cues.fingerprint.spectrogram`)."""
        return cls(cls.quantise(S), smooth=smooth)

    def contrast(self, t: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Level (dB) at (t, f), best of +-1 frame and +-1 band, and the contrast: that best
        over the mean of bands +-3..4 (with ``smooth``, both read on the averaged levels,
        while the level returned is the unaveraged one)."""
        # The same compiled reading _evidence's kernel makes, one point at a time.
        return contrast(self.level, self.best, self.side, np.asarray(t, np.float64).ravel(),
                        np.asarray(f, np.float64).ravel())


def _smooth_frames(q: np.ndarray, k: int, block: int = 8192) -> np.ndarray:
    """Moving average of ``k`` frames of the uint8 code, in blocks (an hour of episode
    would need 100 MB of floats at once)."""
    out = np.empty_like(q)
    h = k // 2 + 1
    for a in range(0, q.shape[0], block):
        b = min(a + block, q.shape[0])
        a0, b0 = max(a - h, 0), min(b + h, q.shape[0])
        sm = uniform_filter1d(q[a0:b0].astype(np.float32), k, axis=0, mode="nearest")
        out[a:b] = np.rint(sm[a - a0 : a - a0 + (b - a)])
    return out


def _spectrum(S: np.ndarray | Spectrum) -> Spectrum:
    return S if isinstance(S, Spectrum) else Spectrum.from_db(S)


def _evidence(S: Spectrum, s0: int, ref: Peaks, *, slope: float, intercept: float,
              pitch: float, lo: float, hi: float) -> tuple[np.ndarray, ...]:
    """The reference peaks mapped into episode frames ``[lo, hi)``: episode time and band,
    reference level, episode level, contrast, and contrast over the null (per peak).

    The null is the mean contrast of the same peaks moved off pitch (±5 and ±8 bands): it
    measures whatever else is there (dialogue harmonics, other music) in the same frames,
    with the same upward bias as the max-of-9 statistic.
    """
    # One compiled pass (heartsong.cues.kernels): this runs thousands of times per episode.
    return evidence(S.level, S.best, S.side, int(s0), ref.t, ref.f, ref.db, float(slope),
                    float(intercept), float(pitch), float(lo), float(hi))


def weigh(te: np.ndarray, db: np.ndarray, d: np.ndarray, *, slope: float,
          intercept: float) -> tuple[np.ndarray, np.ndarray]:
    """Each aligned peak's weight in the z-score and its clipped contrast over the null.

    ``te`` (episode frames, ascending), ``db`` (the reference's level) and ``d`` are as
    :func:`_evidence` returns them for the line ``(slope, intercept)``. The weight falls
    from 1 for the loudest peak of its quarter second of track time to ``_W_MIN`` for one
    ``_REL_DB`` dB below it; it depends only on the track, never on the episode, so a
    chance alignment still scores about N(0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> w, x = weigh(np.array([0.0, 1.0, 20.0]), np.array([-20.0, -30.0, -50.0], np.float32),
    ...              np.array([5.0, 30.0, -1.0], np.float32), slope=1.0, intercept=0.0)
    >>> w.tolist(), x.tolist()
    ([1.0, 0.5, 1.0], [5.0, 8.0, -1.0])
    """
    return peak_weights(np.asarray(te, np.float64), np.asarray(db, np.float32),
                        np.asarray(d, np.float32), float(slope), float(intercept), float(BIN),
                        _REL_DB, _W_MIN, _CLIP_DB)


def absence(S: np.ndarray | Spectrum, ref: Peaks, *, line: tuple[float, float, float],
            lo: float, hi: float) -> tuple[float, int, int]:
    """How clearly the episode *lacks* energy the aligned track would put there.

    Presence tests (:func:`significance`) ask whether the track's peaks stand out; music
    not in the library that shares the track's key, chords and tempo makes many of them
    stand out too. But sound only adds: where the track plays, the episode holds at least
    the track's energy at each of its loud peaks, whatever dialogue or other music lies
    over it. So with the gain measured on the peaks that do stand out nearby, a loud peak
    whose place in the episode is far quieter than that gain predicts is *missing*, and a
    true cue has few of them (its melody, the other chord tones are there), while music
    that only shares the track's harmony misses its melody wherever that differs.

    Returns the z-score of the count of missing loud peaks against a rate of
    ``_MISSING_RATE`` (binomial), the count and the number of loud peaks tested.
    ``line`` is ``(slope, intercept, pitch)`` as in :func:`presence`; ``[lo, hi)`` are
    episode frames of ``S`` (which starts at frame 0).

    Examples
    --------
    >>> import numpy as np
    >>> from heartsong.cues.fingerprint import Peaks
    >>> t = np.arange(10, 200, 8, dtype=np.float32)
    >>> ref = Peaks(t, np.full(t.size, 20.0, np.float32), np.full(t.size, -20.0, np.float32))
    >>> S = np.full((220, 40), -80.0, np.float32); S[t.astype(int), 20] = -30.0
    >>> round(absence(S, ref, line=(1.0, 0.0, 0.0), lo=0, hi=220)[0], 1)  # all there
    -1.6
    >>> S[t[::2].astype(int), 20] = -75.0  # every other note missing
    >>> z, missing, tested = absence(S, ref, line=(1.0, 0.0, 0.0), lo=0, hi=220)
    >>> round(z, 1), missing, tested
    (6.5, 12, 24)
    """
    S = _spectrum(S)
    slope, intercept, pitch = line
    te, _fe, db, level, c, d = _evidence(S, 0, ref, slope=slope, intercept=intercept,
                                        pitch=pitch, lo=max(lo, 1.0),
                                        hi=min(hi, S.shape[0] - 1.0))
    if te.size == 0:
        return 0.0, 0, 0
    w, _x = weigh(te, db, d, slope=slope, intercept=intercept)
    flags = missing_peaks(te, db, level, c, w, _CLEAR_DB, _LOUD_W, _GAIN_REACH, _MISSING_DB)
    tested = int((flags >= 0).sum())
    missing = int((flags == 1).sum())
    if tested == 0:
        return 0.0, 0, 0
    p = _MISSING_RATE
    return (missing - tested * p) / math.sqrt(tested * p * (1.0 - p)), missing, tested


def unexplained_significance(
    S: np.ndarray | Spectrum,
    ref: Peaks,
    *,
    line: tuple[float, float, float],
    lo: float,
    hi: float,
    others: list[tuple[Peaks, tuple[float, float, float]]],
    reach: tuple[int, int] = (3, 1),
) -> float:
    """z-score of ``ref`` on ``line`` over episode frames ``[lo, hi)``, counting only the
    peaks that none of ``others`` (stronger cues, each a track's peaks and its line)
    puts at the same place (``reach``: ±3 frames, ±1 band by default).

    Evidence is used once: a version of a song with the same arrangement, a theme that
    another track quotes, or the same track shifted by a repeat all match the episode
    mostly through peaks the stronger cue already explains; the music only it can
    explain (a voice, other notes) must carry it on its own.
    ``line`` is ``(slope, intercept, pitch)``, as in :func:`presence`.
    """
    slope, intercept, pitch = line
    S = _spectrum(S)
    te, fe, *_, d = _evidence(S, 0, ref, slope=slope, intercept=intercept, pitch=pitch,
                              lo=max(lo, 1), hi=min(hi, S.shape[0] - 1))
    if te.size == 0:
        return 0.0
    rt, rf = reach
    a = int(math.floor(te.min())) - rt - 1
    n = int(math.ceil(te.max())) + rt + 2 - a
    taken = np.zeros((n, S.shape[1]), bool)
    for peaks_o, (so, io, po) in others:
        to = so * peaks_o.t.astype(np.float64) + io
        fo = peaks_o.f.astype(np.float64) + po
        ok = (to >= a) & (to < a + n) & (fo >= 0) & (fo <= S.shape[1] - 1)
        ti = np.rint(to[ok]).astype(np.int64) - a
        fi = np.rint(fo[ok]).astype(np.int64)
        for dt in range(-rt, rt + 1):
            for df in range(-rf, rf + 1):
                taken[np.clip(ti + dt, 0, n - 1), np.clip(fi + df, 0, S.shape[1] - 1)] = True
    free = ~taken[np.rint(te).astype(np.int64) - a, np.rint(fe).astype(np.int64)]
    k = int(free.sum())
    if k < 3:
        return 0.0
    x = d[free]
    return float(x.mean() / math.sqrt(max(float(x.var()), 1e-6) / k))


def gain_spread(
    S: np.ndarray | Spectrum,
    ref: Peaks,
    *,
    line: tuple[float, float, float],
    lo: float,
    hi: float,
    clear: float = 6.0,
) -> tuple[int, float]:
    """How consistently the aligned track's clearly audible peaks share one gain.

    Where the track plays, each peak that stands out of the episode (contrast above
    ``clear`` dB) is the reference's peak times the cue's gain: the level differences
    agree within a dB or so (lossy coding, the 0.5 dB steps). Other music lighting the
    track's peaks by chance has levels of its own, unrelated to the reference's, and so
    does dialogue (benchmarks/cues.py, seed 0, weak candidates at z 6-12: median absolute
    deviation 2.0 dB for true cues, 4-5 dB for chance alignments).

    Returns the number of such peaks in episode frames ``[lo, hi)`` and the median
    absolute deviation (dB) of their level differences (inf with fewer than 3).
    ``line`` is ``(slope, intercept, pitch)``, as in :func:`presence`.

    Examples
    --------
    >>> import numpy as np
    >>> from heartsong.cues.fingerprint import Peaks
    >>> S = np.full((200, 40), -80.0, np.float32)
    >>> t = np.arange(20, 180, 8, dtype=np.float32); f = np.full(t.size, 20.0, np.float32)
    >>> S[t.astype(int), 20] = -30.0  # the track at -10 dB from its -20 dB peaks
    >>> n, mad = gain_spread(S, Peaks(t, f, np.full(t.size, -20.0, np.float32)),
    ...                      line=(1.0, 0.0, 0.0), lo=0, hi=200)
    >>> n, mad
    (20, 0.0)
    """
    slope, intercept, pitch = line
    S = _spectrum(S)
    _te, _fe, db, level, c, _d = _evidence(S, 0, ref, slope=slope, intercept=intercept,
                                           pitch=pitch, lo=max(lo, 1),
                                           hi=min(hi, S.shape[0] - 1))
    g = (level - db)[c > clear]
    if g.size < 3:
        return int(g.size), math.inf
    return int(g.size), median_abs_deviation(g)


def presence(
    S: np.ndarray | Spectrum,
    s0: int,
    ref: Peaks,
    *,
    slope: float,
    intercept: float,
    pitch: float,
    lo: int,
    hi: int,
    gain: bool = True,
    weighted: bool = True,
) -> Presence:
    """Evidence per 0.256 s bin that ``ref`` (mapped by ``t_ep = slope*t_ref + intercept``,
    ``f_ep = f_ref + pitch``) is present in episode frames ``[lo, hi)``.

    ``S`` holds episode spectrogram rows (dB, or prepared as a :class:`Spectrum`, which
    is faster when many tracks are tested against one episode) starting at frame ``s0``.
    With ``gain=False`` the per-bin gain is not measured (all nan), for tests that read
    only :func:`significance`; with ``weighted=False`` neither are the sums of its weighted
    z-score (it then falls back to the plain one), for tests that read only the plain one.
    """
    S = _spectrum(S)
    lo = max(lo, s0 + 1)
    hi = min(hi, s0 + S.shape[0] - 1)
    nbins = max(0, (hi - lo) // BIN)
    empty = np.zeros(nbins, np.float32)
    if nbins == 0 or len(ref) == 0:
        return Presence(lo, empty, empty + np.nan, empty.astype(np.int64))
    te, _fe, db, level, c, d = _evidence(S, s0, ref, slope=slope, intercept=intercept,
                                        pitch=pitch, lo=lo, hi=lo + nbins * BIN)
    b = ((te - lo) // BIN).astype(np.int64)
    count = np.bincount(b, minlength=nbins)
    dsum = np.bincount(b, weights=d, minlength=nbins)
    d2sum = np.bincount(b, weights=d * d, minlength=nbins)
    xsum = x2sum = wsum = w2sum = None
    if weighted:
        w, x = weigh(te, db, d, slope=slope, intercept=intercept)
        wx = w * x
        xsum = np.bincount(b, weights=wx, minlength=nbins)
        x2sum = np.bincount(b, weights=wx * x, minlength=nbins)
        wsum = np.bincount(b, weights=w, minlength=nbins)
        w2sum = np.bincount(b, weights=w * w, minlength=nbins)
    with np.errstate(invalid="ignore", divide="ignore"):
        contrast = np.where(count > 0, dsum / count, 0.0).astype(np.float32)
    # Gain from peaks that clearly stand out (music dominates there): level - reference level.
    gains = np.full(nbins, np.nan, np.float32)
    if gain and (clear := c > 6.0).any():
        g = level[clear] - db[clear]
        bc = b[clear]
        order = np.lexsort((g, bc))
        bc, g = bc[order], g[order]
        starts = np.searchsorted(bc, np.arange(nbins), "left")
        ends = np.searchsorted(bc, np.arange(nbins), "right")
        has = ends > starts
        mid = (starts + ends - 1) // 2
        gains[has] = g[mid[has]]
    return Presence(lo, contrast, gains, count, dsum, d2sum, xsum, x2sum, wsum, w2sum)


def quality(pres: Presence, lo: float, hi: float) -> float:
    """Mean contrast (dB) over episode frames ``[lo, hi)``: how audible the aligned track is.

    A chance alignment (or a shifted copy of a repeated section) matches a few
    hashes but not the bulk of the track's peaks, so its quality stays near 0.
    """
    a = int(np.clip((lo - pres.start_frame) // BIN, 0, pres.contrast.size))
    b = int(np.clip((hi - pres.start_frame) // BIN + 1, a, pres.contrast.size))
    seg = pres.contrast[a:b][pres.count[a:b] > 0]
    return float(seg.mean()) if seg.size else 0.0


def significance(pres: Presence, lo: float, hi: float, *,
                 weighted: bool = False) -> tuple[float, float]:
    """Mean peak contrast (dB) over episode frames ``[lo, hi)`` and its z-score.

    The z-score is the mean of the per-peak contrast (over the off-pitch null)
    divided by its standard error: a chance alignment scores about N(0, 1)
    whatever the span, a real cue grows with the square root of its length,
    so one threshold fits a 2 s sting and a 3 minute cue alike. With ``weighted``, each
    peak weighs by its loudness in the track and its contrast is clipped (see
    :func:`weigh`; the variance is floored at ``_VAR_MIN``), when ``pres`` holds those sums
    (:func:`presence`'s do).

    Examples
    --------
    >>> import numpy as np
    >>> p = Presence(0, np.zeros(4, np.float32), np.zeros(4, np.float32), np.full(4, 10),
    ...              np.full(4, 40.0), np.full(4, 10 * 16 + 40.0))
    >>> [round(v, 1) for v in significance(p, 0, 64)]
    [4.0, 12.6]
    """
    if pres.dsum is None or pres.d2sum is None or pres.count.size == 0:
        return quality(pres, lo, hi), 0.0
    a = int(np.clip((lo - pres.start_frame) // BIN, 0, pres.count.size))
    b = int(np.clip(-(-(hi - pres.start_frame) // BIN), a, pres.count.size))
    n = float(pres.count[a:b].sum())
    if n < 3:
        return 0.0, 0.0
    mean = float(pres.dsum[a:b].sum()) / n
    if not weighted or pres.xsum is None or pres.x2sum is None or pres.wsum is None \
            or pres.w2sum is None:
        var = max(float(pres.d2sum[a:b].sum()) / n - mean * mean, 1e-6)
        return mean, mean / math.sqrt(var / n)
    sw = float(pres.wsum[a:b].sum())
    if sw <= 0.0:
        return mean, 0.0
    xm = float(pres.xsum[a:b].sum()) / sw
    var = max(float(pres.x2sum[a:b].sum()) / sw - xm * xm, _VAR_MIN)
    return mean, xm / math.sqrt(var * float(pres.w2sum[a:b].sum()) / (sw * sw))


def _foreign(gain: np.ndarray, first: int, last: int, tol: float) -> np.ndarray:
    """Bins outside ``[first, last]`` whose measured gain jumps above the cue's.

    Inside a cue every audible peak of the track is the track times one gain, which only
    moves smoothly, and outwards only down (fades). Past the cue's end, other music that
    happens to light some of the track's peaks (the next cue of a cross-fade, similar
    music) gives levels unrelated to the track's. Walking outwards from each edge, a bin
    whose gain is more than ``tol`` dB above the median of the last three accepted bins
    is foreign; a lower one is accepted (a fade goes on). ``tol`` widens to three spreads
    of the gain inside the cue when that is noisier.
    """
    n = gain.size
    out = np.zeros(n, bool)
    finite = np.isfinite(gain)
    core = gain[first : last + 1][finite[first : last + 1]]
    if core.size < 4:
        return out
    # The gain's own spread inside the cue widens the tolerance (three spreads).
    tol = max(tol, 3.0 * 1.4826 * float(np.median(np.abs(core - np.median(core)))))
    for edge, step in ((last, 1), (first, -1)):
        inner = np.arange(edge, first - 1, -1) if step > 0 else np.arange(edge, last + 1)
        recent = [float(gain[i]) for i in inner[finite[inner]][:3][::-1]]
        if not recent:
            continue
        i = edge + step
        while 0 <= i < n:
            if finite[i]:
                g = float(gain[i])
                # Median of at most three (np.median costs more than the whole walk).
                med = sorted(recent)[1] if len(recent) == 3 else sum(recent) / len(recent)
                if g - med > tol:
                    out[i] = True
                else:
                    recent = [*recent[-2:], g]
            i += step
    return out


def _edges(count: np.ndarray, con: np.ndarray, first: int, last: int,
           threshold: float) -> tuple[int, int]:
    """First and last bin of the cue around core bins ``[first, last]`` (see :func:`extend`)."""
    n = con.size
    # Each bin weighs by its number of peaks: bins with one peak are mostly noise.
    c = count * (con - threshold)
    # Start: maximise sum(c[k:first + 1]) over k <= first + 2 (may also trim the core edge).
    head = c[: min(first + 3, n)]
    back = np.cumsum(head[::-1])[::-1]  # back[k] = sum(head[k:])
    k = int(np.argmax(back))
    tail = c[max(last - 2, 0) :]
    fwd = np.cumsum(tail)
    j = max(last - 2, 0) + int(np.argmax(fwd))
    # A chance hash match on the same line can stretch the core over seconds where the
    # track is absent. Found again from the core's strongest 2 s, an edge moves inwards
    # when what it cuts off shows no music at all (mean contrast <= 1 dB over >= 2 s).
    w = min(8, last - first + 1)
    m = first + int(np.argmax(np.convolve(c[first : last + 1], np.ones(w), "valid"))) + w // 2
    k2 = int(np.argmax(np.cumsum(c[: m + 1][::-1])[::-1]))
    j2 = m + int(np.argmax(np.cumsum(c[m:])))
    cnt = count.astype(np.float64)
    cs = con * cnt

    def absent(a: int, b: int) -> bool:
        return b - a >= 8 and cs[a:b].sum() <= 1.0 * max(cnt[a:b].sum(), 1.0)

    if k2 > k and absent(k, k2):
        k = k2
    if j2 < j and absent(j2 + 1, j + 1):
        j = j2
    return k, j


# Gain consistency (extend's gain_tol): a cut needs this share of foreign bins, and the core
# this typical contrast (dB): under dialogue the dialogue lifts the levels at the track's
# peaks just as other music does, and the gain no longer tells them apart.
_FOREIGN_SHARE = 0.5
_CLEAR_CORE_DB = 12.0
# Level floor (extend's gain_tol): past an edge, a level this far (dB) below the core's that
# follows, within _ABRUPT_BINS bins, levels still within _FADING_DB of it ends the cue.
_FLOOR_DB = 15.0
_ABRUPT_BINS = 8
_FADING_DB = 6.0


def _below_floor(gain: np.ndarray, first: int, last: int, k: int, j: int,
                 floor: float) -> tuple[int, int]:
    """Edges ``k <= first``, ``j >= last`` moved in to the first bin outside the core where
    the track's level has sunk ``floor`` dB below the core's and stays there (two of the
    next three measured bins), when it got there at once.

    The episode holds less there than the track would put at its peaks, so the track has
    stopped: past a hard cut, other music lights some of its peaks at levels of its own,
    mostly far lower. A fade gets that low too, but through the levels between, for seconds
    when it is long (``fade_edges`` then finds its end).
    """
    core = gain[first : last + 1]
    core = core[np.isfinite(core)]
    if core.size < 4:
        return k, j
    level = float(np.median(core)) - floor
    measured = np.flatnonzero(np.isfinite(gain))
    for edge in ("end", "start"):
        if edge == "end":
            idx = measured[(measured > last) & (measured <= j)]
        else:
            idx = measured[(measured < first) & (measured >= k)][::-1]
        low = gain[idx] < level
        for n in range(idx.size):
            if low[n] and int(low[n : n + 3].sum()) >= 2:
                # Reached at once: the last levels before it (up to 2 s) are still near
                # the cue's. A cut or a short fade does that, a long fade does not.
                b = int(idx[n])
                if edge == "end":
                    near = gain[max(b - _ABRUPT_BINS, 0) : b]
                    near = near[np.isfinite(near)][-3:]
                else:
                    near = gain[b + 1 : b + 1 + _ABRUPT_BINS]
                    near = near[np.isfinite(near)][:3]
                if not (near.size and float(np.median(near)) >= level + floor - _FADING_DB):
                    break
                if edge == "end":
                    j = int(idx[n]) - 1
                else:
                    k = int(idx[n]) + 1
                break
    return k, j


def extend(
    pres: Presence,
    core_lo: float,
    core_hi: float,
    *,
    threshold: float | None = None,
    gain_tol: float | None = None,
) -> tuple[float, float]:
    """Move the edges of ``[core_lo, core_hi)`` (frames) to where the music starts and stops.

    Change-point by cumulative sum: the start is the bin that maximises the sum of
    ``contrast - threshold`` from it up to the core (music bins add, absent bins
    subtract), likewise for the end. Isolated noisy bins cannot move an edge far,
    and short dips inside the span do not cut it.

    With ``gain_tol`` (dB), and when the core stands clear of the noise, an edge also
    moves inwards over a stretch where the track's peaks are lit but mostly at levels
    more than ``gain_tol`` above the cue's gain: other music after a cross-fade, not the
    track (see ``_foreign``). At any noise level it also moves in to where the level drops
    at once far below the cue's (see ``_below_floor``).
    """
    n = pres.contrast.size
    if n == 0:
        return core_lo, core_hi
    first = int(np.clip((core_lo - pres.start_frame) // BIN, 0, n - 1))
    last = int(np.clip((core_hi - pres.start_frame) // BIN, first, n - 1))
    # Threshold halfway between absence (0 dB) and the contrast typical inside the
    # core, so the edge sits where the music fades into the noise at any SNR.
    inside = pres.contrast[first : last + 1][pres.count[first : last + 1] > 0]
    typical = float(np.median(inside)) if inside.size else None
    if threshold is None:
        threshold = float(np.clip(0.5 * (6.0 if typical is None else typical), 3.0, 5.0))
    con = np.where(pres.count > 0, pres.contrast, 0.0)
    k, j = _edges(pres.count, con, first, last, threshold)
    if gain_tol is not None and typical is not None and typical >= _CLEAR_CORE_DB:
        foreign = _foreign(pres.gain, first, last, gain_tol)
        kg, jg = _edges(pres.count, np.where(foreign, 0.0, con), first, last, threshold)
        measured = np.isfinite(pres.gain)

        def mostly_foreign(a: int, b: int) -> bool:
            m = int(measured[a:b].sum())
            return m >= 2 and int(foreign[a:b].sum()) >= _FOREIGN_SHARE * m

        if kg > k and mostly_foreign(k, kg):
            k = kg
        if jg < j and mostly_foreign(jg + 1, j + 1):
            j = jg
    if gain_tol is not None:
        k, j = _below_floor(pres.gain, first, last, k, j, _FLOOR_DB)
    lo = pres.start_frame + k * BIN
    hi = pres.start_frame + (j + 1) * BIN
    if hi <= lo:
        return core_lo, core_hi
    return float(lo), float(hi)


def _fade_end(t: np.ndarray, amp: np.ndarray) -> float | None:
    """How far past the audible edge a fade reaches silence, or None when there is none.

    ``t`` runs away from the cue (seconds relative to the edge, negative inside), ``amp``
    is the music's amplitude relative to its level in the cue at those times.
    """
    # The fade starts after the last bin at full level; it must be clear by the edge.
    full = np.flatnonzero(amp >= 0.9)
    k = int(full[-1]) + 1 if full.size else 0
    t, amp = t[k:], amp[k:]
    if t.size < 4 or t[-1] - t[0] < 1.0 or amp[-1] > 0.75:
        return None
    # Theil-Sen: the level of the last, faintest bins is the least reliable (noise lifts it),
    # and a couple of them must not bend the line.
    i, j = np.triu_indices(t.size, k=1)
    slope = float(np.median((amp[j] - amp[i]) / (t[j] - t[i])))
    icpt = float(np.median(amp - slope * t))
    if slope >= 0:
        return None
    fit = slope * t + icpt
    ss = float(np.sum((amp - amp.mean()) ** 2))
    if ss <= 0 or 1.0 - float(np.sum((amp - fit) ** 2)) / ss < 0.6:
        return None
    zero = -icpt / slope
    # Extrapolate at most twice as far as the fade has been followed, and 8 s.
    if not 0.0 < zero <= min(8.0, 2.0 * (t[-1] - t[0])):
        return None
    return float(zero)


def fade_edges(pres: Presence, lo: float, hi: float, level: float, *,
               frame_seconds: float) -> tuple[float, float]:
    """Carry the edges of ``[lo, hi)`` (frames) to the end of a fade heard fading out.

    Under dialogue the last seconds of a fade-out (and the first of a fade-in) sink below
    the noise, so :func:`extend` stops where the music stops being audible, not where it
    stops. The level of the aligned track (``pres.gain``, dB against the reference) shows
    the fade itself: when its amplitude falls along a straight line towards the edge (a
    linear fade, as editors draw them), the edge moves to where that line reaches zero.
    A hard cut or music masked by louder noise keeps its level, so it keeps its edge.
    ``level`` is the cue's gain (dB) at full level.

    Examples
    --------
    >>> import numpy as np
    >>> g = -6.0 + 20 * np.log10(np.r_[np.ones(20), np.linspace(0.9, 0.3, 8)])  # fading out
    >>> p = Presence(0, np.zeros(28, np.float32), g.astype(np.float32), np.full(28, 5))
    >>> lo, hi = fade_edges(p, 0, 28 * 16, -6.0, frame_seconds=0.016)
    >>> round(hi * 0.016 - 28 * 16 * 0.016, 1)  # seconds added: the line reaches 0 later
    0.8
    >>> flat = Presence(0, np.zeros(28, np.float32), np.full(28, -6.0, np.float32), np.full(28, 5))
    >>> fade_edges(flat, 0, 28 * 16, -6.0, frame_seconds=0.016)  # a hard cut stays
    (0, 448)
    """
    n = pres.gain.size
    if n == 0:
        return lo, hi
    a = int(np.clip((lo - pres.start_frame) // BIN, 0, n - 1))
    b = int(np.clip(-(-(hi - pres.start_frame) // BIN), a + 1, n))
    span = 32  # bins (8 s) looked at inside each edge
    fs = frame_seconds
    centre = (pres.start_frame + (np.arange(n) + 0.5) * BIN) * fs
    amp = 10.0 ** ((pres.gain.astype(np.float64) - level) / 20.0)
    ok = np.isfinite(amp)
    out_lo, out_hi = lo, hi
    sel = np.arange(max(a, b - span), b)
    sel = sel[ok[sel]]
    end = _fade_end(centre[sel] - hi * fs, amp[sel])
    if end is not None:
        out_hi = hi + end / fs
    sel = np.arange(a, min(b, a + span))[::-1]
    sel = sel[ok[sel]]
    start = _fade_end(lo * fs - centre[sel], amp[sel])
    if start is not None:
        out_lo = lo - start / fs
    return out_lo, out_hi
