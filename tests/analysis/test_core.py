from __future__ import annotations

import json

import av
import numpy as np
import pytest

from heartsong.analysis import (
    ANALYSIS_VERSION,
    AnalysisError,
    TrackAnalysis,
    analyze_file,
    analyze_signal,
)
from heartsong.analysis.features import SR
from heartsong.analysis.synth import Piece, render
from heartsong.audio import write
from heartsong.errors import AudioError, HeartsongError, ParameterError


def test_analysis_of_a_minor_piece(minor_analysis):
    a = minor_analysis
    assert a.version == ANALYSIS_VERSION
    assert a.key.label == "Am"
    assert abs(a.tempo.bpm - 100) < 4
    assert a.duration == pytest.approx(38.9, abs=0.1)
    assert a.loudness.integrated_lufs < -10
    assert 0 <= a.emotion.valence <= 1 and 0 <= a.emotion.energy <= 1
    assert a.emotion.model is None and "evidence only" in a.emotion.method
    assert a.emotion.valence < 0.5  # minor
    assert len(a.moods) == 10 and all(m.reason for m in a.moods)
    assert a.role.name == "ballad" and "farewell" in a.role.reason.lower()
    assert len(a.emotion.valence_curve.values) == len(a.emotion.energy_curve.values) >= 6


def test_json_round_trip_is_exact(minor_analysis):
    text = json.dumps(minor_analysis.to_dict())
    back = TrackAnalysis.from_dict(json.loads(text))
    assert back == minor_analysis
    assert json.dumps(back.to_dict()) == text


def test_from_dict_rejects_incomplete():
    with pytest.raises(ParameterError, match="data"):
        TrackAnalysis.from_dict({"version": ANALYSIS_VERSION})


def test_silence_is_refused():
    with pytest.raises(AnalysisError, match="silence"):
        analyze_signal(np.zeros(SR * 5, dtype=np.float32), SR, emotion_model=None)


def test_too_short_is_refused():
    with pytest.raises(AnalysisError, match="too short"):
        analyze_signal(np.ones(SR // 2, dtype=np.float32) * 0.1, SR, emotion_model=None)


@pytest.mark.parametrize(
    ("y", "sr", "name"),
    [(np.zeros(100, np.float32), 0, "sr"), (np.zeros(100, np.float32), 22050.5, "sr"),
     (np.zeros((3, 4, 5), np.float32), SR, "y"), (np.zeros((100, 2), np.float32), SR, "y"),
     (np.zeros(100, np.int16), SR, "y")],
)
def test_bad_arguments_name_the_parameter(y, sr, name):
    with pytest.raises(ParameterError) as err:
        analyze_signal(y, sr, emotion_model=None)
    assert err.value.name == name


def test_bad_emotion_model_argument():
    with pytest.raises(ParameterError) as err:
        analyze_signal(np.ones(SR * 2, np.float32) * 0.1, SR, emotion_model="magic")
    assert err.value.name == "emotion_model"


def test_two_second_track_is_analysed_without_hook():
    y = render(Piece(bpm=120, bars=1))[: 2 * SR]
    a = analyze_signal(y, SR, emotion_model=None)
    assert a.structure.hook is None
    assert any("no hook" in w for w in a.warnings)


@pytest.mark.parametrize("sr", [8000, 96000])
def test_extreme_sample_rates(sr):
    y = render(Piece(tonic=7, bpm=110, bars=6, seed=3), sr=sr)
    a = analyze_signal(y, sr, emotion_model=None)
    assert a.sample_rate == sr
    assert abs(a.tempo.bpm - 110) / 110 < 0.04
    if sr == 8000:
        assert any("8000 Hz" in w for w in a.warnings)


def test_stereo_and_surround():
    y = render(Piece(tonic=2, bpm=100, bars=6, seed=5))
    mono = analyze_signal(y, SR, emotion_model=None)
    stereo = analyze_signal(np.stack([y, y]), SR, emotion_model=None)
    assert stereo.channels == 2
    assert stereo.loudness.integrated_lufs == pytest.approx(
        mono.loudness.integrated_lufs + 3.01, abs=0.05)
    assert stereo.key == mono.key and stereo.tempo == mono.tempo
    z = np.zeros_like(y)
    surround = analyze_signal(np.stack([y, y, y, 0.5 * y, z, z]), SR, emotion_model=None)
    assert surround.channels == 6 and surround.key.label == "D"


def test_nan_samples_do_not_crash():
    y = render(Piece(bpm=100, bars=4))
    y[1000:2000] = np.nan
    a = analyze_signal(y, SR, emotion_model=None)
    assert json.dumps(a.to_dict())


def test_analyze_file_flac_and_errors(tmp_path):
    y = render(Piece(tonic=9, mode="minor", bpm=100, bars=8, sections="AB",
                     progression=(0, 3, 4, 0), seed=2))
    p = write(tmp_path / "t.flac", np.stack([y, y]), sr=SR)
    a = analyze_file(p, title="Farewell", emotion_model=None)
    assert a.channels == 2 and a.key.label == "Am"
    mem = analyze_signal(np.stack([y, y]), SR, title="Farewell", emotion_model=None)
    assert a.tempo == mem.tempo and a.key == mem.key
    assert a.loudness.integrated_lufs == pytest.approx(mem.loudness.integrated_lufs, abs=0.05)

    silent = write(tmp_path / "s.wav", np.zeros(SR * 3, np.float32), sr=SR)
    with pytest.raises(AudioError, match="silence"):
        analyze_file(silent, emotion_model=None)
    short = write(tmp_path / "short.wav", np.full(SR // 4, 0.1, np.float32), sr=SR)
    with pytest.raises(AudioError, match="too short"):
        analyze_file(short, emotion_model=None)
    with pytest.raises(AudioError):
        analyze_file(tmp_path / "missing.flac", emotion_model=None)
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all" * 100)
    with pytest.raises(HeartsongError):
        analyze_file(junk, emotion_model=None)


def _write_51(path, y, sr):
    with av.open(str(path), "w") as out:
        st = out.add_stream("flac", rate=sr, layout="5.1")
        z = np.zeros_like(y)
        data = np.stack([y, y, 0.7 * y, z, 0.5 * y, 0.5 * y]).astype(np.float32)
        s16 = (np.clip(data, -1, 1) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(s16.T.reshape(1, -1).copy(), format="s16",
                                           layout="5.1")
        frame.sample_rate = sr
        for packet in st.encode(frame):
            out.mux(packet)
        for packet in st.encode(None):
            out.mux(packet)


def test_analyze_file_surround_and_rates(tmp_path):
    y = render(Piece(tonic=4, mode="minor", bpm=120, bars=6, seed=8), sr=48000)
    p = tmp_path / "surround.flac"
    _write_51(p, y, 48000)
    a = analyze_file(p, emotion_model=None)
    assert a.channels == 6 and a.sample_rate == 48000
    assert a.key.label == "Em"
    y8 = render(Piece(bpm=120, bars=6, seed=8), sr=8000)
    a8 = analyze_file(write(tmp_path / "low.wav", y8, sr=8000), emotion_model=None)
    assert a8.sample_rate == 8000
