"""Intensity curve, builds, section boundaries and the hook, from the shared features.

Intensity (0..1, every 0.5 s, comparable across tracks because the scales are absolute):
``0.6 * level + 0.25 * activity + 0.15 * brightness`` where *level* maps frame RMS from
-50 dBFS (0) to -6 dBFS (1), *activity* maps mean spectral flux (onsets) from 0 to 6 dB,
*brightness* maps the spectral centroid from 300 Hz to 4 kHz on a log scale.

Builds are sustained rises of the 6 s-smoothed intensity: from a trough to the next peak
(prominence 0.1), trimmed to the part that actually climbs, at least 8 s long, gaining at
least 0.12, and close to a straight climb (R^2 >= 0.7) rather than one jump.

Sections come from a self-similarity matrix of timbre (MFCC-like DCT of the log-mel bands)
and harmony (chroma), every 0.5 s (coarser for tracks over 10 minutes): a Gaussian
checkerboard kernel (±6 s) gives a novelty curve whose peaks, at least 8 s apart, are the
boundaries. Sections that sound alike share a letter.

The hook is the 15–30 s window that maximises ``0.55 * repetition + 0.45 * intensity``,
where repetition is the best diagonal-smoothed (8 s) similarity to any other part of the
track at least 8 s away; it is snapped to a nearby section start, and runs to the next
section boundary when that gives 15–30 s (else 20 s). Tracks under 15 s have no hook.

Examples
--------
>>> import numpy as np
>>> from heartsong.analysis.features import FeatureExtractor, SR
>>> from heartsong.analysis.structure import analyze_structure
>>> t = np.arange(SR * 30) / SR
>>> y = (np.linspace(0.01, 0.5, t.size) * np.sin(2 * np.pi * 330 * t)).astype("float32")
>>> fx = FeatureExtractor(); fx.push(y)
>>> s = analyze_structure(fx.finish())
>>> len(s.intensity.values), len(s.builds) >= 1
(60, True)
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.fft
import scipy.signal
from scipy.ndimage import uniform_filter1d

from heartsong.analysis.features import CHROMA_HOP, HOP, Features, pool
from heartsong.analysis.result import Build, Curve, Hook, Section, Structure, rnd

__all__ = ["INTENSITY_HOP", "analyze_structure", "intensity_components"]

INTENSITY_HOP = 0.5
_MAX_SSM = 1200
_HOOK_MIN, _HOOK_DEFAULT, _HOOK_MAX = 15.0, 20.0, 30.0


def intensity_components(f: Features, hop_s: float = INTENSITY_HOP) -> dict[str, np.ndarray]:
    """Per-bin level, activity, brightness (each 0..1) and their mix ``intensity``."""
    factor = hop_s * f.frame_rate
    power = pool(f.rms.astype(np.float64) ** 2, factor)
    level_db = 10 * np.log10(np.maximum(power, 1e-12))
    level = np.clip((level_db + 50.0) / 44.0, 0.0, 1.0)
    activity = np.clip(pool(f.onset_env, factor) / 6.0, 0.0, 1.0)
    cen = pool(f.centroid, factor)
    bright = np.clip(np.log2(np.maximum(cen, 1.0) / 300.0) / np.log2(4000.0 / 300.0), 0, 1)
    # Silent bins have no meaningful brightness or activity.
    gate = level > 0.05
    activity = activity * gate
    bright = bright * gate
    n = max(1, int(np.ceil(f.duration / hop_s - 1e-9)))
    out = {"level": level, "activity": activity, "brightness": bright, "level_db": level_db}
    out = {k: _fit(v, n) for k, v in out.items()}
    out["intensity"] = np.clip(
        0.6 * out["level"] + 0.25 * out["activity"] + 0.15 * out["brightness"], 0.0, 1.0
    )
    return out


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    if x.shape[-1] >= n:
        return x[..., :n]
    pad = [(0, 0)] * (x.ndim - 1) + [(0, n - x.shape[-1])]
    return np.pad(x, pad, mode="edge")


def _builds(intensity: np.ndarray, hop_s: float) -> list[Build]:
    if intensity.shape[0] < int(8 / hop_s):
        return []
    sm = uniform_filter1d(intensity, size=max(1, int(round(6 / hop_s))), mode="nearest")
    peaks, _ = scipy.signal.find_peaks(np.concatenate([sm, [-1.0]]), prominence=0.1)
    builds: list[Build] = []
    prev = 0
    for p in peaks:
        p = min(int(p), sm.shape[0] - 1)
        t = prev + int(np.argmin(sm[prev : p + 1]))
        prev = p
        # The rise proper: from the last time the curve was near the trough to the
        # first time it was near the peak.
        seg = sm[t : p + 1]
        rise = float(seg[-1] - seg[0])
        if rise < 0.12:
            continue
        a = t + int(np.nonzero(seg <= seg[0] + 0.1 * rise)[0][-1])
        b = t + int(np.nonzero(seg >= seg[-1] - 0.1 * rise)[0][0])
        dur = (b - a) * hop_s
        if dur < 8.0:
            continue
        # Sustained: the rise tracks a straight line (R^2) rather than one jump.
        y = sm[a : b + 1]
        x = np.arange(y.shape[0])
        r2 = np.corrcoef(x, y)[0, 1] ** 2 if y.std() > 0 else 0.0
        if r2 < 0.7:
            continue
        builds.append(Build(start=rnd(a * hop_s, 2), end=rnd((b + 1) * hop_s, 2),
                            rise=rnd(float(sm[b] - sm[a]), 3)))
    return builds


def _descriptors(f: Features, factor_frames: float, n: int) -> np.ndarray:
    mel = pool(f.mel_db, factor_frames)
    mfcc = scipy.fft.dct(mel, axis=0, norm="ortho")[0:14]
    chroma = pool(f.chroma, factor_frames * HOP / CHROMA_HOP)
    chroma = chroma / (chroma.max(axis=0, keepdims=True) + 1e-9)
    x = np.concatenate([_fit(mfcc, n), 0.7 * _fit(chroma, n) * np.sqrt(14 / 12)], axis=0)
    x = (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-6)
    x = x / (np.linalg.norm(x, axis=0, keepdims=True) + 1e-9)
    return x


def _novelty(ssm: np.ndarray, half: int) -> np.ndarray:
    n = ssm.shape[0]
    if n < 4 or half < 1:
        return np.zeros(n)
    g = np.exp(-0.5 * (np.linspace(-2, 2, 2 * half)) ** 2)
    kern = np.outer(g, g) * np.outer(np.r_[-np.ones(half), np.ones(half)],
                                     np.r_[-np.ones(half), np.ones(half)])
    padded = np.pad(ssm, half, mode="edge")
    nov = np.empty(n)
    for i in range(n):
        nov[i] = np.sum(padded[i : i + 2 * half, i : i + 2 * half] * kern)
    nov = np.maximum(nov, 0.0)
    return nov / (nov.max() + 1e-12)


def _label(x: np.ndarray, bounds: list[int]) -> list[str]:
    means = []
    for a, b in itertools.pairwise(bounds):
        m = x[:, a:b].mean(axis=1)
        means.append(m / (np.linalg.norm(m) + 1e-9))
    labels: list[str] = []
    protos: list[np.ndarray] = []
    for m in means:
        sims = [float(np.dot(m, p)) for p in protos]
        if sims and max(sims) > 0.8:
            labels.append(chr(ord("A") + int(np.argmax(sims))))
        else:
            protos.append(m)
            labels.append(chr(ord("A") + min(len(protos) - 1, 25)))
    return labels


def _repetition(ssm: np.ndarray, smooth: int, min_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Best diagonal-smoothed similarity per bin, and its partner bin."""
    n = ssm.shape[0]
    rep = np.zeros(n)
    partner = np.full(n, -1)
    for lag in range(min_lag, n - 1):
        d = np.diagonal(ssm, offset=lag)
        if d.shape[0] < 2:
            break
        s = uniform_filter1d(d, size=min(smooth, d.shape[0]), mode="nearest")
        # s[i] compares bins i and i+lag
        better = s > rep[: s.shape[0]]
        rep[: s.shape[0]][better] = s[better]
        partner[: s.shape[0]][better] = np.arange(s.shape[0])[better] + lag
        tail = rep[lag:]
        better2 = s > tail
        tail[better2] = s[better2]
        partner[lag:][better2] = np.arange(s.shape[0])[better2]
    return rep, partner


