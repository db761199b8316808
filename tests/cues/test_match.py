from __future__ import annotations

import math

import librosa
import numpy as np
import pytest

from heartsong.audio import load, write
from heartsong.cues import find_cues, identify, synth
from heartsong.cues.fingerprint import resample
from heartsong.errors import ParameterError
from tests.cues.cue_helpers import SR, mix


def _speech(seconds: float, level: float, seed: int = 0) -> np.ndarray:
    return level * synth.speech(seed, duration=seconds, sr=SR) / 0.1


def test_cues_with_gain_fades_and_dialogue(index, tracks):
    a, b = tracks[100], tracks[101]
    ep = mix(
        90.0,
        [(5.0, a[SR * 10 : SR * 35], -6.0, 2.0, 2.0),  # mid-track start, fades
         (50.0, b[: SR * 30], -12.0, 0.0, 3.0)],
        noise=_speech(90.0, 0.05),
    )
    cues = find_cues(index, ep, sr=SR, name="ep1")
    assert [c.track_id for c in cues] == [100, 101]
    first, second = cues
    assert first.start == pytest.approx(5.0, abs=1.5)
    assert first.end == pytest.approx(30.0, abs=1.5)
    assert first.track_start == pytest.approx(10.0 + (first.start - 5.0), abs=0.1)
    assert second.start == pytest.approx(50.0, abs=1.0)
    assert second.end == pytest.approx(80.0, abs=2.0)
    assert second.gain_db == pytest.approx(-12.0, abs=3.0)
    assert all(c.episode == "ep1" and not c.overlap and c.confidence > 0.5 for c in cues)


def test_repeated_track_gives_separate_cues(index, tracks):
    a = tracks[102]
    ep = mix(70.0, [(2.0, a[SR * 5 : SR * 20], 0.0, 0, 0), (40.0, a[SR * 5 : SR * 25], -3.0, 0, 0)])
    cues = find_cues(index, ep, sr=SR)
    assert [(c.track_id, round(c.start), round(c.track_start)) for c in cues] == [
        (102, 2, 5), (102, 40, 5)]


def test_dip_under_dialogue_does_not_split(index, tracks):
    y = tracks[103][: SR * 40].copy()
    y[SR * 15 : SR * 22] *= 10 ** (-30 / 20)  # a 7 s dip far under the dialogue
    ep = mix(50.0, [(5.0, y, -3.0, 0, 0)], noise=_speech(50.0, 0.05, seed=2))
    cues = find_cues(index, ep, sr=SR)
    assert len(cues) == 1
    assert cues[0].start == pytest.approx(5.0, abs=1.0)
    assert cues[0].end == pytest.approx(45.0, abs=1.5)


def test_cross_fade_is_flagged(index, tracks):
    ep = mix(60.0, [(2.0, tracks[100][: SR * 30], 0.0, 0.0, 6.0),
                    (26.0, tracks[104][SR * 3 : SR * 33], 0.0, 6.0, 0.0)])
    cues = find_cues(index, ep, sr=SR)
    assert [c.track_id for c in cues] == [100, 104]
    assert all(c.overlap for c in cues)


def test_no_false_cues(index):
    rng = np.random.default_rng(0)
    unknown = synth.music(999, duration=60, sr=SR)
    noise = np.concatenate([
        np.zeros(SR * 10, np.float32),
        0.1 * rng.standard_normal(SR * 20).astype(np.float32),
        _speech(40.0, 0.1, seed=5) + 0.5 * synth.effects(3, duration=40, sr=SR),
        unknown,
    ])
    assert find_cues(index, noise, sr=SR) == []


@pytest.mark.parametrize("kind", ["speed-3", "speed+3", "pitch-100", "pitch+100", "tempo-5",
                                  "tempo+5", "resample"])
def test_distortions_are_identified(index, tracks, kind):
    y = tracks[101][SR * 5 : SR * 30]
    tempo = 1.0
    if kind.startswith("speed"):
        tempo = 1.03 if kind == "speed+3" else 0.97
        y = resample(y, sr=SR, target=int(round(SR / tempo)))
    elif kind.startswith("pitch"):
        y = librosa.effects.pitch_shift(y, sr=SR, n_steps=1.0 if kind == "pitch+100" else -1.0)
    elif kind.startswith("tempo"):
        tempo = 1.05 if kind == "tempo+5" else 0.95
        y = librosa.effects.time_stretch(y, rate=tempo)
    else:  # resampled through 44.1 kHz and back, like a transfer
        y = resample(resample(y, sr=SR, target=44100), sr=44100, target=SR)
    ep = mix(40.0, [(4.0, y, -3.0, 0, 0)], noise=_speech(40.0, 0.02, seed=9))
    cues = find_cues(index, ep, sr=SR)
    assert [c.track_id for c in cues] == [101]
    assert cues[0].tempo == pytest.approx(tempo, abs=0.003)
    # Position in the track at the cue's start (the excerpt starts 5 s in, at 4 s).
    assert cues[0].track_start == pytest.approx(5.0 + (cues[0].start - 4.0) * tempo, abs=0.05)
    # Known limitation: a few dialogue harmonics that coincide with the projected
    # reference peaks can pull the refined start up to ~2 s early (seen for speed-3).
    assert cues[0].start == pytest.approx(4.0, abs=2.5)
    assert cues[0].end == pytest.approx(4.0 + 25.0 / tempo, abs=1.5)
    # The reported pitch shift: what resampling or the pitch shifter did, none otherwise.
    cents = {"pitch+100": 100.0, "pitch-100": -100.0}.get(kind, 1200 * math.log2(tempo)
                                                         if kind.startswith("speed") else 0.0)
    assert cues[0].pitch_cents == pytest.approx(cents, abs=4.0)


