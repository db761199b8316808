"""Per-track analysis: speed on one core, accuracy on the demo, emotion sanity, bad input.

Run: ``PYTHONPATH=src python benchmarks/analysis.py [--demo DIR] [--quick] [--json]``

Sections
--------
speed
    The process is pinned to one CPU (``os.sched_setaffinity``; elsewhere run it under
    ``taskset -c 0``) and every math library is limited to one thread, so "x real time"
    is seconds of audio analysed per second of one core. A fixed file (the demo's longest
    track) is analysed ``--repeats`` times (median reported); the album total is every
    album track once, after one short warm-up analysis (lazy imports, numba's JIT). Since
    other work may share the machine, the figure is audio seconds per *CPU* second of the
    pinned process; wall-clock speed is printed beside it. The whole analysis is timed:
    decode (once, streamed), shared spectra, tempo, key, loudness, structure, vibenet and
    fusion, moods and role.
accuracy
    Every demo album track against ``ground_truth.json``: tempo within 4 % (an estimate
    within 4 % of half or double the truth is an *octave error*, counted separately);
    key and mode exact; role exact (the demo's "score cue" and "distractor" both count as
    our "ambient/score cue"); moods: ``hit@3`` = at least one ground-truth mood among our
    three best-scored moods, ``top1`` = our best mood is a ground-truth mood, ``recall@3``
    = share of the ground-truth moods found in our top three.
sanity
    :func:`heartsong.analysis.sanity.run_sanity_suite` on synthetic pieces: faster and
    louder must raise energy, minor must lower valence, re-orchestration and dialogue at
    -10 dB must move valence and energy by less than 0.1. Pass rates for the fused values,
    vibenet alone and the musical evidence alone.
bad input
    Digital silence, a 0.5 s and a 2 s file, 8 kHz mono, 96 kHz stereo, 5.1 FLAC, a
    corrupt file and a 3-hour 22050 Hz mono FLAC (``--quick``: 30 minutes), each
    analysed in a fresh process with its peak RSS (``resource.getrusage``) and time:
    analysed or refused with the reason; anything else is reported as a crash.

The demo is generated once with :func:`heartsong.demo.generate` into ``--cache`` (reused
while up to date) unless ``--demo DIR`` points at one.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

MOOD_NAMES = {  # demo ground-truth word -> our mood
    "tear-jerker": "tear-jerker",
    "romantic": "romantic",
    "melancholic": "melancholic/longing",
    "longing": "melancholic/longing",
    "nostalgic": "nostalgic",
    "hopeful": "hopeful/uplifting",
    "uplifting": "hopeful/uplifting",
    "triumphant": "triumphant/epic",
    "epic": "triumphant/epic",
    "tense": "tense/suspense",
    "suspense": "tense/suspense",
    "action": "action",
    "calm": "calm/tender",
    "tender": "calm/tender",
    "playful": "playful",
}
ROLE_NAMES = {"score cue": "ambient/score cue", "distractor": "ambient/score cue",
              "ambient cue": "ambient/score cue"}


# ---------------------------------------------------------------------------- helpers


def pin_one_core() -> str:
    """Pin this process (and its children) to one CPU; say what was done."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})
        return f"pinned to CPU {cpus[0]} of {len(cpus)}"
    except (AttributeError, OSError) as exc:  # pragma: no cover - non-Linux
        return f"not pinned ({exc}); run under `taskset -c 0` for one core"


def demo_dir(args: argparse.Namespace) -> Path:
    if args.demo:
        return Path(args.demo)
    from heartsong.demo import generate

    out = Path(args.cache) / f"demo-seed{args.seed}"
    t0 = time.perf_counter()
    generate(out, seed=args.seed)
    print(f"demo ready in {out} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return out


def timed_analysis(path: Path, title: str, model: Any) -> tuple[Any, float, float]:
    from heartsong.analysis import analyze_file

    w0, c0 = time.perf_counter(), time.process_time()
    a = analyze_file(path, title=title, emotion_model=model)
    return a, time.perf_counter() - w0, time.process_time() - c0


def write_flac(path: Path, blocks: Any, sr: int, layout: str) -> Path:
    """Stream float32 ``(channels, n)`` blocks into a FLAC file (any layout FFmpeg knows)."""
    import av

    with av.open(str(path), mode="w", format="flac") as container:
        st: Any = container.add_stream("flac", rate=sr)
        st.layout = layout
        pts = 0
        for block in blocks:
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(np.clip(block, -1, 1), dtype=np.float32), format="fltp",
                layout=layout)
            frame.sample_rate = sr
            frame.pts = pts
            frame.time_base = Fraction(1, sr)
            pts += block.shape[1]
            for packet in st.encode(frame):
                container.mux(packet)
        for packet in st.encode(None):
            container.mux(packet)
    return path


