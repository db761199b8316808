"""ITU-R BS.1770-4 integrated loudness and EBU Tech 3342 loudness range, streamed.

K-weighting is the two biquads of BS.1770 (a +4 dB high shelf at ~1.68 kHz and the RLB
high-pass at ~38 Hz), designed for the file's own sample rate the way libebur128 does, so
at 48 kHz they equal the coefficients printed in the standard. Channel weights are 1.0 for
front channels, 1.41 for surrounds and 0 for LFE (5.1 in FFmpeg's order
FL FR FC LFE BL BR). A mono file is one channel: a 997 Hz sine at 0 dBFS peak reads
-3.01 LUFS, as BS.1770 specifies for a single front channel.

Gating: 400 ms blocks every 100 ms, absolute gate -70 LUFS, relative gate -10 LU
(integrated) and -20 LU on 3 s short-term loudness (range = 95th - 10th percentile).

Examples
--------
>>> import numpy as np
>>> from heartsong.analysis.loudness import LoudnessMeter
>>> sr = 48000
>>> t = np.arange(sr * 5) / sr
>>> m = LoudnessMeter(sr, channels=1)
>>> m.push(10 ** (-20 / 20) * np.sin(2 * np.pi * 997 * t)[None, :])
>>> round(m.result().integrated_lufs, 1)
-23.0
"""

from __future__ import annotations

import math

import numpy as np
import scipy.signal

from heartsong.analysis.result import Loudness, rnd
from heartsong.errors import ParameterError

__all__ = ["LoudnessMeter", "channel_weights", "k_weighting_sos"]

_ABS_GATE = -70.0
_OFFSET = -0.691
#: Reported for silence (no block above the absolute gate).
SILENT_LUFS = -70.0


def k_weighting_sos(sr: int) -> np.ndarray:
    """Second-order sections of the BS.1770 K-weighting filter at ``sr`` Hz."""
    if sr <= 0:
        raise ParameterError("sr", f"must be positive, got {sr}")
    # Stage 1: high shelf (libebur128's parameterisation of the BS.1770 pre-filter).
    f0, g, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * min(f0, 0.49 * sr) / sr)
    vh = 10.0 ** (g / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    s1 = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    # Stage 2: RLB high-pass.
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sr)
    d = 1.0 + k / q + k * k
    s2 = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / d, (1.0 - k / q + k * k) / d]
    return np.array([s1, s2], dtype=np.float64)


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770 weights for 1, 2, 3 (L R C), 5.1 (6) channels; others all 1.0."""
    if channels == 6:
        return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    if channels == 5:  # L R C Ls Rs
        return np.array([1.0, 1.0, 1.0, 1.41, 1.41])
    return np.ones(channels)


class LoudnessMeter:
    """Stream ``(channels, n)`` blocks at ``sr``; :meth:`result` gives :class:`Loudness`."""

    def __init__(self, sr: int, *, channels: int) -> None:
        if channels < 1:
            raise ParameterError("channels", f"must be >= 1, got {channels}")
        self.sr = int(sr)
        self.channels = channels
        # float32 filtering: ~2x faster, and well within 0.01 LU on the reference signals.
        self._sos = k_weighting_sos(self.sr).astype(np.float32)
        self._zi = np.zeros((2, channels, 2), dtype=np.float32)
        self._sub = max(1, round(0.1 * self.sr))  # 100 ms sub-block
        self._rest = np.zeros((channels, 0), dtype=np.float32)
        self._energy: list[np.ndarray] = []  # weighted channel-sum mean square per 100 ms
        self._w = channel_weights(channels)
        self._peak = 0.0

    def push(self, y: np.ndarray) -> None:
        y = np.atleast_2d(np.asarray(y, dtype=np.float32))
        if y.shape[0] != self.channels:
            raise ParameterError("y", f"expected {self.channels} channels, got {y.shape[0]}")
        if not y.shape[1]:
            return
        self._peak = max(self._peak, float(np.max(np.abs(y))))
        filt, self._zi = scipy.signal.sosfilt(self._sos, y, axis=1, zi=self._zi)
        buf = np.concatenate([self._rest, filt], axis=1) if self._rest.shape[1] else filt
        n = buf.shape[1] // self._sub
        if n:
            blk = buf[:, : n * self._sub].reshape(self.channels, n, self._sub)
            sq = np.einsum("cns,cns->cn", blk, blk, dtype=np.float64) / self._sub
            self._energy.append(self._w @ sq)
        self._rest = buf[:, n * self._sub :]

    def result(self) -> Loudness:
        e = np.concatenate(self._energy) if self._energy else np.zeros(0)
        peak_db = 20.0 * math.log10(self._peak) if self._peak > 0 else -120.0
        return Loudness(
            integrated_lufs=rnd(_integrated(e), 2),
            range_lu=rnd(_range(e), 2),
            peak_dbfs=rnd(max(peak_db, -120.0), 2),
        )

    def short_term(self) -> np.ndarray:
        """Short-term (3 s) loudness every 100 ms, LUFS (for curves)."""
        e = np.concatenate(self._energy) if self._energy else np.zeros(0)
        return _lufs(_blocks(e, 30))


def _blocks(e: np.ndarray, n: int) -> np.ndarray:
    """Mean energy of windows of ``n`` sub-blocks, hop one sub-block."""
    if e.shape[0] < n:
        return e.mean(keepdims=True) if e.shape[0] else e
    c = np.concatenate([[0.0], np.cumsum(e)])
    return (c[n:] - c[:-n]) / n


def _lufs(e: np.ndarray) -> np.ndarray:
    return _OFFSET + 10.0 * np.log10(np.maximum(e, 1e-20))


def _integrated(e: np.ndarray) -> float:
    blocks = _blocks(e, 4)
    if not blocks.shape[0]:
        return SILENT_LUFS
    gated = blocks[_lufs(blocks) > _ABS_GATE]
    if not gated.shape[0]:
        return SILENT_LUFS
    rel = _lufs(np.array([gated.mean()]))[0] - 10.0
    gated = gated[_lufs(gated) > rel]
    return float(_lufs(np.array([gated.mean()]))[0])


def _range(e: np.ndarray) -> float:
    st = _blocks(e, 30)
    if not st.shape[0]:
        return 0.0
    gated = st[_lufs(st) > _ABS_GATE]
    if gated.shape[0] < 2:
        return 0.0
    rel = _lufs(np.array([gated.mean()]))[0] - 20.0
    vals = _lufs(gated[_lufs(gated) > rel])
    if vals.shape[0] < 2:
        return 0.0
    return float(np.percentile(vals, 95) - np.percentile(vals, 10))
