from __future__ import annotations

import numpy as np
import pytest

from heartsong.analysis.features import SR, FeatureExtractor
from heartsong.analysis.rhythm import estimate_tempo
from heartsong.analysis.synth import Piece, render
from heartsong.analysis.tonal import estimate_key


def test_streaming_features_match_one_block(features_of):
    y = render(Piece(bpm=110, bars=4, seed=1))
    one = FeatureExtractor()
    one.push(y)
    a = one.finish()
    b = features_of(y)
    assert a.n_frames == b.n_frames == 1 + y.shape[0] // 512
    np.testing.assert_allclose(a.mel_db, b.mel_db, atol=1e-3)
    np.testing.assert_allclose(a.chroma, b.chroma, rtol=1e-4, atol=1e-4)


def clicks(bpm: float, seconds: float, *, accent_every: int = 4) -> np.ndarray:
    y = np.zeros(int(SR * seconds), dtype=np.float32)
    period = 60.0 / bpm
    rng = np.random.default_rng(0)
    for k in range(int(seconds / period)):
        a = int(k * period * SR)
        n = min(300, y.shape[0] - a)
        amp = 0.9 if k % accent_every == 0 else 0.5
        y[a : a + n] += amp * rng.standard_normal(n).astype(np.float32) * np.exp(
            -np.arange(n) / 60.0
        ).astype(np.float32)
    return y


@pytest.mark.parametrize("bpm", [72.0, 96.0, 123.0, 140.0])
def test_tempo_on_clicks(bpm, features_of):
    t = estimate_tempo(features_of(clicks(bpm, 20)))
    assert abs(t.bpm - bpm) / bpm < 0.02
    assert t.confidence > 0.6


@pytest.mark.parametrize("bpm", [90.0, 120.0, 135.0])
def test_tempo_on_drum_pattern(bpm, features_of):
    y = render(Piece(bpm=bpm, bars=8, instrument="synth", seed=4))
    t = estimate_tempo(features_of(y))
    assert abs(t.bpm - bpm) / bpm < 0.04
    assert t.alternative_bpm in (pytest.approx(t.bpm / 2, rel=0.01),
                                 pytest.approx(t.bpm * 2, rel=0.01))


@pytest.mark.parametrize(
    ("bpm", "kw"),
    [(152.0, {"density": 4, "drums": True, "instrument": "strings"}),  # busy: not 76
     (64.0, {"density": 1, "drums": False, "instrument": "piano"})],   # sparse: not 128
)
def test_tempo_octave_follows_note_density(bpm, kw, features_of):
    y = render(Piece(bpm=bpm, bars=max(4, int(24 / (240 / bpm))), seed=2, **kw))
    t = estimate_tempo(features_of(y))
    assert abs(t.bpm - bpm) / bpm < 0.04


def test_density_prior_prefers_one_to_two_notes_per_beat():
    from heartsong.analysis.rhythm import _density_prior

    # 6 notes/s: 144 BPM (2.5 per beat) beats 72 BPM (5 per beat).
    assert _density_prior(144.0, 6.0) > _density_prior(72.0, 6.0)
    # 1 note/s: 60 BPM (1 per beat) beats 120 BPM (0.5 per beat).
    assert _density_prior(60.0, 1.0) > _density_prior(120.0, 1.0)
    assert _density_prior(102.0, 2.89) == pytest.approx(1.0, abs=1e-3)


def test_tempo_of_noise_has_low_confidence(features_of):
    rng = np.random.default_rng(1)
    y = (0.1 * rng.standard_normal(SR * 15)).astype(np.float32)
    assert estimate_tempo(features_of(y)).confidence < 0.5


@pytest.mark.parametrize(
    ("tonic", "mode", "label"),
    [(0, "major", "C"), (7, "major", "G"), (9, "minor", "Am"), (2, "minor", "Dm"),
     (4, "minor", "Em")],
)
def test_key_on_chord_progressions(tonic, mode, label, features_of):
    y = render(Piece(tonic=tonic, mode=mode, bpm=90, bars=8, progression=(0, 3, 4, 0),
                     drums=False, instrument="strings", seed=tonic))
    k = estimate_key(features_of(y))
    assert k.label == label
    assert 0.0 <= k.confidence <= 1.0
    assert k.mode_margin > 0


def test_same_melody_major_vs_minor_modes(features_of):
    p = Piece(tonic=5, bpm=100, bars=8, progression=(0, 3, 4, 0), seed=9)
    maj = estimate_key(features_of(render(p)))
    mnr = estimate_key(features_of(render(Piece(**{**p.__dict__, "mode": "minor"}))))
    assert (maj.mode, mnr.mode) == ("major", "minor")
    assert maj.tonic == mnr.tonic == "F"