@pytest.mark.slow
def test_lossy_file_is_identified(index, tracks, tmp_path):
    ep = mix(40.0, [(6.0, tracks[104][SR * 12 : SR * 32], -4.0, 1.0, 1.0)],
             noise=_speech(40.0, 0.03, seed=4))
    path = write(tmp_path / "ep.m4a", ep, sr=SR, bit_rate=64_000)
    cues = find_cues(index, path)
    assert [c.track_id for c in cues] == [104]
    assert cues[0].episode == "ep.m4a"
    assert cues[0].start == pytest.approx(6.0, abs=1.0)
    assert cues[0].track_start == pytest.approx(12.0, abs=1.0)
    y, _ = load(path, sr=SR)  # decoded copy matches the same way as the file
    assert [c.track_id for c in find_cues(index, y, sr=SR)] == [104]


def test_identify_clip(index, tracks):
    clip = tracks[102][int(SR * 21.5) : int(SR * 25)] + _speech(3.5, 0.01)
    res = identify(index, clip, sr=SR)
    assert res and res[0].track_id == 102
    assert res[0].position == pytest.approx(21.5, abs=0.3)
    assert identify(index, synth.music(777, duration=5, sr=SR), sr=SR) == []


@pytest.mark.parametrize("seed", [795, 831])
def test_identify_needs_more_evidence_from_a_longer_clip(index, seed):
    # 10 s of unindexed music that a fixed 6-hash rule matched to an indexed track (a chance
    # alignment of similar synthetic music): a longer clip must show more hash evidence.
    assert identify(index, synth.music(seed, duration=10, sr=SR), sr=SR) == []


def test_parameter_errors(index):
    with pytest.raises(ParameterError, match="sr"):
        find_cues(index, np.zeros(100, np.float32))
    with pytest.raises(ParameterError, match="min_votes"):
        find_cues(index, np.zeros(100, np.float32), sr=SR, min_votes=1)
    with pytest.raises(ParameterError, match="top"):
        identify(index, np.zeros(100, np.float32), sr=SR, top=0)


def test_cue_under_loud_dialogue_is_verified_not_voted(index, tracks):
    # Music 8 dB under the dialogue over its span: the cue is verified, extended and
    # bounded by the peak-contrast test against the track's stored peaks.
    y = tracks[100][SR * 5 : SR * 35]
    talk = synth.speech(21, duration=50.0, sr=SR)
    level = float(np.sqrt(np.mean(y**2))) / 0.1 * 10 ** (8 / 20)
    ep = mix(50.0, [(10.0, y, 0.0, 0, 0)], noise=level * talk)
    cues = find_cues(index, ep, sr=SR)
    assert [c.track_id for c in cues] == [100]
    assert cues[0].start == pytest.approx(10.0, abs=1.5)
    assert cues[0].end == pytest.approx(40.0, abs=1.5)
    assert cues[0].track_start == pytest.approx(5.0 + (cues[0].start - 10.0), abs=0.2)
    assert cues[0].confidence > 0.5


def test_seed_parameters_are_checked(index):
    with pytest.raises(ParameterError, match="seed_votes"):
        find_cues(index, np.zeros(100, np.float32), sr=SR, seed_votes=2)


def test_a_version_sharing_the_music_is_explained_away(tmp_path):
    from heartsong.cues import FingerprintIndex

    backing = synth.music(41, duration=40, sr=SR)
    lead = synth.music(42, duration=40, sr=SR)
    song, karaoke = 0.6 * (backing + lead), 0.6 * backing  # "vocal" and "(Inst.)" versions
    index = FingerprintIndex(tmp_path / "ix")
    index.add(1, song, sr=SR)
    index.add(2, karaoke, sr=SR)
    index.save()
    for played, other in ((song, 2), (karaoke, 1)):
        ep = mix(50.0, [(5.0, played[SR * 5 : SR * 35], -3.0, 0, 0)])
        cues = find_cues(index, ep, sr=SR)
        assert [c.track_id for c in cues] == [3 - other], cues


def test_fade_out_under_dialogue_ends_where_the_fade_ends(index, tracks):
    # A 7 s linear fade under dialogue: the end must not stop short, nor overshoot by
    # following the faint, noise-lifted levels at the fade's tail (a least-squares line
    # through them put the end 1 s late).
    ep = mix(60.0, [(5.0, tracks[101][SR * 2 : SR * 32], -10.0, 0.0, 7.0)],
             noise=_speech(60.0, 0.03, seed=4))
    cues = find_cues(index, ep, sr=SR)
    assert [c.track_id for c in cues] == [101]
    assert cues[0].end == pytest.approx(35.0, abs=0.7)


@pytest.mark.parametrize("seed", [0, 2])
def test_short_cue_between_two_louder_tracks(tmp_path, seed):
    # 4 s of one track 6 dB below the tracks cut right before and after it: the seconds
    # around the short cue hold other music that scatters its evidence, yet its own
    # seconds match clearly (found 2 times in 20 such cases before the core-alone test).
    from heartsong.cues import FingerprintIndex

    y = {k: synth.music(k, duration=40, sr=SR) for k in (11, 12, 13)}
    idx = FingerprintIndex(tmp_path / "idx")
    for k, v in y.items():
        idx.add(k, v, sr=SR)
    idx.save()
    s0 = int(np.random.default_rng(seed).integers(0, 30)) * SR
    ep = np.concatenate([y[12][: 20 * SR], y[11][s0 : s0 + 4 * SR] * 10 ** (-6 / 20),
                         y[13][5 * SR : 25 * SR]]).astype(np.float32)
    ep += 0.02 * synth.speech(seed, duration=ep.size / SR, sr=SR)
    cues = find_cues(idx, ep, sr=SR)
    short = [c for c in cues if c.track_id == 11]
    assert len(short) == 1, cues
    assert short[0].start == pytest.approx(20.0, abs=0.5)
    assert short[0].end == pytest.approx(24.0, abs=0.5)
    assert short[0].track_start == pytest.approx(s0 / SR, abs=0.3)
    assert {c.track_id for c in cues} == {11, 12, 13}


