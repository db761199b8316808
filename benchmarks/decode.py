"""Decode and scan speed: x real time per format (one core) and library scan throughput.

Run: ``.venv/bin/python benchmarks/decode.py [--seconds 120] [--repeats 5]``

Figures are medians over repeats (the machines are small and noisy). Decode speed is reported
as "x real time": seconds of audio decoded (resampled to 22050 Hz mono, as the analyses read
it) per second of wall time, on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from heartsong.audio import FORMATS, load, stream, write
from heartsong.library import Library


def _music(seconds: float, sr: int, seed: int = 0) -> np.ndarray:
    # Chords with moving partials and noise bursts: closer to music than a sine for the codecs.
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros((2, t.size), np.float32)
    for k in range(6):
        f = 110.0 * 2 ** (rng.integers(0, 36) / 12)
        y[k % 2] += (0.08 * np.sin(2 * np.pi * f * t + 3 * np.sin(0.5 * t))).astype(np.float32)
    y += 0.01 * rng.standard_normal(y.shape).astype(np.float32)
    return y


def bench_decode(tmp: Path, seconds: float, repeats: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    data = _music(seconds, 44100)
    for ext in sorted(FORMATS):
        path = write(tmp / f"bench{ext}", data, sr=44100, video=ext in {".mp4", ".mkv", ".webm"})
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _block in stream(path, sr=22050, block_seconds=30.0):
                pass
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        out[ext] = {"x_real_time": seconds / med, "median_s": med}
        t0 = time.perf_counter()
        load(path, sr=22050, offset=seconds / 2, duration=10.0)
        out[ext]["range_10s_ms"] = 1000 * (time.perf_counter() - t0)
    return out


def bench_scan(tmp: Path, files: int, repeats: int) -> dict[str, float]:
    folder = tmp / "album"
    data = _music(30.0, 44100)
    for i in range(files):
        write(folder / f"{i:03d}.flac", data, sr=44100, tags={"title": f"T{i}", "album": "Bench"})
    first, again = [], []
    for r in range(repeats):
        db = tmp / f"lib{r}.db"
        t0 = time.perf_counter()
        with Library(db) as lib:
            lib.scan([folder])
        first.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with Library(db) as lib:
            lib.scan([folder])
        again.append(time.perf_counter() - t0)
    return {
        "files": files,
        "first_scan_files_per_s": files / statistics.median(first),
        "rescan_files_per_s": files / statistics.median(again),
        "rescan_speedup_ratio": statistics.median(first) / statistics.median(again),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=120.0, help="length of the test audio")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--files", type=int, default=40, help="files in the scan benchmark")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        result = {
            "decode": bench_decode(tmp, args.seconds, args.repeats),
            "scan": bench_scan(tmp, args.files, args.repeats),
        }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"decode to 22050 Hz mono, {args.seconds:.0f} s of audio, median of {args.repeats}")
    print(f"{'format':8} {'x real time':>12} {'10 s range (ms)':>16}")
    for ext, r in result["decode"].items():
        print(f"{ext:8} {r['x_real_time']:12.0f} {r['range_10s_ms']:16.1f}")
    s = result["scan"]
    print(
        f"scan of {s['files']} FLAC files (30 s each): first scan "
        f"{s['first_scan_files_per_s']:.1f} files/s, re-scan {s['rescan_files_per_s']:.0f} files/s "
        f"({s['rescan_speedup_ratio']:.0f}x faster: unchanged files are skipped)"
    )


if __name__ == "__main__":
    main()
