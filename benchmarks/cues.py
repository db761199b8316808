"""Cue detection benchmark: seeded synthetic library and episodes, accuracy per SNR and distortion.

Run::

    PYTHONPATH=src:. python benchmarks/cues.py            # full run (the README figures)
    PYTHONPATH=src:. python benchmarks/cues.py --quick    # small run, a few minutes
    PYTHONPATH=src:. python benchmarks/cues.py --json     # machine-readable figures
    PYTHONPATH=src:. python benchmarks/cues.py --diagnose # and where missed cues were lost,
    #   the recall a perfect search would reach with the matcher's own tests (per SNR and
    #   distortion), and the share of hashes each distortion alone keeps

What is generated (everything from ``--seed``; nothing is downloaded)
----------------------------------------------------------------------
- A reference library of ``--tracks`` pieces (:func:`heartsong.cues.synth.music`, 60-180 s,
  16 kHz), all indexed; only half of them are ever used in an episode.
- ``--episodes`` episodes of ``--minutes`` minutes. Each is a schedule of cues (2-90 s,
  log-uniform; gain -20..0 dB; linear fades of 0-8 s; a quarter of them cross-fading into
  the next), stretches of *music not in the library* (unindexed pieces, same SNR rule),
  dialogue-only gaps and digital silence. One episode in ten carries no library music at all.
- Each cue gets one distortion: ``none``, ``speed±3`` (resampling: tempo and pitch together),
  ``tempo±5`` (librosa phase vocoder), ``pitch±100`` (cents, librosa), or ``resample``
  (16 kHz -> 44.1 kHz -> 16 kHz round trip).
- The noise bed is :func:`synth.speech` (dialogue, 80 % talk) plus :func:`synth.effects`.
- Every episode is rendered at each SNR of ``--snr`` and written as a 64 kbit/s lossy file
  (even episodes AAC ``.m4a``, odd ones MP3), mono 16 kHz. Detection reads the *file*, so
  decoding and lossy coding are part of every figure.

SNR definition
--------------
For each cue ``k`` with music signal ``m_k`` (after gain, fades and distortion) spanning
``[s_k, e_k)`` in the episode, the noise bed ``n`` is scaled by ``g_k`` so that::

    SNR_k = 10 log10( sum_{s_k<=t<e_k} m_k(t)^2 / sum_{s_k<=t<e_k} (g_k n(t))^2 )

equals the nominal SNR: the music-to-noise ratio *over the span of that cue* (fades and pauses
in the dialogue included). Where cues cross-fade the two gains meet (geometric mean over the
overlap); the gain changes with 0.5 s ramps; outside cues (dialogue-only stretches) the noise
keeps the episode's median cue gain. The achieved per-cue SNR is measured on the final mix
and reported (``snr_achieved``: median and 5th/95th percentiles) so the table is honest about
it. The whole render is then normalised to a 0.9 peak (SNR unchanged).

Metrics
-------
- Cue level (:func:`heartsong.cues.evaluate`): a detection counts when its track matches a true
  cue's and the two overlap (one-to-one, greedy by overlap); precision, recall, F1.
- Per-second F1 (0.1 s grid of (track, time) labels).
- Boundary errors |start - true start|, |end - true end| and the position-in-track error at
  the later start (median, p95) over matched cues.
- Pitch error |cents - true cents| and tempo error |tempo / true tempo - 1| (median, p95)
  over matched cues: what a cue reports as its pitch shift and tempo factor.
- False cues per hour: unmatched detections over all rendered audio at that SNR
  (music-free episodes and dialogue/silence/unknown-music stretches included).
- Speed: seconds of episode audio per CPU second of one process (``time.process_time`` around
  ``find_cues(index, path)``, decode included; BLAS/OpenMP pinned to one thread). Also the
  same for a 48 kHz stereo 128 kbit/s AAC ``.mkv`` with a video stream (a realistic episode
  file), and decode alone.
- Index size: bytes on disk per hour of reference audio.
- Identify: :func:`heartsong.cues.identify` on 3, 5 and 10 s clips of indexed tracks, clean
  and with dialogue at 0 dB; correct = best answer is the track at its position (±0.5 s).
  Also on clips of unindexed music (half of them under dialogue): any answer is false.
- Peak memory: ``tracemalloc`` peak of one ``find_cues`` call on a full-length episode
  (index already loaded), and the max RSS of a matching worker process.

Generated data can be kept between runs with ``--cache DIR`` (it depends only on the
generation options, not on the matcher), which makes tuning loops fast.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import multiprocessing as mp  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from heartsong.audio import stream, write  # noqa: E402
from heartsong.cues import (  # noqa: E402
    Cue,
    FingerprintIndex,
    evaluate,
    find_cues,
    identify,
    kernels,
    synth,
)
from heartsong.cues.evaluate import match_cues  # noqa: E402
from heartsong.cues.fingerprint import FingerprintConfig, fingerprint, resample  # noqa: E402
from heartsong.cues.match import _GRADED_EXTRA_Z, _WEAK_EXTRA_Z  # noqa: E402

GEN_SR = 16000
SNRS = (10.0, 0.0, -5.0, -10.0, -15.0)
DISTORTIONS = ("none", "speed-3", "speed+3", "tempo-5", "tempo+5", "pitch-100", "pitch+100",
               "resample")
# Distortions that keep the track's waveform (the phase test can find them); a phase
# vocoder (tempo, pitch) rebuilds the phases.
WAVEFORM_KEPT = ("none", "resample", "speed-3", "speed+3")
GOALS = {
    "f1_at_-10": 0.95, "recall_at_-15": 0.8, "boundary_median": 0.5, "boundary_p95": 1.5,
    "distortion_recall": 0.9, "x_real_time": 300.0, "index_mb_per_hour": 1.5,
    "false_per_10h": 1.0,
}


@dataclass
class Options:
    seed: int
    tracks: int
    episodes: int
    minutes: float
    snrs: tuple[float, ...]
    workers: int


# ----------------------------------------------------------------------------- generation
def _track_seed(opt: Options, tid: int) -> int:
    return opt.seed * 100_000 + 1000 + tid


def _unknown_seed(opt: Options, k: int) -> int:
    return opt.seed * 100_000 + 50_000 + k


def _gen_track(args: tuple[Options, int, str, int]) -> None:
    _opt, seed, path, _ = args
    rng = np.random.default_rng(seed)
    dur = float(rng.uniform(60, 180))
    np.save(path, synth.music(seed, duration=dur, sr=GEN_SR))


def _distort(y: np.ndarray, kind: str) -> tuple[np.ndarray, float, float]:
    """Apply a distortion; returns (audio, tempo, pitch_cents). ``y`` is at GEN_SR."""
    import librosa

    if kind.startswith("speed"):
        speed = 1.03 if kind == "speed+3" else 0.97
        return resample(y, sr=GEN_SR, target=int(round(GEN_SR / speed))), speed, \
            1200 * math.log2(speed)
    if kind.startswith("tempo"):
        rate = 1.05 if kind == "tempo+5" else 0.95
        return librosa.effects.time_stretch(y, rate=rate).astype(np.float32), rate, 0.0
    if kind.startswith("pitch"):
        cents = 100.0 if kind == "pitch+100" else -100.0
        return librosa.effects.pitch_shift(y, sr=GEN_SR, n_steps=cents / 100).astype(
            np.float32), 1.0, cents
    if kind == "resample":
        return resample(resample(y, sr=GEN_SR, target=44100), sr=44100, target=GEN_SR), 1.0, 0.0
    return y, 1.0, 0.0


def _fade(y: np.ndarray, fi: float, fo: float) -> np.ndarray:
    y = y.copy()
    a, b = int(fi * GEN_SR), int(fo * GEN_SR)
    if a:
        y[:a] *= np.linspace(0.0, 1.0, a, dtype=np.float32)
    if b:
        y[-b:] *= np.linspace(1.0, 0.0, b, dtype=np.float32)
    return y


def _gen_episode(args: tuple[Options, int, str]) -> dict:
    """Render one episode at every SNR, write the lossy files, return the ground truth."""
    opt, e, out_dir = args
    rng = np.random.default_rng([opt.seed, 7, e])
    length = opt.minutes * 60.0
    n = int(length * GEN_SR)
    used = opt.tracks // 2  # tracks 0..used-1 appear; the rest never do
    music_free = e % 10 == 9 or (opt.episodes < 10 and e == opt.episodes - 1)
    parts = []  # dicts: start, y (placed music), truth fields or None for unknown music
    t = float(rng.uniform(0, 15))
    unknown_k = 0
    last_tid = -1
    while t < length - 2.0:
        kind = rng.random()
        dur = float(np.exp(rng.uniform(math.log(2.0), math.log(90.0))))
        dur = min(dur, length - t)
        if dur < 2.0:
            break
        fi = 0.0 if rng.random() < 0.4 else float(rng.uniform(0, min(8.0, dur / 3)))
        fo = 0.0 if rng.random() < 0.4 else float(rng.uniform(0, min(8.0, dur / 3)))
        gain = float(rng.uniform(-20.0, 0.0))
        if music_free or kind < 0.18:
            # Music not in the library (an unindexed piece).
            y = synth.music(_unknown_seed(opt, e * 100 + unknown_k), duration=dur, sr=GEN_SR)
            unknown_k += 1
            parts.append({"start": t, "y": _fade(y, fi, fo) * 10 ** (gain / 20), "truth": None})
        else:
            tid = int(rng.integers(0, used))
            if tid == last_tid and used > 1:  # never cross-fade a track into itself
                tid = (tid + 1 + int(rng.integers(0, used - 1))) % used
            last_tid = tid
            ref = np.load(Path(out_dir) / "tracks" / f"{tid}.npy", mmap_mode="r")
            dist = DISTORTIONS[int(rng.integers(len(DISTORTIONS)))] if rng.random() < 0.6 \
                else "none"
            need = dur * {"speed-3": 0.97, "speed+3": 1.03, "tempo-5": 0.95,
                          "tempo+5": 1.05}.get(dist, 1.0)
            ref_len = ref.size / GEN_SR
            if need > ref_len - 0.5:
                need = ref_len - 0.5
                dur = need / {"speed-3": 0.97, "speed+3": 1.03, "tempo-5": 0.95,
                              "tempo+5": 1.05}.get(dist, 1.0)
            ts = float(rng.uniform(0, ref_len - need))
            a = int(ts * GEN_SR)
            seg = np.asarray(ref[a : a + int(need * GEN_SR) + GEN_SR // 4], np.float32)
            y, tempo, cents = _distort(seg, dist)
            y = y[: int(dur * GEN_SR)]
            dur = y.size / GEN_SR
            fi, fo = min(fi, dur / 3), min(fo, dur / 3)
            parts.append({
                "start": t, "y": _fade(y, fi, fo) * 10 ** (gain / 20),
                "truth": {"track_id": tid, "start": t, "end": t + dur, "track_start": ts,
                          "tempo": tempo, "pitch_cents": cents, "gain_db": gain,
                          "distortion": dist, "fade_in": fi, "fade_out": fo},
            })
        end = t + dur
        r = rng.random()
        if r < 0.25 and dur > 4:
            t = end - float(rng.uniform(1.0, min(8.0, dur / 2)))  # cross-fade
        elif r < 0.33:
            t = end + float(rng.uniform(20, 60))  # long dialogue-only stretch
        else:
            t = end + float(rng.uniform(0, 12))
    music = np.zeros(n, np.float32)
    for p in parts:
        s = int(p["start"] * GEN_SR)
        y = p["y"][: n - s]
        music[s : s + y.size] += y
    talk = synth.speech(int(rng.integers(1 << 30)), duration=length, sr=GEN_SR, talk=0.8)
    fx = synth.effects(int(rng.integers(1 << 30)), duration=length, sr=GEN_SR, rate=0.15)
    noise = (talk + 0.6 * fx).astype(np.float32)
    # Digital silence: a few stretches where nothing at all plays.
    silences = []
    for _ in range(int(rng.integers(1, 4))):
        s = float(rng.uniform(0, length - 20))
        silences.append((s, s + float(rng.uniform(3, 15))))
    truth_files = []
    for snr in opt.snrs:
        # Per-cue noise gain, as log level on a 0.1 s grid, then ramps.
        step = GEN_SR // 10
        nb = n // step + 1
        logg = np.full(nb, np.nan)
        weight = np.zeros(nb)
        acc = np.zeros(nb)
        for p in parts:
            s = int(p["start"] * GEN_SR)
            y = p["y"][: n - s]
            pm = float(np.mean(y.astype(np.float64) ** 2))
            pn = float(np.mean(noise[s : s + y.size].astype(np.float64) ** 2))
            if pm <= 0 or pn <= 0:
                continue
            lg = 0.5 * math.log10(pm / (pn * 10 ** (snr / 10)))
            a, b = s // step, (s + y.size) // step + 1
            acc[a:b] += lg
            weight[a:b] += 1
        has = weight > 0
        logg[has] = acc[has] / weight[has]
        default = float(np.median(logg[has])) if has.any() else math.log10(0.5)
        logg[~has] = default
        k = 5  # 0.5 s ramps
        logg = np.convolve(np.pad(logg, k, mode="edge"), np.ones(2 * k + 1) / (2 * k + 1),
                           "same")[k:-k]
        g = np.repeat(10 ** logg, step)[:n].astype(np.float32)
        mix = music + g * noise
        for s0, s1 in silences:
            a, b = int(s0 * GEN_SR), int(s1 * GEN_SR)
            if not np.any(music[a:b]):
                mix[a:b] = 0.0
        scale = 0.9 / max(float(np.max(np.abs(mix))), 1e-9)
        mix *= scale
        name = f"ep{e:02d}_snr{snr:+.0f}{'.m4a' if e % 2 == 0 else '.mp3'}"
        write(Path(out_dir) / "episodes" / name, mix, sr=GEN_SR, bit_rate=64_000)
        cues = []
        for p in parts:
            if p["truth"] is None:
                continue
            s = int(p["start"] * GEN_SR)
            y = p["y"][: n - s]
            gn = g[s : s + y.size] * noise[s : s + y.size]
            achieved = 10 * math.log10(float(np.sum(y.astype(np.float64) ** 2))
                                       / max(float(np.sum(gn.astype(np.float64) ** 2)), 1e-20))
            cues.append({**p["truth"], "snr_achieved": achieved})
        truth_files.append({"file": name, "snr": snr, "cues": cues, "seconds": length,
                            "music_free": music_free})
    return {"episode": e, "renders": truth_files}


def _gen_mkv(args: tuple[str, str]) -> None:
    """A realistic episode container: 48 kHz stereo 128 kbit/s AAC in .mkv with video."""
    src, dst = args
    y = np.concatenate(list(stream(src, sr=48000, mono=True, block_seconds=60.0)))
    write(dst, np.stack([y, y]), sr=48000, bit_rate=128_000, video=True)


def generate(opt: Options, root: Path) -> dict:
    """Generate (or reuse, when ``root`` holds a matching set) tracks and episodes."""
    key = hashlib.sha1(json.dumps(asdict(opt) | {"workers": 0, "v": 4}).encode()).hexdigest()[:12]
    done = root / f"done-{key}.json"
    if done.exists():
        return json.loads(done.read_text()) | {"reused": True}
    # The files are about to change: no other set's marker may vouch for them any more.
    for stale in root.glob("done-*.json"):
        stale.unlink()
    for sub in ("tracks", "episodes"):
        shutil.rmtree(root / sub, ignore_errors=True)
        (root / sub).mkdir(parents=True)
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(opt.workers) as pool:
        pool.map(_gen_track, [(opt, _track_seed(opt, i), str(root / "tracks" / f"{i}.npy"), i)
                              for i in range(opt.tracks)])
        eps = pool.map(_gen_episode, [(opt, e, str(root)) for e in range(opt.episodes)],
                       chunksize=1)
    first = eps[0]["renders"][0]["file"]
    _gen_mkv((str(root / "episodes" / first), str(root / "episodes" / "realistic.mkv")))
    meta = {"episodes": eps, "generate_seconds": time.perf_counter() - t0}
    done.write_text(json.dumps(meta))
    return meta


# ----------------------------------------------------------------------------- matching
# The matcher's acceptance level, quality floor and hash count for the strong bar (find_cues'
# defaults), for --diagnose.
_DEFAULTS = inspect.signature(find_cues).parameters
_ACCEPT_Z = float(_DEFAULTS["min_significance"].default)
_MIN_QUALITY = float(_DEFAULTS["min_quality"].default)
_MIN_SCORE = int(_DEFAULTS["min_score"].default)
_INDEX: FingerprintIndex | None = None


def _init_worker(index_dir: str) -> None:
    global _INDEX
    _INDEX = FingerprintIndex(index_dir)


def _match(path: str) -> dict:
    assert _INDEX is not None
    c0 = time.process_time()
    cues = find_cues(_INDEX, path)
    cpu = time.process_time() - c0
    return {"file": Path(path).name, "cues": [c.to_dict() for c in cues], "cpu": cpu,
            "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def true_line(c: dict, config: FingerprintConfig) -> tuple[float, float,
                                                           tuple[float, float, float]]:
    """A true cue's episode frames ``[lo, hi)`` and its line ``(slope, intercept, pitch)``:
    ``t_ep = slope * t_track + intercept`` (frames), pitch in bands."""
    fs = config.frame_seconds
    slope = 1.0 / c["tempo"]
    lo, hi = c["start"] / fs, c["end"] / fs
    return lo, hi, (slope, lo - slope * c["track_start"] / fs,
                    c["pitch_cents"] / 1200.0 * config.bins_per_octave)


def _diagnose(args: tuple[str, list[dict], list[dict]]) -> list[dict]:
    """Per true cue of one render: found or not, hashes on the true line, z at the truth,
    and whether the matcher's own tests would accept the cue there.

    Says where a missed cue was lost: *seeding* (too few hashes on its line to propose
    it) or *verification* (proposed, or with enough hashes, but judged not significant).
    ``accepted`` bounds what any better search could find: the cue proposed on its true
    line with the hashes that line holds, judged by the matcher's magnitude tests (the
    bar those hashes set, the weighted bar, the quality floor) or, for the distortions
    that keep the waveform, its phase test (``coherent``; None for tempo and pitch changes).
    """
    from heartsong.cues.coherence import coherence_test
    from heartsong.cues.fingerprint import fingerprint_stream
    from heartsong.cues.match import (
        _CHUNK_FRAMES,
        _COHERENT_WINDOW,
        _COHERENT_WZ,
        _COHERENT_Z,
        _blocks,
        _needed_z,
        _tee,
        _weighted_bar,
    )
    from heartsong.cues.refine import Spectrum, presence, significance

    path, truth, found = args
    assert _INDEX is not None
    cfg = _INDEX.config
    fs = cfg.frame_seconds
    parts, hits, audio = [], [], []
    for ch in fingerprint_stream(_tee(_blocks(path, None, cfg.sr), audio), role="query",
                                 config=cfg, chunk_seconds=_CHUNK_FRAMES * fs):
        parts.append(ch.spectrogram)
        h = _INDEX.lookup(ch.fingerprints)
        hits.append((ch.fingerprints.t[h.query], h.track, h.t, ch.fingerprints.f[h.query] - h.f))
    # Prepared as find_cues prepares it (time-averaged like the reference's peaks).
    S = Spectrum(Spectrum.quantise(np.concatenate(parts)), smooth=cfg.time_smooth)
    y = np.concatenate(audio)
    tq, trk, tr, pp = (np.concatenate([h[i] for h in hits]) for i in range(4))
    window = _COHERENT_WINDOW / fs
    rows = []
    for c in truth:
        s_fr, e_fr, (slope, icpt, pitch) = true_line(c, cfg)
        m = (trk == c["track_id"]) & (tq >= s_fr) & (tq < e_fr)
        n_on = _count_on_line(tq[m], tr[m], pp[m], slope=slope, intercept=icpt, pitch=pitch)
        peaks = _INDEX.peaks(c["track_id"])
        pres = presence(S, 0, peaks, slope=slope, intercept=icpt, pitch=pitch, lo=int(s_fr),
                        hi=int(e_fr) + 1)
        q, z = significance(pres, s_fr, e_fr)
        zw = significance(pres, s_fr, e_fr, weighted=True)[1]
        need = _needed_z(n_on, c["end"] - c["start"], pitch, min_significance=_ACCEPT_Z,
                         min_score=_MIN_SCORE)
        coherent = None
        if c["distortion"] in WAVEFORM_KEPT:
            # Whole windows over the cue; a cue shorter than one, one window centred on it.
            lo, hi = s_fr, e_fr
            if hi - lo < window:
                lo = max(0.5 * (s_fr + e_fr) - 0.5 * window, 0.0)
                hi = lo + window
            coherent = coherence_test(
                y, peaks, _INDEX.phases(c["track_id"]), line=(slope, icpt, pitch), lo=lo,
                hi=hi, config=cfg, bar=_COHERENT_Z, weighted_bar=_COHERENT_WZ,
                max_windows=10**6) is not None
        accepted = bool((q >= _MIN_QUALITY and (z >= need or zw >= _weighted_bar(n_on, pitch)))
                        or coherent)
        ok = any(f["track_id"] == c["track_id"] and f["start"] < c["end"]
                 and f["end"] > c["start"] for f in found)
        rows.append({"found": ok, "hashes": n_on, "z_true": z, "zw_true": zw,
                     "seconds": c["end"] - c["start"], "distortion": c["distortion"],
                     "coherent": coherent, "accepted": accepted})
    return rows


# z-scores at the true alignment the bound table also counts (any hashes): the weak bar,
# and lower ones a search would have to afford to reach the goals.
_BOUND_BARS = (11.0, 9.0, 7.0, 5.0)


def diagnosis(res_rows: dict[str, list[dict]]) -> str:
    """Tables: per SNR, how many cues were missed and where (see :func:`_diagnose`); the
    recall a perfect search would reach with the matcher's tests, overall, at lower bars
    and per distortion."""
    z_ok = _ACCEPT_Z
    lines = ["", f"Where missed cues were lost (z at the true alignment; {z_ok:g} is the "
             f"acceptance level, {z_ok + min(e for _, e in _GRADED_EXTRA_Z):g}-"
             f"{z_ok + _WEAK_EXTRA_Z:g} for weak hash evidence unless its audible peaks "
             f"share one gain)",
             f"{'SNR dB':>6} {'cues':>5} {'missed':>6} {'<4 hashes':>10} "
             f"{f'z>={z_ok:g} of those':>14} {'>=4 hashes':>11} {f'z>={z_ok:g} of those':>14} "
             f"{'z_true med':>11}"]
    for snr, rows in res_rows.items():
        miss = [r for r in rows if not r["found"]]
        few = [r for r in miss if r["hashes"] < 4]
        many = [r for r in miss if r["hashes"] >= 4]
        zs = [r["z_true"] for r in miss]
        lines.append(
            f"{snr:>6} {len(rows):>5} {len(miss):>6} {len(few):>10} "
            f"{sum(r['z_true'] >= z_ok for r in few):>14} {len(many):>11} "
            f"{sum(r['z_true'] >= z_ok for r in many):>14} "
            f"{(float(np.median(zs)) if zs else math.nan):>11.1f}")
    lines += ["", "Bound of a perfect search: every cue proposed on its true line and judged "
              "by the matcher's own tests (found or accepted there);",
              "F1 at precision 1. Then the same if any cue were accepted at a lower magnitude "
              "z (weighted or plain) or coherent phases:",
              f"{'SNR dB':>6} {'found R':>8} {'bound R':>8} {'F1':>5} {'2-5 s':>6} {'5-20 s':>7} "
              f"{'20-90 s':>8} " + " ".join(f"{f'z>={b:g}':>6}" for b in _BOUND_BARS)]
    for snr, rows in res_rows.items():
        if not rows:
            continue
        inb = [r["found"] or r["accepted"] for r in rows]
        bound = float(np.mean(inb))
        cells = []
        for lo, hi in ((0, 5), (5, 20), (20, 1e9)):
            grp = [b for b, r in zip(inb, rows, strict=True) if lo <= r["seconds"] < hi]
            cells.append(_f(float(np.mean(grp)) if grp else math.nan))
        bars = [_f(float(np.mean([r["found"] or r["accepted"] or r["coherent"] is True
                                  or max(r["z_true"], r["zw_true"]) >= b for r in rows])))
                for b in _BOUND_BARS]
        lines.append(f"{snr:>6} {_f(float(np.mean([r['found'] for r in rows]))):>8} "
                     f"{_f(bound):>8} {_f(2 * bound / (1 + bound)):>5} {cells[0]:>6} "
                     f"{cells[1]:>7} {cells[2]:>8} " + " ".join(f"{b:>6}" for b in bars))
    kinds = list(DISTORTIONS)
    lines += ["", "Per distortion, found / bound recall", f"{'SNR dB':>6} "
              + " ".join(f"{k:>11}" for k in kinds)]
    for snr, rows in res_rows.items():
        cells = []
        for k in kinds:
            grp = [r for r in rows if r["distortion"] == k]
            cells.append(f"{_f(float(np.mean([r['found'] for r in grp])))}/"
                         f"{_f(float(np.mean([r['found'] or r['accepted'] for r in grp])))}"
                         if grp else "-")
        lines.append(f"{snr:>6} " + " ".join(f"{c:>11}" for c in cells))
    return "\n".join(lines)


def _count_on_line(tq: np.ndarray, tr: np.ndarray, pp: np.ndarray, *, slope: float,
                   intercept: float, pitch: float) -> int:
    """Distinct ``(tq, tr)`` anchor pairs of hits within 3 frames of the line
    ``tq = slope * tr + intercept`` and 1.5 bands of ``pitch``: what the matcher's score
    counts (the probes of one triplet, and triplets sharing an anchor, are one pair)."""
    on = (np.abs(tq - (slope * tr + intercept)) <= 3) & (np.abs(pp - pitch) <= 1.5)
    return len(set(zip(tq[on].tolist(), tr[on].tolist(), strict=True)))


def line_hashes(index: FingerprintIndex, y: np.ndarray, *, track: int, track_start: float,
                tempo: float, cents: float) -> int:
    """Distinct (episode, track) anchor pairs of ``y`` that hit ``track`` on its true line:
    ``y`` plays the track from ``track_start`` s at ``tempo`` and ``cents`` (what the
    matcher's score counts, and what ``--diagnose`` counts for a cue)."""
    cfg = index.config
    fs = cfg.frame_seconds
    q, _ = fingerprint(y, sr=GEN_SR, role="query", config=cfg)
    h = index.lookup(q)
    m = h.track == track
    slope = 1.0 / tempo
    return _count_on_line(q.t[h.query][m], h.t[m], (q.f[h.query] - h.f)[m], slope=slope,
                          intercept=-slope * track_start / fs,
                          pitch=cents / 1200.0 * cfg.bins_per_octave)


def distortion_yield(index: FingerprintIndex, root: Path, opt: Options, *,
                     n_tracks: int = 9, seconds: float = 20.0) -> dict[str, float]:
    """Per distortion, the share of an undistorted excerpt's line hashes that a distorted
    copy keeps, with no dialogue or codec: what the distortion alone costs the seeding.

    One ``seconds`` excerpt from each of ``n_tracks`` indexed tracks (spread over the
    library, starting at 20 s); shares are of summed hash counts.
    """
    counts: dict[str, int] = {d: 0 for d in DISTORTIONS}
    for tid in np.linspace(0, opt.tracks // 2 - 1, n_tracks).round().astype(int).tolist():
        y = np.load(root / "tracks" / f"{tid}.npy")
        seg = y[int(20 * GEN_SR) : int((20 + seconds) * GEN_SR)]
        for kind in DISTORTIONS:
            x, tempo, cents = _distort(seg, kind)
            counts[kind] += line_hashes(index, x, track=tid, track_start=20.0, tempo=tempo,
                                        cents=cents)
    base = counts["none"]
    return {k: (v / base if base else math.nan) for k, v in counts.items()}


def bench_identify(index: FingerprintIndex, root: Path, opt: Options,
                   per_case: int = 40) -> dict[str, dict[str, float]]:
    """``identify`` on short clips of indexed tracks, clean and under dialogue at 0 dB.

    A clip counts when the best answer is its track at the right position (±0.5 s).
    """
    rng = np.random.default_rng([opt.seed, 11])
    out: dict[str, dict[str, float]] = {}
    for seconds in (3.0, 5.0, 10.0):
        for noisy in (False, True):
            ok = 0
            for _ in range(per_case):
                tid = int(rng.integers(0, opt.tracks))
                y = np.load(root / "tracks" / f"{tid}.npy", mmap_mode="r")
                start = float(rng.uniform(0, y.size / GEN_SR - seconds - 1))
                a = int(start * GEN_SR)
                clip = np.array(y[a : a + int(seconds * GEN_SR)], np.float32)
                if noisy:
                    talk = synth.speech(int(rng.integers(1 << 30)), duration=seconds, sr=GEN_SR)
                    clip += talk * np.sqrt(np.mean(clip**2) / max(np.mean(talk**2), 1e-12))
                r = identify(index, clip, sr=GEN_SR)
                ok += bool(r) and r[0].track_id == tid and abs(r[0].position - start) < 0.5
            label = f"{seconds:.0f} s" + (" + dialogue at 0 dB" if noisy else " clean")
            out[label] = {"correct": ok / per_case, "n": per_case}
    # Clips of music that is not in the library: any answer is a false identification.
    for seconds in (3.0, 5.0, 10.0):
        answered = 0
        for k in range(per_case):
            clip = synth.music(_unknown_seed(opt, 90_000 + int(seconds) * 1000 + k),
                               duration=seconds, sr=GEN_SR)
            if k % 2:
                talk = synth.speech(int(rng.integers(1 << 30)), duration=seconds, sr=GEN_SR)
                clip = clip + talk * np.sqrt(np.mean(clip**2) / max(np.mean(talk**2), 1e-12))
            answered += bool(identify(index, clip.astype(np.float32), sr=GEN_SR))
        out[f"{seconds:.0f} s unindexed music"] = {"false": answered / per_case, "n": per_case}
    return out


def _decode_only(path: str) -> float:
    c0 = time.process_time()
    for _ in stream(path, sr=8000, mono=True, block_seconds=30.0):
        pass
    return time.process_time() - c0


def _cue(d: dict, episode: str) -> Cue:
    fields = {k: d[k] for k in ("track_id", "start", "end", "track_start", "tempo",
                                "pitch_cents", "gain_db") if k in d}
    return Cue(**fields, confidence=d.get("confidence", 1.0), episode=episode)


# A detection counts when it overlaps a true cue of its track at all (the rule).
_MIN_IOU = 1e-9


def _metrics(truth: list[Cue], est: list[Cue], seconds: float) -> dict[str, float]:
    return evaluate(truth, est, min_iou=_MIN_IOU, duration=seconds)


# An edge error beyond this (s, the boundary p95 goal) is put down to one of the causes below.
_EDGE_GOAL = 1.5
_LOUDER_DB = 3.0  # another cue this much louder over an edge masks it


def boundary_causes(renders: list[dict], by_file: dict[str, dict]) -> dict[str, dict[str, int]]:
    """Matched cues whose start or end is off by more than ``_EDGE_GOAL`` seconds, by cause.

    Pairs truth and detection with :func:`heartsong.cues.evaluate.match_cues`, as the cue
    metrics do. Causes of an edge error: ``masked`` (another true cue at least
    ``_LOUDER_DB`` louder plays over the edge, as in a cross-fade into louder music),
    ``crossfade`` (another cue over the edge, not louder), ``fade`` (no other cue there; the
    true cue fades at that edge) and ``cut`` (neither).
    """
    out = {edge: dict.fromkeys(("matched", "over", "masked", "crossfade", "fade", "cut"), 0)
           for edge in ("start", "end")}
    for r in renders:
        truth, est = r["cues"], by_file[r["file"]]["cues"]
        pairs = match_cues([_cue(c, r["file"]) for c in truth],
                           [_cue(c, r["file"]) for c in est], min_iou=_MIN_IOU)
        for i, j in pairs:
            t, e = truth[i], est[j]
            for edge, fade in (("start", "fade_in"), ("end", "fade_out")):
                row = out[edge]
                row["matched"] += 1
                if abs(e[edge] - t[edge]) <= _EDGE_GOAL:
                    continue
                row["over"] += 1
                at = t[edge]
                others = [o["gain_db"] - t["gain_db"] for k, o in enumerate(truth)
                          if k != i and o["start"] < at < o["end"]]
                if others and max(others) >= _LOUDER_DB:
                    row["masked"] += 1
                elif others:
                    row["crossfade"] += 1
                elif t[fade] > 0:
                    row["fade"] += 1
                else:
                    row["cut"] += 1
    return out


def run(opt: Options, root: Path, *, diagnose: bool = False) -> dict:
    meta = generate(opt, root)
    index_dir = root / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    t0 = time.perf_counter()
    index = FingerprintIndex(index_dir)
    for i in range(opt.tracks):
        index.add(i, np.load(root / "tracks" / f"{i}.npy"), sr=GEN_SR)
    index.save()
    index_build = time.perf_counter() - t0
    index = FingerprintIndex(index_dir)
    renders = [r for ep in meta["episodes"] for r in ep["renders"]]
    paths = [str(root / "episodes" / r["file"]) for r in renders]
    kernels.warm()  # compiled once here, not in each worker on the clock
    with mp.get_context("fork").Pool(opt.workers, _init_worker, (str(index_dir),)) as pool:
        results = pool.map(_match, paths, chunksize=1)
        dec = pool.map(_decode_only, [p for p, r in zip(paths, renders, strict=True)
                                      if r["snr"] == opt.snrs[0]], chunksize=1)
        mkv = str(root / "episodes" / "realistic.mkv")
        mkv_res = pool.apply(_match, (mkv,))
        mkv_dec = pool.apply(_decode_only, (mkv,))
        by_file = {r["file"]: r for r in results}
        diag = pool.map(_diagnose, [(p, r["cues"], by_file[r["file"]]["cues"])
                                    for p, r in zip(paths, renders, strict=True)],
                        chunksize=1) if diagnose else []
    # Peak memory of one call (index loaded), in this process.
    tracemalloc.start()
    find_cues(index, paths[0])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    out: dict = {"options": asdict(opt), "per_snr": {}, "per_distortion": {}, "per_length": {},
                 "per_codec": {}}
    for snr in opt.snrs:
        rs = [r for r in renders if r["snr"] == snr]
        truth = [_cue(c, r["file"]) for r in rs for c in r["cues"]]
        est = [_cue(c, r["file"]) for r in rs for c in by_file[r["file"]]["cues"]]
        secs = sum(r["seconds"] for r in rs)
        m = _metrics(truth, est, secs)
        ach = [c["snr_achieved"] for r in rs for c in r["cues"]]
        m["snr_achieved_median"] = float(np.median(ach)) if ach else math.nan
        m["snr_achieved_p5"] = float(np.percentile(ach, 5)) if ach else math.nan
        m["snr_achieved_p95"] = float(np.percentile(ach, 95)) if ach else math.nan
        free = [r for r in rs if r["music_free"]]
        m["false_in_music_free"] = float(sum(len(by_file[r["file"]]["cues"]) for r in free))
        m["hours"] = secs / 3600
        m["boundary_causes"] = boundary_causes(rs, by_file)
        out["per_snr"][f"{snr:+.0f}"] = m
        groups = {
            "per_distortion": {d: [(c, r["file"]) for r in rs for c in r["cues"]
                                   if c["distortion"] == d] for d in DISTORTIONS},
            "per_length": {
                lab: [(c, r["file"]) for r in rs for c in r["cues"]
                      if lo <= c["end"] - c["start"] < hi]
                for lab, lo, hi in (("2-5 s", 0, 5), ("5-20 s", 5, 20), ("20-90 s", 20, 1e9))},
            "per_codec": {
                lab: [(c, r["file"]) for r in rs for c in r["cues"] if r["file"].endswith(ext)]
                for lab, ext in (("aac", ".m4a"), ("mp3", ".mp3"))},
        }
        for table, grp in groups.items():
            for lab, items in grp.items():
                t = [_cue(c, f) for c, f in items]
                r_ = _metrics(t, est, secs)["recall"] if t else math.nan
                out[table].setdefault(lab, {})[f"{snr:+.0f}"] = {"recall": r_, "n": len(t)}
    audio = sum(r["seconds"] for r in renders)
    cpu = sum(r["cpu"] for r in results)
    out["speed"] = {
        "x_real_time": audio / cpu,
        "x_real_time_mkv_48k_stereo": opt.minutes * 60 / mkv_res["cpu"],
        "decode_only_x_real_time": len(dec) * opt.minutes * 60 / sum(dec),
        "decode_only_x_real_time_mkv_48k_stereo": opt.minutes * 60 / mkv_dec,
        "episode_hours": audio / 3600,
    }
    out["index"] = {"bytes": index.nbytes, "reference_hours": index.seconds / 3600,
                    "mb_per_hour": index.nbytes / 1e6 / (index.seconds / 3600),
                    "build_seconds": index_build}
    out["memory"] = {"find_cues_tracemalloc_peak_mb": peak / 1e6,
                     "worker_max_rss_mb": max(r["maxrss_kb"] for r in results) / 1024}
    out["all"] = _metrics(
        [_cue(c, r["file"]) for r in renders for c in r["cues"]],
        [_cue(c, r["file"]) for r in renders for c in by_file[r["file"]]["cues"]], audio)
    out["identify"] = bench_identify(index, root, opt)
    out["generate_seconds"] = 0.0 if meta.get("reused") else meta["generate_seconds"]
    if diagnose:
        out["distortion_yield"] = distortion_yield(index, root, opt)
        out["diagnosis"] = {f"{snr:+.0f}": [row for r, rows in zip(renders, diag, strict=True)
                                            if r["snr"] == snr for row in rows]
                            for snr in opt.snrs}
    return out


# ----------------------------------------------------------------------------- report
def _f(x: float, fmt: str = "{:.2f}") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)


def report(res: dict) -> str:
    o = res["options"]
    lines = [
        f"heartsong cue benchmark: {o['tracks']} reference tracks ({o['tracks'] // 2} used), "
        f"{o['episodes']} episodes x {o['minutes']:g} min at each SNR, seed {o['seed']}",
        "",
        "Per SNR (music-to-noise over each cue's span; a detection counts when the track "
        "matches and it overlaps the truth)",
        f"{'SNR dB':>6} {'achieved':>15} {'cues':>5} {'det':>5} {'P':>5} {'R':>5} {'F1':>5} "
        f"{'secF1':>6} {'start med/p95':>14} {'end med/p95':>12} {'pos med/p95':>12} "
        f"{'false/h':>8} {'cents med/p95':>13} {'tempo% med/p95':>14}",
    ]
    for snr, m in res["per_snr"].items():
        lines.append(
            f"{snr:>6} {_f(m['snr_achieved_median'], '{:+.1f}'):>5} "
            f"[{_f(m['snr_achieved_p5'], '{:+.0f}')},{_f(m['snr_achieved_p95'], '{:+.0f}')}]".ljust(
                23)
            + f"{int(m['n_reference']):>5} {int(m['n_estimated']):>5} {m['precision']:5.2f} "
            f"{m['recall']:5.2f} {m['f1']:5.2f} {m['second_f1']:6.2f} "
            f"{_f(m['start_error_median']):>6}/{_f(m['start_error_p95']):<6} "
            f"{_f(m['end_error_median']):>5}/{_f(m['end_error_p95']):<6} "
            f"{_f(m['position_error_median']):>5}/{_f(m['position_error_p95']):<6} "
            f"{m['false_per_hour']:8.2f} "
            f"{_f(m['pitch_error_median'], '{:.1f}'):>6}/{_f(m['pitch_error_p95'], '{:.1f}'):<6} "
            f"{_f(100 * m['tempo_error_median']):>6}/{_f(100 * m['tempo_error_p95']):<6}"
        )
    lines += ["", f"Edges off by more than {_EDGE_GOAL:g} s, by cause (masked: a cue at least "
              f"{_LOUDER_DB:g} dB louder plays over the edge; crossfade: another cue there; "
              "fade: the cue fades there; cut: neither)"]
    for snr, m in res["per_snr"].items():
        cells = []
        for edge in ("start", "end"):
            b = m.get("boundary_causes", {}).get(edge)
            if b:
                cells.append(f"{edge} {b['over']}/{b['matched']}: masked {b['masked']}, "
                             f"crossfade {b['crossfade']}, fade {b['fade']}, cut {b['cut']}")
        lines.append(f"{snr:>6} " + "; ".join(cells))
    snrs = list(res["per_snr"])
    for title, key in (("Recall per distortion (all cues are also lossy-coded)", "per_distortion"),
                       ("Recall per cue length", "per_length"), ("Recall per codec", "per_codec")):
        lines += ["", title, f"{'':>10} " + " ".join(f"{s + ' dB':>10}" for s in snrs)]
        for lab, row in res[key].items():
            cells = [f"{_f(row[s]['recall'])} ({row[s]['n']})" for s in snrs]
            lines.append(f"{lab:>10} " + " ".join(f"{c:>10}" for c in cells))
    sp, ix, mem = res["speed"], res["index"], res["memory"]
    lines += [
        "",
        f"speed (one core, decode included): {sp['x_real_time']:.0f}x real time on 16 kHz mono "
        f"64 kbit/s files; {sp['x_real_time_mkv_48k_stereo']:.0f}x on a 48 kHz stereo AAC .mkv "
        f"(decode alone: {sp['decode_only_x_real_time']:.0f}x / "
        f"{sp['decode_only_x_real_time_mkv_48k_stereo']:.0f}x); "
        f"{sp['episode_hours']:.1f} h of episodes",
        f"index: {ix['bytes'] / 1e6:.2f} MB for {ix['reference_hours']:.2f} h of reference audio "
        f"= {ix['mb_per_hour']:.2f} MB/hour (built in {ix['build_seconds']:.0f} s)",
        f"memory: find_cues peak {mem['find_cues_tracemalloc_peak_mb']:.0f} MB (tracemalloc, "
        f"{o['minutes']:g} min episode), matching worker max RSS "
        f"{mem['worker_max_rss_mb']:.0f} MB",
    ]
    ident = res.get("identify", {})
    lines.append("identify (best answer = the clip's track at its position ±0.5 s): " + ", ".join(
        f"{k} {v['correct']:.0%}" for k, v in ident.items() if "correct" in v))
    lines.append("identify on clips of unindexed music (half under dialogue at 0 dB; any answer "
                 "is false): " + ", ".join(
                     f"{k.split(' unindexed')[0]} {round(v['false'] * v['n'])}/{v['n']} answered"
                     for k, v in ident.items() if "false" in v))
    a = res["all"]
    lines.append(f"all SNRs: P {a['precision']:.3f} R {a['recall']:.3f} F1 {a['f1']:.3f}, "
                 f"{int(a['false_cues'])} false cues in {sp['episode_hours']:.1f} h "
                 f"({a['false_per_hour']:.2f}/h)")
    lines += ["", "goals:"] + [f"  {g}" for g in goals(res)]
    return "\n".join(lines)


def goals(res: dict) -> list[str]:
    out = []

    def chk(name: str, ok: bool, value: str) -> None:
        out.append(f"{'PASS' if ok else 'MISS'} {name}: {value}")

    ps = res["per_snr"]
    if "-10" in ps:
        chk("cue F1 >= 0.95 at -10 dB", ps["-10"]["f1"] >= GOALS["f1_at_-10"],
            f"{ps['-10']['f1']:.3f}")
    if "-15" in ps:
        chk("recall >= 0.8 at -15 dB", ps["-15"]["recall"] >= GOALS["recall_at_-15"],
            f"{ps['-15']['recall']:.3f}")
    for snr, m in ps.items():
        med = max(m["start_error_median"], m["end_error_median"])
        p95 = max(m["start_error_p95"], m["end_error_p95"])
        chk(f"boundary error at {snr} dB (median <= 0.5 s, p95 <= 1.5 s)",
            med <= GOALS["boundary_median"] and p95 <= GOALS["boundary_p95"],
            f"median {med:.2f} s, p95 {p95:.2f} s (worse of start/end)")
    for d, row in res["per_distortion"].items():
        worst = min((v["recall"] for v in row.values() if v["n"]), default=math.nan)
        at0 = row.get("+0", {}).get("recall", math.nan)
        chk(f"recall >= 0.9 for {d} (at 0 dB; worst SNR in brackets)",
            at0 >= GOALS["distortion_recall"], f"{at0:.2f} [{worst:.2f}]")
    chk(">= 300x real time per core", res["speed"]["x_real_time"] >= GOALS["x_real_time"],
        f"{res['speed']['x_real_time']:.0f}x")
    chk("index <= 1.5 MB per hour", res["index"]["mb_per_hour"] <= GOALS["index_mb_per_hour"],
        f"{res['index']['mb_per_hour']:.2f}")
    fph = res["all"]["false_per_hour"]
    chk("< 1 false cue per 10 hours", fph * 10 < GOALS["false_per_10h"], f"{fph * 10:.2f}")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="12 tracks, 4 episodes of 4 min (a few minutes in all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tracks", type=int, help="reference tracks (default 52; quick 12)")
    ap.add_argument("--episodes", type=int, help="episodes (default 20; quick 4)")
    ap.add_argument("--minutes", type=float, help="episode length (default 10; quick 4)")
    ap.add_argument("--snr", type=float, nargs="+", default=list(SNRS))
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                    help="processes (each single-threaded; speed is CPU time per process)")
    ap.add_argument("--cache", type=Path, help="keep generated audio here and reuse it")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--diagnose", action="store_true",
                    help="also say, per SNR, whether missed cues were lost in seeding or "
                         "verification (one more pass over every file), the recall a perfect "
                         "search would reach with the matcher's tests, and the share of "
                         "line hashes each distortion alone keeps")
    args = ap.parse_args(argv)
    opt = Options(
        seed=args.seed,
        tracks=args.tracks or (12 if args.quick else 52),
        episodes=args.episodes or (4 if args.quick else 20),
        minutes=args.minutes or (4.0 if args.quick else 10.0),
        snrs=tuple(args.snr),
        workers=max(1, args.workers),
    )
    t0 = time.perf_counter()
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
        res = run(opt, args.cache, diagnose=args.diagnose)
    else:
        with tempfile.TemporaryDirectory(prefix="heartsong-cues-bench-") as d:
            res = run(opt, Path(d), diagnose=args.diagnose)
    res["wall_seconds"] = time.perf_counter() - t0
    if args.json:
        json.dump(res, sys.stdout, indent=1, default=float)
        print()
    else:
        print(report(res))
        if "diagnosis" in res:
            print(diagnosis(res["diagnosis"]))
            print("\nLine hashes a distortion alone keeps (clean 20 s excerpts, no dialogue or "
                  "codec; share of the undistorted count): " + ", ".join(
                      f"{k} {v:.2f}" for k, v in res["distortion_yield"].items()))
        print(f"\n(wall time {res['wall_seconds']:.0f} s, of which generation "
              f"{res['generate_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
