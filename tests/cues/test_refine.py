"""Peak tests against a prepared episode spectrogram (heartsong.cues.refine)."""

from __future__ import annotations

import numpy as np
import pytest

from heartsong.cues.fingerprint import Peaks
from heartsong.cues.refine import (
    BIN,
    Presence,
    Spectrum,
    extend,
    gain_spread,
    presence,
    significance,
    unexplained_significance,
    weigh,
)
from heartsong.errors import ParameterError


def _direct(S: np.ndarray, t: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The definition: best of the 3 x 3 neighbourhood, minus the mean of bands +-3 and +-4."""
    nt, nf = S.shape
    ti = np.clip(np.rint(t).astype(int), 1, nt - 2)
    fi = np.clip(np.rint(f).astype(int), 4, nf - 5)
    best = np.array([S[a - 1 : a + 2, b - 1 : b + 2].max() for a, b in zip(ti, fi, strict=True)])
    side = (S[ti, fi - 3] + S[ti, fi + 3] + S[ti, fi - 4] + S[ti, fi + 4]) / 4
    return best, best - side


def test_prepared_contrast_equals_the_definition_on_the_quantised_spectrogram() -> None:
    rng = np.random.default_rng(3)
    S = rng.uniform(-95, -10, (300, 40)).astype(np.float32)
    q = Spectrum.quantise(S)
    Sq = q.astype(np.float32) / 2 - 100  # what the prepared form sees: 0.5 dB steps
    t = rng.uniform(-3, 303, 500)  # also off both ends: clipped like the definition
    f = rng.uniform(-2, 42, 500)
    best, c = Spectrum(q).contrast(t, f)
    best_ref, c_ref = _direct(Sq, t, f)
    np.testing.assert_allclose(best, best_ref, atol=1e-4)
    np.testing.assert_allclose(c, c_ref, atol=1e-4)


def test_presence_is_the_same_from_dB_or_prepared() -> None:
    rng = np.random.default_rng(4)
    S = rng.uniform(-90, -40, (2000, 117)).astype(np.float32)
    t = np.sort(rng.uniform(0, 1800, 300)).astype(np.float32)
    f = rng.uniform(5, 110, 300).astype(np.float32)
    S[np.rint(t).astype(int), np.rint(f).astype(int)] = -15.0  # the track is there
    ref = Peaks(t, f, np.full(t.size, -20.0, np.float32))
    kw = dict(slope=1.0, intercept=0.0, pitch=0.0, lo=0, hi=2000)
    a = presence(S, 0, ref, **kw)
    b = presence(Spectrum.from_db(S), 0, ref, **kw)
    np.testing.assert_array_equal(a.count, b.count)
    np.testing.assert_allclose(a.contrast, b.contrast, atol=1e-4)
    _, z = significance(b, 0, 2000)
    assert z > 20
    # Off the track's line (shifted by 40 frames) nothing stands out.
    _, z_off = significance(presence(Spectrum.from_db(S), 0, ref, **{**kw, "intercept": 40.0}),
                            0, 2000)
    assert abs(z_off) < 4


def test_presence_without_gain_keeps_every_other_field() -> None:
    rng = np.random.default_rng(5)
    S = rng.uniform(-90, -40, (1200, 117)).astype(np.float32)
    t = np.sort(rng.uniform(0, 1100, 200)).astype(np.float32)
    f = rng.uniform(5, 110, 200).astype(np.float32)
    S[np.rint(t).astype(int), np.rint(f).astype(int)] = -15.0
    ref = Peaks(t, f, np.full(t.size, -20.0, np.float32))
    sp = Spectrum.from_db(S)
    kw = dict(slope=1.0, intercept=0.0, pitch=0.0, lo=0, hi=1200)
    full, cheap = presence(sp, 0, ref, **kw), presence(sp, 0, ref, **kw, gain=False)
    assert np.isfinite(full.gain).sum() > 10  # the track's peaks give gains...
    assert np.isnan(cheap.gain).all()  # ...which the cheap test does not measure
    assert cheap.start_frame == full.start_frame
    for name in ("contrast", "count", "dsum", "d2sum"):
        np.testing.assert_array_equal(getattr(cheap, name), getattr(full, name))
    assert significance(cheap, 0, 1200) == significance(full, 0, 1200)


def test_spectrum_rejects_a_non_2d_array() -> None:
    with pytest.raises(ParameterError, match="q"):
        Spectrum(np.zeros(10, np.uint8))
    with pytest.raises(ParameterError, match="smooth"):
        Spectrum(np.zeros((10, 20), np.uint8), smooth=0)


def test_smoothed_spectrum_is_the_moving_average_in_blocks_and_whole() -> None:
    from scipy.ndimage import uniform_filter1d

    from heartsong.cues.refine import _smooth_frames

    q = np.random.default_rng(5).integers(0, 256, (3000, 12)).astype(np.uint8)
    whole = np.rint(uniform_filter1d(q.astype(np.float32), 17, axis=0, mode="nearest"))
    np.testing.assert_array_equal(_smooth_frames(q, 17, block=257), whole)
    sp = Spectrum(q, smooth=17)
    np.testing.assert_array_equal(sp.best, Spectrum(whole).best)
    # Levels (gains) stay those of the unaveraged spectrogram; contrasts are the averaged.
    t, f = np.array([100.0, 2000.0]), np.array([5.0, 7.0])
    np.testing.assert_array_equal(sp.contrast(t, f)[0], Spectrum(q).contrast(t, f)[0])
    np.testing.assert_array_equal(sp.contrast(t, f)[1], Spectrum(whole).contrast(t, f)[1])


def test_smoothing_lets_a_held_note_stand_out_of_speech_like_flicker() -> None:
    # A held partial 6 dB under flickering noise bursts (syllables): the contrast of
    # single frames is mostly the bursts'; averaged over 17 frames the note stands out.
    rng = np.random.default_rng(6)
    S = rng.uniform(-70, -60, (400, 40)).astype(np.float32)
    burst = rng.random((400, 40)) < 0.3
    S[burst] = -40 + rng.uniform(0, 6, int(burst.sum()))
    S[:, 20] = np.maximum(S[:, 20], -46.0)
    ref = Peaks(np.arange(20, 380, 10, dtype=np.float32), np.full(36, 20.0, np.float32),
                np.full(36, -46.0, np.float32))
    kw = dict(slope=1.0, intercept=0.0, pitch=0.0, lo=0, hi=400)
    _, z_raw = significance(presence(Spectrum.from_db(S), 0, ref, **kw), 0, 400)
    _, z_smooth = significance(presence(Spectrum.from_db(S, smooth=17), 0, ref, **kw), 0, 400)
    assert z_smooth > z_raw + 3, (z_raw, z_smooth)


def _pres(contrast: np.ndarray, gain: np.ndarray) -> Presence:
    n = contrast.size
    count = np.full(n, 6)
    return Presence(0, contrast.astype(np.float32), gain.astype(np.float32), count,
                    (contrast * count).astype(np.float64), None)


def test_extend_stops_where_other_music_lights_the_track_at_unrelated_levels() -> None:
    rng = np.random.default_rng(5)
    # 40 bins of the cue (gain -4 dB, clear), then 30 bins where the next, similar music
    # lights the track's peaks: contrast still high, levels unrelated to the cue's.
    contrast = np.r_[np.full(40, 18.0), rng.uniform(-2, 16, 30)]
    gain = np.r_[-4.0 + rng.normal(0, 0.7, 40), rng.uniform(-25, 20, 30)]
    p = _pres(contrast, gain)
    core = (0, 30 * BIN)
    _, hi_plain = extend(p, *core)
    _, hi_gain = extend(p, *core, gain_tol=6.0)
    assert hi_plain > 60 * BIN  # contrast alone carries the cue on
    assert 38 * BIN <= hi_gain <= 44 * BIN  # the gain puts the end where the cue ended


def test_extend_with_gain_keeps_a_fade_and_a_noisy_core_alone() -> None:
    rng = np.random.default_rng(6)
    # A fade-out: the gain falls smoothly for 20 bins, contrast stays clear.
    contrast = np.r_[np.full(40, 18.0), np.full(20, 14.0), np.zeros(20)]
    gain = np.r_[np.full(40, -4.0), np.linspace(-4.0, -30.0, 20), np.full(20, np.nan)]
    p = _pres(contrast, gain)
    assert extend(p, 0, 30 * BIN, gain_tol=6.0) == extend(p, 0, 30 * BIN)
    # Under dialogue (core contrast well below 12 dB) the gain is not trusted.
    contrast = np.r_[np.full(40, 8.0), rng.uniform(4, 9, 30)]
    gain = np.r_[np.full(40, -4.0), rng.uniform(-25, 20, 30)]
    p = _pres(contrast, gain)
    assert extend(p, 0, 30 * BIN, gain_tol=6.0) == extend(p, 0, 30 * BIN)


def test_unexplained_evidence_with_a_wider_reach_around_the_stronger_cue() -> None:
    rng = np.random.default_rng(7)
    S = rng.uniform(-90, -70, (1500, 117)).astype(np.float32)
    # Track A: held notes (20 frames each) at its stored peaks' bands.
    ta = np.arange(20, 1400, 40, dtype=np.float32)
    fa = rng.uniform(10, 100, ta.size).astype(np.float32)
    for t, f in zip(ta, fa, strict=True):
        S[int(t) : int(t) + 20, int(round(f))] = -20.0
    a = Peaks(ta, fa, np.full(ta.size, -20.0, np.float32))
    # B lights the same held notes 8 frames later (a version, or a slightly stretched line),
    # plus a few notes of its own.
    own_t = np.arange(35, 1400, 160, dtype=np.float32)
    own_f = rng.uniform(10, 100, own_t.size).astype(np.float32)
    for t, f in zip(own_t, own_f, strict=True):
        S[int(t) - 1 : int(t) + 2, int(round(f))] = -20.0
    b = Peaks(np.r_[ta + 8, own_t].astype(np.float32), np.r_[fa, own_f].astype(np.float32),
              np.full(ta.size + own_t.size, -20.0, np.float32))
    order = np.argsort(b.t)
    b = Peaks(b.t[order], b.f[order], b.db[order])
    line = (1.0, 0.0, 0.0)
    kw = dict(line=line, lo=0, hi=1500, others=[(a, line)])
    z_near = unexplained_significance(S, b, **kw)
    z_wide = unexplained_significance(S, b, **kw, reach=(12, 1))
    assert z_near > 10  # +-3 frames: B's copies of A's notes count as B's own evidence
    assert z_wide < z_near / 2  # +-12 frames: only B's own notes are left


def test_gain_spread_tells_the_track_from_unrelated_levels() -> None:
    rng = np.random.default_rng(8)
    S = rng.uniform(-90, -80, (400, 60)).astype(np.float32)
    t = np.arange(10, 390, 5).astype(np.float32)
    f = rng.integers(10, 50, t.size).astype(np.float32)
    db = rng.uniform(-40, -10, t.size).astype(np.float32)
    ref = Peaks(t, f, db)
    line = (1.0, 0.0, 0.0)
    # The track at -6 dB: every audible peak is its reference peak 6 dB down.
    track = S.copy()
    track[t.astype(int), f.astype(int)] = db - 6.0
    n, mad = gain_spread(track, ref, line=line, lo=0, hi=400)
    assert n == t.size and mad <= 0.5
    # Other music lighting the same places at levels of its own.
    other = S.copy()
    other[t.astype(int), f.astype(int)] = rng.uniform(-50, -10, t.size)
    n, mad = gain_spread(other, ref, line=line, lo=0, hi=400)
    assert n > 20 and mad > 4.0
    # Nothing stands out: no peaks to judge.
    flat = np.full_like(S, -85.0)
    assert gain_spread(flat, ref, line=line, lo=0, hi=400) == (0, np.inf)


def test_extend_cuts_where_the_level_drops_at_once_far_below_the_cue() -> None:
    rng = np.random.default_rng(9)
    # The cue (gain -4 dB) ends at bin 40 with a cut; past it other music lights the
    # track's peaks at levels 15-35 dB lower, with contrast enough to carry the cue on.
    contrast = np.r_[np.full(40, 14.0), rng.uniform(2, 16, 30)]
    gain = np.r_[-4.0 + rng.normal(0, 0.7, 40), rng.uniform(-40, -20, 30)]
    p = _pres(contrast, gain)
    core = (0, 30 * BIN)
    assert extend(p, *core)[1] > 60 * BIN
    assert 39 * BIN <= extend(p, *core, gain_tol=6.0)[1] <= 41 * BIN
    # A fade that sinks as far over 5 s is not cut there (fade_edges finds its end).
    contrast = np.r_[np.full(40, 14.0), np.full(20, 10.0), np.zeros(10)]
    gain = np.r_[np.full(40, -4.0), np.linspace(-4.0, -30.0, 20), np.full(10, np.nan)]
    p = _pres(contrast, gain)
    assert extend(p, *core, gain_tol=6.0) == extend(p, *core)


def test_weighted_z_trusts_the_tracks_loud_peaks_and_stays_null_by_chance() -> None:
    rng = np.random.default_rng(7)
    nt = 4000
    S = rng.uniform(-90, -40, (nt, 117)).astype(np.float32)
    t = np.sort(rng.uniform(0, nt - 100, 1200)).astype(np.float32)
    f = rng.uniform(5, 110, 1200).astype(np.float32)
    level = np.where(rng.random(t.size) < 0.3, -20.0, -45.0).astype(np.float32)
    loud = level > -30
    ti, fi = np.rint(t).astype(int), np.rint(f).astype(int)
    # Dialogue bursts (loud noise in every band) mask the track's quiet peaks, so only the
    # loud third stands out.
    for a in ti[~loud]:
        S[max(a - 2, 0) : a + 3] = rng.uniform(-45, -15, (min(a + 3, nt) - max(a - 2, 0), 117))
    S[ti[loud], fi[loud]] = -10.0
    ref = Peaks(t, f, level)
    sp = Spectrum.from_db(S)
    kw = dict(slope=1.0, pitch=0.0, lo=0, hi=nt)
    pres = presence(sp, 0, ref, **kw, intercept=0.0)
    _, z = significance(pres, 0, nt)
    _, zw = significance(pres, 0, nt, weighted=True)
    assert zw > 1.2 * z > 0
    # By chance (the track shifted by whole seconds) the weighted z stays about N(0, 1).
    null = [significance(presence(sp, 0, ref, **kw, intercept=float(s)), 0, nt,
                         weighted=True)[1] for s in range(60, 1260, 60)]
    assert abs(float(np.mean(null))) < 1.5 and float(np.std(null)) < 2.0


def test_weights_depend_on_the_track_alone() -> None:
    te = np.array([0.0, 4.0, 8.0, 40.0])
    db = np.array([-20.0, -30.0, -60.0, -50.0], np.float32)
    d = np.array([1.0, -2.0, 50.0, -50.0], np.float32)
    w, x = weigh(te, db, d, slope=1.0, intercept=0.0)
    # The loudest of each quarter second weighs 1; 10 dB below it, half; 40 dB, the floor.
    np.testing.assert_allclose(w, [1.0, 0.5, 0.05, 1.0])
    np.testing.assert_allclose(x, [1.0, -2.0, 8.0, -8.0])
    w2, _ = weigh(te, db, -d, slope=1.0, intercept=0.0)
    np.testing.assert_array_equal(w, w2)
