"""Compiled inner loops of the cue matcher (numba, which librosa already depends on).

The fine vote runs on thousands of small cells per episode (median 20 hits): in NumPy
each cell costs ~30 array calls of fixed overhead, ~120 us, a quarter of the matcher's
time. Compiled, a cell costs a few microseconds. Every step reproduces, operation for
operation and in the same float types, the NumPy version it replaced (cue output on the
benchmark's episodes is byte-identical), so the two can be checked against each other
(``tests/cues/test_kernels.py``). :func:`offset_runs` (the single-peak votes of
:mod:`heartsong.cues.votes`) never had a NumPy version; its test counts the votes by brute
force (``tests/cues/test_votes.py``).

Compiled on first use (about 16 s of CPU on a small machine) and cached on disk beside
this file (numba's ``cache=True``; the cache files are written atomically). :func:`warm`
compiles or loads them; callers that start worker processes call it first, so the workers
only load the cache.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["band_counts", "contrast", "distinct_pairs", "evidence", "fine_cells",
           "line_inliers", "median_abs_deviation", "median_intercept", "missing_peaks",
           "offset_runs", "peak_weights", "warm"]

_F32 = np.float32
# Slack of the quick "no line here" test: it reads unlifted offsets while the count reads
# them lifted to one float32 array, whose rounding is well under 0.1 frame.
_QUICK_SLACK = _F32(3.1)
_WIDTH32 = _F32(3.0)


# Shell sort gaps (Ciura's, then x2.25): numba's np.sort costs ~2 s of compilation per
# element type, this a fraction; the arrays sorted here hold tens to a few thousand values.
_GAPS = np.array([1, 4, 10, 23, 57, 132, 301, 701, 1577, 3548, 7983, 17961, 40412,
                  90927, 204585, 460316, 1035711, 2330349, 5243285][::-1], np.int64)


@numba.njit(cache=True, nogil=True)
def _sort(a: np.ndarray) -> None:
    """Sort a 1-D array in place (ascending; the values, hence the result, equal np.sort's)."""
    n = a.size
    for gap in _GAPS:
        if gap >= n:
            continue
        for i in range(gap, n):
            x = a[i]
            j = i
            while j >= gap and a[j - gap] > x:
                a[j] = a[j - gap]
                j -= gap
            a[j] = x


@numba.njit(cache=True, nogil=True)
def _argsort(a: np.ndarray, order: np.ndarray) -> None:
    """Sort ``a`` in place as :func:`_sort` does, and fill ``order`` with each sorted
    value's original index."""
    n = a.size
    for i in range(n):
        order[i] = i
    for gap in _GAPS:
        if gap >= n:
            continue
        for i in range(gap, n):
            x = a[i]
            o = order[i]
            j = i
            while j >= gap and a[j - gap] > x:
                a[j] = a[j - gap]
                order[j] = order[j - gap]
                j -= gap
            a[j] = x
            order[j] = o


@numba.njit(cache=True, nogil=True)
def _median_sorted(a: np.ndarray) -> float:
    n = a.size
    return 0.5 * (float(a[(n - 1) // 2]) + float(a[n // 2]))


@numba.njit(cache=True, nogil=True)
def _pair_keys(tq: np.ndarray, tr: np.ndarray) -> np.ndarray:
    """The bits of both float32 times as one uint64 per pair (+ 0.0 makes -0.0 and 0.0,
    equal values, one key); for non-negative times the keys sort as ``(tq, tr)`` do."""
    n = tq.size
    key = np.empty(n, np.uint64)
    qb = (tq + _F32(0.0)).view(np.uint32)
    rb = (tr + _F32(0.0)).view(np.uint32)
    for i in range(n):
        key[i] = (np.uint64(qb[i]) << np.uint64(32)) | np.uint64(rb[i])
    return key


@numba.njit(cache=True, nogil=True)
def _distinct_pairs(tq: np.ndarray, tr: np.ndarray) -> int:
    # How many distinct (tq, tr) values.
    n = tq.size
    key = _pair_keys(tq, tr)
    _sort(key)
    k = 1 if n else 0
    for i in range(1, n):
        if key[i] != key[i - 1]:
            k += 1
    return k


@numba.njit(cache=True, nogil=True)
def _densest(a: np.ndarray, width: float) -> tuple[int, int]:
    """First ``i`` of sorted ``a`` with the most values in ``[a[i], a[i] + width]``, and that
    count (``a[i] + width`` in ``a``'s own float type, as np.searchsorted compared it)."""
    i_best, c_best = 0, -1
    j = 0
    for i in range(a.size):
        thr = a[i] + width
        if j < i:
            j = i
        while j < a.size and a[j] <= thr:
            j += 1
        if j - i > c_best:
            c_best = j - i
            i_best = i
    return i_best, c_best


@numba.njit(cache=True, nogil=True)
def _grow(a: np.ndarray, n: int) -> np.ndarray:
    out = np.empty(n, a.dtype)
    out[: a.size] = a
    return out


@numba.njit(cache=True, nogil=True)
def _fine_one(tq: np.ndarray, tr: np.ndarray, p: np.ndarray, centre: float,
              min_votes: int, fine_max: int, inv32: np.ndarray,
              stretch: np.ndarray) -> tuple[int, float, float, np.ndarray]:
    """Best line through one cell's hits: (stretch index or -1, u, pitch, inlier mask).

    The line is ``tr = u + (tq - centre) / stretch``: a stretch grid times an offset
    histogram, then the tightest 3-frame cluster at the best stretch over all the hits,
    with a consistent pitch offset and at least ``min_votes`` distinct (tq, tr) pairs
    (probes of one query triplet repeat a pair; they are one piece of evidence).
    """
    n_all = tq.size
    none = np.zeros(0, np.bool_)
    c32 = _F32(centre)
    # A loud cue puts thousands of hits in one cell; an evenly spaced subset finds the
    # stretch as well (the line holds a fixed share of the hits) at a fraction of the cost.
    # (As np.linspace(0, n - 1, fine_max).astype(int) picks it.)
    if n_all > fine_max:
        step = float(n_all - 1) / float(fine_max - 1)
        tqs = np.empty(fine_max, np.float32)
        trs = np.empty(fine_max, np.float32)
        for i in range(fine_max):
            h = np.int64(float(i) * step) if i < fine_max - 1 else n_all - 1
            tqs[i], trs[i] = tq[h], tr[h]
    else:
        tqs, trs = tq, tr
    n = tqs.size
    m = min_votes
    ns = inv32.size
    if n < m:
        return -1, 0.0, 0.0, none
    # Offsets per stretch value in float32 (0.001 frame precision here), as before, each
    # row sorted. The order of two hits' offsets changes at most once along the stretch
    # grid (their difference is linear in it), so each row starts from the previous row's
    # order and an insertion sort finishes it: n * ns + n^2 / 2 steps at worst.
    u = np.empty((ns, n), np.float32)
    order = np.empty(n, np.int64)
    for i in range(n):
        u[0, i] = trs[i] - (tqs[i] - c32) * inv32[0]
    _argsort(u[0], order)
    for k in range(1, ns):
        row = u[k]
        for i in range(n):
            h = order[i]
            x = trs[h] - (tqs[h] - c32) * inv32[k]
            j = i
            while j > 0 and row[j - 1] > x:
                row[j] = row[j - 1]
                order[j] = order[j - 1]
                j -= 1
            row[j] = x
            order[j] = h
    # Most cells hold no line: no m hits within 3 frames at any stretch.
    any_line = False
    for k in range(ns):
        for j in range(n - m + 1):
            if u[k, j + m - 1] - u[k, j] <= _QUICK_SLACK:
                any_line = True
                break
        if any_line:
            break
    if not any_line:
        return -1, 0.0, 0.0, none
    # Tightest cluster per stretch, counted on the rows lifted into one float32 array (as
    # the NumPy version's single searchsorted did).
    hi_max = u[0, n - 1]
    lo_min = u[0, 0]
    for k in range(1, ns):
        hi_max = max(hi_max, u[k, n - 1])
        lo_min = min(lo_min, u[k, 0])
    lift = _F32(float(hi_max - lo_min) + 2 * 3.0 + 1.0)
    best = np.zeros(ns, np.int64)
    row = np.empty(n, np.float32)
    for k in range(ns):
        off = _F32(k) * lift
        for i in range(n):
            row[i] = u[k, i] + off
        best[k] = _densest(row, _WIDTH32)[1]
    top = best.max()
    if top < m:
        return -1, 0.0, 0.0, none
    # Among equally good stretches the one nearest 1.0 (no evidence of change).
    kbest = -1
    dbest = np.inf
    for k in range(ns):
        if best[k] == top:
            dk = abs(stretch[k] - 1.0)
            if dk < dbest:
                dbest = dk
                kbest = k
    s = stretch[kbest]
    uk = np.empty(n_all, np.float64)
    for i in range(n_all):
        uk[i] = float(tr[i]) - float(tq[i] - c32) / s
    uks = uk.copy()
    _sort(uks)
    ibest, cbest = _densest(uks, 3.0)
    u0 = _median_sorted(uks[ibest : ibest + cbest])
    inl = np.empty(n_all, np.bool_)
    pin = np.empty(n_all, np.float64)
    cnt = 0
    for i in range(n_all):
        inl[i] = abs(uk[i] - u0) <= 2.0
        if inl[i]:
            pin[cnt] = p[i]
            cnt += 1
    pin = pin[:cnt]
    _sort(pin)
    pm = _median_sorted(pin)
    pm32 = _F32(pm)
    qi = np.empty(cnt, np.float32)
    ri = np.empty(cnt, np.float32)
    cnt = 0
    for i in range(n_all):
        if inl[i]:
            if abs(p[i] - pm32) <= _F32(1.0):
                qi[cnt], ri[cnt] = tq[i], tr[i]
                cnt += 1
            else:
                inl[i] = False
    if cnt < m:
        return -1, 0.0, 0.0, none
    if _distinct_pairs(qi[:cnt], ri[:cnt]) < m:
        return -1, 0.0, 0.0, none
    return kbest, u0, pm, inl


@numba.njit(cache=True, nogil=True)
def fine_cells(tq: np.ndarray, tr: np.ndarray, p: np.ndarray, w: np.ndarray,
               starts: np.ndarray, ends: np.ndarray, min_votes: int, fine_max: int,
               win: int, inv32: np.ndarray,
               stretch: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                             np.ndarray, np.ndarray]:
    """Fine vote over every cell ``[starts[c], ends[c])`` of hits sorted by (track, window).

    Several lines may share a cell (the track repeats in the episode, or a motif repeats in
    the track): detections are peeled off one at a time. Returns per detection its cell,
    stretch index, ``u`` and pitch, and the offsets into the returned inlier indices.
    """
    n = tq.size
    # Every detection removes at least one hit from its cell (below), so n bounds them.
    d_cell = np.empty(n, np.int64)
    d_k = np.empty(n, np.int64)
    d_u = np.empty(n, np.float64)
    d_p = np.empty(n, np.float64)
    d_off = np.zeros(n + 1, np.int64)
    inl_idx = np.empty(max(n, 16), np.int64)
    sel = np.empty(n, np.int64)
    bq = np.empty(n, np.float32)
    br = np.empty(n, np.float32)
    bp = np.empty(n, np.float32)
    nd = 0
    for c in range(starts.size):
        a, b = starts[c], ends[c]
        centre = float(w[a] * win) + win / 2
        ns = b - a
        for i in range(ns):
            sel[i] = a + i
        while ns >= min_votes:
            for i in range(ns):
                h = sel[i]
                bq[i], br[i], bp[i] = tq[h], tr[h], p[h]
            k, u0, pm, inl = _fine_one(bq[:ns], br[:ns], bp[:ns], centre, min_votes,
                                       fine_max, inv32, stretch)
            if k < 0:
                break
            o = d_off[nd]
            for i in range(ns):
                if inl[i]:
                    if o == inl_idx.size:
                        inl_idx = _grow(inl_idx, 2 * o)
                    inl_idx[o] = sel[i]
                    o += 1
            d_cell[nd], d_k[nd], d_u[nd], d_p[nd] = c, k, u0, pm
            d_off[nd + 1] = o
            nd += 1
            # Peel: what lies on this line (in float64, as the NumPy loop did) is used.
            slope = stretch[k]
            kept = 0
            for i in range(ns):
                h = sel[i]
                res = float(tr[h]) - (float(tq[h]) - centre) / slope - u0
                if abs(res) > 2.0:
                    sel[kept] = h
                    kept += 1
            if kept == ns:  # (cannot happen: the line's own hits lie on it)
                break
            ns = kept
    return (d_cell[:nd].copy(), d_k[:nd].copy(), d_u[:nd].copy(), d_p[:nd].copy(),
            d_off[: nd + 1].copy(), inl_idx[: d_off[nd]].copy())


@numba.njit(cache=True, nogil=True)
def _contrast_at(level: np.ndarray, best: np.ndarray, side: np.ndarray, t: float,
                 f: float) -> tuple[np.float32, np.float32]:
    # Level and contrast at one point (see refine.Spectrum.contrast): codes are 0.5 dB steps
    # from -100 dB (the side sum of four codes: 0.125).
    nt, nf = level.shape
    ti = min(max(np.int64(np.rint(t)), 1), nt - 2)
    fi = min(max(np.int64(np.rint(f)), 4), nf - 5)
    lv = _F32(level[ti, fi]) * _F32(0.5) - _F32(100.0)
    bs = _F32(best[ti, fi]) * _F32(0.5) - _F32(100.0)
    sd = _F32(side[ti, fi]) * _F32(0.125) - _F32(100.0)
    return lv, bs - sd


@numba.njit(cache=True, nogil=True)
def contrast(level: np.ndarray, best: np.ndarray, side: np.ndarray, t: np.ndarray,
             f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`heartsong.cues.refine.Spectrum.contrast` at every ``(t[i], f[i])``."""
    lv = np.empty(t.size, np.float32)
    c = np.empty(t.size, np.float32)
    for i in range(t.size):
        lv[i], c[i] = _contrast_at(level, best, side, t[i], f[i])
    return lv, c


@numba.njit(cache=True, nogil=True)
def evidence(level: np.ndarray, best: np.ndarray, side: np.ndarray, s0: int,
             ref_t: np.ndarray, ref_f: np.ndarray, ref_db: np.ndarray, slope: float,
             intercept: float, pitch: float, lo: float,
             hi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                 np.ndarray]:
    """What :func:`heartsong.cues.refine._evidence` returns, in one pass over the peaks.

    ``level``, ``best``, ``side`` are a :class:`~heartsong.cues.refine.Spectrum`'s arrays.
    """
    nf = level.shape[1]
    n = ref_t.size
    te = np.empty(n, np.float64)
    fe = np.empty(n, np.float64)
    db = np.empty(n, np.float32)
    lv = np.empty(n, np.float32)
    c = np.empty(n, np.float32)
    d = np.empty(n, np.float32)
    m = 0
    for i in range(n):
        t = slope * float(ref_t[i]) + intercept
        f = float(ref_f[i]) + pitch
        if not (t >= lo and t < hi and f >= 4 and f <= nf - 5):
            continue
        tt = t - s0
        lv_i, c_i = _contrast_at(level, best, side, tt, f)
        # Null: the same peak moved off pitch (-8, -5, +5, +8 bands; mirrored where that
        # leaves the spectrum), summed in this order in float32 as np.mean did.
        acc = _F32(0.0)
        for k in range(4):
            shift = (-8, -5, 5, 8)[k]
            fs = f + shift
            if not (fs >= 4 and fs <= nf - 5):
                fs = f - shift
            cn = _contrast_at(level, best, side, tt, fs)[1]
            acc = cn if k == 0 else acc + cn
        te[m], fe[m], db[m], lv[m], c[m] = t, f, ref_db[i], lv_i, c_i
        d[m] = c_i - acc / _F32(4.0)
        m += 1
    return te[:m], fe[:m], db[:m], lv[:m], c[:m], d[:m]


@numba.njit(cache=True, nogil=True)
def peak_weights(te: np.ndarray, db: np.ndarray, d: np.ndarray, slope: float, intercept: float,
                 width: float, rel_db: float, w_min: float,
                 clip: float) -> tuple[np.ndarray, np.ndarray]:
    """Weight and clipped value of each peak :func:`evidence` returned (see
    :func:`heartsong.cues.refine.weigh`): ``te`` ascending (the stored peaks are in time
    order and ``slope`` > 0), grouped by the track-time bin of ``width`` frames each lies in.
    """
    n = te.size
    w = np.empty(n, np.float64)
    x = np.empty(n, np.float64)
    i = 0
    while i < n:
        b = math.floor((te[i] - intercept) / slope / width)
        j = i
        top = -np.inf
        while j < n and math.floor((te[j] - intercept) / slope / width) == b:
            top = max(top, float(db[j]))
            j += 1
        for k in range(i, j):
            w[k] = min(max(1.0 + (float(db[k]) - top) / rel_db, w_min), 1.0)
            x[k] = min(max(float(d[k]), -clip), clip)
        i = j
    return w, x


@numba.njit(cache=True, nogil=True)
def _median32(a: np.ndarray) -> np.float32:
    """np.median of a float32 array without NaN (sorted in place): the middle value, or the
    two middle values summed and halved in float32, as np.mean of two float32 does."""
    _sort(a)
    n = a.size
    if n % 2:
        return a[n // 2]
    return (a[n // 2 - 1] + a[n // 2]) / _F32(2.0)


@numba.njit(cache=True, nogil=True)
def median_abs_deviation(g: np.ndarray) -> float:
    """``np.median(np.abs(g - np.median(g)))`` of a float32 array without NaN, exactly."""
    a = g.copy()
    m = _median32(a)
    for i in range(a.size):
        a[i] = abs(g[i] - m)
    return float(_median32(a))


@numba.njit(cache=True, nogil=True)
def distinct_pairs(tq: np.ndarray, tr: np.ndarray) -> np.ndarray:
    """Indices of the first of each distinct ``(tq, tr)`` of non-negative float32 times, in
    ``(tq, tr)`` order (as a stable lexsort gives them): ``heartsong.cues.match.
    _distinct_pairs`` for such times."""
    n = tq.size
    key = _pair_keys(tq, tr)
    order = np.empty(n, np.int64)
    _argsort(key, order)
    out = np.empty(n, np.int64)
    m = 0
    i = 0
    while i < n:
        # The earliest index among equal keys (a stable sort's first).
        j, first = i, order[i]
        while j + 1 < n and key[j + 1] == key[i]:
            j += 1
            first = min(first, order[j])
        out[m] = first
        m += 1
        i = j + 1
    return out[:m]


@numba.njit(cache=True, nogil=True)
def _median64(a: np.ndarray) -> float:
    b = a.astype(np.float64)
    _sort(b)
    return _median_sorted(b)


@numba.njit(cache=True, nogil=True)
def line_inliers(tq: np.ndarray, tr: np.ndarray, p: np.ndarray, slope: float,
                 intercept: float) -> tuple[np.ndarray, float]:
    """Mask of hits within 4 frames of ``tq = slope * tr + intercept`` and their median
    pitch offset (0 without any), in the float32 arithmetic NumPy gives ``tq - (slope * tr
    + intercept)`` on float32 arrays with Python floats."""
    s32, i32 = _F32(slope), _F32(intercept)
    n = tq.size
    ok = np.empty(n, np.bool_)
    pin = np.empty(n, np.float64)
    m = 0
    for i in range(n):
        ok[i] = abs(tq[i] - (s32 * tr[i] + i32)) <= _F32(4.0)
        if ok[i]:
            pin[m] = p[i]
            m += 1
    if m == 0:
        return ok, 0.0
    pin = pin[:m]
    _sort(pin)
    return ok, _median_sorted(pin)


@numba.njit(cache=True, nogil=True)
def median_intercept(tq: np.ndarray, tr: np.ndarray, slope: float) -> float:
    """The median of ``tq - slope * tr`` (float32 arrays, a Python float), as
    ``heartsong.cues.match._median`` gives it."""
    s32 = _F32(slope)
    x = np.empty(tq.size, np.float32)
    for i in range(tq.size):
        x[i] = tq[i] - s32 * tr[i]
    return _median64(x)


@numba.njit(cache=True, nogil=True)
def missing_peaks(te: np.ndarray, db: np.ndarray, level: np.ndarray, c: np.ndarray,
                  w: np.ndarray, clear: float, loud: float, reach: float,
                  deficit: float) -> np.ndarray:
    """Per peak of :func:`evidence` (``te`` ascending): -1 untested, 0 there, 1 missing (see
    :func:`heartsong.cues.refine.absence`).

    A peak is tested when its weight (:func:`peak_weights`) is at least ``loud`` and at
    least 3 clear peaks (contrast over ``clear`` dB) lie within ``reach`` frames of it; it
    is missing when the episode's level there lies more than ``deficit`` dB below its level
    in the track plus the median gain (episode level minus track level) of those clear peaks.
    """
    n = te.size
    ct = np.empty(n, np.float64)
    cg = np.empty(n, np.float32)
    m = 0
    for i in range(n):
        if c[i] > clear:
            ct[m] = te[i]
            cg[m] = level[i] - db[i]
            m += 1
    buf = np.empty(m, np.float32)
    out = np.full(n, -1, np.int8)
    a = 0
    b = 0
    for i in range(n):
        while a < m and ct[a] < te[i] - reach:
            a += 1
        while b < m and ct[b] <= te[i] + reach:
            b += 1
        if w[i] < loud or b - a < 3:
            continue
        k = b - a
        for j in range(k):
            buf[j] = cg[a + j]
        gain = _median32(buf[:k])
        out[i] = 1 if float(db[i]) + float(gain) - float(level[i]) > deficit else 0
    return out


def warm() -> None:
    """Compile (or load from the on-disk cache) every kernel for the types the matcher uses.

    Call it before starting worker processes: they then load the cache instead of each
    compiling (~16 s of CPU on a small machine) at the same moment.
    """
    from heartsong.cues.match import _FINE_MAX, _INV_STRETCH32, _STRETCH, _WIN

    f32 = np.zeros(8, np.float32)
    fine_cells(f32, f32, f32, np.zeros(8, np.int64), np.zeros(1, np.int64),
               np.full(1, 8, np.int64), 3, _FINE_MAX, _WIN, _INV_STRETCH32, _STRETCH)
    u8 = np.zeros((16, 16), np.uint8)
    evidence(u8, u8, np.zeros((16, 16), np.uint16), 0, f32, f32, f32, 1.0, 0.0, 0.0, 0.0, 8.0)
    median_abs_deviation(f32)
    peak_weights(np.zeros(8, np.float64), f32, f32, 1.0, 0.0, 16.0, 20.0, 0.05, 12.0)
    distinct_pairs(f32, f32)
    line_inliers(f32, f32, f32, 1.0, 0.0)
    median_intercept(f32, f32, 1.0)
    missing_peaks(np.zeros(8, np.float64), f32, f32, f32, np.zeros(8, np.float64), 6.0, 0.75,
                  128.0, 10.0)
    offset_runs(f32, f32, f32, f32, np.array([0, 8], np.int64), 16.0, np.ones(2), 0.25, 4)
    band_counts(np.zeros((2, 8), np.float64), 3.0)


@numba.njit(cache=True, nogil=True)
def band_counts(r: np.ndarray, band: float) -> np.ndarray:
    """Per row of ``r`` (2-D float64, each row ascending) and per element ``i``: how many
    elements from ``i`` on lie within ``band`` of it, i.e.
    ``np.searchsorted(row, row + band, "right") - np.arange(row.size)`` row by row (the
    refit's slope search, ``heartsong.cues.match._best_slope``)."""
    rows, n = r.shape
    out = np.empty((rows, n), np.int64)
    for k in range(rows):
        j = 0
        for i in range(n):
            edge = r[k, i] + band
            if j < i:
                j = i
            while j < n and r[k, j] <= edge:
                j += 1
            out[k, i] = j - i
    return out


@numba.njit(cache=True, nogil=True)
def offset_runs(qt: np.ndarray, qf: np.ndarray, rt: np.ndarray, rf: np.ndarray,
                band_start: np.ndarray, track_frames: float, spans: np.ndarray, tol: float,
                min_votes: int) -> np.ndarray:
    """Single-peak votes for untouched alignments ``tq = tr + o`` of one track.

    Every episode peak ``(qt, qf)`` (``qt`` ascending) votes for ``o = rint(qt - rt)``
    with every track peak of its band within ``tol`` bands (``rt, rf`` sorted by
    ``rint(rf)``, band ``b`` at ``band_start[b]:band_start[b + 1]``). Per offset and per
    span length in ``spans`` (frames), the densest stretch of votes at ``o - 1 .. o + 1``
    is found. Returns one row per (offset, span) with at least ``min_votes`` votes there:
    offset, span, votes, the votes expected by chance (all the votes cast from those
    frames times 3 / ``track_frames``), the stretch's first frame, the votes cast
    for the offset itself over the episode (which breaks ties between neighbours), and
    the frame of the stretch's last vote.
    """
    nb = band_start.size - 1
    n_frames = int(qt[-1]) + 2 if qt.size else 1
    o_min = -int(math.ceil(track_frames)) - 2
    n_off = n_frames - o_min + 2
    count = np.zeros(n_off, np.int64)
    cast = np.zeros(n_frames + 1, np.int64)  # votes cast per episode frame (cumulated below)
    for i in range(qt.size):
        b = int(np.rint(qf[i]))
        for bb in range(max(b - 1, 0), min(b + 2, nb)):
            for j in range(band_start[bb], band_start[bb + 1]):
                if abs(qf[i] - rf[j]) <= tol:
                    count[int(np.rint(qt[i] - rt[j])) - o_min] += 1
                    cast[int(qt[i]) + 1] += 1
    for k in range(1, cast.size):
        cast[k] += cast[k - 1]
    start = np.zeros(n_off + 1, np.int64)
    for k in range(n_off):
        start[k + 1] = start[k] + count[k]
    times = np.empty(start[n_off], np.float32)
    fill = start[:-1].copy()
    for i in range(qt.size):  # in time order: each offset's times come out sorted
        b = int(np.rint(qf[i]))
        for bb in range(max(b - 1, 0), min(b + 2, nb)):
            for j in range(band_start[bb], band_start[bb + 1]):
                if abs(qf[i] - rf[j]) <= tol:
                    o = int(np.rint(qt[i] - rt[j])) - o_min
                    times[fill[o]] = qt[i]
                    fill[o] += 1
    out = np.empty((n_off * spans.size, 7), np.float64)
    nf = 0
    buf = np.empty(64, np.float32)
    for o in range(1, n_off - 1):
        total = count[o - 1] + count[o] + count[o + 1]
        if total < min_votes:
            continue
        if buf.size < total:
            buf = np.empty(2 * total, np.float32)
        # Merge the three offsets' (sorted) times.
        i0, i1, i2 = start[o - 1], start[o], start[o + 1]
        e0, e1, e2 = start[o], start[o + 1], start[o + 2]
        for m in range(total):
            v0 = times[i0] if i0 < e0 else np.inf
            v1 = times[i1] if i1 < e1 else np.inf
            v2 = times[i2] if i2 < e2 else np.inf
            if v0 <= v1 and v0 <= v2:
                buf[m] = v0
                i0 += 1
            elif v1 <= v2:
                buf[m] = v1
                i1 += 1
            else:
                buf[m] = v2
                i2 += 1
        for si in range(spans.size):
            span = spans[si]
            best, at, hi = 0, 0, 0
            for lo in range(total):
                while hi < total and buf[hi] < buf[lo] + span:
                    hi += 1
                if hi - lo > best:
                    best, at = hi - lo, lo
            if best < min_votes:
                continue
            a = int(buf[at])
            b_ = min(int(buf[at] + span), n_frames)
            out[nf, 0] = o + o_min
            out[nf, 1] = span
            out[nf, 2] = best
            out[nf, 3] = float(cast[b_] - cast[a]) * 3.0 / track_frames
            out[nf, 4] = buf[at]
            out[nf, 5] = count[o]
            out[nf, 6] = buf[at + best - 1]
            nf += 1
    return out[:nf].copy()
