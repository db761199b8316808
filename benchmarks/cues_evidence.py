"""How much evidence a short cue carries on its true line: the stored peaks against the album audio.

Run::

    PYTHONPATH=src:. python benchmarks/cues_evidence.py --cache DIR     # seed 0, -10 dB
    PYTHONPATH=src:. python benchmarks/cues_evidence.py --cache DIR --seed 1 --snr -15

Uses ``benchmarks/cues.py``'s set (generated, or reused from ``--cache`` as that script
leaves it). For every true cue of at most ``--max-seconds`` at ``--snr``, two statistics
at its true alignment (track position, tempo factor, pitch shift):

- *peaks*: the matcher's plain z-score over the track's peaks stored in the index
  (:func:`heartsong.cues.refine.significance`);
- *spectrum*: what a verifier reading the album track itself could measure on magnitudes:
  the episode's spectral fine structure (dB minus its 17-band moving average, averaged over
  the matcher's 17 frames) summed under the track's own fine structure mapped through the
  same line, weighted by the track's partials.

Both are standardised the same way, against the statistic on the same episode seconds with
the track moved 5-60 s along its line (``--draws`` draws): the same track's music in the same
key and tempo, the confound a verifier has to reject. Printed: median z and the share of
cues reaching 7, per cue length and by whether the distortion keeps the waveform (a phase
vocoder's tempo and pitch changes do not, so only magnitudes can find those cues).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
from pathlib import Path

import numpy as np
from benchmarks.cues import GEN_SR, SNRS, WAVEFORM_KEPT, Options, generate, true_line
from scipy.ndimage import map_coordinates, uniform_filter1d

from heartsong.cues import FingerprintIndex
from heartsong.cues.fingerprint import (
    FingerprintConfig,
    Peaks,
    resample,
    spectrogram,
)
from heartsong.cues.match import _blocks
from heartsong.cues.refine import Spectrum, presence, significance

_WIDE = 17  # bands of the moving average the fine structure is taken against


def fine_structure(S: np.ndarray, *, smooth: int = 1) -> np.ndarray:
    """dB spectrogram ``(frames, bands)`` minus its moving average over ``_WIDE`` bands,
    after averaging ``smooth`` frames: the partials, whatever the spectral tilt and level."""
    S = np.asarray(S, np.float64)
    if smooth > 1:
        S = uniform_filter1d(S, smooth, axis=0, mode="nearest")
    return S - uniform_filter1d(S, _WIDE, axis=1, mode="nearest")


def spectrum_statistic(E: np.ndarray, R: np.ndarray, lo: float, hi: float, *,
                       line: tuple[float, float, float]) -> float:
    """The episode's fine structure ``E`` over frames ``[lo, hi)`` summed under the track's
    ``R`` mapped by ``line`` (``t_ep = slope * t_track + intercept`` frames, pitch in bands),
    weighted by the track's partials (its positive fine structure), per frame's square root;
    NaN with fewer than 30 frames on the track.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R = rng.normal(0, 3, (400, 60))
    >>> E = np.r_[rng.normal(0, 3, (100, 60)), R[:200] + rng.normal(0, 6, (200, 60))]
    >>> on = spectrum_statistic(E, R, 100, 300, line=(1.0, 100.0, 0.0))
    >>> off = spectrum_statistic(E, R, 100, 300, line=(1.0, 40.0, 0.0))
    >>> bool(on > 5 * abs(off))
    True
    """
    slope, intercept, pitch = line
    t = np.arange(int(lo), int(hi))
    tr = (t - intercept) / slope
    ok = (tr >= 0) & (tr < R.shape[0] - 1) & (t >= 0) & (t < E.shape[0])
    t, tr = t[ok], tr[ok]
    if t.size < 30:
        return float("nan")
    bands = np.arange(R.shape[1])
    fr = bands - pitch
    okf = (fr >= 0) & (fr <= R.shape[1] - 1)
    tt, ff = np.meshgrid(tr, fr[okf], indexing="ij")
    Rm = map_coordinates(R, [tt.ravel(), ff.ravel()], order=1).reshape(tt.shape)
    w = np.maximum(Rm, 0.0)
    num = float(np.sum(w * E[t][:, bands[okf]]))
    return num / (float(np.sqrt(np.sum(w * w))) + 1e-9) / float(np.sqrt(t.size))


_ROOT: Path | None = None
_INDEX: FingerprintIndex | None = None
_ARGS: dict = {}


def _init(root: str, args: dict) -> None:
    global _ROOT, _INDEX
    _ROOT = Path(root)
    _INDEX = FingerprintIndex(_ROOT / "index")
    if _INDEX.config != FingerprintConfig():
        raise SystemExit("the cached index was built with another fingerprint config")
    _ARGS.update(args)


def _both(prepared: Spectrum, E: np.ndarray, peaks: Peaks, R: np.ndarray,
          line: tuple[float, float, float], lo: float, hi: float) -> tuple[float, float]:
    """The peaks' z-score and the spectrum statistic of one line over frames ``[lo, hi)``."""
    pres = presence(prepared, 0, peaks, slope=line[0], intercept=line[1], pitch=line[2],
                    lo=int(lo), hi=int(hi) + 1, gain=False, weighted=False)
    return significance(pres, lo, hi)[1], spectrum_statistic(E, R, lo, hi, line=line)


