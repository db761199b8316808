"""Music cue detection: which library tracks play in an episode, where, and how.

Public API
----------
- :class:`FingerprintIndex`: incremental on-disk index of reference tracks.
- :func:`find_cues`: every cue in an episode (streaming), as :class:`Cue` objects.
- :func:`identify`: which track (and where in it) a short clip is.
- :mod:`heartsong.cues.export`: CSV (BAF columns), JSON, WebVTT, CMX3600 EDL, cue sheets.
- :func:`evaluate`: cue-level precision/recall/F1 and boundary errors against ground truth.
"""

from heartsong.cues.evaluate import evaluate
from heartsong.cues.export import (
    TrackInfo,
    to_csv,
    to_cue_sheet_html,
    to_cue_sheet_markdown,
    to_edl,
    to_json,
    to_webvtt,
)
from heartsong.cues.fingerprint import FingerprintConfig, Fingerprints
from heartsong.cues.index import FingerprintIndex, IndexError_
from heartsong.cues.match import Cue, Identification, find_cues, identify, mark_overlaps

__all__ = [
    "Cue",
    "FingerprintConfig",
    "FingerprintIndex",
    "Fingerprints",
    "Identification",
    "IndexError_",
    "TrackInfo",
    "evaluate",
    "find_cues",
    "identify",
    "mark_overlaps",
    "to_csv",
    "to_cue_sheet_html",
    "to_cue_sheet_markdown",
    "to_edl",
    "to_json",
    "to_webvtt",
]
