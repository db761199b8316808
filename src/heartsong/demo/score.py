"""The score model shared by the composer and the renderer.

Everything musical is expressed in *beats* at one constant tempo per piece, so that the
ground truth (tempo, theme statements, sections) is exact; the renderer converts beats to
sample positions with :meth:`Score.sample_of`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from heartsong.demo.theory import Key

__all__ = ["Note", "Part", "Score", "Section", "Statement"]


@dataclass(frozen=True)
class Note:
    """One note: start and length in beats, MIDI pitch, MIDI velocity."""

    start: float
    dur: float
    pitch: int
    vel: int


@dataclass
class Part:
    """One instrument on one MIDI channel (GM program; bank 128 for drum kits)."""

    name: str
    program: int
    bank: int = 0
    drums: bool = False
    volume: int = 100  # CC7
    pan: int = 64  # CC10
    vocal: bool = False  # a voice-like lead (makes the track "vocal")
    notes: list[Note] = field(default_factory=list)
    controls: list[tuple[float, int, int]] = field(default_factory=list)  # (beat, cc, value)
    bends: list[tuple[float, int]] = field(default_factory=list)  # (beat, 0..16383)

    def add(self, start: float, dur: float, pitch: int, vel: int) -> None:
        """Append a note, clamping velocity and skipping pitches outside MIDI range."""
        if 0 <= pitch <= 127 and dur > 0:
            self.notes.append(Note(float(start), float(dur), int(pitch), max(1, min(127, vel))))


@dataclass(frozen=True)
class Statement:
    """A statement of a named theme inside a piece (for the ground truth).

    ``fragment`` is the ``(start, end)`` span in beats of the theme's own melody that is
    quoted, or ``None`` for the whole theme.
    """

    theme: str
    start: float  # beats in the piece
    end: float
    key: Key
    stretch: float  # duration multiplier relative to the theme as written
    part: str
    fragment: tuple[float, float] | None = None
    pitches: tuple[tuple[float, float, int], ...] = ()  # (start beat, beats, midi)


@dataclass(frozen=True)
class Section:
    """A formal section (intro, verse, chorus...) in beats, with its local key."""

    name: str
    start: float
    end: float
    key: Key


@dataclass
class Score:
    """A complete piece: constant tempo, home key, parts, form and theme statements."""

    title: str
    bpm: float
    key: Key
    meter: int = 4
    lead_in: float = 0.25  # seconds of silence before beat 0
    tail: float = 3.0  # seconds kept after the last beat for release and reverb
    reverb_seconds: float = 1.8
    reverb_wet: float = 0.18
    parts: list[Part] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    length: float = 0.0  # beats

    @property
    def spb(self) -> float:
        """Seconds per beat."""
        return 60.0 / self.bpm

    def seconds(self, beat: float) -> float:
        """Time in seconds (from the start of the audio) of a beat position."""
        return self.lead_in + beat * self.spb

    def sample_of(self, beat: float, sr: int) -> int:
        """Sample index of a beat position: the one rounding rule used everywhere."""
        return round(self.seconds(beat) * sr)

    def duration_samples(self, sr: int) -> int:
        """Total length of the rendered audio in samples."""
        return round((self.seconds(self.length) + self.tail) * sr)
