"""The compiled kernels against the NumPy code they replaced (kept here as the reference)."""

from __future__ import annotations

import numpy as np
import pytest

from heartsong.cues import kernels
from heartsong.cues.match import _FINE_MAX, _INV_STRETCH32, _STRETCH, _WIN
from heartsong.cues.refine import Spectrum


# ----------------------------------------------------------------- NumPy reference: fine vote
def _median(x: np.ndarray) -> float:
    a = np.sort(np.asarray(x, np.float64).ravel())
    n = a.size
    return float(0.5 * (a[(n - 1) // 2] + a[n // 2]))


def _window_counts(rows: np.ndarray, width: float) -> np.ndarray:
    k, n = rows.shape
    lift = float(rows[:, -1].max() - rows[:, 0].min()) + 2 * width + 1.0
    flat = (rows + (np.arange(k, dtype=rows.dtype) * rows.dtype.type(lift))[:, None]).ravel()
    return (np.searchsorted(flat, flat + width, "right") - np.arange(flat.size)).reshape(k, n)


def _ref_fine(window: int, tq: np.ndarray, tr: np.ndarray, p: np.ndarray,
              min_votes: int) -> tuple[float, float, float, np.ndarray] | None:
    centre = window * _WIN + _WIN / 2
    if tq.size > _FINE_MAX:
        sub = np.linspace(0, tq.size - 1, _FINE_MAX).astype(np.int64)
        tqs, trs = tq[sub], tr[sub]
    else:
        tqs, trs = tq, tr
    u = trs[None, :] - (tqs[None, :] - np.float32(centre)) * _INV_STRETCH32[:, None]
    u.sort(axis=1)
    n, m = u.shape[1], min_votes
    if n < m or not (u[:, m - 1 :] - u[:, : n - m + 1] <= 3.1).any():
        return None
    best = _window_counts(u, 3.0).max(axis=1)
    top = best.max()
    if top < min_votes:
        return None
    cands = np.nonzero(best == top)[0]
    k = int(cands[np.argmin(np.abs(_STRETCH[cands] - 1.0))])
    uk = tr - (tq - centre) / _STRETCH[k]
    uks = np.sort(uk)
    cnt_k = np.searchsorted(uks, uks + 3.0, "right") - np.arange(uks.size)
    i = int(np.argmax(cnt_k))
    u0 = _median(uks[i : i + int(cnt_k[i])])
    inl = np.abs(uk - u0) <= 2.0
    pm = _median(p[inl])
    inl &= np.abs(p - pm) <= 1.0
    if int(inl.sum()) < min_votes:
        return None
    if len({(a, b) for a, b in zip(tq[inl].tolist(), tr[inl].tolist(), strict=True)}) < min_votes:
        return None
    return float(_STRETCH[k]), u0, pm, inl


def _ref_cells(tq, tr, p, w, starts, ends, min_votes):  # type: ignore[no-untyped-def]
    out = []
    for c, (a, b) in enumerate(zip(starts, ends, strict=True)):
        sel = np.arange(a, b)
        while sel.size >= min_votes:
            d = _ref_fine(int(w[a]), tq[sel], tr[sel], p[sel], min_votes)
            if d is None:
                break
            slope, u0, pm, inl = d
            out.append((c, slope, u0, pm, sel[inl].tolist()))
            centre = w[a] * _WIN + _WIN / 2
            res = tr[sel] - (tq[sel] - centre) / slope - u0
            sel = sel[np.abs(res) > 2.0]
    return out


def _cells(seed: int) -> tuple[np.ndarray, ...]:
    """Cells of random hits, some holding one or two stretched lines (and one > _FINE_MAX)."""
    rng = np.random.default_rng(seed)
    tq, tr, p, w, starts, ends = [], [], [], [], [], []
    n0 = 0
    for _ in range(40):
        win = int(rng.integers(0, 200))
        lo = win * _WIN
        size = int(rng.choice([5, 20, 60, 500]))
        q = rng.uniform(lo, lo + _WIN, size)
        r = rng.uniform(0, 20000, size)
        pp = rng.uniform(-3, 3, size)
        for _line in range(int(rng.integers(0, 3))):
            k = int(rng.integers(4, max(5, size // 2)))
            idx = rng.choice(size, k, replace=False)
            s = float(rng.uniform(0.95, 1.05))
            r[idx] = 5000 + (q[idx] - lo) / s + rng.normal(0, 0.7, k)
            pp[idx] = float(rng.uniform(-2, 2)) + rng.normal(0, 0.3, k)
        tq.append(q), tr.append(r), p.append(pp), w.append(np.full(size, win))
        starts.append(n0), ends.append(n0 + size)
        n0 += size
    return (np.concatenate(tq).astype(np.float32), np.concatenate(tr).astype(np.float32),
            np.concatenate(p).astype(np.float32), np.concatenate(w).astype(np.int64),
            np.array(starts, np.int64), np.array(ends, np.int64))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("min_votes", [3, 6])
def test_fine_cells_matches_numpy(seed: int, min_votes: int) -> None:
    tq, tr, p, w, starts, ends = _cells(seed)
    want = _ref_cells(tq, tr, p, w, starts, ends, min_votes)
    cell, k, u, pitch, off, idx = kernels.fine_cells(
        tq, tr, p, w, starts, ends, min_votes, _FINE_MAX, _WIN, _INV_STRETCH32, _STRETCH)
    got = [(int(cell[j]), float(_STRETCH[k[j]]), float(u[j]), float(pitch[j]),
            idx[off[j] : off[j + 1]].tolist()) for j in range(cell.size)]
    assert len(want) > 5  # the planted lines are found
    assert got == want


# ------------------------------------------------------------ NumPy reference: peak evidence
def _ref_contrast(S: Spectrum, t: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nt, nf = S.shape
    ti = np.clip(np.rint(t).astype(np.int64), 1, nt - 2)
    fi = np.clip(np.rint(f).astype(np.int64), 4, nf - 5)
    level = S.level[ti, fi].astype(np.float32) * np.float32(0.5) - np.float32(100.0)
    best = S.best[ti, fi].astype(np.float32) * np.float32(0.5) - np.float32(100.0)
    side = S.side[ti, fi].astype(np.float32) * np.float32(0.125) - np.float32(100.0)
    return level, best - side


def _ref_evidence(S: Spectrum, s0: int, t: np.ndarray, f: np.ndarray, db: np.ndarray,
                  slope: float, intercept: float, pitch: float, lo: float,
                  hi: float) -> tuple[np.ndarray, ...]:
    te = slope * t.astype(np.float64) + intercept
    fe = f.astype(np.float64) + pitch
    ok = (te >= lo) & (te < hi) & (fe >= 4) & (fe <= S.shape[1] - 5)
    te, fe, db = te[ok], fe[ok], db[ok]
    level, c = _ref_contrast(S, te - s0, fe)
    nulls = []
    for shift in (-8, -5, 5, 8):
        fs_ = fe + shift
        fs_ = np.where((fs_ >= 4) & (fs_ <= S.shape[1] - 5), fs_, fe - shift)
        nulls.append(_ref_contrast(S, te - s0, fs_)[1])
    return te, fe, db, level, c, c - np.mean(nulls, axis=0)


@pytest.mark.parametrize("seed", range(4))
def test_evidence_matches_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    S = Spectrum.from_db(rng.normal(-60, 12, (3000, 117)).astype(np.float32), smooth=17)
    n = 4000
    t = np.sort(rng.uniform(0, 3200, n)).astype(np.float32)
    f = rng.uniform(-2, 119, n).astype(np.float32)
    # Some bands on exact half-steps: rounding ties must go the same way.
    f[::7] = np.floor(f[::7]) + np.float32(0.5)
    db = rng.normal(-30, 6, n).astype(np.float32)
    args = (0.97 + 0.01 * seed, float(rng.uniform(-50, 50)), float(rng.uniform(-2, 2)),
            10.0, 2900.5)
    want = _ref_evidence(S, 3, t, f, db, *args)
    got = kernels.evidence(S.level, S.best, S.side, 3, t, f, db, *args)
    assert want[0].size > 1000
    for a, b in zip(want, got, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_spectrum_contrast_matches_numpy() -> None:
    rng = np.random.default_rng(7)
    S = Spectrum.from_db(rng.normal(-60, 12, (500, 117)).astype(np.float32), smooth=17)
    t = rng.uniform(-3, 503, 2000)
    f = rng.uniform(-2, 119, 2000)
    f[::5] = np.floor(f[::5]) + 0.5  # rounding ties
    for a, b in zip(_ref_contrast(S, t, f), S.contrast(t, f), strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------- NumPy reference: line fit and gain spread
def _ref_median(x: np.ndarray) -> float:  # heartsong.cues.match._median
    a = np.sort(np.asarray(x, np.float64).ravel())
    return float(0.5 * (a[(a.size - 1) // 2] + a[a.size // 2]))


def _ref_distinct(tq: np.ndarray, tr: np.ndarray) -> np.ndarray:
    o = np.lexsort((tr, tq))  # by tq, then tr; stable: the earliest of equal pairs first
    first = np.r_[True, (tq[o[1:]] != tq[o[:-1]]) | (tr[o[1:]] != tr[o[:-1]])]
    return o[first]


def _hits(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hits on a line tq = 1.03 tr + 400 with noise, repeated pairs (probes) and outliers."""
    tr = np.round(rng.uniform(0, 600, n) * 8) / 8
    tq = 1.03 * tr + 400 + rng.normal(0, 1.5, n)
    tq[: n // 4] = rng.uniform(0, 1200, n // 4)
    rep = rng.integers(0, n, n // 3)
    tq[rep[1::2]], tr[rep[1::2]] = tq[rep[::2][: rep[1::2].size]], tr[rep[::2][: rep[1::2].size]]
    tq[0] = -0.0  # equal to 0.0, other bits
    p = rng.normal(0.5, 0.4, n)
    return tq.astype(np.float32), tr.astype(np.float32), p.astype(np.float32)


@pytest.mark.parametrize("seed", range(8))
def test_line_fit_kernels_match_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    tq, tr, p = _hits(rng, int(rng.integers(5, 400)))
    idx = kernels.distinct_pairs(tq, tr)
    np.testing.assert_array_equal(idx, _ref_distinct(tq, tr))
    assert idx.size < tq.size  # the repeats are dropped
    tq, tr, p = tq[idx], tr[idx], p[idx]
    slope = 1.03 + float(rng.normal(0, 0.002))
    icpt = kernels.median_intercept(tq, tr, slope)
    assert icpt == _ref_median(tq - slope * tr)
    ok, pitch = kernels.line_inliers(tq, tr, p, slope, icpt)
    want = np.abs(tq - (slope * tr + icpt)) <= 4.0
    np.testing.assert_array_equal(ok, want)
    assert want.sum() > tq.size // 2
    assert pitch == _ref_median(p[want])
    ok, pitch = kernels.line_inliers(tq, tr, p, slope, icpt + 1e4)
    assert not ok.any() and pitch == 0.0


@pytest.mark.parametrize("n", [3, 4, 17, 250])
def test_median_abs_deviation_matches_numpy(n: int) -> None:
    rng = np.random.default_rng(n)
    for k in range(50):
        g = rng.normal(-10, 3, n).astype(np.float32)
        if k % 2:
            g = (np.round(g * 2) / 2).astype(np.float32)  # 0.5 dB steps: ties
        assert kernels.median_abs_deviation(g) == float(np.median(np.abs(g - np.median(g))))


# ------------------------------------------------------- NumPy reference: missing peaks
def _ref_missing(te, db, level, c, w, clear, loud, reach, deficit) -> np.ndarray:
    """The definition, peak by peak: tested when loud with 3+ clear peaks within reach;
    missing when the level lies ``deficit`` below the track's plus their median gain."""
    out = np.full(te.size, -1, np.int8)
    is_clear = c > clear
    gains = (level - db)[is_clear]
    times = te[is_clear]
    for i in range(te.size):
        near = np.abs(times - te[i]) <= reach
        if w[i] < loud or near.sum() < 3:
            continue
        g = np.median(gains[near])
        out[i] = 1 if db[i] + g - level[i] > deficit else 0
    return out


@pytest.mark.parametrize("seed", range(5))
def test_missing_peaks_matches_the_definition(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    te = np.sort(rng.uniform(0, 2000, n))
    db = rng.uniform(-60, -10, n).astype(np.float32)
    # Half the peaks there at a gain of -8 dB (+- 3), the rest at random levels.
    level = np.where(rng.random(n) < 0.5, db - 8 + rng.normal(0, 3, n),
                     rng.uniform(-90, -10, n)).astype(np.float32)
    c = rng.uniform(-5, 20, n).astype(np.float32)
    w = rng.uniform(0, 1, n)
    got = kernels.missing_peaks(te, db, level, c, w, 6.0, 0.75, 64.0, 10.0)
    ref = _ref_missing(te, db, level, c, w, 6.0, 0.75, 64.0, 10.0)
    np.testing.assert_array_equal(got, ref)
    assert n < 50 or ((got == 1).any() and (got == 0).any())


@pytest.mark.parametrize("seed", range(4))
def test_band_counts_matches_searchsorted(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # rows of a slope search: sorted offsets, with ties and points exactly a band apart
    r = np.sort(np.round(rng.normal(0, 20, (9, 200)), 1), axis=1)
    r[:, 50:60] = r[:, 50:51]
    r[:, 100] = r[:, 99] + 3.0
    r = np.sort(r, axis=1)
    want = np.stack([np.searchsorted(row, row + 3.0, "right") for row in r]) - np.arange(200)
    assert np.array_equal(kernels.band_counts(r, 3.0), want)
    assert kernels.band_counts(np.zeros((3, 0)), 3.0).shape == (3, 0)
