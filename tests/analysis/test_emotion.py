from __future__ import annotations

import numpy as np
import pytest

from heartsong.analysis import analyze_signal
from heartsong.analysis.emotion import EMOTION_WINDOW, LABELS, raw_to_outputs, vibenet_mel
from heartsong.analysis.sanity import run_sanity_suite
from heartsong.analysis.synth import Piece, render

SR = 22050


def test_vibenet_mel_matches_its_reference_shape():
    y = np.zeros(16000 * 2, dtype=np.float32)
    y[::160] = 0.5
    mel = vibenet_mel(y)
    assert mel.shape == (128, 1 + (32000 - 640) // 320)
    assert mel.max() - mel.min() <= 80.0 + 1e-3


def test_evidence_only_reacts_to_mode_and_level():
    p = Piece(tonic=0, bpm=100, bars=8, progression=(0, 3, 4, 0), seed=4)
    major = analyze_signal(render(p), SR, emotion_model=None).emotion
    minor = analyze_signal(render(Piece(**{**p.__dict__, "mode": "minor"})), SR,
                           emotion_model=None).emotion
    loud = analyze_signal(render(Piece(**{**p.__dict__, "level_db": 0.0})), SR,
                          emotion_model=None).emotion
    quiet = analyze_signal(render(Piece(**{**p.__dict__, "level_db": -20.0})), SR,
                           emotion_model=None).emotion
    assert minor.valence < major.valence - 0.1
    assert loud.energy > quiet.energy
    n = len(major.valence_curve.values)
    assert major.valence_curve.hop == EMOTION_WINDOW and n == 3  # 19.7 s


def test_sanity_suite_runs_without_model():
    r = run_sanity_suite(n_pieces=2, seconds=12.0, emotion_model=None)
    assert set(r.pass_rates) == {"fused", "evidence"}
    assert r.pass_rates["fused"]["minor"] == 1.0
    assert r.pass_rates["fused"]["louder"] == 1.0


@pytest.fixture(scope="module")
def model():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("vibenet")
    from heartsong.analysis.emotion import load_vibenet

    return load_vibenet()


class TestWithVibenet:
    def test_outputs_and_windows(self, model):
        y = render(Piece(bpm=120, bars=10, instrument="synth", sections="AB", seed=1))
        a = analyze_signal(y, SR, emotion_model=model)
        m = a.emotion.model
        assert m is not None and "fused" in a.emotion.method
        for name in LABELS:
            assert 0.0 <= getattr(m, name) <= 1.0
        n_windows = int(np.floor(y.shape[0] / SR / EMOTION_WINDOW + 0.5))
        assert len(a.emotion.energy_curve.values) == n_windows

    def test_window_mean_close_to_one_pass(self, model):
        import soxr

        y = render(Piece(bpm=100, bars=10, instrument="piano", sections="AB", seed=3))
        one = raw_to_outputs(model.predict_raw(soxr.resample(y, SR, 16000)))
        a = analyze_signal(y, SR, emotion_model=model)
        assert abs(a.emotion.model.valence - one["valence"]) < 0.15
        assert abs(a.emotion.model.energy - one["energy"]) < 0.15

    def test_fusion_beats_model_alone_on_sanity_suite(self, model):
        r = run_sanity_suite(n_pieces=3, seconds=12.0, emotion_model=model)
        assert r.overall["fused"] >= r.overall["vibenet"]
        assert r.pass_rates["fused"]["minor"] == 1.0
