"""Speed-, tempo- and pitch-invariant audio fingerprints (spectral-peak triplets).

Design (why it survives the distortions that break pair-based fingerprinters)
--------------------------------------------------------------------------------
1. Audio is resampled to 8 kHz and turned into a *log-frequency* power
   spectrogram (24 bands per octave, 130 Hz - 3.8 kHz). On a log-frequency axis
   a pitch shift, and the pitch half of a speed change, is a *translation*.
2. Spectral peaks are picked (local maxima with prominence over their
   neighbourhood, a fixed number per second) and their time and frequency are
   refined to sub-bin precision with parabolic interpolation.
3. Peaks are combined into *triplets* ``(t1,f1) < (t2,f2) < (t3,f3)`` close in
   time and frequency (Panako-style). The hash holds only quantities that do not
   change under the distortions:

   - ``f2 - f1`` and ``f3 - f1`` in bands: invariant to pitch shift (translation);
   - ``(t2 - t1) / (t3 - t1)``: invariant to tempo change (time is scaled);
   - the octave of ``f1``: coarse, so ±150 cents moves few anchors across it.

   Absolute ``t1`` and ``f1`` are kept beside the hash: a true match then gives
   the time-stretch factor (slope of episode time against track time) and the
   pitch shift (``f1`` difference), which the matcher uses to verify a cue.
4. Queries (episodes, clips) use a higher peak density than references, so
   that music peaks still enter the query when dialogue adds its own peaks.

Everything here is pure NumPy/SciPy on arrays; :mod:`heartsong.cues.index`
stores the reference side and :mod:`heartsong.cues.match` the query side.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.fft
import scipy.sparse
from scipy.ndimage import uniform_filter1d
from scipy.signal import resample_poly

from heartsong.errors import ParameterError

__all__ = [
    "FingerprintConfig",
    "Fingerprints",
    "Peaks",
    "box_max",
    "fingerprint",
    "fingerprint_stream",
    "peaks",
    "resample",
    "spectrogram",
    "triplets",
]


@dataclass(frozen=True)
class FingerprintConfig:
    """Every parameter that changes the hashes; an index stores and checks it.

    The defaults are tuned for soundtrack cues (see ``benchmarks/cues.py``).
    """

    sr: int = 8000
    n_fft: int = 1024
    hop: int = 128
    fmin: float = 130.0
    fmax: float = 3800.0
    bins_per_octave: int = 24
    # Peak picking: neighbourhood half-sizes (frames, bands) and per-second budgets.
    peak_time: int = 4
    peak_freq: int = 3
    ref_density: float = 14.0
    query_density: float = 18.0
    # Peaks are picked on the spectrogram averaged over this many frames (0.27 s): a
    # held note keeps its partials, speech glides and consonants smear out, so far more
    # music peaks survive dialogue over it (benchmarks/cues.py: 2x the true hashes at
    # -10 dB, and fewer chance ones).
    time_smooth: int = 17
    # Triplet zone: t2 - t1 and t3 - t2 >= min_dt, t3 - t1 within [min_span, max_span]
    # frames, |f - f1| <= max_df bands.
    min_dt: int = 3
    min_span: int = 16
    max_span: int = 80
    max_df: int = 12
    ratio_levels: int = 6
    # Anchor band code width (bands); 8 bands = 400 cents covers ±200 cents with the probe.
    f1_step: int = 8
    # log2 width of a span code (0.16 -> ±5.7 % tempo) and number of codes.
    span_step: float = 0.2
    span_codes: int = 12
    # At most this many (t2, t3) combinations per anchor, nearest first.
    ref_fanout: int = 64
    query_fanout: int = 64
    version: int = field(default=2)

    @property
    def frame_seconds(self) -> float:
        return self.hop / self.sr

    @property
    def n_bands(self) -> int:
        return int(math.floor(self.bins_per_octave * math.log2(self.fmax / self.fmin))) + 1

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> FingerprintConfig:
        # A field missing from a stored config predates it: it had its neutral value then.
        known = {**_LEGACY, **{k: v for k, v in data.items() if k in cls.__dataclass_fields__}}
        return cls(**known)  # type: ignore[arg-type]


#: Values of fields added in version 2, for configs stored by version 1 (without them).
_LEGACY: dict[str, object] = {"time_smooth": 1}


@dataclass(frozen=True)
class Peaks:
    """Spectral peaks: time in frames, frequency in bands (both fractional), level in dB."""

    t: np.ndarray  # float32
    f: np.ndarray  # float32
    db: np.ndarray  # float32

    def __len__(self) -> int:
        return int(self.t.size)


@dataclass(frozen=True)
class Fingerprints:
    """Triplet hashes with their anchor time (frames) and anchor frequency (bands)."""

    hash: np.ndarray  # uint32
    t: np.ndarray  # float32, anchor time in frames
    f: np.ndarray  # float32, anchor frequency in bands

    def __len__(self) -> int:
        return int(self.hash.size)

    @staticmethod
    def empty() -> Fingerprints:
        return Fingerprints(
            np.zeros(0, np.uint32), np.zeros(0, np.float32), np.zeros(0, np.float32)
        )

    @staticmethod
    def concat(parts: Iterable[Fingerprints]) -> Fingerprints:
        parts = list(parts)
        if not parts:
            return Fingerprints.empty()
        return Fingerprints(
            np.concatenate([p.hash for p in parts]),
            np.concatenate([p.t for p in parts]),
            np.concatenate([p.f for p in parts]),
        )


_DEFAULT = FingerprintConfig()
# Band power below this (dB re full-scale sine) is treated as silence: no peaks.
_FLOOR_DB = -75.0


def _check_config(config: FingerprintConfig) -> FingerprintConfig:
    if not isinstance(config, FingerprintConfig):
        raise ParameterError("config", f"must be a FingerprintConfig, got {type(config).__name__}")
    return config


def resample(y: np.ndarray, *, sr: int, target: int) -> np.ndarray:
    """Resample mono ``y`` from ``sr`` to ``target`` Hz (polyphase, float32).

    Examples
    --------
    >>> import numpy as np
    >>> resample(np.zeros(44100, np.float32), sr=44100, target=8000).shape
    (8000,)
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError("y", f"must be mono (1-D), got shape {y.shape}")
    if not isinstance(sr, int | np.integer) or sr <= 0:
        raise ParameterError("sr", f"must be a positive integer, got {sr!r}")
    if sr == target:
        return y
    g = math.gcd(int(sr), int(target))
    return resample_poly(y, target // g, sr // g).astype(np.float32)


_FILTERBANKS: dict[tuple[int, int, float, float, int], scipy.sparse.csr_matrix] = {}


def _filterbank(config: FingerprintConfig) -> scipy.sparse.csr_matrix:
    """Sparse (n_fft/2+1, n_bands) matrix of triangular log-spaced filters on power.

    Each band is at least two FFT bins wide so low bands interpolate between
    bins instead of sampling one (which would make peaks jump under pitch shift).
    """
    key = (config.sr, config.n_fft, config.fmin, config.fmax, config.bins_per_octave)
    fb = _FILTERBANKS.get(key)
    if fb is not None:
        return fb
    nb = config.n_bands
    centers = config.fmin * 2.0 ** (np.arange(nb) / config.bins_per_octave)
    bin_hz = config.sr / config.n_fft
    freqs = np.arange(config.n_fft // 2 + 1) * bin_hz
    ratio = 2.0 ** (1.0 / config.bins_per_octave)
    rows, cols, vals = [], [], []
    for b, fc in enumerate(centers):
        half = max(fc * (ratio - 1.0), 1.5 * bin_hz)
        w = np.clip(1.0 - np.abs(freqs - fc) / half, 0.0, None)
        nz = np.nonzero(w)[0]
        w = w[nz] / w[nz].sum()
        rows.extend(nz.tolist())
        cols.extend([b] * nz.size)
        vals.extend(w.tolist())
    fb = scipy.sparse.csr_matrix(
        (np.asarray(vals, np.float32), (rows, cols)), shape=(freqs.size, nb)
    )
    _FILTERBANKS[key] = fb
    return fb


def spectrogram(y: np.ndarray, *, config: FingerprintConfig = _DEFAULT) -> np.ndarray:
    """Log-frequency power spectrogram in dB, shape ``(frames, bands)``, float32.

    ``y`` must already be at ``config.sr``. Frame ``i`` is centred on sample
    ``i * hop + n_fft / 2`` (no padding), so frame times are global when
    consecutive chunks start on multiples of ``hop``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(8000) / 8000
    >>> S = spectrogram(np.sin(2 * np.pi * 440 * t).astype(np.float32))
    >>> S.shape
    (55, 117)
    >>> int(S[20].argmax()) == round(24 * np.log2(440 / 130))
    True
    """
    config = _check_config(config)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError("y", f"must be mono (1-D), got shape {y.shape}")
    n, hop = config.n_fft, config.hop
    if y.size < n:
        return np.zeros((0, config.n_bands), np.float32)
    nframes = 1 + (y.size - n) // hop
    window = np.hanning(n).astype(np.float32)
    fb = _filterbank(config)
    out = np.empty((nframes, config.n_bands), np.float32)
    # Blocks of 1024 frames (16 s): a long signal never holds its whole framed copy, and a
    # matcher's 61 s chunk peaks at 19 MB here (54 MB in blocks of 4096, and no faster).
    step = 1024
    frames_view = np.lib.stride_tricks.sliding_window_view(y, n)[::hop]
    # Scale so a full-scale sine reads about 0 dB.
    scale = np.float32(4.0 / (window.sum() ** 2))
    # Work arrays reused across blocks (the same operations, without fresh temporaries).
    block = np.empty((min(step, nframes), n), np.float32)
    power = np.empty((block.shape[0], n // 2 + 1), np.float32)
    imag2 = np.empty_like(power)
    for s in range(0, nframes, step):
        m = min(step, nframes - s)
        np.multiply(frames_view[s : s + m], window, out=block[:m])
        spec = scipy.fft.rfft(block[:m], axis=1, workers=1)
        np.square(spec.real, out=power[:m])
        np.square(spec.imag, out=imag2[:m])
        np.add(power[:m], imag2[:m], out=power[:m])
        bands = power[:m] @ fb
        bands *= scale
        np.maximum(bands, np.float32(1e-12), out=bands)
        np.log10(bands, out=bands)
        np.multiply(bands, np.float32(10.0), out=out[s : s + m])
    return out


def box_max(x: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """Maximum over a centred box of odd ``size``, edges repeated: what
    ``scipy.ndimage.maximum_filter(x, size=size, mode="nearest")`` returns, exactly.

    Built from shifted ``np.maximum`` with window doubling: 10-30x faster than SciPy's
    filter on these small boxes over (frames, bands) arrays.

    Examples
    --------
    >>> import numpy as np
    >>> box_max(np.array([[1, 5, 2, 0, 3]]), (1, 3)).tolist()
    [[5, 5, 5, 3, 3]]
    """
    for axis, n in enumerate(size):
        if n % 2 != 1:
            raise ParameterError("size", f"must hold odd sizes, got {size!r}")
        if n > 1:
            x = _running_max(x, n, axis)
    return np.ascontiguousarray(x)


def _running_max(x: np.ndarray, size: int, axis: int) -> np.ndarray:
    def sl(a: np.ndarray, lo: int, hi: int) -> np.ndarray:
        idx: list[slice] = [slice(None)] * a.ndim
        idx[axis] = slice(lo, hi)
        return a[tuple(idx)]

    n = x.shape[axis]
    pad = [(0, 0)] * x.ndim
    pad[axis] = (size // 2, size // 2)
    m = np.pad(x, pad, mode="edge")
    w = 1  # m[i] = max of the padded values [i, i + w)
    while 2 * w <= size:
        m = np.maximum(sl(m, 0, m.shape[axis] - w), sl(m, w, m.shape[axis]))
        w *= 2
    if w < size:
        m = np.maximum(sl(m, 0, m.shape[axis] - (size - w)), sl(m, size - w, m.shape[axis]))
    return sl(m, 0, n)


def peaks(
    S: np.ndarray,
    *,
    density: float,
    config: FingerprintConfig = _DEFAULT,
    t0: float = 0.0,
) -> Peaks:
    """Pick prominent spectral peaks, about ``density`` per second.

    Parameters
    ----------
    S : np.ndarray
        Spectrogram from :func:`spectrogram`.
    density : float
        Peaks kept per second (the most prominent in each one-second slice).
    t0 : float
        Frame number of ``S[0]``, added to the returned times.

    Returns
    -------
    Peaks
        Sorted by time.
    """
    config = _check_config(config)
    if not density > 0:
        raise ParameterError("density", f"must be > 0, got {density!r}")
    nt, nf = S.shape
    if nt < 3 or nf < 3:
        return Peaks(*(np.zeros(0, np.float32) for _ in range(3)))
    raw = S
    if config.time_smooth > 1:
        S = uniform_filter1d(S, config.time_smooth, axis=0, mode="nearest")
    local_max = box_max(S, (2 * config.peak_time + 1, 2 * config.peak_freq + 1))
    # Prominence over the average of a wider neighbourhood: whitens both the
    # music's own spectral tilt and stationary noise (hum, room tone).
    background = uniform_filter1d(uniform_filter1d(S, 31, axis=0), 17, axis=1)
    cand = (local_max == S) & (S > _FLOOR_DB)
    cand[0, :] = cand[-1, :] = False
    cand[:, 0] = cand[:, -1] = False
    ti, fi = np.nonzero(cand)
    if ti.size == 0:
        return Peaks(*(np.zeros(0, np.float32) for _ in range(3)))
    prom = S[ti, fi] - background[ti, fi]
    keep = prom > 3.0
    ti, fi, prom = ti[keep], fi[keep], prom[keep]
    # Fixed budget per one-second slice, most prominent first: loud passages do
    # not starve quiet ones, which matters for cues under dialogue.
    slice_len = max(1, int(round(1.0 / config.frame_seconds)))
    per_slice = max(1, int(round(density)))
    # Slices on the global frame grid, so streamed chunks pick the same peaks.
    sl = (ti + int(round(t0))) // slice_len
    order = np.lexsort((-prom, sl))
    sl_sorted = sl[order]
    starts = np.searchsorted(sl_sorted, sl_sorted, side="left")
    rank = np.arange(order.size) - starts
    sel = np.sort(order[rank < per_slice])
    ti, fi = ti[sel], fi[sel]
    # Sub-bin refinement (parabola through the peak and its neighbours).
    c = S[ti, fi]
    a, b = S[ti, fi - 1], S[ti, fi + 1]
    den = a - 2 * c + b
    df = np.where(den < -1e-6, 0.5 * (a - b) / np.where(den < -1e-6, den, 1.0), 0.0)
    a, b = S[ti - 1, fi], S[ti + 1, fi]
    den = a - 2 * c + b
    dt = np.where(den < -1e-6, 0.5 * (a - b) / np.where(den < -1e-6, den, 1.0), 0.0)
    t = ti + np.clip(dt, -0.5, 0.5) + t0
    f = fi + np.clip(df, -0.5, 0.5)
    # The level is the instantaneous one (gain estimates compare it with the episode's).
    level = raw[ti, fi]
    order = np.argsort(t, kind="stable")
    return Peaks(
        t[order].astype(np.float32), f[order].astype(np.float32), level[order].astype(np.float32)
    )


def _span_code(span: np.ndarray, config: FingerprintConfig) -> tuple[np.ndarray, np.ndarray]:
    """Log-quantised triplet span and the neighbour code a stretched copy may have.

    A code is ``span_step`` wide in log2 units (about ±6 % around its centre),
    so the span of a copy stretched by up to that much has either the same code
    or the neighbour on the side nearer the value: queries probe both.
    """
    x = np.log2(span / config.min_span) / config.span_step
    code = np.floor(x)
    nb = np.where(x - code < 0.5, code - 1, code + 1)
    hi = config.span_codes - 1
    return np.clip(code, 0, hi).astype(np.uint32), np.clip(nb, 0, hi).astype(np.uint32)


def triplets(
    p: Peaks, *, fanout: int, config: FingerprintConfig = _DEFAULT, probe: bool = False
) -> Fingerprints:
    """Hash every peak with up to ``fanout`` pairs of later peaks in its zone.

    Parameters
    ----------
    p : Peaks
        From :func:`peaks`.
    fanout : int
        Triplets per anchor peak, nearest partners first.
    probe : bool
        Also emit each triplet with its neighbouring span code (queries do, so
        that tempo changes up to about ±6 % still find the reference hash).

    Returns
    -------
    Fingerprints
        One row per triplet (two when ``probe``): invariant hash, anchor time, anchor band.
    """
    config = _check_config(config)
    if fanout < 1:
        raise ParameterError("fanout", f"must be >= 1, got {fanout!r}")
    n = len(p)
    if n < 3:
        return Fingerprints.empty()
    t, f = p.t.astype(np.float64), p.f.astype(np.float64)
    # Candidate partners: the next m peaks in time order (the zone is short, so m bounds it).
    m = int(min(n - 1, 64))
    idx = np.arange(n)[:, None] + np.arange(1, m + 1)[None, :]
    valid = idx < n
    idx = np.where(valid, idx, n - 1)
    dtp = t[idx] - t[:, None]
    dfp = f[idx] - f[:, None]
    valid &= (dtp >= config.min_dt) & (dtp <= config.max_span) & (np.abs(dfp) <= config.max_df)
    # Partners in the zone, at most `width` per anchor (nearest in time first).
    width = int(min(m, 16))
    rank = np.cumsum(valid, axis=1) - 1
    valid &= rank < width
    ai, slot = np.nonzero(valid)
    table = np.full((n, width), -1, np.int64)
    table[ai, rank[ai, slot]] = idx[ai, slot]
    # All (j, k) rank combinations with j < k, nearer combinations first.
    jj, kk = np.triu_indices(width, k=1)
    order = np.argsort(jj + kk, kind="stable")
    jj, kk = jj[order], kk[order]
    j = table[:, jj]
    k = table[:, kk]
    ok = (j >= 0) & (k >= 0)
    tj = t[np.maximum(j, 0)]
    tk = t[np.maximum(k, 0)]
    span = tk - t[:, None]
    ok &= (span >= config.min_span) & (tk - tj >= config.min_dt)
    # Keep the first `fanout` valid combinations per anchor.
    ok &= (np.cumsum(ok, axis=1) - 1) < fanout
    anchor = np.broadcast_to(np.arange(n)[:, None], j.shape)[ok]
    j, k = j[ok], k[ok]
    t1, t2, t3 = t[anchor], t[j], t[k]
    span = t3 - t1
    f1 = f[anchor]
    nd = 2 * config.max_df + 1
    d12 = np.clip(np.rint(f[j] - f1) + config.max_df, 0, nd - 1).astype(np.uint32)
    d13 = np.clip(np.rint(f[k] - f1) + config.max_df, 0, nd - 1).astype(np.uint32)
    ratio = np.clip(
        np.floor((t2 - t1) / span * config.ratio_levels), 0, config.ratio_levels - 1
    ).astype(np.uint32)
    # Absolute anchor band, coarsely (f1_step bands): pitch shifts up to half a step
    # land in the same code or the nearer neighbour, which queries also probe.
    x = (f1 + 0.5) / config.f1_step
    fcode = np.floor(x)
    fnb = np.where(x - fcode < 0.5, fcode - 1, fcode + 1)
    nf = config.n_bands // config.f1_step + 1
    fcode = np.clip(fcode, 0, nf - 1).astype(np.uint32)
    fnb = np.clip(fnb, 0, nf - 1).astype(np.uint32)
    code, neighbour = _span_code(span, config)
    # Triplets whose three peaks share a band (repeated notes, steady partials) are
    # the commonest patterns in music and speech alike: they match everything.
    keep = (d12 != config.max_df) | (d13 != config.max_df)
    inner = (d12 * nd + d13) * config.ratio_levels + ratio

    def pack(fc: np.ndarray, sc: np.ndarray) -> np.ndarray:
        return ((fc * np.uint32(nd * nd * config.ratio_levels) + inner) * config.span_codes + sc)[
            keep
        ].astype(np.uint32)

    t1 = t1.astype(np.float32)[keep]
    f1 = f1.astype(np.float32)[keep]
    if not probe:
        return Fingerprints(pack(fcode, code), t1, f1)
    return Fingerprints(
        np.concatenate([pack(fcode, code), pack(fcode, neighbour), pack(fnb, code),
                        pack(fnb, neighbour)]),
        np.tile(t1, 4),
        np.tile(f1, 4),
    )


def fingerprint(
    y: np.ndarray,
    *,
    sr: int,
    role: str = "reference",
    config: FingerprintConfig = _DEFAULT,
) -> tuple[Fingerprints, Peaks]:
    """Fingerprint a whole mono signal held in memory.

    Parameters
    ----------
    y : np.ndarray
        Mono samples (any rate; resampled to ``config.sr``).
    sr : int
        Sample rate of ``y``.
    role : {"reference", "query"}
        References use the sparse peak density (small index); queries the
        dense one (robust under dialogue).

    Returns
    -------
    (Fingerprints, Peaks)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.standard_normal(8000 * 5).astype(np.float32) * 0.1
    >>> fp, pk = fingerprint(y, sr=8000)
    >>> len(fp) > 0 and len(pk) > 0
    True
    """
    config = _check_config(config)
    density, fanout = _role(role, config)
    x = resample(np.asarray(y, np.float32), sr=sr, target=config.sr)
    S = spectrogram(x, config=config)
    pk = peaks(S, density=density, config=config)
    return triplets(pk, fanout=fanout, config=config, probe=role == "query"), pk


def _role(role: str, config: FingerprintConfig) -> tuple[float, int]:
    if role == "reference":
        return config.ref_density, config.ref_fanout
    if role == "query":
        return config.query_density, config.query_fanout
    raise ParameterError("role", f"must be 'reference' or 'query', got {role!r}")


@dataclass
class StreamChunk:
    """One step of :func:`fingerprint_stream`: fingerprints, peaks and spectrogram rows."""

    fingerprints: Fingerprints
    peaks: Peaks
    spectrogram: np.ndarray  # rows [frame0, frame0 + len)
    frame0: int


def fingerprint_stream(
    blocks: Iterable[np.ndarray],
    *,
    role: str = "query",
    config: FingerprintConfig = _DEFAULT,
    chunk_seconds: float = 60.0,
) -> Iterator[StreamChunk]:
    """Fingerprint a long signal block by block with bounded memory.

    ``blocks`` are mono float32 arrays already at ``config.sr`` (e.g. from
    :func:`heartsong.audio.stream` with ``sr=config.sr``). Chunks overlap so
    that peaks and triplets near chunk edges are exactly those of the whole
    signal (up to the slowly varying peak budget); each chunk yields only the
    frames it owns.
    """
    config = _check_config(config)
    density, fanout = _role(role, config)
    hop, n = config.hop, config.n_fft
    own = max(1, int(round(chunk_seconds * config.sr / hop)))  # frames owned per chunk
    # Context frames on each side: peak neighbourhood + background + triplet span + slack.
    ctx = config.peak_time + 31 + config.max_span + 8 + config.time_smooth // 2
    buf = np.zeros(0, np.float32)
    buf_frame0 = 0  # global frame index of buf[0]
    next_frame = 0  # first global frame not yet emitted

    def emit(final: bool) -> Iterator[StreamChunk]:
        nonlocal buf, buf_frame0, next_frame
        while True:
            nframes = 0 if buf.size < n else 1 + (buf.size - n) // hop
            last = buf_frame0 + nframes  # exclusive global frame index available
            end = next_frame + own
            if not final and last < end + ctx:
                return
            end = min(end, last)
            if end <= next_frame:
                return
            lo = max(buf_frame0, next_frame - ctx)
            hi = min(last, end + ctx)
            seg = buf[(lo - buf_frame0) * hop : (hi - buf_frame0 - 1) * hop + n]
            S = spectrogram(seg, config=config)
            pk = peaks(S, density=density, config=config, t0=float(lo))
            fp = triplets(pk, fanout=fanout, config=config, probe=role == "query")
            keep = (fp.t >= next_frame - 0.5) & (fp.t < end - 0.5)
            pkeep = (pk.t >= next_frame - 0.5) & (pk.t < end - 0.5)
            yield StreamChunk(
                Fingerprints(fp.hash[keep], fp.t[keep], fp.f[keep]),
                Peaks(pk.t[pkeep], pk.f[pkeep], pk.db[pkeep]),
                S[next_frame - lo : end - lo],
                next_frame,
            )
            next_frame = end
            # Drop samples no longer needed as left context.
            drop = max(0, next_frame - ctx - buf_frame0)
            if drop:
                buf = buf[drop * hop :]
                buf_frame0 += drop
            if final and next_frame >= last:
                return

    for block in blocks:
        b = np.asarray(block, np.float32)
        if b.ndim != 1:
            raise ParameterError("blocks", f"must be mono 1-D arrays, got shape {b.shape}")
        buf = np.concatenate([buf, b])
        yield from emit(final=False)
    yield from emit(final=True)
