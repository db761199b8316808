"""Export cues: CSV (BAF columns), JSON, WebVTT, CMX3600 EDL, Markdown/HTML cue sheets.

All exporters are pure functions from a list of :class:`~heartsong.cues.match.Cue`
(plus optional per-track metadata) to a string; writing files is the caller's job.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from heartsong.cues.match import Cue
from heartsong.errors import ParameterError

__all__ = [
    "BAF_COLUMNS",
    "TrackInfo",
    "timecode",
    "to_csv",
    "to_cue_sheet_html",
    "to_cue_sheet_markdown",
    "to_edl",
    "to_json",
    "to_webvtt",
]

#: Column order of the BAF broadcast audio fingerprinting dataset's annotations.
BAF_COLUMNS = ("query", "reference", "query_start", "query_end", "ref_start", "ref_end", "score")


@dataclass(frozen=True)
class TrackInfo:
    """What a cue sheet says about a track."""

    title: str
    artist: str = ""
    composer: str = ""
    reference: str = ""  # file name (BAF "reference" column); defaults to the title
    usage: str = "Background instrumental"


Tracks = Mapping[int, TrackInfo] | None


def _info(tracks: Tracks, tid: int) -> TrackInfo:
    if tracks and tid in tracks:
        return tracks[tid]
    return TrackInfo(title=f"Track {tid}")


def _check(cues: Sequence[Cue]) -> list[Cue]:
    out = list(cues)
    for c in out:
        if not isinstance(c, Cue):
            raise ParameterError("cues", f"must contain Cue objects, got {type(c).__name__}")
    return sorted(out, key=lambda c: (c.episode or "", c.start, c.end))


def timecode(seconds: float, *, fps: float | None = None, sep: str = ".") -> str:
    """``HH:MM:SS.mmm`` (``fps=None``) or ``HH:MM:SS:FF`` frames (non-drop).

    Examples
    --------
    >>> timecode(3725.5)
    '01:02:05.500'
    >>> timecode(3725.5, fps=25)
    '01:02:05:12'
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ParameterError("seconds", f"must be a finite number >= 0, got {seconds!r}")
    if fps is None:
        ms = int(round(seconds * 1000))
        h, rem = divmod(ms, 3_600_000)
        m, rem = divmod(rem, 60_000)
        s, ms = divmod(rem, 1000)
        return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"
    if not fps > 0:
        raise ParameterError("fps", f"must be > 0, got {fps!r}")
    nominal = int(round(fps))
    frames = int(math.floor(seconds * fps + 1e-6))
    h, rem = divmod(frames, 3600 * nominal)
    m, rem = divmod(rem, 60 * nominal)
    s, f = divmod(rem, nominal)
    return f"{h:02d}:{m:02d}:{s:02d}:{f:02d}"


