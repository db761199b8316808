"""Arranging tools: chord timelines, melodies, accompaniment patterns and drums.

An :class:`Arranger` wraps one :class:`~heartsong.demo.score.Score` while it is being
written. Chords are declared bar by bar with roman numerals (:meth:`Arranger.prog`);
accompaniment helpers (pads, arpeggios, bass lines, ostinati, drums) then follow whatever
chords are active, so a piece is mostly a list of sections saying who plays what.
All randomness comes from one seeded generator, used only for humanizing velocities,
vibrato rates and the improvised melodies of distractor pieces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from heartsong.demo.score import Part, Score, Section, Statement
from heartsong.demo.theory import MODES, Key, chord_pitches, parse_melody, realize

__all__ = ["DRUM", "Arranger", "ChordSpan"]

# General MIDI percussion keys used below.
DRUM = {
    "kick": 36,
    "kick2": 35,
    "stick": 37,
    "snare": 38,
    "clap": 39,
    "snare2": 40,
    "tom_low": 41,
    "hat": 42,
    "tom_low2": 43,
    "pedal": 44,
    "tom_mid": 45,
    "open": 46,
    "tom_mid2": 47,
    "tom_hi": 48,
    "crash": 49,
    "tom_hi2": 50,
    "ride": 51,
    "tamb": 54,
    "crash2": 57,
    "shaker": 70,
}

Realized = list[tuple[float, float, int]]  # (start beat, beats, midi pitch)


@dataclass(frozen=True)
class ChordSpan:
    """A chord active from ``start`` for ``dur`` beats, in ``key``."""

    start: float
    dur: float
    symbol: str
    key: Key

    @property
    def pitches(self) -> list[int]:
        return chord_pitches(self.symbol, self.key, base=48)

    @property
    def root_pc(self) -> int:
        return self.pitches[0] % 12

    @property
    def pcs(self) -> list[int]:
        return [p % 12 for p in self.pitches]


def _near(pc: int, center: float) -> int:
    """The MIDI pitch of pitch class ``pc`` closest to ``center`` (ties go down)."""
    low = int(math.floor(center)) - ((int(math.floor(center)) - pc) % 12)
    return low if center - low <= low + 12 - center else low + 12


class Arranger:
    """Write a piece section by section.

    Parameters
    ----------
    title : str
        Title of the piece.
    bpm : float
        Constant tempo.
    key : str
        Home key, e.g. ``"Eb major"``.
    seed : int
        Seed for humanization and improvisation.
    meter : int
        Beats per bar.
    tail : float
        Seconds rendered after the last beat.
    reverb : tuple of float
        ``(RT60 seconds, wet level)`` of the room.
    """

    def __init__(
        self,
        title: str,
        *,
        bpm: float,
        key: str,
        seed: int,
        meter: int = 4,
        tail: float = 3.0,
        reverb: tuple[float, float] = (1.8, 0.18),
    ) -> None:
        self.key = Key.of(key)
        self.score = Score(
            title=title,
            bpm=bpm,
            key=self.key,
            meter=meter,
            tail=tail,
            reverb_seconds=reverb[0],
            reverb_wet=reverb[1],
        )
        self.meter = meter
        self.rng = np.random.default_rng(seed)
        self.chords: list[ChordSpan] = []

    # ----------------------------------------------------------------- structure
    def part(self, name: str, program: int, **kwargs: object) -> Part:
        """Add an instrument (GM ``program``; ``bank=128, drums=True`` for a kit)."""
        p = Part(name=name, program=program, **kwargs)  # type: ignore[arg-type]
        self.score.parts.append(p)
        return p

    def beat(self, bar: float) -> float:
        """Beat position of the start of ``bar`` (0-based)."""
        return bar * self.meter

    def section(self, name: str, bar: float, bars: float, key: Key | None = None) -> None:
        """Declare a formal section (kept in the ground truth)."""
        self.score.sections.append(
            Section(name, self.beat(bar), self.beat(bar + bars), key or self.key)
        )

    def prog(self, bar: int, text: str, key: Key | None = None) -> int:
        """Declare chords from ``bar`` on: bars separated by ``|``, chords within a bar by
        spaces (they share the bar equally). Returns the number of bars."""
        k = key or self.key
        bars = [b.split() for b in text.split("|")]
        for i, chords in enumerate(bars):
            step = self.meter / len(chords)
            for j, sym in enumerate(chords):
                start = self.beat(bar + i) + j * step
                self.chords = [c for c in self.chords if c.start != start]
                self.chords.append(ChordSpan(start, step, sym, k))
        self.chords.sort(key=lambda c: c.start)
        return len(bars)

    def spans(self, bar: float, bars: float) -> list[ChordSpan]:
        """Chords starting inside ``[bar, bar + bars)``."""
        t0, t1 = self.beat(bar), self.beat(bar + bars)
        return [c for c in self.chords if t0 <= c.start < t1]

    def chord_at(self, beat: float) -> ChordSpan:
        """The chord sounding at a beat position."""
        current = self.chords[0]
        for c in self.chords:
            if c.start <= beat + 1e-9:
                current = c
        return current

    def finish(self, bars: int) -> Score:
        """Set the piece length and return the score."""
        self.score.length = self.beat(bars)
        return self.score

    # ----------------------------------------------------------------- melody
    def melody(
        self,
        part: Part,
        source: str | Realized,
        *,
        bar: float,
        key: Key | None = None,
        base: int = 60,
        vel: int = 90,
        stretch: float = 1.0,
        theme: str | None = None,
        fragment: tuple[float, float] | None = None,
        legato: float = 0.92,
        expressive: bool = False,
    ) -> Realized:
        """Place a melody (degree notation or already realized notes) at ``bar``.

        When ``theme`` is given, a :class:`Statement` is recorded for the ground truth;
        ``fragment`` (beats of the written theme) keeps only part of it.
        Returns the realized notes relative to the placement point.
        """
        k = key or self.key
        if isinstance(source, str):
            notes = realize(parse_melody(source), k, base=base, stretch=stretch)
        else:
            notes = [(s * stretch, d * stretch, p) for s, d, p in source]
        if fragment is not None:
            f0, f1 = fragment[0] * stretch, fragment[1] * stretch
            notes = [(s - f0, d, p) for s, d, p in notes if f0 - 1e-9 <= s < f1 - 1e-9]
        t0 = self.beat(bar)
        n = len(notes)
        for i, (s, d, p) in enumerate(notes):
            arch = 8.0 * math.sin(math.pi * (i + 0.5) / max(n, 1))  # phrase rises and falls
            downbeat = 4 if abs((t0 + s) % self.meter) < 1e-6 else 0
            v = round(vel + arch + downbeat + int(self.rng.integers(-3, 4)))
            part.add(t0 + s, d * legato, p, v)
        if expressive:
            self._express(part, [(t0 + s, d, p) for s, d, p in notes])
        if theme is not None and notes:
            first, last = notes[0], notes[-1]
            self.score.statements.append(
                Statement(
                    theme=theme,
                    start=t0 + first[0],
                    end=t0 + last[0] + last[1],
                    key=k,
                    stretch=stretch,
                    part=part.name,
                    fragment=fragment,
                    pitches=tuple((t0 + s, d, p) for s, d, p in notes),
                )
            )
        return notes

    def _express(self, part: Part, notes: Realized) -> None:
        """Singer-like pitch and loudness: scoops on rising leaps, delayed vibrato,
        a swell on every held note (pitch bend range is the GM default of 2 semitones)."""
        spb = self.score.spb
        prev: int | None = None
        for start, dur, pitch in notes:
            secs = dur * spb
            rate = 5.3 + float(self.rng.uniform(-0.35, 0.35))
            scoop = prev is not None and pitch - prev >= 3
            for tt in np.arange(0.0, secs, 0.02):
                semis = 0.0
                if scoop and tt < 0.12:
                    semis -= 0.7 * (1.0 - tt / 0.12)
                if tt > 0.28:
                    depth = 0.28 * min(1.0, (tt - 0.28) / 0.45)
                    semis += depth * math.sin(2 * math.pi * rate * (tt - 0.28))
                value = int(round(8192 + semis / 2.0 * 8192))
                part.bends.append((start + tt / spb, max(0, min(16383, value))))
            for tt in np.arange(0.0, secs, 0.05):
                x = tt / secs
                expr = 88 + 34 * math.sin(math.pi * min(1.0, x * 1.15)) ** 0.7
                part.controls.append((start + tt / spb, 11, int(round(min(127, expr)))))
            prev = pitch

    def improvise(
        self,
        bars: int,
        *,
        bar: int,
        key: Key | None = None,
        base: int = 72,
        rhythms: Sequence[Sequence[float]] | None = None,
        span: tuple[int, int] = (0, 11),
    ) -> Realized:
        """A new melody over the chords of ``bars`` bars starting at ``bar``.

        Strong beats take chord tones, weak beats move by step; bars 3-4 of each 4-bar
        phrase reuse the rhythm of bars 1-2 and phrases end on a long chord tone.
        Used for distractors, so the material is new while key and harmony are shared.
        """
        k = key or self.key
        pool = rhythms or _RHYTHMS[self.meter]
        steps = MODES[k.mode]
        tonic = k.degree(1, base=base)

        def pitch_of(idx: int) -> int:
            o, d = divmod(idx, 7)
            return tonic + 12 * o + steps[d]

        out: Realized = []
        idx = (span[0] + span[1]) // 2
        chosen: list[Sequence[float]] = []
        for b in range(bars):
            if b % 4 == 3:
                rhythm: Sequence[float] = _ENDINGS[self.meter][int(self.rng.integers(0, 2))]
            elif b % 4 == 2:
                rhythm = chosen[b - 2]
            else:
                rhythm = pool[int(self.rng.integers(0, len(pool)))]
            chosen.append(rhythm)
            t = 0.0
            for dur in rhythm:
                beat = self.beat(bar + b) + t
                chord = self.chord_at(beat)
                tones = [i for i in range(span[0], span[1] + 1) if pitch_of(i) % 12 in chord.pcs]
                strong = abs(t - round(t)) < 1e-9 and (round(t) % 2 == 0 or dur >= 1)
                if (strong or t + dur >= self.meter - 1e-9) and tones:
                    target = idx + int(self.rng.integers(-2, 3))
                    idx = min(tones, key=lambda i: (abs(i - target), i))
                else:
                    move = int(self.rng.choice([-2, -1, -1, 1, 1, 2]))
                    if idx + move < span[0] or idx + move > span[1]:
                        move = -move
                    idx += move
                out.append((self.beat(b) + t, dur, pitch_of(idx)))
                t += dur
        return out

    # ----------------------------------------------------------------- accompaniment
    def pad(
        self,
        part: Part,
        bar: float,
        bars: float,
        *,
        center: int = 60,
        vel: int = 60,
        notes: int = 4,
    ) -> None:
        """Sustained close-position chords around ``center`` (smooth voice leading)."""
        for c in self.spans(bar, bars):
            voicing = sorted({_near(pc, center) for pc in c.pcs})
            if notes > len(voicing):
                # Double the root an octave away, staying near the centre.
                root = next(p for p in voicing if p % 12 == c.root_pc)
                voicing.append(root + 12 if root + 12 <= center + 9 else root - 12)
            for p in voicing:
                part.add(c.start, c.dur - 0.04, p, vel + int(self.rng.integers(-3, 4)))

    def swell(self, part: Part, bar: float, bars: float, v0: int, v1: int) -> None:
        """Expression (CC11) ramp: a crescendo/decrescendo over the given bars."""
        t0, t1 = self.beat(bar), self.beat(bar + bars)
        for t in np.arange(t0, t1, 0.25):
            part.controls.append((float(t), 11, int(round(v0 + (v1 - v0) * (t - t0) / (t1 - t0)))))
        part.controls.append((t1, 11, 127))

    def arpeggio(
        self,
        part: Part,
        bar: float,
        bars: float,
        *,
        center: int = 60,
        vel: int = 66,
        step: float = 0.5,
        pattern: Sequence[int] = (0, 1, 2, 3, 2, 1, 2, 3),
        ring: float = 2.0,
    ) -> None:
        """Broken chords: ``pattern`` indexes the chord tones from low to high."""
        for c in self.spans(bar, bars):
            root = _near(c.root_pc, center - 12)
            tones = sorted(
                {root} | {_near(pc, center - 3 + i * 0.01) for i, pc in enumerate(c.pcs)}
            )
            tones += [t + 12 for t in tones[1:]]
            n = int(round(c.dur / step))
            for i in range(n):
                idx = pattern[i % len(pattern)] % len(tones)
                accent = 8 if i == 0 else 0
                part.add(
                    c.start + i * step,
                    step * ring,
                    tones[idx],
                    vel + accent + int(self.rng.integers(-5, 6)),
                )

    def bass(
        self,
        part: Part,
        bar: float,
        bars: float,
        *,
        style: str = "half",
        base: int = 36,
        vel: int = 84,
    ) -> None:
        """Bass line following the chord roots.

        ``style``: ``whole`` (one note per chord), ``half`` (root then fifth),
        ``root8`` (driving eighths), ``ballad`` (dotted half + fifth), ``walk`` (quarters).
        """
        spans = self.spans(bar, bars)
        for i, c in enumerate(spans):
            root = base + ((c.root_pc - base) % 12)
            fifth = root + 7 if root + 7 <= base + 14 else root - 5
            r = self.rng
            if style == "whole" or c.dur < 2:
                part.add(c.start, c.dur * 0.95, root, vel)
            elif style == "half":
                half = c.dur / 2
                part.add(c.start, half * 0.9, root, vel)
                part.add(c.start + half, half * 0.9, fifth if i % 2 else root, vel - 8)
            elif style == "ballad":
                part.add(c.start, c.dur * 0.72, root, vel)
                part.add(c.start + c.dur * 0.75, c.dur * 0.23, fifth, vel - 10)
            elif style == "root8":
                for k in range(int(c.dur * 2)):
                    p = root + 12 if k % 4 == 3 else root
                    part.add(c.start + k * 0.5, 0.42, p, vel - (0 if k % 2 == 0 else 10))
            elif style == "walk":
                nxt = spans[i + 1] if i + 1 < len(spans) else c
                target = base + ((nxt.root_pc - base) % 12)
                third = root + (c.pitches[1] - c.pitches[0])
                line = [root, third, fifth, target - 1 if r.integers(0, 2) else target + 1]
                for k in range(int(c.dur)):
                    part.add(c.start + k, 0.9, line[k % 4], vel - (k % 2) * 6)
            else:
                raise ValueError(f"unknown bass style {style!r}")

    def ostinato(
        self,
        part: Part,
        bar: float,
        bars: float,
        *,
        figure: Sequence[int] = (0, 0, 7, 0, 12, 0, 7, 0),
        base: int = 48,
        step: float = 0.5,
        vel: int = 76,
        dur: float = 0.4,
    ) -> None:
        """Repeated figure (semitones above each chord root) on a fixed grid."""
        for c in self.spans(bar, bars):
            root = base + ((c.root_pc - base) % 12)
            third = c.pitches[1] - c.pitches[0]
            for k in range(int(round(c.dur / step))):
                off = figure[k % len(figure)]
                off = third if off == 3 else off  # "3" means the chord's own third
                accent = 10 if k % 4 == 0 else 0
                part.add(c.start + k * step, dur * step / 0.5, root + off, vel + accent)

    def stabs(
        self,
        part: Part,
        bar: float,
        bars: float,
        *,
        hits: Sequence[tuple[float, float]] = ((0.0, 0.5),),
        center: int = 60,
        vel: int = 90,
    ) -> None:
        """Short chords on given ``(beat in bar, length)`` positions of every bar."""
        for b in range(int(bars)):
            for off, length in hits:
                t = self.beat(bar + b) + off
                c = self.chord_at(t)
                for pc in c.pcs[:3]:
                    part.add(t, length, _near(pc, center), vel + int(self.rng.integers(-4, 5)))

    def power(
        self,
        part: Part,
        bar: float,
        bars: float,
        *,
        rhythm: Sequence[tuple[float, float]] = tuple((k * 0.5, 0.45) for k in range(8)),
        base: int = 40,
        vel: int = 88,
    ) -> None:
        """Rock guitar power chords (root, fifth, octave) on a rhythm per bar."""
        for b in range(int(bars)):
            for off, length in rhythm:
                t = self.beat(bar + b) + off
                c = self.chord_at(t)
                root = base + ((c.root_pc - base) % 12)
                accent = 8 if off in (0.0, 2.0) else 0
                for p in (root, root + 7, root + 12):
                    part.add(t, length, p, vel + accent + int(self.rng.integers(-4, 5)))

    def roll(
        self,
        part: Part,
        beat: float,
        beats: float,
        pitch: int,
        v0: int,
        v1: int,
        rate: float = 0.125,
    ) -> None:
        """A single-note roll (timpani, snare) with a velocity ramp."""
        n = int(round(beats / rate))
        for i in range(n):
            part.add(beat + i * rate, rate * 1.5, pitch, round(v0 + (v1 - v0) * i / max(1, n - 1)))

    def drums(
        self,
        part: Part,
        bar: float,
        bars: float,
        *,
        style: str,
        vel: int = 92,
        fill: bool = True,
        crash: bool = True,
    ) -> None:
        """A drum groove; optional crash on the first downbeat and fill in the last bar."""
        groove = _GROOVES[style]
        for b in range(int(bars)):
            t0 = self.beat(bar + b)
            last = fill and b == int(bars) - 1
            for off, name, scale in groove:
                if last and off >= 2.0 and name != "kick":
                    continue
                jitter = int(self.rng.integers(-5, 6))
                part.add(t0 + off, 0.25, DRUM[name], round(vel * scale) + jitter)
            if last:
                toms = (
                    "snare",
                    "snare",
                    "tom_hi",
                    "tom_hi",
                    "tom_mid",
                    "tom_mid",
                    "tom_low",
                    "tom_low",
                )
                for i, name in enumerate(toms):
                    part.add(t0 + 2.0 + i * 0.25, 0.25, DRUM[name], round(vel * (0.75 + 0.03 * i)))
        if crash:
            part.add(self.beat(bar), 1.0, DRUM["crash"], vel)

    def hit(self, part: Part, beat: float, names: Sequence[str], vel: int = 110) -> None:
        """Single drum hit (e.g. the final crash + kick of a piece)."""
        for name in names:
            part.add(beat, 1.0, DRUM[name], vel)


# (beat offset, drum, velocity scale) for one 4/4 bar.
def _eighths(name: str, strong: float, weak: float) -> list[tuple[float, str, float]]:
    return [(k * 0.5, name, strong if k % 2 == 0 else weak) for k in range(8)]


_GROOVES: dict[str, list[tuple[float, str, float]]] = {
    "pop": [
        (0.0, "kick", 1.0),
        (1.5, "kick", 0.7),
        (2.5, "kick", 0.85),
        (1.0, "snare", 0.95),
        (3.0, "snare", 0.95),
        *_eighths("hat", 0.7, 0.5),
    ],
    "pop_light": [
        (0.0, "kick", 0.85),
        (2.5, "kick", 0.7),
        (1.0, "stick", 0.8),
        (3.0, "stick", 0.8),
        *_eighths("hat", 0.55, 0.4),
    ],
    "ballad": [
        (0.0, "kick", 0.8),
        (2.5, "kick", 0.55),
        (1.0, "stick", 0.7),
        (3.0, "stick", 0.7),
        *[(k * 1.0, "pedal", 0.45) for k in range(4)],
    ],
    "ballad_full": [
        (0.0, "kick", 0.95),
        (2.5, "kick", 0.7),
        (1.0, "snare", 0.85),
        (3.0, "snare", 0.85),
        *_eighths("ride", 0.6, 0.45),
    ],
    "rock": [
        *[(k * 1.0, "kick", 0.95) for k in range(4)],
        (1.0, "snare", 1.0),
        (3.0, "snare", 1.0),
        *_eighths("hat", 0.7, 0.55),
        (3.5, "open", 0.6),
    ],
    "action": [
        (0.0, "kick", 1.0),
        (0.75, "kick", 0.8),
        (2.0, "kick", 0.95),
        (2.5, "kick", 0.8),
        (1.0, "snare", 1.0),
        (3.0, "snare", 1.0),
        *_eighths("hat", 0.75, 0.6),
        (3.75, "tom_low", 0.7),
    ],
    "toms": [
        (k * 0.5, "tom_low" if k % 4 == 0 else "tom_mid", 0.9 if k % 2 == 0 else 0.6)
        for k in range(8)
    ]
    + [(0.0, "kick", 1.0), (2.0, "kick", 1.0)],
    "pulse": [
        *[(k * 1.0, "kick", 0.9 if k % 2 == 0 else 0.75) for k in range(4)],
        *[(k + 0.5, "shaker", 0.4) for k in range(4)],
    ],
    "heartbeat": [(0.0, "kick", 0.9), (0.4, "kick", 0.6), (2.0, "kick", 0.9), (2.4, "kick", 0.6)],
    "swing": [
        (0.0, "ride", 0.7),
        (1.0, "ride", 0.8),
        (1.667, "ride", 0.5),
        (2.0, "ride", 0.7),
        (3.0, "ride", 0.8),
        (3.667, "ride", 0.5),
        (1.0, "pedal", 0.5),
        (3.0, "pedal", 0.5),
        (0.0, "kick", 0.45),
        (2.0, "kick", 0.35),
    ],
}

_RHYTHMS: dict[int, list[list[float]]] = {
    4: [
        [1, 0.5, 0.5, 1, 1],
        [0.5, 0.5, 1, 0.5, 0.5, 1],
        [1.5, 0.5, 1, 1],
        [1, 1, 0.5, 0.5, 1],
        [0.5, 0.5, 0.5, 0.5, 2],
        [2, 0.5, 0.5, 1],
    ],
    3: [[1, 1, 1], [1.5, 0.5, 1], [2, 1], [0.5, 0.5, 1, 1]],
}
_ENDINGS: dict[int, list[list[float]]] = {4: [[1, 3], [0.5, 0.5, 3]], 3: [[3], [1, 2]]}
