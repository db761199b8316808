"""Music theory helpers: keys, scale degrees, roman-numeral chords and a melody notation.

Themes are written once as *scale degrees* (not MIDI pitches) so that the same melody can
be restated in another key, another mode or at another tempo, which is exactly what the
ground truth of the demo has to describe.

Melody notation (see :func:`parse_melody`), one token per note, separated by spaces::

    DEGREE[OCTAVE]:BEATS     e.g.  5,:1  1:0.5  3:1.5  1':2  b7:1  #4:.5  r:1

``DEGREE`` is 1-7 (scale degree of the key's mode), optionally prefixed with ``b``/``#``
(chromatic alteration) or ``^`` (leading tone: raised 7th in minor, no-op in major);
``,`` lowers and ``'`` raises by an octave (repeatable); ``r`` is a rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from heartsong.errors import ParameterError

__all__ = [
    "MODES",
    "NOTE_NAMES",
    "Key",
    "MelodyNote",
    "chord_pitches",
    "melody_beats",
    "parse_melody",
    "pitch_class",
    "realize",
]

NOTE_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_PC = {
    "C": 0,
    "B#": 0,
    "C#": 1,
    "Db": 1,
    "D": 2,
    "D#": 3,
    "Eb": 3,
    "E": 4,
    "Fb": 4,
    "F": 5,
    "E#": 5,
    "F#": 6,
    "Gb": 6,
    "G": 7,
    "G#": 8,
    "Ab": 8,
    "A": 9,
    "A#": 10,
    "Bb": 10,
    "B": 11,
    "Cb": 11,
}
# Natural (Aeolian) minor: the demo's minor pieces are modal/melancholic on purpose; the
# leading tone is requested explicitly with "^7" or with an upper-case "V" chord.
MODES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
}


def pitch_class(name: str) -> int:
    """Pitch class (0-11) of a note name such as ``"Eb"`` or ``"F#"``."""
    try:
        return _PC[name]
    except KeyError:
        raise ParameterError("name", f"unknown note name {name!r}") from None


@dataclass(frozen=True)
class Key:
    """A key: tonic pitch class and mode.

    Attributes
    ----------
    tonic : int
        Pitch class 0-11 (0 = C).
    mode : str
        ``"major"`` or ``"minor"``.
    """

    tonic: int
    mode: str

    @classmethod
    def of(cls, text: str) -> Key:
        """Parse ``"Eb major"`` / ``"C minor"``."""
        name, mode = text.split()
        if mode not in MODES:
            raise ParameterError("mode", f"must be one of {sorted(MODES)}, got {mode!r}")
        return cls(pitch_class(name), mode)

    @property
    def name(self) -> str:
        """Tonic spelled for display, e.g. ``"Eb"``."""
        return NOTE_NAMES[self.tonic]

    def __str__(self) -> str:
        return f"{self.name} {self.mode}"

    def transposed(self, semitones: int, mode: str | None = None) -> Key:
        """Same key moved by ``semitones`` (and optionally switched to ``mode``)."""
        return Key((self.tonic + semitones) % 12, mode or self.mode)

    def degree(self, deg: int, octave: int = 0, alter: int = 0, *, base: int = 60) -> int:
        """MIDI pitch of 1-based scale degree ``deg`` near ``base``.

        The tonic is placed in the octave at or just below ``base`` + 6 so that melodies in
        every key sit in a similar register.
        """
        steps = MODES[self.mode]
        tonic_midi = base + ((self.tonic - base) % 12)
        if tonic_midi - base > 6:
            tonic_midi -= 12
        d = deg - 1
        octs, idx = divmod(d, 7)
        return tonic_midi + 12 * (octave + octs) + steps[idx] + alter


@dataclass(frozen=True)
class MelodyNote:
    """One parsed melody token: a scale degree (or rest) and a length in beats."""

    degree: int | None  # 1-7, None for a rest
    octave: int
    alter: int  # chromatic alteration in semitones
    leading: bool  # "^": raise the 7th in minor
    beats: float


_TOKEN = re.compile(r"^(r|(\^|b|#)?([1-7])([,']*)):([0-9]*\.?[0-9]+)$")


def parse_melody(text: str) -> list[MelodyNote]:
    """Parse the compact degree notation described in the module docstring.

    Examples
    --------
    >>> [n.degree for n in parse_melody("1:1 3:.5 r:.5 5,:2")]
    [1, 3, None, 5]
    """
    notes: list[MelodyNote] = []
    for tok in text.split():
        if tok == "|":  # bar lines are for the reader only
            continue
        m = _TOKEN.match(tok)
        if m is None:
            raise ParameterError("melody", f"bad token {tok!r}")
        beats = float(m.group(5))
        if m.group(1) == "r":
            notes.append(MelodyNote(None, 0, 0, False, beats))
            continue
        acc, deg, octs = m.group(2), int(m.group(3)), m.group(4)
        octave = octs.count("'") - octs.count(",")
        alter = {"b": -1, "#": 1}.get(acc or "", 0)
        notes.append(MelodyNote(deg, octave, alter, acc == "^", beats))
    return notes


def melody_beats(notes: list[MelodyNote]) -> float:
    """Total length of a parsed melody in beats."""
    return float(sum(n.beats for n in notes))


def realize(
    notes: list[MelodyNote], key: Key, *, base: int = 60, stretch: float = 1.0
) -> list[tuple[float, float, int]]:
    """Turn degrees into ``(start_beat, beats, midi_pitch)`` in ``key`` (rests dropped).

    ``stretch`` multiplies every duration (2.0 = augmentation, half the apparent tempo).
    """
    out: list[tuple[float, float, int]] = []
    t = 0.0
    for n in notes:
        dur = n.beats * stretch
        if n.degree is not None:
            alter = n.alter + (1 if n.leading and key.mode == "minor" and n.degree == 7 else 0)
            out.append((t, dur, key.degree(n.degree, n.octave, alter, base=base)))
        t += dur
    return out


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}
_CHORD = re.compile(r"^(b|#)?(vii|vi|iv|v|iii|ii|i|VII|VI|IV|V|III|II|I)(.*)$")


def chord_pitches(symbol: str, key: Key, *, base: int = 52) -> list[int]:
    """Pitches of a roman-numeral chord, root position, root at or above ``base``.

    The root is the scale degree of the key's *own* mode (so ``"VI"`` in C minor is Ab);
    upper case is a major triad, lower case minor; suffixes: ``7`` (dominant 7th on upper
    case, minor 7th on lower case), ``maj7``, ``dim``, ``sus4``, ``sus2``, ``add9``.

    Examples
    --------
    >>> chord_pitches("V7", Key.of("C major"), base=48)
    [55, 59, 62, 65]
    >>> chord_pitches("VI", Key.of("C minor"), base=48)
    [56, 60, 63]
    """
    m = _CHORD.match(symbol)
    if m is None:
        raise ParameterError("symbol", f"bad chord symbol {symbol!r}")
    acc, numeral, suffix = m.groups()
    deg = _ROMAN[numeral.lower()]
    root_pc = (key.tonic + MODES[key.mode][deg - 1] + {"b": -1, "#": 1}.get(acc or "", 0)) % 12
    root = base + ((root_pc - base) % 12)
    major = numeral.isupper()
    third = 4 if major else 3
    fifth = 7
    intervals = [0, third, fifth]
    if "dim" in suffix:
        intervals = [0, 3, 6]
    if "sus4" in suffix:
        intervals = [0, 5, 7]
    if "sus2" in suffix:
        intervals = [0, 2, 7]
    if "maj7" in suffix:
        intervals.append(11)
    elif "7" in suffix:
        intervals.append(9 if "dim7" in suffix else 10)
    if "add9" in suffix:
        intervals.append(14)
    return [root + i for i in intervals]