def to_csv(cues: Sequence[Cue], *, tracks: Tracks = None, query: str | None = None) -> str:
    """CSV with the BAF columns (seconds, 3 decimals), one row per cue.

    ``query`` overrides each cue's ``episode`` name; ``reference`` is the
    track's :attr:`TrackInfo.reference` (or title, or id).

    Examples
    --------
    >>> print(to_csv([Cue(3, start=1.0, end=4.5, track_start=10.0, confidence=0.9)],
    ...              query="ep1.mkv").strip())
    query,reference,query_start,query_end,ref_start,ref_end,score
    ep1.mkv,Track 3,1.000,4.500,10.000,13.500,0.900
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(BAF_COLUMNS)
    for c in _check(cues):
        info = _info(tracks, c.track_id)
        w.writerow([
            query if query is not None else (c.episode or ""),
            info.reference or info.title,
            f"{c.start:.3f}", f"{c.end:.3f}", f"{c.track_start:.3f}", f"{c.track_end:.3f}",
            f"{c.confidence:.3f}",
        ])
    return buf.getvalue()


def to_json(cues: Sequence[Cue], *, tracks: Tracks = None, indent: int | None = 1) -> str:
    """JSON list of cues with their metadata (title, artist, composer) inlined."""
    out = []
    for c in _check(cues):
        d = c.to_dict()
        if tracks and c.track_id in tracks:
            info = tracks[c.track_id]
            d.update(title=info.title, artist=info.artist, composer=info.composer)
        out.append(d)
    return json.dumps(out, indent=indent, ensure_ascii=False)


def _caption(info: TrackInfo) -> str:
    who = info.artist or info.composer
    return f"♪ {info.title} — {who}" if who else f"♪ {info.title}"


def to_webvtt(cues: Sequence[Cue], *, tracks: Tracks = None) -> str:
    """WebVTT captions, one "♪ Title — Artist" caption per cue span.

    Examples
    --------
    >>> print(to_webvtt([Cue(1, 0.5, 62.25, 0.0)], tracks={1: TrackInfo("Theme", "Orch")}))
    WEBVTT
    <BLANKLINE>
    1
    00:00:00.500 --> 00:01:02.250
    ♪ Theme — Orch
    <BLANKLINE>
    """
    lines = ["WEBVTT", ""]
    for i, c in enumerate(_check(cues), start=1):
        lines += [str(i), f"{timecode(c.start)} --> {timecode(c.end)}",
                  _caption(_info(tracks, c.track_id)), ""]
    return "\n".join(lines)


def _edl_text(s: str) -> str:
    # CMX3600 is plain ASCII; keep printable characters only.
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in s).strip()


def to_edl(
    cues: Sequence[Cue],
    *,
    tracks: Tracks = None,
    title: str = "HEARTSONG CUES",
    fps: float = 25.0,
    start_timecode: float = 0.0,
) -> str:
    """CMX3600 EDL: one audio event per cue (source = track position, record = episode).

    Each event carries ``* FROM CLIP NAME:`` and a ``* COMMENT:`` with artist
    and confidence, which editors (Resolve, Premiere, Avid) show as markers.
    ``start_timecode`` (seconds) offsets record times, e.g. 3600 for a 01:00:00:00 start.

    Examples
    --------
    >>> print(to_edl([Cue(1, 2.0, 5.0, 30.0)], fps=25).splitlines()[3])
    001  AX       A     C        00:00:30:00 00:00:33:00 00:00:02:00 00:00:05:00
    """
    lines = [f"TITLE: {_edl_text(title)[:70]}", "FCM: NON-DROP FRAME", ""]
    for i, c in enumerate(_check(cues), start=1):
        info = _info(tracks, c.track_id)
        src_in, src_out = timecode(c.track_start, fps=fps), timecode(c.track_end, fps=fps)
        rec_in = timecode(c.start + start_timecode, fps=fps)
        rec_out = timecode(c.end + start_timecode, fps=fps)
        lines.append(f"{i:03d}  AX       A     C        {src_in} {src_out} {rec_in} {rec_out}")
        lines.append(f"* FROM CLIP NAME: {_edl_text(info.title)}")
        who = _edl_text(info.artist or info.composer)
        lines.append(f"* COMMENT: {who + ' - ' if who else ''}confidence {c.confidence:.2f}"
                     + (" (overlap)" if c.overlap else ""))
    return "\n".join(lines) + "\n"


_SHEET_COLUMNS = ("#", "Title", "Artist / Composer", "Usage", "Timecode in", "Timecode out",
                  "Duration")


def _sheet_rows(cues: Sequence[Cue], tracks: Tracks) -> list[list[str]]:
    rows = []
    for i, c in enumerate(_check(cues), start=1):
        info = _info(tracks, c.track_id)
        who = " / ".join(x for x in (info.artist, info.composer) if x)
        rows.append([str(i), info.title, who, info.usage, timecode(c.start), timecode(c.end),
                     timecode(c.duration)])
    return rows


def to_cue_sheet_markdown(cues: Sequence[Cue], *, tracks: Tracks = None,
                          title: str = "Music cue sheet") -> str:
    """A human cue sheet as a Markdown table."""
    def esc(s: str) -> str:
        return s.replace("|", "\\|")

    lines = [f"# {title}", "", "| " + " | ".join(_SHEET_COLUMNS) + " |",
             "|" + "---|" * len(_SHEET_COLUMNS)]
    lines += ["| " + " | ".join(esc(x) for x in r) + " |" for r in _sheet_rows(cues, tracks)]
    return "\n".join(lines) + "\n"


def to_cue_sheet_html(cues: Sequence[Cue], *, tracks: Tracks = None,
                      title: str = "Music cue sheet") -> str:
    """A human cue sheet as a standalone HTML page (escaped)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _SHEET_COLUMNS)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in r) + "</tr>"
        for r in _sheet_rows(cues, tracks)
    )
    t = html.escape(title)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{t}</title>'
        "<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px}"
        f"</style></head>\n<body><h1>{t}</h1>\n<table>\n<thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n{body}\n</tbody></table></body></html>\n"
    )
