"""Shared fixtures: deterministic signals and small media folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from heartsong.audio import write


def tone(freq: float, seconds: float, sr: int = 22050, amp: float = 0.3) -> np.ndarray:
    """A sine tone, float32."""
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def steps(freqs: list[float], seconds_each: float, sr: int = 22050) -> np.ndarray:
    """One tone per second (or per ``seconds_each``): time ranges become recognisable."""
    return np.concatenate([tone(f, seconds_each, sr) for f in freqs])


def dominant_freq(y: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.argmax(spec) * sr / len(y))


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a tone (or given samples) to ``tmp_path/name`` in the format of its extension."""

    def _make(
        name: str,
        y: np.ndarray | None = None,
        *,
        sr: int = 22050,
        tags: dict[str, str | int] | None = None,
        video: bool = False,
    ) -> Path:
        data = tone(440.0, 3.0, sr) if y is None else y
        return write(tmp_path / name, data, sr=sr, tags=tags, video=video)

    return _make
