"""The emotional arc of an episode: the valence and energy of its music over time.

Each cue maps a span of a track onto the episode; the track's stored emotion curves
(:mod:`heartsong.analysis`) give valence and energy at every moment of that span. Where
cues cross-fade, the tracks are mixed by their linear gain. Where no music plays the arc
has a gap (``None``), not a zero: silence is not sadness.
"""

from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from heartsong.analysis.library import stored_analysis
from heartsong.analysis.result import Curve
from heartsong.cues.match import Cue
from heartsong.errors import HeartsongError, ParameterError
from heartsong.library import Episode, Library

__all__ = ["Arc", "ArcSpan", "arc_png", "arc_svg", "episode_arc"]


@dataclass(frozen=True)
class ArcSpan:
    """One cue on the arc, for labels."""

    start: float
    end: float
    track_id: int
    title: str
    valence: float
    energy: float


@dataclass(frozen=True)
class Arc:
    """Valence/energy of an episode's music every ``hop`` seconds (``None`` = no music)."""

    episode_id: int
    title: str
    duration: float
    hop: float
    valence: tuple[float | None, ...]
    energy: tuple[float | None, ...]
    spans: tuple[ArcSpan, ...]
    missing: tuple[str, ...]  # tracks whose analysis is missing (their cues are left out)

    def times(self) -> tuple[float, ...]:
        return tuple(round((i + 0.5) * self.hop, 3) for i in range(len(self.valence)))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["times"] = list(self.times())
        return d


def _at(curve: Curve, t: float) -> float:
    i = min(max(int(t / curve.hop), 0), len(curve.values) - 1)
    return float(curve.values[i])


def episode_arc(lib: Library, episode: Episode, cues: list[Cue], *, hop: float = 1.0) -> Arc:
    """Build the arc of ``episode`` from its cues and the tracks' stored analyses.

    Parameters
    ----------
    lib : Library
    episode : Episode
    cues : list of Cue
        The episode's cues (:func:`heartsong.cues.library.library_cues`).
    hop : float
        Seconds between arc points.

    Raises
    ------
    HeartsongError
        When no track used in the episode has been analysed.
    """
    if not (hop > 0 and math.isfinite(hop)):
        raise ParameterError("hop", f"must be a positive number of seconds, got {hop!r}")
    n = max(1, math.ceil(episode.duration / hop))
    num_v = [0.0] * n
    num_e = [0.0] * n
    den = [0.0] * n
    spans: list[ArcSpan] = []
    missing: set[str] = set()
    analyses: dict[int, Any] = {}
    for c in cues:
        if c.track_id not in analyses:
            try:
                track = lib.track(c.track_id)
            except HeartsongError:
                analyses[c.track_id] = None
                continue
            a = stored_analysis(lib, track)
            analyses[c.track_id] = (track, a)
            if a is None:
                missing.add(track.title)
        entry = analyses[c.track_id]
        if entry is None or entry[1] is None:
            continue
        track, a = entry
        vc, ec = a.emotion.valence_curve, a.emotion.energy_curve
        weight = 10 ** (c.gain_db / 20)
        vs, es = [], []
        for i in range(int(c.start / hop), min(n, math.ceil(c.end / hop))):
            t = (i + 0.5) * hop
            if not c.start <= t <= c.end:
                continue
            tt = c.track_start + (t - c.start) * c.tempo
            v, e = _at(vc, tt), _at(ec, tt)
            num_v[i] += weight * v
            num_e[i] += weight * e
            den[i] += weight
            vs.append(v)
            es.append(e)
        if vs:
            spans.append(
                ArcSpan(
                    c.start, c.end, c.track_id, track.title, sum(vs) / len(vs), sum(es) / len(es)
                )
            )
    if cues and not spans:
        raise HeartsongError(
            f"{episode.path}: none of its {len(cues)} cue(s) has an analysed track; "
            "run `heartsong analyze` first"
        )
    return Arc(
        episode_id=episode.id,
        title=episode.title,
        duration=episode.duration,
        hop=hop,
        valence=tuple(round(v / d, 4) if d > 0 else None for v, d in zip(num_v, den, strict=True)),
        energy=tuple(round(e / d, 4) if d > 0 else None for e, d in zip(num_e, den, strict=True)),
        spans=tuple(spans),
        missing=tuple(sorted(missing)),
    )


