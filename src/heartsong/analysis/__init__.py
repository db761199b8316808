"""Per-track analysis: tempo, key, loudness, structure, emotion, moods and role.

One pass over the audio computes shared features (:mod:`.features`); each concern reads
them in its own module (:mod:`.rhythm`, :mod:`.tonal`, :mod:`.loudness`, :mod:`.structure`,
:mod:`.emotion`, :mod:`.moods`, :mod:`.roles`). :mod:`.tags` writes the results into the
files' own tags. Results are frozen dataclasses (:mod:`.result`) that round-trip through
JSON exactly; :data:`ANALYSIS_VERSION` tells stored results from stale ones.
"""

from heartsong.analysis.core import MIN_DURATION, AnalysisError, analyze_file, analyze_signal
from heartsong.analysis.result import (
    ANALYSIS_VERSION,
    Build,
    Curve,
    Emotion,
    Hook,
    Key,
    Loudness,
    ModelOutputs,
    MoodScore,
    Role,
    Section,
    Structure,
    Tempo,
    TrackAnalysis,
)

__all__ = [
    "ANALYSIS_VERSION",
    "MIN_DURATION",
    "AnalysisError",
    "Build",
    "Curve",
    "Emotion",
    "Hook",
    "Key",
    "Loudness",
    "ModelOutputs",
    "MoodScore",
    "Role",
    "Section",
    "Structure",
    "Tempo",
    "TrackAnalysis",
    "analyze_file",
    "analyze_signal",
]