def analyze_structure(f: Features, *, hop_s: float = INTENSITY_HOP) -> Structure:
    """Intensity curve, builds, sections and hook; see the module docstring."""
    comps = intensity_components(f, hop_s)
    intensity = comps["intensity"]
    curve = Curve(hop=hop_s, values=tuple(rnd(v, 3) for v in intensity))
    builds = _builds(intensity, hop_s)
    dur = f.duration

    # Self-similarity grid: hop_s, coarser for long tracks.
    n_i = intensity.shape[0]
    step = max(1, int(np.ceil(n_i / _MAX_SSM)))
    g = hop_s * step  # seconds per SSM bin
    n = max(1, int(np.ceil(dur / g - 1e-9)))
    x = _descriptors(f, g * f.frame_rate, n)
    ssm = x.T @ x
    nov = _novelty(ssm, max(1, int(round(6.0 / g))))
    peaks, _ = scipy.signal.find_peaks(nov, distance=max(1, int(round(8.0 / g))), height=0.15,
                                       prominence=0.1)
    peaks = [int(p) for p in peaks if 4.0 / g <= p <= n - 4.0 / g]
    bounds = [0, *peaks, n]
    labels = _label(x, bounds)
    inten_g = _fit(pool(intensity, step), n)
    sections = tuple(
        Section(start=rnd(a * g, 2), end=rnd(min(b * g, dur), 2), label=lab,
                intensity=rnd(float(inten_g[a:b].mean()), 3))
        for a, b, lab in zip(bounds[:-1], bounds[1:], labels, strict=True)
    )

    hook = None
    if dur >= _HOOK_MIN:
        hook = _hook(ssm, inten_g, g, dur, [b * g for b in bounds[1:-1]])
    return Structure(intensity=curve, builds=tuple(builds), sections=sections, hook=hook)


