from __future__ import annotations

import numpy as np
import pytest

from heartsong.cues import synth
from heartsong.cues.coherence import coherence, peak_phases
from heartsong.cues.fingerprint import FingerprintConfig, Peaks, fingerprint, resample
from heartsong.errors import ParameterError

SR = 8000
CFG = FingerprintConfig()
FPS = SR / CFG.hop  # frames per second


def _track(seed: int, seconds: float = 24.0) -> tuple[np.ndarray, Peaks, np.ndarray]:
    y = synth.music(seed, duration=seconds, sr=SR)
    _, pk = fingerprint(y, sr=SR, role="reference", config=CFG)
    return y, pk, peak_phases(y, pk, config=CFG)


def _episode(music: np.ndarray, at: int, *, noise_db: float, seed: int = 0,
             seconds: float = 40.0) -> np.ndarray:
    """``music`` from sample ``at`` under speech-like noise ``noise_db`` relative to it."""
    rng = np.random.default_rng(seed)
    ep = np.zeros(int(seconds * SR))
    ep[at : at + music.size] += music[: ep.size - at]
    talk = synth.speech(int(rng.integers(1 << 30)), duration=seconds, sr=SR, talk=0.9)
    rms_m = np.sqrt(np.mean(music**2))
    rms_t = np.sqrt(np.mean(talk**2)) + 1e-12
    return ep + talk * rms_m / rms_t * 10 ** (noise_db / 20)


def test_peak_phase_of_a_sine_at_fractional_positions():
    f_hz = 731.3
    y = np.cos(2 * np.pi * f_hz * np.arange(SR * 2) / SR + 0.4)
    band = CFG.bins_per_octave * np.log2(f_hz / CFG.fmin)
    t = np.float32([10.25, 50.5, 90.75])
    ph = peak_phases(y, Peaks(t, np.full(3, band, np.float32), np.zeros(3, np.float32)),
                     config=CFG)
    centre = t.astype(float) * CFG.hop + CFG.n_fft / 2
    want = 2 * np.pi * f_hz * centre / SR + 0.4
    assert np.abs(np.angle(np.exp(1j * (ph - want)))).max() < 0.01
    assert (np.abs(ph) <= np.pi).all()
    # Too close to the end for a whole window: unknown.
    edge = Peaks(np.float32([0.0, 124.0]), np.full(2, band, np.float32), np.zeros(2, np.float32))
    assert np.isnan(peak_phases(y, edge, config=CFG)).tolist() == [False, True]


def test_the_track_under_loud_dialogue_is_coherent_music_like_it_is_not():
    y, pk, ph = _track(11)
    at = 5 * SR + 53  # 5 s and a fraction of a frame in
    line = (1.0, at / CFG.hop, 0.0)
    lo, hi = 8 * FPS, 11 * FPS
    z, z_high = coherence(_episode(y, at, noise_db=10.0), pk, ph, line=line, lo=lo, hi=hi,
                          config=CFG)
    assert z > 20 and z_high > 13  # dialogue 10 dB over the music
    for other in (12, 13):  # the generator's other pieces: same instruments, same style
        y2, _, _ = _track(other)
        # A low bar for all peaks, so that the high register is measured too.
        z, z_high = coherence(_episode(y2, at, noise_db=-10.0), pk, ph, line=line, lo=lo,
                              hi=hi, config=CFG, bar=(1.0, 100.0))
        assert z < 16 and z_high < 13


def test_a_speed_change_is_coherent_on_its_line():
    y, pk, ph = _track(14)
    fast = resample(y, sr=SR, target=int(SR / 1.03))  # 3 % faster: tempo and pitch
    at = 3 * SR
    ep = _episode(fast, at, noise_db=-10.0)
    pitch = CFG.bins_per_octave * np.log2(1.03)
    line = (1 / 1.03, at / CFG.hop, pitch)
    z, z_high = coherence(ep, pk, ph, line=line, lo=6 * FPS, hi=9 * FPS, config=CFG)
    assert z > 25 and z_high > 15
    # A line 0.25 % off in slope is found by the search; 1 % off is not.
    near = (line[0] * 1.0025, line[1] - 7 * FPS * line[0] * 0.0025, pitch)
    assert coherence(ep, pk, ph, line=near, lo=6 * FPS, hi=9 * FPS, config=CFG)[0] > 20
    far = (line[0] * 1.01, line[1] - 7 * FPS * line[0] * 0.01, pitch)
    assert coherence(ep, pk, ph, line=far, lo=6 * FPS, hi=9 * FPS, config=CFG)[0] < 16