def _render(r: dict) -> list[dict]:
    """Both statistics, standardised, for the short cues of one render."""
    assert _ROOT is not None and _INDEX is not None
    cfg = _INDEX.config
    fs = cfg.frame_seconds
    y = np.concatenate(list(_blocks(str(_ROOT / "episodes" / r["file"]), None, cfg.sr)))
    S = spectrogram(y, config=cfg)
    E = fine_structure(S, smooth=cfg.time_smooth)
    prepared = Spectrum(Spectrum.quantise(S), smooth=cfg.time_smooth)
    rng = np.random.default_rng(_ARGS["seed"])
    tracks: dict[int, np.ndarray] = {}
    rows = []
    for c in r["cues"]:
        if c["end"] - c["start"] > _ARGS["max_seconds"]:
            continue
        tid = int(c["track_id"])
        if tid not in tracks:
            x = resample(np.load(_ROOT / "tracks" / f"{tid}.npy"), sr=GEN_SR, target=cfg.sr)
            tracks[tid] = fine_structure(spectrogram(x, config=cfg))
        lo, hi, line = true_line(c, cfg)
        peaks = _INDEX.peaks(tid)
        shifts = rng.uniform(5.0, 60.0, _ARGS["draws"]) * rng.choice([-1.0, 1.0], _ARGS["draws"])
        stats = np.array([_both(prepared, E, peaks, tracks[tid],
                                (line[0], line[1] + s / fs, line[2]), lo, hi)
                          for s in (0.0, *shifts)])
        true, null = stats[0], stats[1:][np.isfinite(stats[1:]).all(axis=1)]
        if len(null) < 10 or not np.isfinite(true).all():
            continue
        z = (true - null.mean(axis=0)) / null.std(axis=0)
        rows.append({"seconds": c["end"] - c["start"], "distortion": c["distortion"],
                     "peaks": float(z[0]), "spectrum": float(z[1])})
    return rows


def report(rows: list[dict], *, snr: float, seed: int) -> str:
    lines = [f"Evidence at the true line, seed {seed}, {snr:+g} dB: z against the same track "
             "moved 5-60 s (median, share >= 7)",
             f"{'cues':>27} {'n':>4} {'peaks (index)':>16} {'spectrum (album audio)':>24}"]
    for label, kept in (("waveform kept", True), ("tempo/pitch changed", False)):
        for lo, hi in ((0.0, 5.0), (5.0, np.inf)):
            grp = [r for r in rows if lo <= r["seconds"] < hi
                   and (r["distortion"] in WAVEFORM_KEPT) == kept]
            if not grp:
                continue
            p = np.array([r["peaks"] for r in grp])
            s = np.array([r["spectrum"] for r in grp])
            span = f"{lo:g}-5 s" if hi == 5.0 else f">= {lo:g} s"
            lines.append(f"{label + ', ' + span:>27} {len(grp):>4} "
                         f"{np.median(p):>8.1f} ({np.mean(p >= 7):.2f}) "
                         f"{np.median(s):>15.1f} ({np.mean(s >= 7):.2f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, required=True,
                    help="benchmarks/cues.py's cache (generated there when missing)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--snr", type=float, default=-10.0, choices=SNRS)
    ap.add_argument("--max-seconds", type=float, default=8.0, help="longest cue looked at")
    ap.add_argument("--draws", type=int, default=60, help="shifted copies per cue")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args(argv)
    opt = Options(seed=args.seed, tracks=52, episodes=20, minutes=10.0, snrs=SNRS,
                  workers=max(1, args.workers))
    args.cache.mkdir(parents=True, exist_ok=True)
    meta = generate(opt, args.cache)
    if not (args.cache / "index").exists():
        raise SystemExit(f"{args.cache}: no index; run benchmarks/cues.py --cache on it first")
    renders = [r for ep in meta["episodes"] for r in ep["renders"] if r["snr"] == args.snr]
    with mp.get_context("fork").Pool(opt.workers, _init, (
            str(args.cache), {"seed": args.seed, "max_seconds": args.max_seconds,
                              "draws": args.draws})) as pool:
        rows = [x for rs in pool.map(_render, renders, chunksize=1) for x in rs]
    print(report(rows, snr=args.snr, seed=args.seed))


if __name__ == "__main__":
    main()
