"""Decoding every format, time ranges, streaming and each kind of bad input."""

from __future__ import annotations

import tracemalloc
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heartsong.audio import FORMATS, load, probe, stream, verify, write
from heartsong.errors import AudioError, HeartsongError, ParameterError
from tests.conftest import dominant_freq, steps, tone

VIDEO = {".mp4", ".mkv", ".webm"}


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_every_format_round_trips(tmp_path: Path, ext: str) -> None:
    sr_in = 44100
    left = tone(440.0, 3.0, sr_in)
    path = write(tmp_path / f"a{ext}", np.stack([left, 0.5 * left]), sr=sr_in, video=ext in VIDEO)
    info = probe(path)
    assert info.channels == 2
    assert info.duration == pytest.approx(3.0, abs=0.15)
    assert info.has_video == (ext in VIDEO)
    y, sr = load(path, sr=22050)
    assert sr == 22050 and y.dtype == np.float32 and y.ndim == 1
    # Lossy codecs pad a frame or two; the length must still be the music's.
    assert y.shape[0] == pytest.approx(3 * 22050, abs=0.05 * 22050)
    assert dominant_freq(y, sr) == pytest.approx(440.0, abs=3.0)
    stereo, _ = load(path, sr=22050, mono=False)
    assert stereo.shape[0] == 2
    # The right channel was written at half level.
    ratio = np.sqrt(np.mean(stereo[1] ** 2) / np.mean(stereo[0] ** 2))
    assert ratio == pytest.approx(0.5, abs=0.05)


def test_native_rate_kept_when_sr_is_none(make_file) -> None:
    path = make_file("a.flac", tone(300.0, 1.0, 16000), sr=16000)
    y, sr = load(path, sr=None)
    assert sr == 16000 and y.shape == (16000,)


def test_time_range_reads_only_that_range(make_file) -> None:
    freqs = [200.0, 300.0, 400.0, 500.0, 600.0, 700.0]
    path = make_file("steps.flac", steps(freqs, 1.0))
    y, sr = load(path, sr=22050, offset=3.25, duration=0.5)
    assert y.shape == (11025,)
    assert dominant_freq(y, sr) == pytest.approx(500.0, abs=5.0)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offset=st.floats(0.0, 5.0), duration=st.floats(0.05, 0.9))
def test_time_range_length_is_exact(tmp_path: Path, offset: float, duration: float) -> None:
    path = tmp_path / "six.flac"
    if not path.exists():
        write(path, steps([200, 300, 400, 500, 600, 700], 1.0), sr=22050)
    y, _ = load(path, sr=22050, offset=offset, duration=duration)
    assert y.shape[0] == round(duration * 22050)


def test_stream_blocks_are_exact_and_complete(make_file) -> None:
    path = make_file("a.wav", tone(440.0, 5.5))
    blocks = list(stream(path, sr=22050, block_seconds=2.0))
    assert [b.shape[0] for b in blocks] == [44100, 44100, 33075]
    whole, _ = load(path, sr=22050)
    np.testing.assert_allclose(np.concatenate(blocks), whole, atol=1e-6)


def test_stream_memory_stays_bounded(tmp_path: Path) -> None:
    # Ten minutes at 8 kHz: 19 MB as float32 if held whole; blocks of 5 s are 160 kB.
    sr = 8000
    path = write(tmp_path / "long.flac", tone(100.0, 600.0, sr, amp=0.1), sr=sr)
    tracemalloc.start()
    total = 0
    for block in stream(path, sr=sr, block_seconds=5.0):
        total += block.shape[0]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == 600 * sr
    assert peak < 4_000_000