def test_windows_stop_at_the_first_that_passes_and_report_the_closest():
    y, pk, ph = _track(15)
    ep = np.random.default_rng(1).normal(0, 0.05, 40 * SR)
    ep[20 * SR : 30 * SR] += y[10 * SR : 20 * SR]  # on the line from 10 s, heard from 20 s
    line = (1.0, 10 * FPS, 0.0)
    z, z_high = coherence(ep, pk, ph, line=line, lo=14 * FPS, hi=26 * FPS, config=CFG)
    assert z > 30 and z_high > 20  # the third window (20-23 s) holds it
    z, z_high = coherence(ep, pk, ph, line=line, lo=14 * FPS, hi=26 * FPS, config=CFG,
                          max_windows=2)
    assert z < 16 and np.isnan(z_high)  # short of the bar: the high register not measured


def test_too_few_peaks_and_bad_window():
    y, pk, ph = _track(16, seconds=6)
    assert coherence(y, pk, ph, line=(1.0, 0.0, 0.0), lo=0, hi=5, config=CFG) == (0.0, 0.0)
    unknown = np.full(ph.shape, np.nan, np.float32)
    assert coherence(y, pk, unknown, line=(1.0, 0.0, 0.0), lo=0, hi=6 * FPS,
                     config=CFG) == (0.0, 0.0)
    with pytest.raises(ParameterError, match="window"):
        coherence(y, pk, ph, line=(1.0, 0.0, 0.0), lo=0, hi=100, config=CFG, window=0)
    with pytest.raises(ParameterError, match="delay"):
        coherence(y, pk, ph, line=(1.0, 0.0, 0.0), lo=0, hi=100, config=CFG, delay=0)


def test_a_wider_delay_search_finds_a_line_more_than_a_frame_off():
    # The single-peak votes fix an offset to a frame or so: 1.3 frames off, the default
    # search (±0.75 frame) misses the recording, ±1.5 frames finds it.
    y, pk, ph = _track(11)
    at = 5 * SR
    ep = _episode(y, at, noise_db=0.0)
    off = (1.0, at / CFG.hop + 1.3, 0.0)
    lo, hi = 8 * FPS, 11 * FPS
    assert coherence(ep, pk, ph, line=off, lo=lo, hi=hi, config=CFG)[0] < 20
    assert coherence(ep, pk, ph, line=off, lo=lo, hi=hi, config=CFG, delay=1.5 * CFG.hop,
                     slope_range=2e-4)[0] > 24  # (32 on the exact line)


def test_the_weighted_statistic_keeps_the_track_and_drops_music_like_it():
    # Weighted, a peak counts as much as the music is heard there: music like the track
    # lights the track's peaks where its own notes are loud, and loses those.
    y, pk, ph = _track(11)
    at = 5 * SR + 53
    line = (1.0, at / CFG.hop, 0.0)
    lo, hi = 8 * FPS, 11 * FPS
    z, z_high = coherence(_episode(y, at, noise_db=15.0), pk, ph, line=line, lo=lo, hi=hi,
                          config=CFG, bar=(20.0, 10.0), weighted=True)
    assert z > 25 and z_high > 15  # dialogue 15 dB over the music
    for other in (12, 13, 17):
        y2, _, _ = _track(other)
        ep = _episode(y2, at, noise_db=0.0)
        plain = coherence(ep, pk, ph, line=line, lo=lo, hi=hi, config=CFG, bar=(1.0, 1.0))
        weighted = coherence(ep, pk, ph, line=line, lo=lo, hi=hi, config=CFG, bar=(1.0, 1.0),
                             weighted=True)
        assert max(weighted) < 10 and max(weighted) < max(plain)
        if other == 17:
            assert plain[0] > 12 > weighted[0] + 3
