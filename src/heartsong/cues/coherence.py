"""Phase coherence: is this *recording* of the track in the episode, or only music like it?

Every other test of a cue looks at magnitudes: where a track's spectral peaks stand out.
Music in the track's style (same key, chords, tempo, instruments) lights many of the same
places, so a short cue under loud dialogue and a chance fit of similar music score alike
(benchmarks/cues.py). The phase tells them apart. Where the episode holds the track itself
(gain, fades, lossy codecs, resampling and a change of speed keep its waveform), the
episode's phase at each of the track's peaks equals the track's, up to the sub-frame delay
of the line: ``phi_ep - phi_track = omega * tau``. Music that only sounds like the track has
unrelated phases. Dialogue over a peak randomises that peak alone.

:func:`peak_phases` measures the track's phase at its stored peaks (the index keeps them);
:func:`coherence` measures the episode's at the same peaks moved through a cue's line and
returns the Rayleigh statistic ``|sum exp(i d_k)|^2 / n`` of the differences, maximised
over a small delay ``tau`` and slope correction (the line is known to a few milliseconds
and 0.1-0.3 %, and 1 ms is a quarter turn at 250 Hz). For random phases it is about
exponentially distributed (mean 1); the search multiplies the trials. A phase vocoder
(tempo or pitch change without speed) rebuilds phases, so such cues are not coherent: the
test can only add evidence, never remove it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from heartsong.cues.fingerprint import FingerprintConfig, Peaks
from heartsong.errors import ParameterError

__all__ = ["coherence", "coherence_test", "peak_phases"]

# Delay search (samples at config.sr) and slope search around the given line: coarse grid,
# then a fine one around the best cell. 12 ms covers the refitted line's position error
# (p95 0.01 s on untouched cues of benchmarks/cues.py), 0.4 % its slope error (p95 0.3 %).
_TAU = 96.0
_TAU_STEP = 0.5
_SLOPE = 4e-3
_SLOPE_STEP = 4e-5
_MIN_PEAKS = 12  # fewer peaks in a window: no statistic
_HIGH_HZ = 400.0  # the register above the drums' and bass's (see coherence)
_WEIGHT_QUANTILE = 75.0  # see _weights


def _frequencies(f: np.ndarray, config: FingerprintConfig) -> np.ndarray:
    """Band positions (fractional) to Hz."""
    return config.fmin * 2.0 ** (np.asarray(f, np.float64) / config.bins_per_octave)


def _phases_at(y: np.ndarray, centres: np.ndarray, f_hz: np.ndarray, *, sr: int,
               n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    """Phase (radians) and magnitude of ``y`` at fractional sample ``centres`` and frequency
    ``f_hz``: a Hann-windowed DFT over the ``n_fft`` samples around each centre, the phase
    referred to the centre itself (exact for a steady partial, whatever its offset from
    ``f_hz``, as the window is symmetric). NaN where the window leaves ``y``."""
    out = np.full(centres.size, np.nan)
    mag = np.full(centres.size, np.nan)
    start = np.rint(centres - n_fft / 2).astype(np.int64)
    ok = (start >= 0) & (start + n_fft <= y.size)
    idx = np.nonzero(ok)[0]
    n = np.arange(n_fft, dtype=np.float32)
    win = np.hanning(n_fft).astype(np.float32)
    for a in range(0, idx.size, 256):  # blocks bound the (peaks, n_fft) work arrays
        k = idx[a : a + 256]
        w = 2.0 * np.pi * f_hz[k] / sr
        seg = y[start[k, None] + np.arange(n_fft)].astype(np.float32) * win
        # float32 is plenty (phase error ~1e-4 rad) and twice as fast as complex128.
        arg = w.astype(np.float32)[:, None] * n
        re = np.einsum("ij,ij->i", seg, np.cos(arg))
        im = -np.einsum("ij,ij->i", seg, np.sin(arg))
        # The DFT gives the phase at the window's first sample; carry it to the peak's own
        # (fractional) centre.
        out[k] = np.arctan2(im, re) + w * (centres[k] - start[k])
        mag[k] = np.hypot(re, im)
    return out, mag


def peak_phases(y: np.ndarray, peaks: Peaks, *, config: FingerprintConfig) -> np.ndarray:
    """The phase of ``y`` (mono, at ``config.sr``) at each peak, float32 radians.

    Peak ``k`` is the partial at band ``peaks.f[k]`` at frame ``peaks.t[k]``, i.e. centred
    on sample ``t * hop + n_fft / 2``. Peaks too close to either end get NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from heartsong.cues.fingerprint import FingerprintConfig, Peaks
    >>> cfg = FingerprintConfig()
    >>> f = 24 * np.log2(731.3 / cfg.fmin)              # 731.3 Hz in bands
    >>> y = np.cos(2 * np.pi * 731.3 * np.arange(8000) / 8000 + 1.0)
    >>> p = Peaks(np.float32([20.0]), np.float32([f]), np.zeros(1, np.float32))
    >>> ph = peak_phases(y, p, config=cfg)              # centre: sample 20 * 128 + 512
    >>> expected = (2 * np.pi * 731.3 * (20 * 128 + 512) / 8000 + 1.0) % (2 * np.pi)
    >>> bool(abs(np.angle(np.exp(1j * (ph[0] - expected)))) < 0.01)
    True
    """
    t = np.asarray(peaks.t, np.float64)
    centres = t * config.hop + config.n_fft / 2
    ph, _ = _phases_at(np.asarray(y), centres, _frequencies(peaks.f, config), sr=config.sr,
                       n_fft=config.n_fft)
    return np.angle(np.exp(1j * ph)).astype(np.float32)  # NaN stays NaN


def _expgrid(v: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """``exp(-i outer(v, grid))`` as complex64 for a uniform ``grid``: the products of two
    small tables of exponentials (32 steps, and steps of 32), 3-4 times faster than one
    complex exponential per cell; relative error ~1e-7."""
    n = grid.size
    if n <= 64:
        return np.exp(-1j * np.outer(v, grid)).astype(np.complex64)
    step, q = grid[1] - grid[0], 32
    p = -(-n // q)
    fine = np.exp(-1j * np.outer(v, grid[0] + step * np.arange(q))).astype(np.complex64)
    coarse = np.exp(-1j * np.outer(v, step * q * np.arange(p))).astype(np.complex64)
    return (coarse[:, :, None] * fine[:, None, :]).reshape(v.size, p * q)[:, :n]


def _rayleighs(d: np.ndarray, w: np.ndarray, x: np.ndarray, slope_range: float,
               delay: float, weights: list[np.ndarray | None]) -> list[float]:
    """For each entry of ``weights``: max over (tau, ds) of
    |sum weights exp(i (d - w tau - w x ds))|^2 / sum weights^2 (None: weights of 1),
    on a coarse grid, then a fine one around its best cell. The coarse grid's tables and
    product are shared by all entries."""
    u = np.exp(1j * d)
    us, norms = [], []
    for wt in weights:
        us.append((u if wt is None else wt * u).astype(np.complex64))
        norms.append(float(u.size) if wt is None
                     else float(np.sum(np.square(wt, dtype=np.float64))))
    taus = np.arange(-delay, delay + 1e-9, _TAU_STEP)
    slopes = np.arange(-slope_range, slope_range + 1e-12, _SLOPE_STEP)
    e = _expgrid(w, taus)
    b = _expgrid(w * x, slopes)
    coarse = np.abs(np.concatenate([e * v[:, None] for v in us], axis=1).T @ b)
    out = []
    for k, v in enumerate(us):
        r = coarse[k * taus.size : (k + 1) * taus.size]
        j, m = np.unravel_index(int(np.argmax(r)), r.shape)
        best = float(r[j, m])
        fine_t = taus[j] + np.arange(-0.3, 0.30001, 0.05)
        fine_s = slopes[m] + np.arange(-0.6, 0.60001, 0.1) * _SLOPE_STEP
        rf = np.abs((_expgrid(w, fine_t) * v[:, None]).T @ _expgrid(w * x, fine_s))
        best = max(best, float(rf.max()))
        out.append(best * best / norms[k])
    return out


def _rayleigh(d: np.ndarray, w: np.ndarray, x: np.ndarray, slope_range: float,
              delay: float = _TAU, weights: np.ndarray | None = None) -> float:
    """max over (tau, ds) of |sum exp(i (d - w tau - w x ds))|^2 / n: coarse, then fine.
    With ``weights`` (one per peak): |sum weights exp(...)|^2 / sum weights^2."""
    return _rayleighs(d, w, x, slope_range, delay, [weights])[0]


def _weights(track_db: np.ndarray, episode_db: np.ndarray) -> np.ndarray:
    """Per-peak weights for the weighted statistic: 1 where the episode is at most as loud,
    relative to the track's own level at the peak, as at the window's ``_WEIGHT_QUANTILE``
    (the peaks where the music is heard best), falling as amplitude where it is louder
    (dialogue or effects over that peak, whose phase is then theirs)."""
    r = track_db - episode_db
    return 10.0 ** (np.minimum(r - np.percentile(r, _WEIGHT_QUANTILE), 0.0) / 20.0)


def _prepare(y: np.ndarray, peaks: Peaks, phases: np.ndarray,
             line: tuple[float, float, float], lo: float, hi: float,
             config: FingerprintConfig) -> tuple[np.ndarray, ...] | None:
    """The track's peaks in ``[lo, hi)`` on ``line``: episode frames, sample centres, phase
    differences (episode - track), angular frequencies, the track's and the episode's level
    (dB) at each, and whether it lies in the high register. None with too few peaks."""
    slope, intercept, pitch = line
    t_ep = slope * np.asarray(peaks.t, np.float64) + intercept
    ok = (t_ep >= lo) & (t_ep < hi) & np.isfinite(phases)
    if np.count_nonzero(ok) < _MIN_PEAKS:
        return None
    t_ep, ph_r = t_ep[ok], np.asarray(phases, np.float64)[ok]
    f_ep = _frequencies(np.asarray(peaks.f)[ok], config) * 2.0 ** (pitch / config.bins_per_octave)
    centres = t_ep * config.hop + config.n_fft / 2
    ph_e, mag = _phases_at(np.asarray(y), centres, f_ep, sr=config.sr, n_fft=config.n_fft)
    db_r = np.asarray(peaks.db, np.float64)[ok]
    db_e = 20.0 * np.log10(np.maximum(mag, 1e-9))
    return (t_ep, centres, ph_e - ph_r, 2.0 * np.pi * f_ep / config.sr, db_r, db_e,
            f_ep >= _HIGH_HZ)


def _check(window: float, delay: float) -> None:
    if not window > 0:
        raise ParameterError("window", f"must be > 0, got {window!r}")
    if not delay > 0:
        raise ParameterError("delay", f"must be > 0, got {delay!r}")


def _windows(t_ep: np.ndarray, d: np.ndarray, lo: float, hi: float, step: float,
             max_windows: int) -> Iterator[tuple[float, np.ndarray]]:
    """Each window of ``step`` frames from ``lo`` (at most ``max_windows`` of them): its
    first frame and the mask of its peaks with a known episode phase, skipping windows
    with too few peaks."""
    for k in range(max_windows):
        a = lo + k * step
        if a >= hi:
            return
        sel = (t_ep >= a) & (t_ep < a + step) & np.isfinite(d)
        if np.count_nonzero(sel) >= _MIN_PEAKS:
            yield a, sel


def coherence_test(y: np.ndarray, peaks: Peaks, phases: np.ndarray, *,
                   line: tuple[float, float, float], lo: float, hi: float,
                   config: FingerprintConfig, bar: tuple[float, float],
                   weighted_bar: tuple[float, float], window: float = 3.0,
                   max_windows: int = 8, slope_range: float = _SLOPE,
                   delay: float = _TAU) -> tuple[float, float] | None:
    """The first window of ``[lo, hi)`` that reaches ``bar`` with the plain statistics of
    :func:`coherence` or ``weighted_bar`` with the weighted ones, as episode frames
    ``(start, end)``, or None: the two tests of ``coherence(..., weighted=False)`` and
    ``coherence(..., weighted=True)`` in one pass (the same windows, phases and search
    tables).

    Examples
    --------
    >>> import numpy as np
    >>> from heartsong.cues import synth
    >>> from heartsong.cues.fingerprint import FingerprintConfig, fingerprint
    >>> cfg = FingerprintConfig()
    >>> track = synth.music(3, duration=20, sr=8000)
    >>> _, pk = fingerprint(track, sr=8000, role="reference", config=cfg)
    >>> ph = peak_phases(track, pk, config=cfg)
    >>> ep = np.random.default_rng(0).normal(0, 0.05, 8000 * 30)
    >>> ep[8000 * 7 : 8000 * 7 + track.size] += track
    >>> kw = dict(lo=8 * 62.5, hi=11 * 62.5, config=cfg, bar=(24, 13), weighted_bar=(20, 10))
    >>> coherence_test(ep, pk, ph, line=(1.0, 7 * 62.5, 0.0), **kw)  # frames 500-687.5
    (500.0, 687.5)
    >>> coherence_test(ep, pk, ph, line=(1.0, 7 * 62.5 + 40, 0.0), **kw) is None  # 0.64 s off
    True
    """
    _check(window, delay)
    prep = _prepare(y, peaks, phases, line, lo, hi, config)
    if prep is None:
        return None
    t_ep, centres, d, w, db_r, db_e, high = prep
    step = window / config.frame_seconds
    for a, sel in _windows(t_ep, d, lo, hi, step, max_windows):
        hs = sel & high
        if np.count_nonzero(hs) < _MIN_PEAKS:
            continue  # the high register's bar cannot be reached either way
        x = centres - centres[sel].mean()
        z = _rayleighs(d[sel], w[sel], x[sel], slope_range, delay,
                       [None, _weights(db_r[sel], db_e[sel])])
        for weighted, b in ((False, bar), (True, weighted_bar)):
            if z[weighted] >= b[0] and _rayleigh(
                    d[hs], w[hs], x[hs], slope_range, delay,
                    _weights(db_r[hs], db_e[hs]) if weighted else None) >= b[1]:
                return a, min(a + step, hi)
    return None


def coherence(y: np.ndarray, peaks: Peaks, phases: np.ndarray, *,
              line: tuple[float, float, float], lo: float, hi: float,
              config: FingerprintConfig, bar: tuple[float, float] = (24.0, 13.0),
              window: float = 3.0, max_windows: int = 8,
              slope_range: float = _SLOPE, delay: float = _TAU,
              weighted: bool = False) -> tuple[float, float]:
    """Phase coherence of the track over windows of ``[lo, hi)`` (episode frames): over all
    its peaks, and over those at ``_HIGH_HZ`` or more alone.

    The low register alone does not identify a recording: a production's tracks share
    its drum samples and bass sounds, which a chance alignment of two of them at one
    tempo can line up exactly (benchmarks/cues.py: chance fits of z 17-23 over all peaks
    whose peaks above 400 Hz reach only 10-13; true cues under dialogue 12-32 there).

    Parameters
    ----------
    y : np.ndarray
        The episode, mono at ``config.sr``.
    peaks, phases : Peaks, np.ndarray
        The track's stored peaks and their phases (:func:`peak_phases`).
    line : (slope, intercept, pitch)
        ``t_ep = slope * t_track + intercept`` (frames), pitch offset in bands.
    lo, hi : float
        Episode frames to test, cut into windows of ``window`` seconds (at most
        ``max_windows``, from ``lo``); a shorter span is one window.
    bar : (float, float)
        The statistics a window must reach (all peaks, high peaks); the windows after
        one that reaches both are not tested.
    slope_range : float
        Relative slope error searched (each side of ``slope``).
    delay : float
        Delay searched (samples, each side of ``line``).
    weighted : bool
        Weigh each peak by how well the music is heard there: the episode's level at the
        peak against the track's own, relative to the window's best heard quarter of its
        peaks (:func:`_weights`). Under dialogue most of a true cue's peaks carry the
        dialogue's phase; the plain statistic counts them as much as the few the music
        dominates, the weighted one hardly. Chance stays about exponential (the weights do
        not depend on the phases), with a lighter tail (fewer peaks count): the bars differ.

    Returns
    -------
    (float, float)
        The Rayleigh statistics (all peaks, high peaks) of the window that comes closest
        to ``bar`` (largest ``min(z / bar[0], z_high / bar[1])``); zeros with too few peaks.
        ``z_high`` is NaN (not measured) when ``z`` stays below ``bar[0]``.
        Random phases give about 1 per trial; the delay and slope search makes the best of
        one 3 s window under chance about 10 (99th percentile 16 on benchmarks/cues.py).

    Examples
    --------
    >>> import numpy as np
    >>> from heartsong.cues import synth
    >>> from heartsong.cues.fingerprint import FingerprintConfig, fingerprint
    >>> cfg = FingerprintConfig()
    >>> track = synth.music(3, duration=20, sr=8000)
    >>> _, pk = fingerprint(track, sr=8000, role="reference", config=cfg)
    >>> ph = peak_phases(track, pk, config=cfg)
    >>> rng = np.random.default_rng(0)
    >>> ep = rng.normal(0, 0.05, 8000 * 30)
    >>> ep[8000 * 7 + 37 : 8000 * 7 + 37 + track.size] += track   # at 7 s (+37 samples)
    >>> line = (1.0, 7 * 8000 / 128, 0.0)                         # known to a few ms
    >>> z, z_high = coherence(ep, pk, ph, line=line, lo=8 * 62.5, hi=11 * 62.5, config=cfg)
    >>> bool(z > 30 and z_high > 20)
    True
    >>> other = synth.music(4, duration=20, sr=8000)              # similar music
    >>> ep2 = rng.normal(0, 0.05, 8000 * 30)
    >>> ep2[8000 * 7 : 8000 * 7 + other.size] += other
    >>> z, z_high = coherence(ep2, pk, ph, line=line, lo=8 * 62.5, hi=11 * 62.5, config=cfg)
    >>> bool(z < 20)
    True
    """
    _check(window, delay)
    prep = _prepare(y, peaks, phases, line, lo, hi, config)
    if prep is None:
        return 0.0, 0.0
    t_ep, centres, d, w, db_r, db_e, high = prep
    best, score = (0.0, 0.0), -np.inf
    for _, sel in _windows(t_ep, d, lo, hi, window / config.frame_seconds, max_windows):
        x = centres - centres[sel].mean()
        wt = _weights(db_r[sel], db_e[sel]) if weighted else None
        z = _rayleigh(d[sel], w[sel], x[sel], slope_range, delay, wt)
        hs = sel & high
        if z < bar[0]:
            # Short of the bar whatever the high register says: not measured (NaN).
            z_high, closeness = np.nan, z / bar[0]
        else:
            z_high = (_rayleigh(d[hs], w[hs], x[hs], slope_range, delay,
                                _weights(db_r[hs], db_e[hs]) if weighted else None)
                      if np.count_nonzero(hs) >= _MIN_PEAKS else 0.0)
            closeness = min(z / bar[0], z_high / bar[1])
        if closeness > score:
            best, score = (z, z_high), closeness
        if score >= 1.0:
            break
    return best
