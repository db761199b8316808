"""Emotion sanity suite on generated material (used by the tests and the benchmark).

For each base piece (random key, mode, tempo, instrument, drums, seed), the same piece is
re-rendered with one change and the analysis must react the right way:

=================  ===========================================================  =========
check              change                                                       passes if
=================  ===========================================================  =========
faster             tempo x 1.35                                                 energy up
louder             +10 dB (peak -18 -> -8 dBFS)                                 energy up
minor              same melody and chords in the parallel minor (or major)      valence
                                                                                down (up)
reorchestrated     another instrument                                           |dV|, |dE|
                                                                                < 0.1
dialogue           speech-like babble added 10 dB below the music               |dV|, |dE|
                                                                                < 0.1
=================  ===========================================================  =========

Every check is scored for three estimators: the stored fused value, vibenet alone, and
the musical evidence alone, so the suite shows what the fusion buys.

Examples
--------
>>> from heartsong.analysis.sanity import run_sanity_suite
>>> r = run_sanity_suite(n_pieces=1, seconds=12.0, emotion_model=None)
>>> sorted(r.pass_rates["fused"])
['dialogue', 'faster', 'louder', 'minor', 'reorchestrated']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from heartsong.analysis.core import analyze_signal
from heartsong.analysis.result import TrackAnalysis
from heartsong.analysis.synth import INSTRUMENTS, Piece, babble, render

__all__ = ["SanityReport", "base_pieces", "run_sanity_suite"]

SR = 22050
TOLERANCE = 0.1
CHECKS = ("faster", "louder", "minor", "reorchestrated", "dialogue")


@dataclass
class SanityReport:
    #: estimator -> check -> fraction passed
    pass_rates: dict[str, dict[str, float]] = field(default_factory=dict)
    #: estimator -> overall fraction passed
    overall: dict[str, float] = field(default_factory=dict)
    n_pieces: int = 0
    details: list[dict[str, Any]] = field(default_factory=list)

    def table(self) -> str:
        est = list(self.pass_rates)
        lines = [f"{'check':<16}" + "".join(f"{e:>10}" for e in est)]
        for c in CHECKS:
            lines.append(f"{c:<16}" + "".join(f"{self.pass_rates[e][c]:>10.0%}" for e in est))
        lines.append(f"{'overall':<16}" + "".join(f"{self.overall[e]:>10.0%}" for e in est))
        return "\n".join(lines)


def base_pieces(n: int, *, seconds: float = 24.0, seed: int = 0) -> list[Piece]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        bpm = float(rng.uniform(70, 125))
        bars = max(2, int(round(seconds / (4 * 60 / bpm))))
        out.append(Piece(
            tonic=int(rng.integers(12)),
            mode=str(rng.choice(["major", "minor"])),
            bpm=bpm,
            bars=bars,
            progression=((0, 5, 3, 4), (0, 3, 4, 0), (0, 4, 5, 3))[i % 3],
            instrument=INSTRUMENTS[int(rng.integers(len(INSTRUMENTS)))],
            drums=bool(rng.random() < 0.6),
            density=int(rng.choice([1, 2, 2, 4])),
            level_db=-12.0,
            seed=int(rng.integers(1 << 30)),
        ))
    return out


def _estimates(a: TrackAnalysis) -> dict[str, tuple[float, float]]:
    e = a.emotion
    out = {"fused": (e.valence, e.energy), "evidence": (e.evidence_valence, e.evidence_energy)}
    if e.model is not None:
        out["vibenet"] = (e.model.valence, e.model.energy)
    return out


def run_sanity_suite(
    *,
    n_pieces: int = 12,
    seconds: float = 24.0,
    seed: int = 0,
    emotion_model: Any = "auto",
    progress: Callable[[str], None] | None = None,
) -> SanityReport:
    """Render ``n_pieces`` bases and their variants, analyse all, score the checks."""
    passes: dict[str, dict[str, list[bool]]] = {}
    details = []

    def analyse(y: np.ndarray) -> dict[str, tuple[float, float]]:
        return _estimates(analyze_signal(y, SR, emotion_model=emotion_model))

    for i, p in enumerate(base_pieces(n_pieces, seconds=seconds, seed=seed)):
        y0 = render(p, sr=SR)
        base = analyse(y0)
        other_inst = INSTRUMENTS[(INSTRUMENTS.index(p.instrument) + 2) % len(INSTRUMENTS)]
        flipped = "minor" if p.mode == "major" else "major"
        bars_fast = max(2, int(round(p.bars * 1.35)))
        variants = {
            "faster": render(replace(p, bpm=p.bpm * 1.35, bars=bars_fast), sr=SR),
            "louder": render(replace(p, level_db=p.level_db + 10.0), sr=SR),
            "minor": render(replace(p, mode=flipped), sr=SR),
            "reorchestrated": render(replace(p, instrument=other_inst), sr=SR),
        }
        quiet = render(replace(p, level_db=-18.0), sr=SR)
        base_q = analyse(quiet)
        rms = float(np.sqrt(np.mean(y0.astype(np.float64) ** 2)))
        talk = babble(y0.shape[0], sr=SR, seed=p.seed) * rms * 10 ** (-10 / 20)
        variants["dialogue"] = (y0 + talk).astype(np.float32)
        row: dict[str, Any] = {"piece": p}
        for check, y in variants.items():
            res = analyse(y)
            ref = base_q if check == "louder" else base
            for est, (v, e) in res.items():
                if est not in ref:
                    continue
                v0, e0 = ref[est]
                if check in ("faster", "louder"):
                    ok = e > e0
                elif check == "minor":
                    ok = v < v0 if flipped == "minor" else v > v0
                else:
                    ok = abs(v - v0) < TOLERANCE and abs(e - e0) < TOLERANCE
                passes.setdefault(est, {c: [] for c in CHECKS})[check].append(bool(ok))
                row[(est, check)] = (round(v - v0, 3), round(e - e0, 3), ok)
        details.append(row)
        if progress:
            progress(f"piece {i + 1}/{n_pieces} done")
    report = SanityReport(n_pieces=n_pieces, details=details)
    for est, checks in passes.items():
        report.pass_rates[est] = {c: float(np.mean(v)) if v else 0.0 for c, v in checks.items()}
        allv = [x for v in checks.values() for x in v]
        report.overall[est] = float(np.mean(allv)) if allv else 0.0
    return report