def _hook(ssm: np.ndarray, inten: np.ndarray, g: float, dur: float,
          boundaries: list[float]) -> Hook:
    n = ssm.shape[0]
    rep, _ = _repetition(ssm, max(1, int(round(8.0 / g))), max(1, int(round(8.0 / g))))
    med = float(np.median(rep))
    rep_n = np.clip((rep - med) / (rep.max() - med + 1e-9), 0, 1) if rep.max() > 0 else rep
    lo, hi = float(inten.min()), float(inten.max())
    int_n = (inten - lo) / (hi - lo) if hi - lo > 1e-6 else np.full(n, 0.5)
    score = 0.55 * rep_n + 0.45 * int_n
    length = min(_HOOK_DEFAULT, dur)
    w = max(1, int(round(length / g)))
    csum = np.concatenate([[0.0], np.cumsum(score)])
    win = (csum[w:] - csum[:-w]) / w if n >= w else np.array([score.mean()])
    s = int(np.argmax(win))
    start = s * g
    near = [b for b in boundaries if abs(b - start) <= 4.0]
    if near:
        start = min(near, key=lambda b: abs(b - start))
    end = start + length
    after = [b for b in boundaries if start + _HOOK_MIN <= b <= start + _HOOK_MAX]
    if after:
        end = after[0]
    end = min(end, dur)
    start = max(0.0, min(start, end - min(_HOOK_MIN, dur)))
    a, b = int(start / g), max(int(start / g) + 1, int(end / g))
    r = float(rep[a:b].mean())
    repeats = _count_repeats(ssm, a, b)
    i_mean, i_track = float(inten[a:b].mean()), float(inten.mean())
    reason = (
        f"{'recurs ' + str(repeats) + 'x elsewhere' if repeats else 'no clear repeat'}"
        f" (similarity {r:.2f}); intensity {i_mean:.2f} vs track mean {i_track:.2f}"
    )
    return Hook(start=rnd(start, 2), end=rnd(end, 2),
                score=rnd(float(score[a:b].mean()), 3), reason=reason)


def _count_repeats(ssm: np.ndarray, a: int, b: int) -> int:
    """How many other, non-overlapping places look like bins a:b (diagonal similarity)."""
    n = ssm.shape[0]
    w = b - a
    if w < 1 or n < 2 * w:
        return 0
    sims = np.array([
        np.mean(np.diagonal(ssm[a:b, j : j + w])) for j in range(0, n - w + 1)
    ])
    sims[max(0, a - w + 1) : a + w] = -1.0
    count = 0
    while sims.max() > 0.6:
        j = int(np.argmax(sims))
        count += 1
        sims[max(0, j - w + 1) : j + w] = -1.0
    return count
