"""Write BPM, key, mood and valence/energy into a file's own tags (mutagen).

Only the tag block is rewritten; the audio frames are never touched (the tests decode
FLAC, MP3 and M4A before and after and compare bit for bit). :func:`write_tags` is a dry
run unless ``dry_run=False``: it returns the planned changes either way.

==========  ==========================  =============================================
format      BPM / key                   mood, valence, energy
==========  ==========================  =============================================
MP3 (ID3)   ``TBPM``, ``TKEY``          ``TXXX:MOOD``, ``TXXX:VALENCE``, ``TXXX:ENERGY``
FLAC, Ogg   ``BPM``, ``INITIALKEY``     ``MOOD``, ``VALENCE``, ``ENERGY``
(Vorbis)
MP4 / M4A   ``tmpo``, ``----:com.apple  ``----:com.apple.iTunes:MOOD`` / ``VALENCE`` /
            .iTunes:initialkey``        ``ENERGY``
==========  ==========================  =============================================

Values: BPM rounded to an integer, key as ``C``/``F#m``, mood as the top one or two mood
words ("melancholic/longing; tear-jerker"), valence/energy with two decimals.

Examples
--------
>>> from heartsong.analysis.tags import tag_values
>>> sorted(tag_values(bpm=119.6, key="Am", moods=["tense/suspense"], valence=0.31,
...                   energy=0.7).items())
[('bpm', '120'), ('energy', '0.70'), ('key', 'Am'), ('mood', 'tense/suspense'), ('valence', '0.31')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mutagen
from mutagen.id3 import ID3, TBPM, TKEY, TXXX
from mutagen.mp4 import MP4, MP4FreeForm

from heartsong.analysis.result import TrackAnalysis
from heartsong.errors import AudioError

__all__ = ["TagChange", "TagPlan", "plan_tags", "tag_values", "write_tags"]

_MP4_FREEFORM = "----:com.apple.iTunes:"


@dataclass(frozen=True)
class TagChange:
    """One tag field: its native name, the value now (None if absent) and the new value."""

    field: str
    old: str | None
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True)
class TagPlan:
    path: str
    format: str  # "id3", "vorbis", "mp4"
    changes: tuple[TagChange, ...]
    written: bool

    @property
    def pending(self) -> tuple[TagChange, ...]:
        return tuple(c for c in self.changes if c.changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "written": self.written,
            "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in self.changes],
        }


def tag_values(*, bpm: float, key: str, moods: Sequence[str], valence: float,
               energy: float) -> dict[str, str]:
    """Format the five values as tag text (logical names bpm/key/mood/valence/energy)."""
    out = {"key": key, "valence": f"{valence:.2f}", "energy": f"{energy:.2f}"}
    if bpm > 0:
        out["bpm"] = str(int(round(bpm)))
    if moods:
        out["mood"] = "; ".join(moods)
    return out


def _values_from(analysis: TrackAnalysis) -> dict[str, str]:
    ranked = sorted(analysis.moods, key=lambda m: m.score, reverse=True)
    moods = [ranked[0].name] if ranked else []
    if len(ranked) > 1 and ranked[1].score >= 0.9 * ranked[0].score:
        moods.append(ranked[1].name)
    return tag_values(
        bpm=analysis.tempo.bpm if analysis.tempo.confidence >= 0.2 else 0.0,
        key=analysis.key.label,
        moods=moods,
        valence=analysis.emotion.valence,
        energy=analysis.emotion.energy,
    )


def _open(path: Path) -> Any:
    if not path.is_file():
        raise AudioError(path, "file not found")
    try:
        f = mutagen.File(str(path))
    except mutagen.MutagenError as exc:
        raise AudioError(path, f"cannot read tags: {exc}") from exc
    if f is None:
        raise AudioError(path, "tag writing not supported for this file type")
    return f


def _kind(f: Any) -> str:
    if isinstance(f, MP4):
        return "mp4"
    if isinstance(f.tags, ID3) or type(f).__name__ in ("MP3", "WAVE", "AIFF"):
        return "id3"
    if hasattr(f, "tags") and type(f).__name__ in ("FLAC", "OggVorbis", "OggOpus", "OggFLAC",
                                                   "OggSpeex"):
        return "vorbis"
    raise AudioError(getattr(f, "filename", "?"), f"tag writing not supported for "
                                                  f"{type(f).__name__} files")


_ID3 = {"bpm": "TBPM", "key": "TKEY", "mood": "TXXX:MOOD", "valence": "TXXX:VALENCE",
        "energy": "TXXX:ENERGY"}
_VORBIS = {"bpm": "BPM", "key": "INITIALKEY", "mood": "MOOD", "valence": "VALENCE",
           "energy": "ENERGY"}
_MP4 = {"bpm": "tmpo", "key": _MP4_FREEFORM + "initialkey", "mood": _MP4_FREEFORM + "MOOD",
        "valence": _MP4_FREEFORM + "VALENCE", "energy": _MP4_FREEFORM + "ENERGY"}


def _old(f: Any, kind: str, name: str) -> str | None:
    tags = f.tags
    if tags is None:
        return None
    if kind == "id3":
        frame = tags.get(name)
        return str(frame.text[0]) if frame is not None and frame.text else None
    if kind == "vorbis":
        vals = tags.get(name)
        return str(vals[0]) if vals else None
    vals = tags.get(name)
    if not vals:
        return None
    v = vals[0]
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def _plan(f: Any, kind: str, values: dict[str, str]) -> list[TagChange]:
    names = {"id3": _ID3, "vorbis": _VORBIS, "mp4": _MP4}[kind]
    return [TagChange(field=names[k], old=_old(f, kind, names[k]), new=v)
            for k, v in values.items()]


def _apply(f: Any, kind: str, changes: Sequence[TagChange]) -> None:
    if f.tags is None:
        f.add_tags()
    tags = f.tags
    for c in changes:
        if kind == "id3":
            if c.field == "TBPM":
                tags.setall("TBPM", [TBPM(encoding=3, text=[c.new])])
            elif c.field == "TKEY":
                tags.setall("TKEY", [TKEY(encoding=3, text=[c.new])])
            else:
                desc = c.field.split(":", 1)[1]
                tags.setall(c.field, [TXXX(encoding=3, desc=desc, text=[c.new])])
        elif kind == "vorbis":
            tags[c.field] = [c.new]
        elif c.field == "tmpo":
            tags["tmpo"] = [int(c.new)]
        else:
            tags[c.field] = [MP4FreeForm(c.new.encode("utf-8"))]
    f.save()


def plan_tags(path: str | Path, analysis: TrackAnalysis) -> TagPlan:
    """The tag changes :func:`write_tags` would make (nothing is written)."""
    return write_tags(path, analysis, dry_run=True)


def write_tags(path: str | Path, analysis: TrackAnalysis, *, dry_run: bool = True) -> TagPlan:
    """Plan, and unless ``dry_run``, write the analysis into the file's own tags.

    Parameters
    ----------
    path : str or Path
        An MP3, FLAC, Ogg Vorbis/Opus or MP4/M4A file.
    analysis : TrackAnalysis
        The track's analysis.
    dry_run : bool
        Default True: only report what would change.

    Returns
    -------
    TagPlan
        Every field with its old and new value; ``written`` is True when the file was
        saved (only when something changed and ``dry_run`` is False).

    Raises
    ------
    AudioError
        Missing file, unreadable tags, or a format without tag support here.
    """
    p = Path(path)
    f = _open(p)
    kind = _kind(f)
    changes = _plan(f, kind, _values_from(analysis))
    written = False
    if not dry_run and any(c.changed for c in changes):
        try:
            _apply(f, kind, changes)
        except (mutagen.MutagenError, OSError) as exc:
            raise AudioError(p, f"cannot write tags: {exc}") from exc
        written = True
    return TagPlan(path=str(p), format=kind, changes=tuple(changes), written=written)