def _under_dialogue(tracks, seed: int, *, seconds: float, db: float):
    """(track id, its start in the track (s), an episode with that many seconds of it at
    14 s, ``db`` under dialogue, and one with unindexed music there instead)."""
    rng = np.random.default_rng(seed)
    tid = 100 + seed % 5
    s0 = int(rng.integers(0, 30))
    talk = synth.speech(100 + seed, duration=40.0, sr=SR) / 0.1
    n = int(SR * seconds)

    def episode(y):
        return mix(40.0, [(14.0, y, 0.0, 0, 0)],
                   noise=float(np.sqrt(np.mean(y**2))) * 10 ** (db / 20) * talk)

    return (tid, s0, episode(tracks[tid][SR * s0 : SR * s0 + n]),
            episode(synth.music(500 + seed, duration=seconds, sr=SR)))


def test_weak_cue_that_beats_its_cohort_is_kept(index, tracks, monkeypatch):
    # 12 s of a track 19 dB under dialogue: few hashes survive, and the z-score a weak
    # candidate needs alone is out of reach for many; the cohort test keeps those whose
    # z stands clearly above every other track's over the same seconds. Unindexed music
    # from the same generator under the same dialogue stays unanswered. (The gain test
    # below, and the weighted z-score's own bar, would find some of them on their own; they
    # are off here, to see the cohort's share.)
    import heartsong.cues.match as match

    monkeypatch.setattr(match, "_SPAN_CONSISTENT", (10**9, 0.0))
    monkeypatch.setattr(match, "_CORE_CONSISTENT", (10**9, 0.0))
    monkeypatch.setattr(match, "_weighted_bar", lambda score, pitch: math.inf)
    monkeypatch.setattr(match, "_COHERENT_Z", (math.inf, math.inf))  # the phase test: below
    monkeypatch.setattr(match, "_COHERENT_WZ", (math.inf, math.inf))
    monkeypatch.setattr(match, "_VOTE_Z", math.inf)  # (and the votes it tests)
    found = {True: 0, False: 0}
    for seed in range(24):
        tid, _, ep, unknown = _under_dialogue(tracks, seed, seconds=12, db=19)
        for on in (True, False):
            cues = find_cues(index, ep, sr=SR, cohort_margin=5.0 if on else None)
            assert all(c.track_id == tid for c in cues), cues
            found[on] += bool(cues)
        assert find_cues(index, unknown, sr=SR) == []
    # Measured: 21 of 24 with the test, 18 without (17 before the weighted first look).
    assert found[True] >= 19
    assert found[True] >= found[False] + 3


def test_phase_coherence_keeps_weak_cues_of_the_recording_not_music_like_it(
        index, tracks, monkeypatch):
    # 6 s cues 13 dB under dialogue, with every magnitude test that can rescue a weak
    # candidate (cohort, gain consistency, weighted z) off: the episode's phases at the
    # track's peaks (the recording itself) keep many of those the z-score alone rejects;
    # unindexed music from the same generator, under the same dialogue, stays unanswered.
    import heartsong.cues.match as match

    monkeypatch.setattr(match, "_SPAN_CONSISTENT", (10**9, 0.0))
    monkeypatch.setattr(match, "_CORE_CONSISTENT", (10**9, 0.0))
    monkeypatch.setattr(match, "_weighted_bar", lambda score, pitch: math.inf)
    monkeypatch.setattr(match, "_VOTE_Z", math.inf)  # the votes' own phase test: their test
    found = {True: 0, False: 0}
    bars = match._COHERENT_Z, match._COHERENT_WZ
    for seed in range(24):
        tid, s0, ep, unknown = _under_dialogue(tracks, seed, seconds=6, db=13)
        for on in (True, False):
            monkeypatch.setattr(match, "_COHERENT_Z", bars[0] if on else (math.inf,) * 2)
            monkeypatch.setattr(match, "_COHERENT_WZ", bars[1] if on else (math.inf,) * 2)
            cues = find_cues(index, ep, sr=SR, cohort_margin=None)
            assert all(c.track_id == tid for c in cues), cues
            found[on] += bool(cues)
            if on and cues:  # placed where the track plays
                assert cues[0].start == pytest.approx(14.0, abs=2.0)
                assert cues[0].track_start == pytest.approx(s0 + cues[0].start - 14.0, abs=0.1)
        assert find_cues(index, unknown, sr=SR, cohort_margin=None) == []
    # Measured: 16 of 24 with the test, 12 without.
    assert found[True] >= found[False] + 3, found


