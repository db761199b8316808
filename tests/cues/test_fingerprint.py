from __future__ import annotations

import librosa
import numpy as np
import pytest

from heartsong.cues import fingerprint as F
from heartsong.cues import synth
from heartsong.errors import ParameterError

SR = 8000


@pytest.fixture(scope="module")
def piece() -> np.ndarray:
    return synth.music(11, duration=30, sr=SR)


def _survival(ref: F.Fingerprints, q: F.Fingerprints, *, slope: float, bands: float) -> float:
    """Fraction of reference triplets found in the query at the expected time and pitch."""
    order = np.argsort(ref.hash)
    rh = ref.hash[order]
    lo = np.searchsorted(rh, q.hash, "left")
    hi = np.searchsorted(rh, q.hash, "right")
    found = set()
    for i in np.nonzero(hi > lo)[0]:
        for r in order[lo[i] : hi[i]]:
            if abs(q.t[i] - slope * ref.t[r]) < 4 and abs(q.f[i] - ref.f[r] - bands) < 1.5:
                found.add(int(r))
    return len(found) / len(ref)


def test_spectrogram_is_log_frequency():
    t = np.arange(SR) / SR
    for hz in (220.0, 440.0, 1000.0):
        S = F.spectrogram(np.sin(2 * np.pi * hz * t).astype(np.float32))
        assert int(np.median(S.argmax(axis=1))) == round(24 * np.log2(hz / 130.0))


def test_silence_has_no_peaks():
    fp, pk = F.fingerprint(np.zeros(SR * 5, np.float32), sr=SR)
    assert len(fp) == 0 and len(pk) == 0


def test_peak_density_is_bounded(piece):
    _, pk = F.fingerprint(piece, sr=SR)
    assert 5 <= len(pk) / 30 <= F.FingerprintConfig().ref_density + 1


def test_clean_copy_matches_fully(piece):
    ref, _ = F.fingerprint(piece, sr=SR)
    q, _ = F.fingerprint(piece, sr=SR, role="query")
    assert _survival(ref, q, slope=1.0, bands=0.0) > 0.9


@pytest.mark.parametrize("speed", [0.97, 1.03])
def test_speed_change_is_invariant(piece, speed):
    # Playing `speed` times faster = resampling: tempo and pitch change together.
    ref, _ = F.fingerprint(piece, sr=SR)
    fast = F.resample(piece, sr=SR, target=int(round(SR / speed)))
    q, _ = F.fingerprint(fast, sr=SR, role="query")
    assert _survival(ref, q, slope=1 / speed, bands=24 * np.log2(speed)) > 0.5


@pytest.mark.parametrize("cents", [-100, 100])
def test_pitch_shift_is_invariant(piece, cents):
    ref, _ = F.fingerprint(piece, sr=SR)
    y = librosa.effects.pitch_shift(piece, sr=SR, n_steps=cents / 100)
    q, _ = F.fingerprint(y, sr=SR, role="query")
    assert _survival(ref, q, slope=1.0, bands=cents / 50) > 0.08


@pytest.mark.parametrize("rate", [0.95, 1.05])
def test_tempo_change_is_invariant(piece, rate):
    ref, _ = F.fingerprint(piece, sr=SR)
    y = librosa.effects.time_stretch(piece, rate=rate)
    q, _ = F.fingerprint(y, sr=SR, role="query")
    assert _survival(ref, q, slope=1 / rate, bands=0.0) > 0.08


def test_stream_matches_whole_signal(piece):
    whole, _ = F.fingerprint(piece, sr=SR, role="query")
    blocks = [piece[i : i + 7000] for i in range(0, piece.size, 7000)]
    parts = list(F.fingerprint_stream(blocks, role="query", chunk_seconds=8.0))
    streamed = F.Fingerprints.concat(c.fingerprints for c in parts)
    a = set(zip(whole.hash.tolist(), np.rint(whole.t).tolist(), strict=True))
    b = set(zip(streamed.hash.tolist(), np.rint(streamed.t).tolist(), strict=True))
    assert len(a & b) / len(a) > 0.95
    frames = sum(c.spectrogram.shape[0] for c in parts)
    assert frames == F.spectrogram(piece).shape[0]


def test_config_round_trip():
    cfg = F.FingerprintConfig(query_density=25.0)
    assert F.FingerprintConfig.from_dict(cfg.to_dict()) == cfg


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ParameterError, match="role"):
        F.fingerprint(np.zeros(8000, np.float32), sr=SR, role="episode")
    with pytest.raises(ParameterError, match="sr"):
        F.resample(np.zeros(10, np.float32), sr=0, target=8000)
    with pytest.raises(ParameterError, match="y"):
        F.spectrogram(np.zeros((2, 100), np.float32))


@pytest.mark.parametrize("shape,size,dtype", [((300, 117), (3, 3), np.uint8),
                                              ((300, 117), (9, 7), np.float32),
                                              ((4, 2), (9, 7), np.float32),
                                              ((1, 1), (3, 3), np.uint8)])
def test_box_max_equals_scipy_maximum_filter(shape: tuple[int, int], size: tuple[int, int],
                                             dtype: type) -> None:
    from scipy.ndimage import maximum_filter

    from heartsong.cues.fingerprint import box_max

    x = np.random.default_rng(0).normal(0, 60, shape).astype(dtype)
    np.testing.assert_array_equal(box_max(x, size), maximum_filter(x, size=size, mode="nearest"))
