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

import numpy as np

from heartsong.cues.fingerprint import FingerprintConfig, Peaks
from heartsong.errors import ParameterError

__all__ = ["coherence", "peak_phases"]

# Delay search (samples at config.sr) and slope search around the given line: coarse grid,
# then a fine one around the best cell. 12 ms covers the refitted line's position error
# (p95 0.01 s on untouched cues of benchmarks/cues.py), 0.4 % its slope error (p95 0.3 %).
_TAU = 96.0
_TAU_STEP = 0.5
_SLOPE = 4e-3
_SLOPE_STEP = 4e-5
_MIN_PEAKS = 12  # fewer peaks in a window: no statistic
_HIGH_HZ = 400.0  # the register above the drums' and bass's (see coherence)


def _frequencies(f: np.ndarray, config: FingerprintConfig) -> np.ndarray:
    """Band positions (fractional) to Hz."""
    return config.fmin * 2.0 ** (np.asarray(f, np.float64) / config.bins_per_octave)


def _phases_at(y: np.ndarray, centres: np.ndarray, f_hz: np.ndarray, *, sr: int,
               n_fft: int) -> np.ndarray:
    """Phase (radians) of ``y`` at fractional sample ``centres`` and frequency ``f_hz``:
    a Hann-windowed DFT over the ``n_fft`` samples around each centre, referred to the
    centre itself (exact for a steady partial, whatever its offset from ``f_hz``, as the
    window is symmetric). NaN where the window leaves ``y``."""
    out = np.full(centres.size, np.nan)
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
    return out


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
    ph = _phases_at(np.asarray(y), centres, _frequencies(peaks.f, config), sr=config.sr,
                    n_fft=config.n_fft)
    return np.angle(np.exp(1j * ph)).astype(np.float32)  # NaN stays NaN


def _rayleigh(d: np.ndarray, w: np.ndarray, x: np.ndarray, slope_range: float,
              delay: float = _TAU) -> float:
    """max over (tau, ds) of |sum exp(i (d - w tau - w x ds))|^2 / n: coarse, then fine."""
    u = np.exp(1j * d).astype(np.complex64)
    best = 0.0
    taus = np.arange(-delay, delay + 1e-9, _TAU_STEP)
    slopes = np.arange(-slope_range, slope_range + 1e-12, _SLOPE_STEP)
    for stage in range(2):
        a = np.exp(-1j * np.outer(w, taus)).astype(np.complex64) * u[:, None]
        b = np.exp(-1j * np.outer(w * x, slopes)).astype(np.complex64)
        r = np.abs(a.T @ b)
        j, m = np.unravel_index(int(np.argmax(r)), r.shape)
        best = max(best, float(r[j, m]))
        if stage == 0:
            taus = taus[j] + np.arange(-0.3, 0.30001, 0.05)
            slopes = slopes[m] + np.arange(-0.6, 0.60001, 0.1) * _SLOPE_STEP
    return best * best / u.size


def coherence(y: np.ndarray, peaks: Peaks, phases: np.ndarray, *,
              line: tuple[float, float, float], lo: float, hi: float,
              config: FingerprintConfig, bar: tuple[float, float] = (24.0, 13.0),
              window: float = 3.0, max_windows: int = 8,
              slope_range: float = _SLOPE, delay: float = _TAU) -> tuple[float, float]:
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
    if not window > 0:
        raise ParameterError("window", f"must be > 0, got {window!r}")
    if not delay > 0:
        raise ParameterError("delay", f"must be > 0, got {delay!r}")
    slope, intercept, pitch = line
    t_ep = slope * np.asarray(peaks.t, np.float64) + intercept
    ok = (t_ep >= lo) & (t_ep < hi) & np.isfinite(phases)
    if np.count_nonzero(ok) < _MIN_PEAKS:
        return 0.0, 0.0
    t_ep, ph_r = t_ep[ok], np.asarray(phases, np.float64)[ok]
    f_ep = _frequencies(np.asarray(peaks.f)[ok], config) * 2.0 ** (pitch / config.bins_per_octave)
    centres = t_ep * config.hop + config.n_fft / 2
    ph_e = _phases_at(np.asarray(y), centres, f_ep, sr=config.sr, n_fft=config.n_fft)
    w = 2.0 * np.pi * f_ep / config.sr
    d = ph_e - ph_r
    high = f_ep >= _HIGH_HZ
    step = window / config.frame_seconds
    best, score = (0.0, 0.0), -np.inf
    for k in range(max_windows):
        a = lo + k * step
        if a >= hi:
            break
        sel = (t_ep >= a) & (t_ep < a + step) & np.isfinite(ph_e)
        if np.count_nonzero(sel) < _MIN_PEAKS:
            continue
        x = centres - centres[sel].mean()
        z = _rayleigh(d[sel], w[sel], x[sel], slope_range, delay)
        hs = sel & high
        if z < bar[0]:
            # Short of the bar whatever the high register says: not measured (NaN).
            z_high, closeness = np.nan, z / bar[0]
        else:
            z_high = (_rayleigh(d[hs], w[hs], x[hs], slope_range, delay)
                      if np.count_nonzero(hs) >= _MIN_PEAKS else 0.0)
            closeness = min(z / bar[0], z_high / bar[1])
        if closeness > score:
            best, score = (z, z_high), closeness
        if score >= 1.0:
            break
    return best