# ---------------------------------------------------------------------------- speed + accuracy


def warm_up(model: Any) -> None:
    """One short analysis first: lazy imports and numba's JIT (librosa's peak picking) are
    one-off costs per process, not per track."""
    from heartsong.analysis import analyze_signal

    analyze_signal(_music(10.0, 22050), 22050, emotion_model=model)


def bench_album(demo: Path, model: Any, repeats: int) -> dict[str, Any]:
    warm_up(model)
    gt = json.loads((demo / "ground_truth.json").read_text())
    tracks = gt["tracks"]
    rows, total_audio, total_wall, total_cpu = [], 0.0, 0.0, 0.0
    for t in tracks:
        a, wall, cpu = timed_analysis(demo / t["file"], t["title"], model)
        total_audio += a.duration
        total_wall += wall
        total_cpu += cpu
        rows.append(score_track(t, a) | {"x_real_time": a.duration / wall})
    longest = max(tracks, key=lambda t: t["duration"])
    walls, cpus, dur = [], [], 0.0
    for _ in range(repeats):
        a, wall, cpu = timed_analysis(demo / longest["file"], longest["title"], model)
        walls.append(wall)
        cpus.append(cpu)
        dur = a.duration
    n = len(rows)
    totals = {
        "tracks": n,
        "tempo_ok": sum(r["tempo_ok"] for r in rows),
        "tempo_octave": sum(r["tempo_octave"] for r in rows),
        "key_ok": sum(r["key_ok"] for r in rows),
        "role_ok": sum(r["role_ok"] for r in rows),
        "mood_hit3": sum(r["mood_hit3"] for r in rows),
        "mood_top1": sum(r["mood_top1"] for r in rows),
        "mood_recall3": float(np.mean([r["mood_recall3"] for r in rows])),
    }
    return {
        "speed": {
            "fixed_file": longest["title"],
            "fixed_seconds": dur,
            "repeats": repeats,
            "fixed_x_real_time": dur / statistics.median(walls),
            "fixed_x_cpu_time": dur / statistics.median(cpus),
            "album_seconds": total_audio,
            "album_x_real_time": total_audio / total_wall,
            "album_x_cpu_time": total_audio / total_cpu,
        },
        "tracks": rows,
        "totals": totals,
    }


def score_track(t: dict[str, Any], a: Any) -> dict[str, Any]:
    truth = float(t["tempo"])
    est = float(a.tempo.bpm)
    ok = est > 0 and abs(est - truth) <= 0.04 * truth
    octave = (not ok) and any(est > 0 and abs(est - truth * r) <= 0.04 * truth * r
                              for r in (0.5, 2.0))
    key_truth = t["key"] + ("m" if t["mode"] == "minor" else "")
    role_truth = ROLE_NAMES.get(t["role"], t["role"])
    ranked = [m.name for m in sorted(a.moods, key=lambda m: -m.score)]
    gt_moods = [MOOD_NAMES.get(m, m) for m in t["moods"]]
    top3 = ranked[:3]
    return {
        "title": t["title"],
        "tempo_truth": truth,
        "tempo": est,
        "tempo_ok": ok,
        "tempo_octave": octave,
        "key_truth": key_truth,
        "key": a.key.label,
        "key_ok": a.key.label == key_truth,
        "role_truth": role_truth,
        "role": a.role.name,
        "role_confidence": a.role.confidence,
        "role_reason": a.role.reason,
        "role_ok": a.role.name == role_truth,
        "moods_truth": gt_moods,
        "moods_top3": top3,
        "mood_hit3": any(m in top3 for m in gt_moods),
        "mood_top1": ranked[0] in gt_moods,
        "mood_recall3": sum(m in top3 for m in gt_moods) / max(1, len(gt_moods)),
        "valence": a.emotion.valence,
        "energy": a.emotion.energy,
        "instrumentalness": a.emotion.model.instrumentalness if a.emotion.model else None,
    }


# ---------------------------------------------------------------------------- bad input

