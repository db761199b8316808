"""Helpers shared by the cue tests (a module name no other test folder uses)."""

from __future__ import annotations

import numpy as np

SR = 8000


def mix(length: float, parts, *, noise: np.ndarray | None = None) -> np.ndarray:
    """Episode of ``length`` s: ``parts`` = [(start_s, samples, gain_db, fade_in_s, fade_out_s)]."""
    ep = np.zeros(int(length * SR), np.float32)
    for start, y, gain_db, fi, fo in parts:
        y = y.astype(np.float32).copy()
        a, b = int(fi * SR), int(fo * SR)
        if a:
            y[:a] *= np.linspace(0, 1, a)
        if b:
            y[-b:] *= np.linspace(1, 0, b)
        s = int(start * SR)
        n = min(y.size, ep.size - s)
        ep[s : s + n] += 10 ** (gain_db / 20) * y[:n]
    if noise is not None:
        ep += noise[: ep.size]
    return ep
