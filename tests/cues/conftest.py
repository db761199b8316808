"""Shared fixtures: a small seeded reference library and an index of it."""

from __future__ import annotations

import numpy as np
import pytest

from heartsong.cues import FingerprintIndex, synth
from tests.cues.cue_helpers import SR

N_TRACKS = 5
TRACK_SECONDS = 45.0


@pytest.fixture(scope="session")
def tracks() -> dict[int, np.ndarray]:
    return {100 + i: synth.music(40 + i, duration=TRACK_SECONDS, sr=SR) for i in range(N_TRACKS)}


@pytest.fixture(scope="session")
def index(tracks, tmp_path_factory) -> FingerprintIndex:
    idx = FingerprintIndex(tmp_path_factory.mktemp("index"))
    for tid, y in tracks.items():
        idx.add(tid, y, sr=SR)
    idx.save()
    return idx