def test_fragments_of_one_cue_are_joined_across_a_gap():
    from heartsong.cues.match import _union_same_line

    fs = 0.016
    def cand(track, lo, hi, pos0, slope=1.0, z=8.0):
        # (track, lo, hi, slope, intercept, pitch, gain, score, z), frames; the line puts
        # track position pos0 (s) at episode time lo.
        return (track, lo / fs, hi / fs, slope, lo / fs - slope * pos0 / fs, 0.0, -6.0, 6, z)

    gap = 20.0 / fs
    a = cand(1, 4.0, 14.0, 77.4, slope=1 / 1.016)
    b = cand(1, 23.0, 48.0, 96.36, slope=1 / 1.004, z=14.0)
    joined = _union_same_line([a, b], fs, gap)
    assert len(joined) == 1
    assert joined[0][1] * fs == pytest.approx(4.0) and joined[0][2] * fs == pytest.approx(48.0)
    assert joined[0][3] == b[3]  # the stronger fragment's line
    # Another line (the track 2 s further on), or a gap longer than max_gap: two cues.
    assert len(_union_same_line([a, cand(1, 23.0, 48.0, 98.4)], fs, gap)) == 2
    assert len(_union_same_line([a, cand(1, 40.0, 60.0, 113.4)], fs, gap)) == 2