_CHILD = r"""
import json, resource, sys, time
from heartsong.analysis import analyze_file
from heartsong.errors import HeartsongError
path, model = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
try:
    a = analyze_file(path, emotion_model=None if model == "none" else "auto")
    out = {"status": "analysed", "duration": a.duration,
           "summary": f"{a.duration:.0f} s, {a.channels} ch @ {a.sample_rate} Hz, "
                      f"{a.tempo.bpm:.0f} BPM, {a.key.label}, "
                      f"{a.loudness.integrated_lufs:.1f} LUFS, role {a.role.name}",
           "warnings": list(a.warnings)}
except HeartsongError as exc:
    out = {"status": "refused", "reason": getattr(exc, "reason", None) or str(exc)}
except Exception as exc:
    out = {"status": "CRASH", "reason": f"{type(exc).__name__}: {exc}"}
out["seconds"] = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
out["cpu_seconds"] = ru.ru_utime + ru.ru_stime
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report the
# benchmark parent's peak; VmHWM belongs to this process's own address space.
try:
    hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
    out["peak_rss_mb"] = int(hwm[0].split()[1]) / 1024
except (OSError, IndexError):
    out["peak_rss_mb"] = ru.ru_maxrss / 1024
print(json.dumps(out))
"""


def _music(seconds: float, sr: int, seed: int = 0) -> np.ndarray:
    from heartsong.analysis.synth import Piece, render

    bars = max(1, int(np.ceil(seconds / 2.0)))
    y = render(Piece(tonic=7, bpm=120, bars=bars, sections="A", level_db=-8.0, seed=seed), sr=sr)
    return y[: int(seconds * sr)]


def make_bad_inputs(folder: Path, long_seconds: float) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def one(name: str, y: np.ndarray, sr: int, layout: str) -> None:
        files[name] = write_flac(folder / f"{name}.flac", [np.atleast_2d(y)], sr, layout)

    one("silence 10 s", np.zeros((2, 441000), np.float32), 44100, "stereo")
    one("0.5 s", _music(0.5, 44100), 44100, "mono")
    one("2 s", _music(2.0, 44100), 44100, "mono")
    one("8 kHz mono", _music(30.0, 8000), 8000, "mono")
    hi = _music(30.0, 96000)
    one("96 kHz stereo", np.stack([hi, 0.8 * hi]), 96000, "stereo")
    m = _music(30.0, 48000)
    one("5.1 48 kHz", np.stack([m, 0.9 * m, m, 0.3 * m, 0.4 * m, 0.4 * m]), 48000, "5.1")
    bad = folder / "corrupt.flac"
    bad.write_bytes(b"fLaC" + bytes(range(256)) * 40)
    files["corrupt"] = bad
    label = f"{long_seconds / 3600:.1f} h 22 kHz mono"
    long_path = folder / f"long-{int(long_seconds)}.flac"
    if not long_path.exists():
        sr = 22050
        loop = _music(64.0, sr)  # a 64 s phrase, slowly varying level: low complexity

        def blocks() -> Any:
            done = 0
            total = int(long_seconds * sr)
            while done < total:
                n = min(loop.shape[0], total - done)
                g = 0.6 + 0.4 * np.sin(2 * np.pi * done / sr / 900.0)
                yield (g * loop[:n])[None, :]
                done += n

        tmp = long_path.with_suffix(".part")
        write_flac(tmp, blocks(), sr, "mono")
        tmp.rename(long_path)
    files[label] = long_path
    return files


def bench_bad_inputs(folder: Path, long_seconds: float, use_model: bool) -> dict[str, Any]:
    out = {}
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    for name, path in make_bad_inputs(folder, long_seconds).items():
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(path),
                               "auto" if use_model else "none"],
                              capture_output=True, text=True, env=env, check=False)
        try:
            res = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            res = {"status": "CRASH", "reason": (proc.stderr.strip().splitlines() or ["?"])[-1],
                   "seconds": float("nan"), "cpu_seconds": float("nan"),
                   "peak_rss_mb": float("nan")}
        out[name] = res
    return out


# ---------------------------------------------------------------------------- report


def _yn(b: bool) -> str:
    return "yes" if b else "-"


