"""The frozen, JSON-serialisable result tree of one track's analysis.

Every value is a plain ``str``/``int``/``float``/``bool``/``None``, a tuple of those, or a
nested dataclass, so :meth:`TrackAnalysis.to_dict` gives a JSON-ready ``dict`` and
:meth:`TrackAnalysis.from_dict` rebuilds an equal object (floats are rounded once, when the
result is built, so the round trip through ``json`` is exact).

:data:`ANALYSIS_VERSION` changes whenever an algorithm change alters stored results; a
library compares it with what it stored to know what to re-analyse.
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from heartsong.errors import ParameterError

__all__ = [
    "ANALYSIS_VERSION",
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
]

#: Bump when any algorithm change alters stored results (stored results with another
#: version are stale and get re-analysed).
ANALYSIS_VERSION = "analysis-2"

T = TypeVar("T")


def rnd(x: float, digits: int = 4) -> float:
    """Round a float for storage; non-finite values become 0.0 (JSON has no NaN)."""
    x = float(x)
    if not math.isfinite(x):
        return 0.0
    return round(x, digits)


def rnd_tuple(xs: Any, digits: int = 4) -> tuple[float, ...]:
    return tuple(rnd(v, digits) for v in xs)


class _Serialisable:
    """Mixin: ``to_dict`` / ``from_dict`` for frozen dataclasses of JSON-able values."""

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        if not isinstance(data, dict):
            raise ParameterError("data", f"must be a dict, got {type(data).__name__}")
        return _from_plain(cls, data)


def _to_plain(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple | list):
        return [_to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _to_plain(v) for k, v in obj.items()}
    return obj


def _from_plain(tp: Any, data: Any) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return data
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return _from_plain(args[0], data)
    if is_dataclass(tp):
        hints = get_type_hints(tp)
        try:
            kwargs = {f.name: _from_plain(hints[f.name], data[f.name]) for f in fields(tp)}
        except KeyError as exc:
            raise ParameterError("data", f"{tp.__name__} is missing field {exc}") from exc
        return tp(**kwargs)
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_plain(args[0], v) for v in data)
        return tuple(_from_plain(a, v) for a, v in zip(args, data, strict=True))
    if origin is dict:
        _, vt = get_args(tp)
        return {k: _from_plain(vt, v) for k, v in data.items()}
    if tp is float:
        return float(data)
    if tp is int:
        return int(data)
    return data


@dataclass(frozen=True)
class Curve(_Serialisable):
    """Values on a regular time grid: ``values[i]`` describes ``[i*hop, (i+1)*hop)`` s."""

    hop: float
    values: tuple[float, ...]

    def times(self) -> tuple[float, ...]:
        """Centre time of each value, in seconds."""
        return tuple(rnd((i + 0.5) * self.hop, 3) for i in range(len(self.values)))


@dataclass(frozen=True)
class Tempo(_Serialisable):
    """Global tempo. ``confidence`` in [0, 1]: how clear and steady the pulse is."""

    bpm: float
    confidence: float
    #: Half/double-tempo alternative a listener might tap instead.
    alternative_bpm: float


@dataclass(frozen=True)
class Key(_Serialisable):
    """Key and mode from chroma against key profiles.

    ``clarity`` is the correlation with the best profile (how tonal the track is);
    ``mode_margin`` > 0 favours the chosen mode over the best key of the other mode.
    """

    tonic: str
    mode: str  # "major" or "minor"
    confidence: float
    clarity: float
    mode_margin: float

    @property
    def label(self) -> str:
        """Short form used in tags: ``"C"``, ``"F#m"``."""
        return self.tonic + ("m" if self.mode == "minor" else "")


@dataclass(frozen=True)
class Loudness(_Serialisable):
    """ITU-R BS.1770-4 integrated loudness and EBU Tech 3342 loudness range."""

    integrated_lufs: float
    range_lu: float
    peak_dbfs: float


@dataclass(frozen=True)
class Build(_Serialisable):
    """A sustained rise in intensity from ``start`` to ``end`` (s)."""

    start: float
    end: float
    rise: float  # intensity gained, 0..1 scale


@dataclass(frozen=True)
class Section(_Serialisable):
    """A section between two boundaries; equal ``label`` letters sound alike."""

    start: float
    end: float
    label: str
    intensity: float


@dataclass(frozen=True)
class Hook(_Serialisable):
    """The most repeated / strongest 15–30 s window: a preview."""

    start: float
    end: float
    score: float
    reason: str


@dataclass(frozen=True)
class Structure(_Serialisable):
    intensity: Curve
    builds: tuple[Build, ...]
    sections: tuple[Section, ...]
    hook: Hook | None


@dataclass(frozen=True)
class ModelOutputs(_Serialisable):
    """vibenet's own whole-track outputs (averaged over its windows), before fusion."""

    valence: float
    energy: float
    danceability: float
    acousticness: float
    instrumentalness: float
    speechiness: float
    liveness: float


@dataclass(frozen=True)
class Emotion(_Serialisable):
    """Valence and energy in [0, 1], whole-track and as curves (fused model + evidence).

    ``evidence`` holds the musical-evidence estimates alone; ``model`` vibenet alone
    (``None`` when the model is unavailable).
    """

    valence: float
    energy: float
    valence_curve: Curve
    energy_curve: Curve
    evidence_valence: float
    evidence_energy: float
    model: ModelOutputs | None
    method: str


@dataclass(frozen=True)
class MoodScore(_Serialisable):
    name: str
    score: float
    reason: str


@dataclass(frozen=True)
class Role(_Serialisable):
    name: str
    confidence: float
    reason: str
    #: For "instrumental version": the song's title as guessed from this title.
    of_song: str | None = None


@dataclass(frozen=True)
class TrackAnalysis(_Serialisable):
    """Everything the per-track analysis knows about one track.

    Examples
    --------
    >>> import json, numpy as np
    >>> from heartsong.analysis import analyze_signal, TrackAnalysis
    >>> t = np.arange(22050 * 8) / 22050
    >>> y = 0.3 * np.sin(2 * np.pi * 220 * t) * (np.mod(t, 0.5) < 0.25)
    >>> a = analyze_signal(y, 22050, emotion_model=None)
    >>> TrackAnalysis.from_dict(json.loads(json.dumps(a.to_dict()))) == a
    True
    """

    version: str
    duration: float
    sample_rate: int
    channels: int
    tempo: Tempo
    key: Key
    loudness: Loudness
    structure: Structure
    emotion: Emotion
    moods: tuple[MoodScore, ...]
    role: Role
    brightness_hz: float
    onset_rate: float
    warnings: tuple[str, ...]

    @property
    def top_mood(self) -> MoodScore:
        return max(self.moods, key=lambda m: m.score)
