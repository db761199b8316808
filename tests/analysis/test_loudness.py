from __future__ import annotations

import numpy as np
import pytest

from heartsong.analysis.loudness import LoudnessMeter, k_weighting_sos


def sine(sr: int, dbfs: float, seconds: float = 10.0, f: float = 997.0) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (10 ** (dbfs / 20) * np.sin(2 * np.pi * f * t)).astype(np.float32)


def test_k_weighting_matches_bs1770_coefficients_at_48k():
    sos = k_weighting_sos(48000)
    np.testing.assert_allclose(sos[0, :3], [1.53512485958697, -2.69169618940638,
                                            1.19839281085285], atol=1e-8)
    np.testing.assert_allclose(sos[0, 4:], [-1.69065929318241, 0.73248077421585], atol=1e-8)
    np.testing.assert_allclose(sos[1, 4:], [-1.99004745483398, 0.99007225036621], atol=1e-8)


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000, 96000])
def test_calibrated_sine(sr):
    # BS.1770: a 0 dBFS 997 Hz sine in one front channel reads -3.01 LKFS, so -20 dBFS
    # reads -23.01 in mono; in both channels of a stereo file, 3.01 LU more.
    x = sine(sr, -20.0)
    mono = LoudnessMeter(sr, channels=1)
    for i in range(0, x.shape[0], 12345):  # streaming in odd blocks
        mono.push(x[None, i : i + 12345])
    assert mono.result().integrated_lufs == pytest.approx(-23.01, abs=0.05)
    stereo = LoudnessMeter(sr, channels=2)
    stereo.push(np.stack([x, x]))
    assert stereo.result().integrated_lufs == pytest.approx(-20.0, abs=0.05)
    assert stereo.result().peak_dbfs == pytest.approx(-20.0, abs=0.01)


def test_loudness_range_ebu_3342_case():
    # EBU Tech 3342 test 1: 20 s at -20 dBFS then 20 s at -30 dBFS (1 kHz, stereo): LRA 10.
    sr = 48000
    x = np.concatenate([sine(sr, -20, 20, 1000.0), sine(sr, -30, 20, 1000.0)])
    m = LoudnessMeter(sr, channels=2)
    m.push(np.stack([x, x]))
    assert m.result().range_lu == pytest.approx(10.0, abs=1.0)


def test_surround_weights_and_lfe():
    sr = 48000
    x = sine(sr, -20)
    z = np.zeros_like(x)
    front = LoudnessMeter(sr, channels=6)
    front.push(np.stack([x, z, z, z, z, z]))
    lfe = LoudnessMeter(sr, channels=6)
    lfe.push(np.stack([z, z, z, x, z, z]))
    surround = LoudnessMeter(sr, channels=6)
    surround.push(np.stack([z, z, z, z, x, z]))
    assert front.result().integrated_lufs == pytest.approx(-23.01, abs=0.05)
    assert lfe.result().integrated_lufs == -70.0  # LFE is not counted
    assert surround.result().integrated_lufs == pytest.approx(-23.01 + 10 * np.log10(1.41),
                                                              abs=0.05)


def test_silence_reads_floor():
    m = LoudnessMeter(22050, channels=1)
    m.push(np.zeros((1, 22050 * 3), dtype=np.float32))
    assert m.result().integrated_lufs == -70.0
