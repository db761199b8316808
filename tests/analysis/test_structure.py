from __future__ import annotations

import numpy as np

from heartsong.analysis.features import SR
from heartsong.analysis.structure import analyze_structure
from heartsong.analysis.synth import Piece, render


def test_intensity_curve_every_half_second(features_of):
    y = render(Piece(bpm=120, bars=8, seed=1))
    s = analyze_structure(features_of(y))
    assert s.intensity.hop == 0.5
    assert len(s.intensity.values) == int(np.ceil(y.shape[0] / SR / 0.5))
    assert all(0.0 <= v <= 1.0 for v in s.intensity.values)


def test_build_found_on_crescendo(features_of):
    y = render(Piece(bpm=100, bars=8, sections="AAAA", crescendo=24, drums=False, seed=1))
    s = analyze_structure(features_of(y))
    assert s.builds, "a 24 dB crescendo must be a build"
    longest = max(s.builds, key=lambda b: b.end - b.start)
    assert longest.end - longest.start > 20
    assert longest.rise > 0.12


def test_no_build_in_steady_piece(features_of):
    y = render(Piece(bpm=100, bars=16, sections="A", seed=5))
    assert analyze_structure(features_of(y)).builds == ()


def test_sections_and_hook_in_repeated_chorus(features_of):
    # A (verse) B (louder chorus) A B C (sparse bridge) B: the hook is a chorus.
    p = Piece(bpm=120, bars=8, sections="ABABCB", seed=3)
    y = render(p)
    s = analyze_structure(features_of(y))
    section_len = p.bars * 4 * 60 / p.bpm  # 16 s
    choruses = [(i * section_len, (i + 1) * section_len) for i, c in enumerate(p.sections)
                if c == "B"]
    hook = s.hook
    assert hook is not None
    assert 15.0 <= hook.end - hook.start <= 30.0
    mid = (hook.start + hook.end) / 2
    assert any(a <= mid <= b for a, b in choruses), (hook, choruses)
    assert "recurs" in hook.reason
    starts = [sec.start for sec in s.sections]
    assert starts[0] == 0.0
    assert all(a.end == b.start for a, b in zip(s.sections, s.sections[1:], strict=False))
    # The sparse bridge (64-80 s) is found, and it is the quietest section.
    for t in (64.0, 80.0):
        assert min(abs(x - t) for x in starts) <= 2.0, starts
    bridge = min(s.sections, key=lambda sec: sec.intensity)
    assert 62.0 <= bridge.start <= 66.0


def test_short_track_has_no_hook(features_of):
    y = render(Piece(bpm=120, bars=2))
    assert analyze_structure(features_of(y)).hook is None