_W, _H, _PAD = 960, 300, 40


def _polylines(arc: Arc, values: tuple[float | None, ...]) -> list[str]:
    """SVG point lists, one per run of music (gaps break the line)."""
    runs, cur = [], []
    for t, v in zip(arc.times(), values, strict=True):
        if v is None:
            if cur:
                runs.append(cur)
            cur = []
            continue
        x = _PAD + (_W - 2 * _PAD) * t / max(arc.duration, 1e-9)
        y = _H - _PAD - (_H - 2 * _PAD) * v
        cur.append(f"{x:.1f},{y:.1f}")
    if cur:
        runs.append(cur)
    return [" ".join(r) for r in runs]


def arc_svg(arc: Arc) -> str:
    """The arc as a standalone SVG: valence and energy lines, cue spans labelled."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="11">',
        f"<title>Emotional arc: {html.escape(arc.title)}</title>",
        f'<rect width="{_W}" height="{_H}" fill="white"/>',
    ]
    for s in arc.spans:
        x0 = _PAD + (_W - 2 * _PAD) * s.start / max(arc.duration, 1e-9)
        x1 = _PAD + (_W - 2 * _PAD) * s.end / max(arc.duration, 1e-9)
        parts.append(
            f'<rect x="{x0:.1f}" y="{_PAD}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{_H - 2 * _PAD}" fill="#eef2ff"><title>{html.escape(s.title)}</title></rect>'
        )
        parts.append(
            f'<text x="{x0 + 2:.1f}" y="{_PAD - 4}" fill="#555">{html.escape(s.title[:24])}</text>'
        )
    for frac, label in ((0.0, "0"), (0.5, "0.5"), (1.0, "1")):
        y = _H - _PAD - (_H - 2 * _PAD) * frac
        parts.append(
            f'<line x1="{_PAD}" x2="{_W - _PAD}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="4" y="{y + 4:.1f}" fill="#777">{label}</text>'
        )
    for values, colour in ((arc.valence, "#d6336c"), (arc.energy, "#1c7ed6")):
        for pts in _polylines(arc, values):
            parts.append(
                f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
    minutes = int(arc.duration // 60)
    for m in range(minutes + 1):
        x = _PAD + (_W - 2 * _PAD) * (60 * m) / max(arc.duration, 1e-9)
        parts.append(f'<text x="{x:.1f}" y="{_H - 12}" fill="#777">{m}:00</text>')
    parts.append(
        f'<text x="{_W - 200}" y="{_H - 12}"><tspan fill="#d6336c">— valence</tspan>'
        '  <tspan fill="#1c7ed6">— energy</tspan></text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def arc_png(arc: Arc, path: str | Path) -> Path:
    """Draw the arc to a PNG file with matplotlib."""
    import matplotlib

    matplotlib.use("Agg")  # no display here, and none needed
    import matplotlib.pyplot as plt

    t = arc.times()
    nan = float("nan")
    fig, ax = plt.subplots(figsize=(12, 3.6), dpi=100)
    for s in arc.spans:
        ax.axvspan(s.start, s.end, color="#eef2ff")
        ax.text(s.start, 1.02, s.title[:24], fontsize=7, color="#555", va="bottom")
    ax.plot(t, [nan if v is None else v for v in arc.valence], color="#d6336c", label="valence")
    ax.plot(t, [nan if v is None else v for v in arc.energy], color="#1c7ed6", label="energy")
    ax.set_xlim(0, arc.duration)
    ax.set_ylim(0, 1)
    ax.set_xlabel("episode time (s)")
    ax.set_title(f"Emotional arc: {arc.title}", pad=16)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