def print_report(r: dict[str, Any]) -> None:
    print(f"# heartsong analysis benchmark ({r['analysis_version']}, {r['pinning']}, "
          f"emotion model: {r['model']})\n")
    s = r["album"]["speed"]
    print("## Speed (one core, whole analysis: decode + features + vibenet + all descriptors)")
    print("x real time per core = seconds of audio / CPU seconds of the pinned process; wall")
    print(f"clock in brackets (load average at start {r['load']}: other work shares the CPUs)")
    print(f"fixed file  {s['fixed_file']!r} ({s['fixed_seconds']:.0f} s), median of "
          f"{s['repeats']}: {s['fixed_x_cpu_time']:.1f}x real time per core "
          f"(wall {s['fixed_x_real_time']:.1f}x)")
    print(f"album total {s['album_seconds']:.0f} s, {len(r['album']['tracks'])} tracks: "
          f"{s['album_x_cpu_time']:.1f}x real time per core (wall "
          f"{s['album_x_real_time']:.1f}x); goal >= 60x\n")
    print("## Accuracy on the demo ground truth")
    hdr = (f"{'track':<34} {'tempo':>11} {'':>3} {'key':>9} {'':>3} {'role (truth -> ours)':<44} "
           f"{'moods: truth | our top 3':<40}")
    print(hdr)
    print("-" * len(hdr))
    for t in r["album"]["tracks"]:
        tempo = f"{t['tempo_truth']:.0f}->{t['tempo']:.0f}"
        tmark = "ok" if t["tempo_ok"] else ("x2" if t["tempo_octave"] else "NO")
        key = f"{t['key_truth']}->{t['key']}"
        role = f"{t['role_truth']} -> {t['role']}"
        rmark = "ok" if t["role_ok"] else "NO"
        moods = f"{', '.join(t['moods_truth'])} | {', '.join(t['moods_top3'])}"
        mmark = "ok" if t["mood_hit3"] else "NO"
        print(f"{t['title'][:34]:<34} {tempo:>11} {tmark:>3} {key:>9} "
              f"{'ok' if t['key_ok'] else 'NO':>3} {role[:40]:<40} {rmark:>3} {mmark:>3} "
              f"{moods}")
    tot = r["album"]["totals"]
    n = tot["tracks"]
    print(f"\ntempo within 4%: {tot['tempo_ok']}/{n}   octave errors (x2 or /2): "
          f"{tot['tempo_octave']}/{n}   key+mode exact: {tot['key_ok']}/{n}   role exact: "
          f"{tot['role_ok']}/{n}")
    print(f"moods: hit@3 (>= 1 true mood in our top 3) {tot['mood_hit3']}/{n}   top1 (our best "
          f"is a true mood) {tot['mood_top1']}/{n}   recall@3 {tot['mood_recall3']:.0%}\n")
    san = r["sanity"]
    print(f"## Emotion sanity suite ({san['n_pieces']} synthetic pieces x 5 checks)")
    print(san["table"] + "\n")
    print("## Bad input (each in a fresh process)")
    print(f"{'input':<22} {'result':<9} {'wall s':>7} {'CPU s':>7} {'peak RSS MB':>12}  detail")
    for name, b in r["bad_input"].items():
        detail = b.get("summary") or b.get("reason", "")
        if b.get("warnings"):
            detail += " | warnings: " + "; ".join(b["warnings"])
        print(f"{name:<22} {b['status']:<9} {b['seconds']:>7.1f} {b['cpu_seconds']:>7.1f} "
              f"{b['peak_rss_mb']:>12.0f}  "
              f"{detail}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", help="an already generated demo directory (has ground_truth.json)")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "heartsong-bench"),
                    help="where the demo and the bad-input files are generated and kept")
    ap.add_argument("--seed", type=int, default=0, help="demo seed")
    ap.add_argument("--repeats", type=int, default=None, help="repeats of the fixed file")
    ap.add_argument("--quick", action="store_true",
                    help="2 repeats, 4 sanity pieces, a 30-minute long file instead of 3 h")
    ap.add_argument("--no-model", action="store_true", help="musical evidence only")
    ap.add_argument("--skip", nargs="*", default=[], choices=["sanity", "bad"],
                    help="skip sections")
    ap.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    ap.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = ap.parse_args()
    pinning = "not pinned" if args.no_pin else pin_one_core()
    repeats = args.repeats or (2 if args.quick else 5)

    from heartsong.analysis import ANALYSIS_VERSION
    from heartsong.analysis.emotion import load_vibenet
    from heartsong.analysis.sanity import run_sanity_suite

    model = None if args.no_model else load_vibenet()
    demo = demo_dir(args)
    result: dict[str, Any] = {"analysis_version": ANALYSIS_VERSION, "pinning": pinning,
                              "model": "none" if model is None else "vibenet",
                              "load": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    result["album"] = bench_album(demo, model, repeats)
    if "sanity" not in args.skip:
        n = 4 if args.quick else 12
        rep = run_sanity_suite(n_pieces=n, seconds=24.0, emotion_model=model)
        result["sanity"] = {"n_pieces": n, "pass_rates": rep.pass_rates,
                            "overall": rep.overall, "table": rep.table()}
    else:
        result["sanity"] = {"n_pieces": 0, "table": "(skipped)"}
    if "bad" not in args.skip:
        long_s = 1800.0 if args.quick else 3 * 3600.0
        result["bad_input"] = bench_bad_inputs(Path(args.cache) / "bad-input", long_s,
                                               model is not None)
    else:
        result["bad_input"] = {}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)


if __name__ == "__main__":
    main()
