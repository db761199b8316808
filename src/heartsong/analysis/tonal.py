"""Key and mode from the shared chroma, with a confidence.

Method
------
The pitch-class profile of the track is the mean of per-frame chroma (each frame scaled
to its maximum, frames weighted by the square root of their level), plus the
bass chroma (40–250 Hz, where the tonic sits most often). It is correlated with the 24
rotations of a key profile: the mean of the Krumhansl–Kessler probe-tone profiles and
Temperley's corpus profiles (each z-scored), which agree on the tonic triad and the
leading tone but weight the minor sixth/seventh differently.

``confidence`` grows with the margin between the best key and the runner-up that is not
its relative/parallel twin, and with ``clarity`` (the best correlation): atonal or
percussion-only material gets a low confidence.

Examples
--------
>>> from heartsong.analysis.features import FeatureExtractor
>>> from heartsong.analysis.synth import Piece, render
>>> from heartsong.analysis.tonal import estimate_key
>>> fx = FeatureExtractor()
>>> fx.push(render(Piece(tonic=2, bars=8, progression=(0, 3, 4, 0), drums=False)))
>>> k = estimate_key(fx.finish())
>>> k.label
'D'
"""

from __future__ import annotations

import numpy as np

from heartsong.analysis.features import PITCH_CLASSES, Features
from heartsong.analysis.result import Key, rnd

__all__ = ["estimate_key", "key_correlations", "pitch_profile"]

_BASS_WEIGHT = 1.0
_KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_T_MAJOR = np.array([5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0])
_T_MINOR = np.array([5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0])


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-12)


_MAJOR = _z(_z(_KK_MAJOR) + _z(_T_MAJOR))
_MINOR = _z(_z(_KK_MINOR) + _z(_T_MINOR))


def pitch_profile(f: Features, *, start: int = 0, stop: int | None = None) -> np.ndarray:
    """12-bin pitch-class profile of chroma frames ``start:stop`` (sums to 1)."""
    c = f.chroma[:, start:stop].astype(np.float64)
    b = f.bass_chroma[:, start:stop].astype(np.float64)
    if not c.shape[1]:
        return np.full(12, 1 / 12)
    cmax = c.max(axis=0)
    w = np.sqrt(cmax / (cmax.max() + 1e-12))
    cn = c / (cmax + 1e-12)
    prof = (cn * w[None, :]).sum(axis=1)
    bmax = b.max(axis=0)
    bn = b / (bmax + 1e-12) * np.sqrt(bmax / (bmax.max() + 1e-12))[None, :]
    prof = prof / (prof.sum() + 1e-12) + _BASS_WEIGHT * bn.sum(axis=1) / (bn.sum() + 1e-12)
    return prof / (prof.sum() + 1e-12)


def key_correlations(profile: np.ndarray) -> np.ndarray:
    """Correlations, shape (2, 12): row 0 major keys C..B, row 1 minor keys C..B."""
    p = _z(np.asarray(profile, dtype=np.float64))
    out = np.empty((2, 12))
    for tonic in range(12):
        out[0, tonic] = np.dot(p, np.roll(_MAJOR, tonic)) / 12
        out[1, tonic] = np.dot(p, np.roll(_MINOR, tonic)) / 12
    return out


def estimate_key(f: Features) -> Key:
    """Estimate key and mode; see the module docstring."""
    energy = float(f.chroma.sum())
    if energy <= 1e-6:
        return Key(tonic="C", mode="major", confidence=0.0, clarity=0.0, mode_margin=0.0)
    r = key_correlations(pitch_profile(f))
    mode_i, tonic = np.unravel_index(int(np.argmax(r)), r.shape)
    best = float(r[mode_i, tonic])
    other_mode = float(r[1 - mode_i].max())
    # Runner-up among keys that are not the same tonic or its relative.
    relative = (tonic + 9) % 12 if mode_i == 0 else (tonic + 3) % 12
    masked = r.copy()
    masked[mode_i, tonic] = -np.inf
    masked[1 - mode_i, relative] = -np.inf
    masked[1 - mode_i, tonic] = -np.inf
    second = float(masked.max())
    margin = best - second
    conf = float(np.clip(0.5 * min(1.0, margin / 0.25) + 0.5 * min(1.0, max(best, 0) / 0.8),
                         0.0, 1.0))
    if best < 0.3:
        conf = min(conf, best)
    return Key(
        tonic=PITCH_CLASSES[int(tonic)],
        mode="major" if mode_i == 0 else "minor",
        confidence=rnd(conf, 3),
        clarity=rnd(best, 3),
        mode_margin=rnd(best - other_mode, 3),
    )
