"""Single-peak offset votes (heartsong.cues.votes)."""

from __future__ import annotations

import numpy as np
import pytest

from heartsong.cues.fingerprint import Peaks
from heartsong.cues.kernels import offset_runs
from heartsong.cues.votes import untouched_alignments
from heartsong.errors import ParameterError


def _track(seed: int, n: int = 2000, frames: float = 3000.0) -> Peaks:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, frames, n)).astype(np.float32)
    return Peaks(t, rng.uniform(0, 110, n).astype(np.float32),
                 rng.normal(-40, 6, n).astype(np.float32))


def _episode(ref: Peaks, *, offset: float, lo: float, hi: float, keep: float, seed: int,
             noise: int = 4000, frames: float = 12000.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    on = (ref.t >= lo) & (ref.t < hi) & (rng.random(len(ref)) < keep)
    qt = np.r_[ref.t[on] + offset + rng.normal(0, 0.4, on.sum()), rng.uniform(0, frames, noise)]
    qf = np.r_[ref.f[on] + rng.normal(0, 0.05, on.sum()), rng.uniform(0, 110, noise)]
    o = np.argsort(qt)
    return qt[o].astype(np.float32), qf[o].astype(np.float32)


def test_planted_alignment_is_found_at_its_offset_and_place():
    ref = _track(0)
    qt, qf = _episode(ref, offset=6000.0, lo=1000.0, hi=1500.0, keep=0.3, seed=1)
    found = untouched_alignments(qt, qf, ref, loudest=1.0)
    icpt, lo, hi, z = found[0]
    assert abs(icpt - 6000.0) <= 1 and z > 15
    # the stretch runs from the first vote to the last, over the planted seconds
    assert lo >= 6990 and hi <= 7510 and hi - lo >= 250
    # one answer per offset and stretch: the neighbours are folded into it
    assert not any(abs(f[0] - icpt) <= 3 and min(f[2], hi) > max(f[1], lo) for f in found[1:])


def test_chance_peaks_give_no_alignment():
    ref = _track(0)
    for seed in range(4):
        qt, qf = _episode(ref, offset=0.0, lo=0.0, hi=0.0, keep=0.0, seed=seed + 10)
        assert untouched_alignments(qt, qf, ref, min_z=9.0) == []


def test_offset_runs_counts_votes_as_brute_force():
    ref = _track(2, n=300, frames=800.0)
    qt, qf = _episode(ref, offset=300.0, lo=100.0, hi=400.0, keep=0.5, seed=3, noise=300,
                      frames=1500.0)
    band = np.rint(ref.f).astype(np.int64)
    o = np.argsort(band, kind="stable")
    starts = np.searchsorted(band[o], np.arange(band.max() + 2)).astype(np.int64)
    length = float(ref.t.max()) + 1.0
    rows = offset_runs(qt, qf, ref.t[o], ref.f[o], starts, length, np.array([256.0]), 0.25, 3)
    # brute force: every (episode peak, track peak) pair within 0.25 bands
    pair = np.abs(qf[:, None] - ref.f[None, :]) <= 0.25
    off = np.rint(qt[:, None] - ref.t[None, :])
    assert len(rows) > 10
    for r in rows[:50]:
        near = pair & (np.abs(off - r[0]) <= 1)
        times = np.sort(np.broadcast_to(qt[:, None], off.shape)[near])
        counts = [int(np.sum((times >= a) & (times < a + 256))) for a in times]
        best = max(counts)
        assert r[2] == best
        first = times[counts.index(best)]  # the earliest densest stretch, and its last vote
        assert r[4] == first and r[6] == times[(times >= first) & (times < first + 256)].max()
        assert r[5] == int(np.sum(pair & (off == r[0])))


@pytest.mark.parametrize(("kw", "name"), [({"tol": 0.0}, "tol"), ({"min_votes": 1}, "min_votes"),
                                          ({"spans": ()}, "spans"), ({"loudest": 0.0}, "loudest")])
def test_bad_parameters_are_named(kw, name):
    ref = _track(0)
    with pytest.raises(ParameterError, match=name):
        untouched_alignments(np.zeros(3, np.float32), np.zeros(3, np.float32), ref, **kw)


def test_nothing_to_vote_gives_nothing():
    ref = _track(0)
    empty = np.zeros(0, np.float32)
    assert untouched_alignments(empty, empty, ref) == []
    assert untouched_alignments(np.ones(3, np.float32), np.ones(3, np.float32),
                                Peaks(empty, empty, empty)) == []
