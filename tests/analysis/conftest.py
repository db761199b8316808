"""Shared fixtures for the analysis tests: short synthetic pieces, analysed once."""

from __future__ import annotations

import numpy as np
import pytest

from heartsong.analysis import analyze_signal
from heartsong.analysis.features import SR, FeatureExtractor, Features
from heartsong.analysis.synth import Piece, render


def _features_of(y: np.ndarray) -> Features:
    fx = FeatureExtractor()
    for i in range(0, y.shape[0], SR * 7):  # odd block size: exercises the streaming
        fx.push(y[i : i + SR * 7])
    return fx.finish()


@pytest.fixture(scope="session")
def features_of():
    """Features of a mono signal at SR, pushed in 7 s blocks."""
    return _features_of


@pytest.fixture(scope="session")
def minor_piece() -> np.ndarray:
    return render(Piece(tonic=9, mode="minor", bpm=100, bars=8, sections="AB",
                        progression=(0, 3, 4, 0), seed=2))


@pytest.fixture(scope="session")
def minor_analysis(minor_piece: np.ndarray):
    return analyze_signal(minor_piece, SR, title="Farewell", emotion_model=None)