def test_distinct_hits_and_pairs_keep_the_first_of_each_distinct_row():
    from heartsong.cues.match import _distinct_hits, _distinct_pairs

    rng = np.random.default_rng(3)
    for n in (0, 1, 7, 300):
        tq = (rng.integers(0, 12, n) + rng.choice([0.0, 0.5], n)).astype(np.float32)
        tr = rng.integers(0, 12, n).astype(np.float32)
        tk = rng.integers(0, 3, n)
        tq[: n // 3] *= -0.0  # -0.0 and 0.0 are one time
        cases = (((tq, tr), _distinct_pairs(tq, tr)), ((tk, tq, tr), _distinct_pairs(tk, tq, tr)),
                 ((tk, tq, tr), _distinct_hits(tk, tq, tr)))
        for cols, got in cases:
            first: dict = {}
            for i, row in enumerate(zip(*(c.tolist() for c in cols), strict=True)):
                first.setdefault(tuple(v + 0.0 for v in row), i)
            assert sorted(got.tolist()) == sorted(first.values())
    # Two columns come back in lexsort order, as the line fits expect.
    tq = np.array([3, 1, 2, 1], np.float32)
    tr = np.array([0, 5, 1, 4], np.float32)
    assert _distinct_pairs(tq, tr).tolist() == [3, 1, 2, 0]


def test_shift_margin_tells_a_track_from_music_that_repeats_it(index, tracks):
    # The track where it plays fits clearly better than itself moved by 0.75-8 s (its
    # melody moves on); music that only repeats one bar of it (as a same-key, same-chords
    # piece does) fits the moved track about as well.
    from heartsong.cues.fingerprint import spectrogram
    from heartsong.cues.match import _shift_margin
    from heartsong.cues.refine import Spectrum, presence, significance

    fs = index.config.frame_seconds
    y = tracks[102]
    loop = np.tile(y[SR * 10 : SR * 12], 8)  # one 2 s stretch, eight times
    for excerpt, expect_clear in ((y[SR * 10 : SR * 26], True), (loop, False)):
        ep = mix(30.0, [(5.0, excerpt, -6.0, 0.0, 0.0)], noise=_speech(30.0, 0.02))
        S = Spectrum.from_db(spectrogram(resample(ep, sr=SR, target=index.config.sr),
                                         config=index.config), smooth=index.config.time_smooth)
        intercept = (5.0 - 10.0) / fs  # episode frame = track frame + intercept
        lo, hi = 5.0 / fs, 21.0 / fs
        pres = presence(S, 0, index.peaks(102), slope=1.0, intercept=intercept, pitch=0.0,
                        lo=int(lo), hi=int(hi))
        _, z = significance(pres, lo, hi)
        margin = _shift_margin(index, 102, S, 1.0, intercept, 0.0, lo, hi, z)
        if expect_clear:
            assert margin > 6.0, margin
        else:
            assert margin < 1.5, margin


def test_find_cues_rejects_a_bad_shift_margin(index):
    with pytest.raises(ParameterError, match="shift_margin"):
        find_cues(index, np.zeros(SR * 5, np.float32), sr=SR, shift_margin=0.0)


def test_fragments_on_slightly_wrong_lines_are_joined_on_the_line_through_both(index, tracks):
    # A cue slowed by 5 % found as two pieces, each fitted from a few hashes to a wrong
    # line (1.0 and 0.976, as measured under -10 dB dialogue): they do not meet within
    # 0.5 s, but the line through their centres is the cue's, and it explains the whole.
    from heartsong.cues.fingerprint import spectrogram
    from heartsong.cues.match import _join_fragments, _union_same_line
    from heartsong.cues.refine import Spectrum

    cfg = index.config
    fs = cfg.frame_seconds
    y = librosa.effects.time_stretch(tracks[103][SR * 5 : SR * 30], rate=0.95)  # 26.3 s
    ep = mix(40.0, [(4.0, y, -3.0, 0, 0)], noise=_speech(40.0, 0.02, seed=3))
    S = Spectrum.from_db(spectrogram(resample(ep, sr=SR, target=cfg.sr), config=cfg),
                         smooth=cfg.time_smooth)

    def piece(t0, t1, slope, err=0.0):  # the piece's centre (err s off in the track), a wrong slope
        mid = 0.5 * (t0 + t1)
        pos = 5.0 + (mid - 4.0) * 0.95 + err  # track seconds
        return (103, t0 / fs, t1 / fs, slope, (mid - slope * pos) / fs, 0.0, -3.0, 5, 9.0)

    a, b = piece(5.0, 14.0, 1.0), piece(16.0, 27.0, 0.976)
    assert len(_union_same_line([a, b], fs, 20.0 / fs)) == 2
    (c,) = _join_fragments(index, S, [a, b], 20.0 / fs)
    assert 1.0 / c[3] == pytest.approx(0.95, abs=0.01)
    assert c[8] > 9.0 and c[7] == 10
    assert c[1] * fs <= 5.0 and c[2] * fs >= 27.0  # placed over the whole cue
    # Pieces of other places in the track (2.5 s apart on their lines) stay apart.
    far = (*b[:4], b[4] + 2.5 / fs, *b[5:])
    assert len(_join_fragments(index, S, [a, far], 20.0 / fs)) == 2
    # A centre 0.3 s off tilts the line through both centres past the stretch range
    # (12 s apart: 1.08); the slope searched through their midpoint is still the cue's.
    off = piece(16.0, 27.0, 0.976, err=-0.3)
    assert 12.0 / (12.0 * 0.95 - 0.3) > 1.06
    (c,) = _join_fragments(index, S, [a, off], 20.0 / fs)
    assert 1.0 / c[3] == pytest.approx(0.95, abs=0.012)
    assert c[1] * fs <= 5.0 and c[2] * fs >= 27.0


def test_weak_evidence_bar_is_graded_by_hashes_for_lasting_untransposed_fits():
    from heartsong.cues.match import _needed_z

    def need(score, seconds, pitch=0.0):
        return _needed_z(score, seconds, pitch, min_significance=7.0, min_score=12)

    assert need(12, 1.0) == need(40, 1.0, pitch=2.0) == 7.0  # strong evidence: the base bar
    assert need(10, 5.0) == 8.0 and need(7, 5.0) == 10.0  # graded by hashes over >= 3 s
    assert need(5, 60.0) == 11.0  # few hashes: the full extra
    assert need(10, 2.5) == 11.0  # a short span: the full extra
    assert need(10, 5.0, pitch=2.0) == 11.0  # a semitone off: the full extra
    assert need(10, 5.0, pitch=-0.4) == 8.0


def test_a_cohort_kept_cue_is_judged_at_the_base_level_where_it_overlaps(index, monkeypatch):
    # A weak candidate kept by the cohort test has a z-score below its own bar (11 with 4
    # hashes); where it overlaps a stronger cue (a cross-fade) its unexplained evidence is
    # judged at the base level, not at the bar it was let in under.
    import heartsong.cues.match as match

    monkeypatch.setattr(match, "unexplained_significance", lambda *a, **k: 9.0)
    fs = index.config.frame_seconds
    host = (100, 0.0, 30.0 / fs, 1.0, 0.0, 0.0, -3.0, 60, 25.0)

    def weak(z):  # 4 hashes, 28-40 s: overlaps the host by 2 s
        return (101, 28.0 / fs, 40.0 / fs, 1.0, 28.0 / fs, 0.0, -6.0, 4, z)

    kept = match._explain_away(index, None, [host, weak(8.5)], 7.0, 12)
    assert [c[0] for c in kept] == [100, 101]
    # One accepted on its own bar (z 11.5 >= 11) must keep 11 of its own where it overlaps.
    kept = match._explain_away(index, None, [host, weak(11.5)], 7.0, 12)
    assert [c[0] for c in kept] == [100]


def test_a_short_cue_whose_audible_peaks_share_one_gain_needs_only_the_base_level(
        index, tracks, monkeypatch):
    # 3 s of a track under dialogue as loud as the music: a handful of hashes, so the bar
    # for weak hash evidence (z 11) is out of reach for most. Where the track's clearly
    # audible peaks share one gain (the track itself, not music or dialogue lighting
    # them), z 7 is enough. Unindexed music under the same dialogue stays unanswered.
    import heartsong.cues.match as match

    # (the single-peak votes find some of these on their own: their test is below)
    monkeypatch.setattr(match, "_VOTE_Z", math.inf)

    def run(consistent: bool) -> int:
        if not consistent:
            monkeypatch.setattr(match, "_SPAN_CONSISTENT", (10**9, 0.0))
            monkeypatch.setattr(match, "_CORE_CONSISTENT", (10**9, 0.0))
        found = 0
        for seed in range(24):
            rng = np.random.default_rng(seed)
            tid = 100 + seed % 5
            s0 = int(rng.integers(0, 35))
            talk = synth.speech(100 + seed, duration=30.0, sr=SR) / 0.1
            y = tracks[tid][SR * s0 : SR * (s0 + 3)]
            ep = mix(30.0, [(14.0, y, 0.0, 0, 0)], noise=float(np.sqrt(np.mean(y**2))) * talk)
            cues = find_cues(index, ep, sr=SR)
            assert all(c.track_id == tid for c in cues), cues
            found += bool(cues)
            if consistent:
                u = synth.music(500 + seed, duration=3, sr=SR)
                ep = mix(30.0, [(14.0, u, 0.0, 0, 0)],
                         noise=float(np.sqrt(np.mean(u**2))) * talk)
                assert find_cues(index, ep, sr=SR) == []
        return found

    with_gain = run(True)
    without = run(False)
    # Measured: 20 of 24 with the gain test, 8 without.
    assert with_gain >= 17
    assert with_gain >= without + 8


def test_a_strong_core_that_falls_short_alone_gets_the_extended_test(index, tracks, monkeypatch):
    # 4 s of a track between two other tracks, under dialogue 3 dB louder than it: 18
    # hashes line up, but the seconds around it hold other music (the cheap first look
    # fails) and its matched core alone stays under the strong bar. The whole cue, heard
    # by the extended test, passes that same bar; unindexed music in its place does not.
    import heartsong.cues.match as match

    monkeypatch.setattr(match, "_VOTE_Z", math.inf)  # (they find it too: their own test)
    seed, tid, s0 = 23, 103, 1
    talk = synth.speech(100 + seed, duration=30.0, sr=SR) / 0.1

    def episode(y: np.ndarray) -> np.ndarray:
        noise = float(np.sqrt(np.mean(y**2))) * 10 ** (3 / 20) * talk
        return mix(30.0, [(0.0, tracks[104][: 14 * SR], 3.0, 0, 0), (14.0, y, 0.0, 0, 0),
                          (18.0, tracks[100][5 * SR : 20 * SR], 3.0, 0, 0)], noise=noise)

    ep = episode(tracks[tid][SR * s0 : SR * (s0 + 4)])
    short = [c for c in find_cues(index, ep, sr=SR) if c.track_id == tid]
    assert len(short) == 1, short
    assert short[0].start == pytest.approx(14.0, abs=0.7)
    assert short[0].end == pytest.approx(18.0, abs=0.5)
    assert short[0].track_start == pytest.approx(s0 + short[0].start - 14.0, abs=0.3)
    monkeypatch.setattr(match, "_CORE_EXTENDED", False)
    assert [c for c in find_cues(index, ep, sr=SR) if c.track_id == tid] == []
    monkeypatch.setattr(match, "_CORE_EXTENDED", True)
    other = episode(synth.music(500 + seed, duration=4, sr=SR))
    assert {c.track_id for c in find_cues(index, other, sr=SR)} == {104, 100}


def test_three_hash_proposals_need_a_span_and_the_tracks_pitch():
    from heartsong.cues.match import _too_thin

    fs = 0.008  # 128-sample hop at 16 kHz
    spread = np.array([0.0, 20.0, 40.0])  # 0.32 s
    assert not _too_thin(spread, 0.3, fs)
    assert _too_thin(spread, 1.9, fs)  # a semitone off: where chance fits crowd
    assert _too_thin(spread, -1.9, fs)
    assert _too_thin(np.array([0.0, 10.0, 20.0]), 0.0, fs)  # 0.16 s
    # Four hashes or more are always looked at.
    assert not _too_thin(np.array([0.0, 1.0, 2.0, 3.0]), 2.0, fs)


def _melody_free(tid: int, *, noise: float) -> np.ndarray:
    """Seconds 10-30 of track ``tid`` of the conftest library without its melody (the same
    piece's other parts, as an instrumental mix), at 5 s in a 30 s episode with dialogue."""
    y = synth.music(40 + tid - 100, duration=45.0, sr=SR, melody=False)
    return mix(30.0, [(5.0, y[SR * 10 : SR * 30], -6.0, 0.0, 0.0)], noise=_speech(30.0, noise))


@pytest.mark.parametrize("tid", [101, 103])
def test_absence_tells_the_track_from_music_without_its_melody(index, tracks, tid):
    # Sound only adds: where the track plays, its loud peaks are all there (few "missing"),
    # whatever talks over it. Music sharing all but its melody lacks the melody's peaks.
    from heartsong.cues.fingerprint import spectrogram
    from heartsong.cues.match import _ABSENT_Z
    from heartsong.cues.refine import Spectrum, absence

    fs = index.config.frame_seconds
    whole = mix(30.0, [(5.0, tracks[tid][SR * 10 : SR * 30], -6.0, 0.0, 0.0)],
                noise=_speech(30.0, 0.02))
    zs = []
    for ep in (whole, _melody_free(tid, noise=0.02)):
        S = Spectrum.from_db(spectrogram(resample(ep, sr=SR, target=index.config.sr),
                                         config=index.config), smooth=index.config.time_smooth)
        z, _missing, tested = absence(S, index.peaks(tid), line=(1.0, (5.0 - 10.0) / fs, 0.0),
                                     lo=5.0 / fs, hi=25.0 / fs)
        assert tested > 50
        zs.append(z)
    assert zs[0] < 0.0 < _ABSENT_Z < zs[1], zs


def test_music_without_the_tracks_melody_needs_many_hashes(index, monkeypatch):
    # A mix without the melody whose accompaniment matches hash for hash (the film's
    # instrumental mix of a vocal track) is the track's cue; with as few hashes as chance
    # fits of same-key music gather, the missing melody rejects it.
    import heartsong.cues.match as M

    ep = _melody_free(101, noise=0.02)
    found = find_cues(index, ep, sr=SR)
    assert [c.track_id for c in found] == [101]
    assert found[0].score >= M._ABSENT_SCORE * 12
    monkeypatch.setattr(M, "_ABSENT_SCORE", 100)
    assert find_cues(index, ep, sr=SR) == []



@pytest.mark.parametrize("kind", ["tempo+5", "tempo-5", "speed+3"])
def test_a_line_percents_off_is_refitted_on_the_peaks(index, tracks, kind):
    # The hashes' line of a phase-vocoder stretch can be 3 % off (their anchors move with
    # the smeared onsets); the peak pairs put the slope and the position back.
    from heartsong.cues.fingerprint import peaks, spectrogram
    from heartsong.cues.match import _line_refit

    cfg = index.config
    fs = cfg.frame_seconds
    y = tracks[102][SR * 5 : SR * 30]
    pitch = 0.0
    if kind == "speed+3":
        tempo = 1.03
        y = resample(y, sr=SR, target=int(round(SR / tempo)))
        pitch = cfg.bins_per_octave * math.log2(tempo)  # resampling moves the pitch too
    else:
        tempo = 1.05 if kind == "tempo+5" else 0.95
        y = librosa.effects.time_stretch(y, rate=tempo)
    ep = mix(40.0, [(4.0, y, -3.0, 0, 0)], noise=_speech(40.0, 0.02, seed=3))
    pk = peaks(spectrogram(resample(ep, sr=SR, target=cfg.sr), config=cfg),
               density=cfg.query_density, config=cfg)
    true_slope = 1.0 / tempo  # episode frames per track frame
    true_icpt = 4.0 / fs - true_slope * 5.0 / fs
    # A line 3 % off in slope, through the truth at the cue's middle.
    mid_ref = (5.0 + 12.5) / fs
    slope = true_slope * 1.03
    icpt = true_slope * mid_ref + true_icpt - slope * mid_ref
    s, c = _line_refit(index.peaks(102), pk.t, pk.f, slope=slope, intercept=icpt, pitch=pitch,
                       lo=4.0 / fs, hi=(4.0 + 25.0 / tempo) / fs)
    # Within 0.4 % (from the true line it lands within 0.1 %: the smeared peaks of a
    # phase-vocoder stretch leave the least-squares fit a little latitude).
    assert s == pytest.approx(true_slope, rel=0.004)
    for t_ref in (5.0 / fs, 29.0 / fs):  # both ends of the cue, within 3 frames (48 ms)
        assert s * t_ref + c == pytest.approx(true_slope * t_ref + true_icpt, abs=3.0)


def test_a_weaker_candidate_that_the_stronger_line_explains_is_absorbed(index, tracks):
    # Track 101 plays from 4 s to 34 s on one line. A weaker candidate of the same track on
    # another line over 26-33 s (the track's harmony elsewhere) is the cue's continuation
    # when the cue's own line fits those seconds better; a real jump in the track is not.
    from heartsong.cues.fingerprint import spectrogram
    from heartsong.cues.match import _absorb_continuations
    from heartsong.cues.refine import Spectrum

    cfg = index.config
    fs = cfg.frame_seconds
    y = tracks[101]
    on = y[SR * 10 : SR * 40]  # the track from 10 s, played on
    jump = np.concatenate([y[SR * 10 : SR * 32], y[SR * 2 : SR * 10]])  # back to 2 s at 26 s
    strong = (101, 4.0 / fs, 25.0 / fs, 1.0, (4.0 - 10.0) / fs, 0.0, -3.0, 60, 20.0)
    weak = (101, 26.0 / fs, 33.0 / fs, 1.0, (26.0 - 2.0) / fs, 0.0, -3.0, 8, 8.0)
    kept = {}
    for name, music in (("on", on), ("jump", jump)):
        ep = mix(40.0, [(4.0, music, -3.0, 0, 0)], noise=_speech(40.0, 0.02))
        S = Spectrum.from_db(spectrogram(resample(ep, sr=SR, target=cfg.sr), config=cfg),
                             smooth=cfg.time_smooth)
        kept[name] = _absorb_continuations(index, S, [strong, weak], 20.0 / fs)
    ((track, lo, hi, *_),) = kept["on"]
    assert track == 101 and lo * fs == pytest.approx(4.0) and hi * fs == pytest.approx(33.0)
    assert kept["jump"] == [strong, weak]


def test_single_peak_votes_find_untouched_cues_no_hash_reaches(index, tracks, monkeypatch):
    # 8 s cues 21 dB under dialogue: most keep fewer than three hashes, so no hash proposes
    # them. The track's single peaks still gather on its offset; where the phase test then
    # finds the recording, the cue is kept. Unindexed music under the same dialogue stays
    # unanswered.
    import heartsong.cues.match as match

    found = {True: 0, False: 0}
    vote_z = match._VOTE_Z
    for seed in range(16):
        tid, s0, ep, unknown = _under_dialogue(tracks, seed, seconds=8, db=21)
        for on in (True, False):
            monkeypatch.setattr(match, "_VOTE_Z", vote_z if on else math.inf)
            cues = find_cues(index, ep, sr=SR)
            assert all(c.track_id == tid for c in cues), cues
            found[on] += bool(cues)
            if on and cues:  # over the seconds, and at the place in the track, it plays
                assert cues[0].start < 22.0 and cues[0].end > 14.0, cues
                assert cues[0].track_start == pytest.approx(s0 + cues[0].start - 14.0, abs=0.1)
        assert find_cues(index, unknown, sr=SR) == []
    # Measured: 15 of 16 with the votes (14 with the unweighted phase statistic), 9 without.
    assert found[True] >= found[False] + 3, found


def _episode_view(index, ep):
    """The episode as find_cues sees it: its prepared spectrum and its peaks by time."""
    from heartsong.cues.fingerprint import fingerprint_stream
    from heartsong.cues.refine import Spectrum

    cfg = index.config
    chunks = list(fingerprint_stream([resample(ep, sr=SR, target=cfg.sr)], role="query",
                                     config=cfg, chunk_seconds=60.0))
    S = Spectrum(Spectrum.quantise(np.concatenate([c.spectrogram for c in chunks])),
                 smooth=cfg.time_smooth)
    qt = np.concatenate([c.peaks.t for c in chunks])
    qf = np.concatenate([c.peaks.f for c in chunks])
    o = np.argsort(qt, kind="stable")
    return S, qt[o], qf[o]


def test_weak_proposal_on_a_wrong_line_is_tried_again_on_its_peaks_line(index, tracks):
    # 10 s of a track slowed by 5 %, 6 dB under dialogue, proposed by a few hashes on
    # slope 1 (as its hashes put a 3 s cue 5 % slower on the benchmark): the track's peaks
    # drift off the episode's, and the magnitude test rejects some of these lines. Refitted
    # on the peaks, the line is near the cue's (within a percent and a half: ten seconds of
    # peaks under dialogue), and there they pass the weakest hashes' bar. Unindexed music
    # at the same place gets no line from its peaks.
    import functools

    from heartsong.cues.match import _needed_z, _refine, _refit_weak, _track_ends

    cfg = index.config
    fs = cfg.frame_seconds
    rejected = rescued = 0
    for seed in range(8):
        tid = 100 + seed % 5
        y = librosa.effects.time_stretch(tracks[tid][SR * 10 : SR * 21], rate=0.95)[: SR * 10]
        talk = synth.speech(10 + seed, duration=40.0, sr=SR) / 0.1
        for known, music in ((True, y), (False, synth.music(600 + seed, duration=10, sr=SR))):
            level = float(np.sqrt(np.mean(music**2))) * 10 ** (6 / 20)
            S, qt, qf = _episode_view(index, mix(40.0, [(14.0, music, 0.0, 0, 0)],
                                                 noise=level * talk))
            # slope 1 through the cue's middle (19 s in the episode, 10 + 5 * 0.95 in the track)
            icpt = (19.0 - (10.0 + 5.0 * 0.95)) / fs
            lo, hi = 17.5 / fs, 20.5 / fs
            need = functools.partial(_needed_z, 4, pitch=0.0, min_significance=7.0,
                                     min_score=12)
            kw = dict(core_need=None, graded_core=7.0, consistent_z=7.0, weighted_z=math.inf)
            ends = _track_ends(index, tid, 1.0, icpt)
            res = _refine(index, tid, S, 1.0, icpt, 0.0, lo, hi, *ends, need, **kw)
            again = _refit_weak(index, tid, S, qt, qf, (1.0, icpt, 0.0), lo, hi, kw,
                                min_significance=7.0, min_score=12, min_quality=2.0)
            if not known:
                assert again is None
                continue
            if res[4] >= res[6]:
                continue
            rejected += 1
            if again is not None:
                (slope, intercept, _pitch, _b, _e), (nlo, nhi, _g, _q, z, _p, needed) = again
                assert z >= needed == 11.0  # the weakest hashes' bar
                assert 1.0 / slope == pytest.approx(0.95, abs=0.015)
                # the cue's place in the track, over its seconds
                assert (19.0 / fs - intercept) / slope * fs == pytest.approx(14.75, abs=0.15)
                assert nlo * fs < 19.0 < nhi * fs
                rescued += 1
    # Measured: 3 of the 8 lines rejected, 2 of those kept on the refitted line.
    assert rejected >= 2 and rescued >= 2, (rejected, rescued)


def test_a_vocoded_cue_cannot_explain_away_a_phase_tested_one(index, monkeypatch):
    # A phase vocoder rebuilds the phases, so a tempo-changed or transposed cue cannot be
    # what a phase-tested cue inside it was found on; an untouched or speed-changed one can
    # (an instrumental version shares its vocal version's waveform), as can magnitudes.
    import heartsong.cues.match as match

    monkeypatch.setattr(match, "unexplained_significance", lambda *a, **k: 0.0)
    fs = index.config.frame_seconds

    def host(slope, pitch):  # a strong cue of another track over 0-60 s
        return (100, 0.0, 60.0 / fs, slope, 0.0, pitch, -3.0, 60, 25.0)

    weak = (101, 20.0 / fs, 25.0 / fs, 1.0, 20.0 / fs, 0.0, -9.0, 0, 4.0)  # inside it
    phased = {weak: match._vote_test(index.config)}
    speed = 24 * math.log2(1.03)  # +3 % faster: 1.02 bands up
    for (slope, pitch), kept in (((1 / 0.95, 0.0), True), ((1.0, 2.0), True),
                                 ((1.0, 0.0), False), ((1 / 1.03, speed), False)):
        out = match._explain_away(index, None, [host(slope, pitch), weak], 7.0, 12,
                                  y=np.zeros(8, np.float16), phased=phased)
        assert (weak in out) is kept, (slope, pitch)
    assert weak not in match._explain_away(index, None, [host(1 / 0.95, 0.0), weak], 7.0, 12)


def test_a_phase_tested_cue_under_a_stronger_one_is_judged_on_its_own_seconds(index, tracks):
    # A cue let in by its phases has little magnitude evidence, so a stronger cue over part
    # of it (a cross-fade) would explain it away; it stays when its phase test passes again
    # on the seconds the stronger cue does not cover (2 s or more of them).
    from heartsong.cues.match import _coherent_outside, _vote_test

    fs = index.config.frame_seconds
    tid, s0, ep, unknown = _under_dialogue(tracks, 3, seconds=12, db=0)  # 14-26 s
    test = _vote_test(index.config)._replace(search=())  # (the line is exact here)
    cand = (tid, 14.0 / fs, 26.0 / fs, 1.0, (14.0 - s0) / fs, 0.0, 0.0, 0, 6.0)

    def over(a, b):  # a stronger cue of another track over [a, b) s
        return [(tid + 1, a / fs, b / fs, 1.0, 0.0, 0.0, 0.0, 30, 20.0)]

    for y, heard in ((ep, True), (unknown, False)):
        S, _, _ = _episode_view(index, y)
        y8 = resample(y, sr=SR, target=index.config.sr)
        assert _coherent_outside(index, S, y8, cand, over(14.0, 21.0), test) is heard
        assert _coherent_outside(index, S, y8, cand, over(17.0, 21.0), test) is heard
        # Covered but for 1.5 s: too little of its own.
        assert not _coherent_outside(index, S, y8, cand, over(14.0, 24.5), test)