def test_five_point_one_is_mixed_down(tmp_path: Path) -> None:
    path = tmp_path / "surround.flac"
    sr = 22050
    with av.open(str(path), "w") as c:
        s = c.add_stream("flac", rate=sr)
        s.layout = "5.1"
        data = np.zeros((6, sr * 2), dtype=np.int16)
        data[0] = (tone(440.0, 2.0, sr) * 20000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(data.T.reshape(1, -1).copy(), format="s16", layout="5.1")
        frame.sample_rate = sr
        frame.pts = 0
        frame.time_base = Fraction(1, sr)
        for p in s.encode(frame):
            c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    assert probe(path).channels == 6
    y, _ = load(path, sr=sr)
    assert y.ndim == 1 and y.shape[0] == 2 * sr
    assert dominant_freq(y, sr) == pytest.approx(440.0, abs=3.0)


# -- bad input -----------------------------------------------------------------------------


def _reason(exc: pytest.ExceptionInfo[AudioError], path: Path) -> str:
    assert isinstance(exc.value, HeartsongError)
    assert exc.value.path == str(path)
    assert str(exc.value).startswith(str(path) + ": ")
    return exc.value.reason


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.mp3"
    with pytest.raises(AudioError) as exc:
        load(path)
    assert _reason(exc, path) == "file not found"


def test_zero_bytes(tmp_path: Path) -> None:
    path = tmp_path / "empty.flac"
    path.touch()
    with pytest.raises(AudioError) as exc:
        probe(path)
    assert "empty file" in _reason(exc, path)


def test_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text("these are my shopping notes, not a song\n" * 20)
    with pytest.raises(AudioError) as exc:
        load(path)
    assert "not an audio or video file" in _reason(exc, path)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as exc:
        probe(tmp_path)
    assert "directory" in _reason(exc, tmp_path)


def test_truncated_file(make_file) -> None:
    path = make_file("full.flac", tone(440.0, 30.0))
    cut = path.with_name("cut.flac")
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    with pytest.raises(AudioError) as exc:
        load(cut)
    assert "truncated" in _reason(exc, cut)
    with pytest.raises(AudioError) as exc:
        verify(cut)
    assert "truncated" in _reason(exc, cut)
    assert verify(path).duration == pytest.approx(30.0, abs=0.1)


def test_seek_refused_in_a_truncated_file(make_file, tmp_path: Path) -> None:
    # A FLAC cut just after its first frames: FFmpeg refuses the seek outright (EPERM).
    noise = np.random.default_rng(0).normal(0.0, 0.1, 44100 * 60).astype(np.float32)
    path = make_file("full.flac", noise, sr=44100)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(path.read_bytes()[:20000])
    with pytest.raises(AudioError) as exc:
        list(stream(cut, offset=30.0))
    assert "cannot seek to 30.0 s" in _reason(exc, cut)
    with pytest.raises(AudioError) as exc:
        verify(cut)
    assert "truncated" in _reason(exc, cut)


def test_corrupt_header(make_file) -> None:
    path = make_file("a.flac", tone(440.0, 3.0))
    data = bytearray(path.read_bytes())
    data[:64] = b"\x00" * 64
    path.write_bytes(bytes(data))
    with pytest.raises(AudioError):
        load(path)


def test_video_without_audio(tmp_path: Path) -> None:
    path = tmp_path / "silent-film.mp4"
    with av.open(str(path), "w") as c:
        v = c.add_stream("mpeg4", rate=2)
        v.width, v.height, v.pix_fmt = 64, 36, "yuv420p"
        for i in range(4):
            frame = av.VideoFrame.from_ndarray(np.zeros((36, 64, 3), np.uint8), format="rgb24")
            frame.pts = i
            for p in v.encode(frame):
                c.mux(p)
        for p in v.encode(None):
            c.mux(p)
    with pytest.raises(AudioError) as exc:
        load(path)
    assert _reason(exc, path) == "video file has no audio stream"


def test_all_silence_when_it_matters(make_file) -> None:
    path = make_file("quiet.flac", np.zeros(22050 * 2, np.float32))
    y, _ = load(path)  # silence is audio...
    assert not y.any()
    with pytest.raises(AudioError) as exc:  # ...unless the caller needs sound
        load(path, allow_silence=False)
    assert _reason(exc, path) == "all silence"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"sr": -1}, "sr"),
        ({"sr": 0}, "sr"),
        ({"offset": -1.0}, "offset"),
        ({"offset": float("nan")}, "offset"),
        ({"duration": 0.0}, "duration"),
    ],
)
def test_bad_parameters_name_the_argument(make_file, kwargs: dict, name: str) -> None:
    path = make_file("a.wav")
    with pytest.raises(ParameterError) as exc:
        load(path, **kwargs)
    assert exc.value.name == name
    assert str(exc.value).startswith(f"{name}: ")


def test_write_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"^path: "):
        write(tmp_path / "a.xyz", tone(440, 1.0), sr=22050)
    with pytest.raises(ParameterError, match=r"^y: "):
        write(tmp_path / "a.wav", np.zeros((3, 100), np.float32), sr=22050)
    with pytest.raises(ParameterError, match=r"^video: "):
        write(tmp_path / "a.flac", tone(440, 1.0), sr=22050, video=True)


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_writing_is_deterministic(tmp_path: Path, ext: str) -> None:
    # The demo promises the same bytes for the same seed, so encoding must not add randomness.
    y = tone(330.0, 2.0, 44100)
    a = write(tmp_path / f"a{ext}", y, sr=44100, video=ext in VIDEO, tags={"title": "T"})
    b = write(tmp_path / f"b{ext}", y, sr=44100, video=ext in VIDEO, tags={"title": "T"})
    assert a.read_bytes() == b.read_bytes()
