"""Score detected cues against ground truth (mir_eval style: validate, then metrics).

A detected cue *matches* a true cue of the same track (and episode) when their
intervals overlap by at least ``min_iou`` (intersection over union); pairs are
matched greedily by decreasing overlap, one-to-one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from heartsong.cues.match import Cue
from heartsong.errors import ParameterError

__all__ = ["evaluate", "match_cues", "validate"]


def validate(reference: Sequence[Cue], estimated: Sequence[Cue]) -> None:
    """Raise :class:`ParameterError` unless both are sequences of well-formed cues."""
    for name, cues in (("reference", reference), ("estimated", estimated)):
        for c in cues:
            if not isinstance(c, Cue):
                raise ParameterError(name, f"must contain Cue objects, got {type(c).__name__}")
            if not (math.isfinite(c.start) and math.isfinite(c.end) and c.end > c.start >= 0):
                raise ParameterError(name, f"cue has bad interval [{c.start}, {c.end}]")


def _iou(a: Cue, b: Cue) -> float:
    inter = min(a.end, b.end) - max(a.start, b.start)
    if inter <= 0:
        return 0.0
    return inter / (max(a.end, b.end) - min(a.start, b.start))


def _pct(x: list[float], q: float) -> float:
    return float(np.percentile(x, q)) if x else float("nan")


def match_cues(
    reference: Sequence[Cue], estimated: Sequence[Cue], *, min_iou: float = 0.3
) -> list[tuple[int, int]]:
    """Pair true and detected cues: ``(reference index, estimated index)``, one to one.

    Same track and episode, overlap (intersection over union) at least ``min_iou``,
    greedily by decreasing overlap.

    Examples
    --------
    >>> ref = [Cue(1, 10.0, 40.0, 0.0), Cue(2, 50.0, 60.0, 0.0)]
    >>> match_cues(ref, [Cue(2, 52.0, 61.0, 2.0), Cue(1, 11.0, 30.0, 1.0)])
    [(1, 0), (0, 1)]
    """
    validate(reference, estimated)
    if not 0 < min_iou <= 1:
        raise ParameterError("min_iou", f"must be in (0, 1], got {min_iou!r}")
    pairs = []
    for i, r in enumerate(reference):
        for j, e in enumerate(estimated):
            if r.track_id == e.track_id and r.episode == e.episode:
                o = _iou(r, e)
                if o >= min_iou:
                    pairs.append((o, i, j))
    pairs.sort(reverse=True)
    used_r: set[int] = set()
    used_e: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_r and j not in used_e:
            used_r.add(i)
            used_e.add(j)
            out.append((i, j))
    return out


def evaluate(
    reference: Sequence[Cue],
    estimated: Sequence[Cue],
    *,
    min_iou: float = 0.3,
    duration: float | None = None,
) -> dict[str, float]:
    """Cue-level precision/recall/F1, per-second F1 and boundary errors.

    Parameters
    ----------
    reference, estimated : sequences of Cue
        Ground truth and detections (``episode`` fields, when set, must agree).
    min_iou : float
        Overlap a detection needs with a true cue of the same track to count.
    duration : float, optional
        Total audio seconds evaluated, for ``false_per_hour``.

    Returns
    -------
    dict
        ``precision, recall, f1, second_precision, second_recall, second_f1,
        start_error_median, start_error_p95, end_error_median, end_error_p95,
        position_error_median, position_error_p95, pitch_error_median, pitch_error_p95
        (cents), tempo_error_median, tempo_error_p95 (relative), n_reference, n_estimated,
        n_matched, false_cues`` and ``false_per_hour`` when ``duration`` is given.

    Examples
    --------
    >>> ref = [Cue(1, 10.0, 40.0, 0.0)]
    >>> est = [Cue(1, 10.4, 39.0, 0.4), Cue(2, 100.0, 110.0, 0.0)]
    >>> m = evaluate(ref, est)
    >>> m["recall"], m["precision"], round(m["start_error_median"], 2)
    (1.0, 0.5, 0.4)
    """
    matched = match_cues(reference, estimated, min_iou=min_iou)
    starts, ends, positions, cents, tempos = [], [], [], [], []
    for i, j in matched:
        r, e = reference[i], estimated[j]
        starts.append(abs(e.start - r.start))
        ends.append(abs(e.end - r.end))
        # Position error at the same episode instant (the later of the two starts).
        t = max(r.start, e.start)
        pr = r.track_start + (t - r.start) * r.tempo
        pe = e.track_start + (t - e.start) * e.tempo
        positions.append(abs(pe - pr))
        cents.append(abs(e.pitch_cents - r.pitch_cents))
        tempos.append(abs(e.tempo / r.tempo - 1.0))
    n_ref, n_est, n_match = len(reference), len(estimated), len(matched)
    precision = n_match / n_est if n_est else 1.0
    recall = n_match / n_ref if n_ref else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    sp, sr_, sf = _seconds(reference, estimated)
    out = {
        "precision": precision, "recall": recall, "f1": f1,
        "second_precision": sp, "second_recall": sr_, "second_f1": sf,
        "start_error_median": _pct(starts, 50), "start_error_p95": _pct(starts, 95),
        "end_error_median": _pct(ends, 50), "end_error_p95": _pct(ends, 95),
        "position_error_median": _pct(positions, 50), "position_error_p95": _pct(positions, 95),
        "pitch_error_median": _pct(cents, 50), "pitch_error_p95": _pct(cents, 95),
        "tempo_error_median": _pct(tempos, 50), "tempo_error_p95": _pct(tempos, 95),
        "n_reference": float(n_ref), "n_estimated": float(n_est), "n_matched": float(n_match),
        "false_cues": float(n_est - n_match),
    }
    if duration is not None:
        if not duration > 0:
            raise ParameterError("duration", f"must be > 0, got {duration!r}")
        out["false_per_hour"] = (n_est - n_match) * 3600.0 / duration
    return out


def _seconds(reference: Sequence[Cue], estimated: Sequence[Cue]) -> tuple[float, float, float]:
    """Per-second (10 Hz grid) precision/recall/F1 of (episode, track) labels."""
    def cells(cues: Sequence[Cue]) -> set[tuple[str | None, int, int]]:
        out = set()
        for c in cues:
            for k in range(int(math.ceil(c.start * 10)), int(math.floor(c.end * 10))):
                out.add((c.episode, c.track_id, k))
        return out

    r, e = cells(reference), cells(estimated)
    tp = len(r & e)
    p = tp / len(e) if e else 1.0
    rc = tp / len(r) if r else 1.0
    return p, rc, (2 * p * rc / (p + rc) if p + rc else 0.0)
