"""The fictional drama's music: themes as explicit note lists, and every piece's arrangement.

Themes are written once, in scale degrees (see :mod:`heartsong.demo.theory`), so a
restatement in another key, mode or tempo is the *same* melody by construction, which is
what makes the ground truth trustworthy. Seeded randomness is only used for performance
detail and for the distractor pieces' improvised melodies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from heartsong.demo.arrange import Arranger
from heartsong.demo.score import Score
from heartsong.demo.theory import Key

__all__ = ["FOREIGN", "THEMES", "TRACKS", "ThemeDef", "TrackSpec", "build_track"]


@dataclass(frozen=True)
class ThemeDef:
    """A named theme: its melody in degree notation and where it is first stated."""

    id: str
    name: str
    melody: str
    home: str  # title of the track holding the reference statement


# --------------------------------------------------------------------------- themes
# Main title, D major, 4/4; its first two bars are quoted by the action theme.
OPENING = (
    "1:1 2:.5 3:.5 5:1.5 3:.5 | 2:1 7,:.5 1:.5 2:2 | 3:1 4:.5 5:.5 6:1.5 5:.5 | 6:1 5:1 4:2 |"
    " 1:1 2:.5 3:.5 5:1.5 3:.5 | 5:1 4:.5 3:.5 2:2 | 4:1 3:.5 2:.5 7,:1 2:1 | 1:3 r:1"
)
OPENING_B = (
    "6:1.5 5:.5 3:2 | 4:1.5 3:.5 1:2 | 3:1 5:1 1':1.5 7:.5 | 6:2 5:2 |"
    " 6:1.5 5:.5 3:1 5:1 | 4:1 6:1 1':2 | 2':1.5 1':.5 6:1 4:1 | 5:3 r:1"
)
OPENING_PROG = "I | V | vi | IV | I | V | ii V | I"
# Love theme (chorus of the vocal song), Eb major, 4/4.
LOVE = (
    "5,:1 1:1 3:1.5 2:.5 | 2:1.5 1:.5 7,:1 5,:1 | 6,:1 1:1 3:1.5 2:.5 | 2:1 3:1 5:2 |"
    " 1':1.5 7:.5 6:1 4:1 | 5:1.5 3:.5 3:1 2:1 | 4:1 3:1 2:1.5 1:.5 | 1:3 r:1"
)
LOVE_PROG = "I | V | vi | iii | IV | I | ii V | I"
LOVE_PROG_MINOR = "i | v | VI | III | iv | i | iv V | i"
LOVE_VERSE = (
    "r:1 3:.5 3:.5 3:1 2:.5 1:.5 | 1:1 6,:1 1:2 | r:1 3:.5 3:.5 3:1 5:.5 3:.5 | 2:3 r:1 |"
    " r:1 3:.5 3:.5 5:1 6:.5 5:.5 | 4:1 3:1 1:2 | 2:1 3:.5 4:.5 3:1 2:1 | 2:3 r:1"
)
LOVE_VERSE_PROG = "I | IV | vi | V | I | IV | ii | V"
LOVE_BRIDGE = "3:1.5 5:.5 6:2 | 6:1 5:1 4:2 | 4:1.5 5:.5 6:1 1':1 | r:4"
# Action theme, E minor, 4/4.
ACTION = (
    "1:.75 1:.75 1:.5 5:1 4:.5 3:.5 | 3:.75 2:.75 1:.5 7,:2 | 1:.75 1:.75 1:.5 5:1 6:.5 7:.5 |"
    " 1':1.5 7:.5 6:1 5:1 | 5:.75 5:.75 5:.5 1':1 7:.5 6:.5 | 5:.75 4:.75 3:.5 2:2 |"
    " 4:1 5:1 6:1 4:1 | ^7,:2 2:2"
)
ACTION_PROG = "i | VI VII | i | VI VII | i | VI VII | iv | V"
# Heartbreak ballad chorus, A minor.
BALLAD = (
    "3:1 4:1 5:1.5 6:.5 | 5:1.5 4:.5 2:2 | 3:1 1:1 5:1.5 3:.5 | 2:1 1:1 1:2 |"
    " 3:1 4:1 5:1.5 1':.5 | 7:1.5 6:.5 5:2 | 4:1 3:1 ^7,:1 2:1 | 1:3 r:1"
)
BALLAD_PROG = "VI | VII | i | i | VI | VII | iv V | i"
BALLAD_VERSE = (
    "r:.5 1:.5 1:.5 2:.5 3:1 1:1 | 1:1 7,:.5 6,:.5 6,:2 | r:.5 3:.5 3:.5 4:.5 5:1 3:1 | 2:3 r:1 |"
    " r:.5 1:.5 1:.5 2:.5 3:1 5:1 | 6:1 5:.5 4:.5 3:2 | 4:1 3:.5 2:.5 1:1 4:1 | ^7,:3 r:1"
)
BALLAD_VERSE_PROG = "i | VI | III | VII | i | VI | iv | V"
# Upbeat anthem chorus, A major.
ANTHEM = (
    "5:1 5:.5 6:.5 5:1 3:1 | 2:1.5 3:.5 2:2 | 1:1 1:.5 2:.5 3:1 6:1 | 6:1.5 5:.5 4:2 |"
    " 5:1 5:.5 6:.5 5:1 1':1 | 7:1.5 1':.5 2':2 | 1':1 6:1 4:1 6:1 | 1':3 r:1"
)
ANTHEM_PROG = "I | V | vi | IV | I | V | IV | I"
ANTHEM_VERSE = (
    "1:.5 1:.5 3:.5 1:.5 5,:1 r:1 | 2:.5 2:.5 3:.5 2:.5 7,:1 r:1 | 3:.5 3:.5 5:.5 3:.5 1:1 r:1 |"
    " 4:1 3:1 2:2 | 1:.5 1:.5 3:.5 1:.5 5,:1 r:1 | 2:.5 2:.5 3:.5 2:.5 7,:1 r:1 |"
    " 3:.5 3:.5 5:.5 3:.5 1:1 r:1 | 4:1 3:1 4:1 5:1"
)
ANTHEM_PRE = "2:1 3:1 4:2 | 4:1 5:1 6:2 | 5:1 6:1 7:1 1':1 | 2':2 r:2"
ANTHEM_RIFF = (
    "1':.5 7:.5 6:.5 5:.5 6:1 5:1 | 5:.5 4:.5 3:.5 2:.5 3:2 | 1':.5 7:.5 6:.5 5:.5 1':2 | 7:2 5:2"
)
# Suspense motif, F minor (a semitone neighbour figure).
SUSPENSE = "1:.5 1:.5 b2:.5 1:.5 r:1 b2:.5 1:.5 | 3:.5 2:.5 b2:.5 1:.5 r:2"
# Calm piano piece, F major, 3/4.
MORNING = (
    "3:1.5 2:.5 1:1 | 3:2 5:1 | 6:1.5 5:.5 4:1 | 3:3 |"
    " 1':1.5 7:.5 6:1 | 5:1 4:1 2:1 | 5:1.5 4:.5 2:1 | 1:3"
)
MORNING_PROG = "I | iii | IV | I | vi | ii | V7 | I"
MORNING_B = (
    "6:1.5 5:.5 6:1 | 5:2 3:1 | 4:1.5 5:.5 6:1 | 5:3 |"
    " 2:1 4:1 6:1 | 5:1.5 6:.5 7:1 | 1':2 7:1 | 5:3"
)
MORNING_B_PROG = "vi | iii | IV | I | ii | V | vi | V"

THEMES: dict[str, ThemeDef] = {
    t.id: t
    for t in (
        ThemeDef(
            "opening",
            "Letters to the Rain (main theme)",
            OPENING,
            "Letters to the Rain (Main Title)",
        ),
        ThemeDef("love", "Where the Light Falls (love theme)", LOVE, "Where the Light Falls"),
        ThemeDef("action", "Chase (action theme)", ACTION, "Chase Across the River"),
        ThemeDef("ballad", "Still I Wait (ballad chorus)", BALLAD, "Still I Wait"),
        ThemeDef("anthem", "Run to the Sun (anthem chorus)", ANTHEM, "Run to the Sun"),
        ThemeDef("suspense", "Footsteps (suspense motif)", SUSPENSE, "Footsteps in the Hall"),
        ThemeDef("morning", "Morning Window (piano theme)", MORNING, "Morning Window"),
        # Distractor melodies are improvised from the seed; listed so that every
        # statement in the ground truth names a theme, and detectors can be told apart.
        ThemeDef("paper_boats", "Paper Boats (distractor melody)", "", "Paper Boats"),
        ThemeDef("quiet_streets", "Quiet Streets (distractor melody)", "", "Quiet Streets"),
    )
}
_T = {k: v.melody for k, v in THEMES.items()}


def _t(theme: str) -> str:
    return _T[theme]


# --------------------------------------------------------------------------- pieces
def opening_theme(seed: int) -> Score:
    """Main title: A (flute) - B (violin) - A (strings, full) - bridge quoting the first
    two bars on horn - A (trumpet, tutti) - outro."""
    a = Arranger(
        "Letters to the Rain (Main Title)",
        bpm=112,
        key="D major",
        seed=seed,
        tail=3.5,
        reverb=(2.0, 0.2),
    )
    d = a.key
    piano = a.part("piano", 0, volume=125, pan=54)
    pad = a.part("strings pad", 49, volume=86, pan=76)
    flute = a.part("flute", 73, volume=110, pan=60)
    violin = a.part("violin", 40, volume=125, pan=50)
    strings = a.part("strings", 48, volume=104, pan=70)
    horn = a.part("french horn", 60, volume=84, pan=82)
    trumpet = a.part("trumpet", 56, volume=100, pan=58)
    brass = a.part("brass section", 61, volume=78, pan=76)
    bass = a.part("bass", 33, volume=95, pan=64)
    timp = a.part("timpani", 47, volume=110, pan=70)
    drums = a.part("drums", 0, bank=128, drums=True, volume=113)

    a.section("intro", 0, 4)
    a.prog(0, "I | V | vi | IV")
    a.arpeggio(piano, 0, 4, center=64, vel=62)
    a.pad(pad, 1, 3, center=62, vel=48)
    a.bass(bass, 2, 2, style="whole", vel=66)
    a.roll(timp, a.beat(3) + 2, 2, 45, 40, 90)

    a.section("theme A", 4, 8)
    a.prog(4, OPENING_PROG)
    a.melody(flute, _t("opening"), bar=4, base=72, vel=90, theme="opening")
    a.arpeggio(piano, 4, 8, center=64, vel=64)
    a.pad(pad, 4, 8, center=60, vel=52)
    a.bass(bass, 4, 8, style="half", vel=80)
    a.drums(drums, 4, 8, style="pop_light", vel=82, crash=False)

    a.section("theme B", 12, 8)
    a.prog(12, "vi | IV | I | V | vi | IV | ii | V7")
    a.melody(violin, OPENING_B, bar=12, base=72, vel=92)
    a.arpeggio(piano, 12, 8, center=62, vel=64)
    a.pad(strings, 12, 8, center=60, vel=58)
    a.swell(strings, 12, 8, 80, 120)
    a.bass(bass, 12, 8, style="half", vel=84)
    a.drums(drums, 12, 8, style="pop", vel=88)

    a.section("theme A (tutti)", 20, 8)
    a.prog(20, OPENING_PROG)
    a.melody(strings, _t("opening"), bar=20, base=72, vel=98, theme="opening")
    a.melody(violin, _t("opening"), bar=20, base=84, vel=86)
    a.pad(brass, 20, 8, center=58, vel=62)
    a.arpeggio(piano, 20, 8, center=64, vel=66)
    a.bass(bass, 20, 8, style="root8", vel=86)
    a.drums(drums, 20, 8, style="pop", vel=96)
    for b in range(20, 28, 2):
        timp.add(a.beat(b), 1.0, 38 if b % 4 else 45, 92)

    a.section("bridge", 28, 4)
    a.prog(28, "I | V | vi | V7", key=d)
    a.melody(horn, _t("opening"), bar=28, base=60, vel=92, theme="opening", fragment=(0, 8))
    a.melody(horn, "3:1 4:.5 5:.5 6:2", bar=30, base=60, vel=88)
    a.arpeggio(piano, 28, 3, center=62, vel=58)
    a.pad(pad, 28, 4, center=60, vel=56)
    a.swell(pad, 30, 2, 70, 127)
    a.bass(bass, 28, 4, style="whole", vel=74)
    a.roll(drums, a.beat(31), 4, 38, 40, 105, rate=0.25)
    a.roll(timp, a.beat(31), 4, 47, 50, 110)

    a.section("theme A (finale)", 32, 8)
    a.prog(32, OPENING_PROG)
    a.melody(trumpet, _t("opening"), bar=32, base=72, vel=102, theme="opening")
    a.melody(strings, _t("opening"), bar=32, base=84, vel=92)
    a.pad(brass, 32, 8, center=60, vel=70)
    a.pad(pad, 32, 8, center=66, vel=60)
    a.arpeggio(piano, 32, 8, center=66, vel=68)
    a.bass(bass, 32, 8, style="root8", vel=90)
    a.drums(drums, 32, 8, style="pop", vel=102)
    for b in range(32, 40):
        timp.add(a.beat(b), 1.0, 40 if b % 2 else 47, 96)

    a.section("outro", 40, 4)
    a.prog(40, "IV | V | I | I")
    a.melody(trumpet, "4:2 5:2 | 2:2 7,:2 | 1:4", bar=40, base=72, vel=98)
    a.pad(strings, 40, 4, center=64, vel=74)
    a.pad(brass, 40, 3, center=60, vel=74)
    a.bass(bass, 40, 3, style="whole", vel=90)
    a.drums(drums, 40, 2, style="pop", vel=100, crash=True)
    a.hit(drums, a.beat(42), ("crash", "kick"), vel=112)
    a.roll(timp, a.beat(42), 2, 40, 100, 60)
    return a.finish(44)


def love_song(seed: int, *, instrumental: bool = False) -> Score:
    """The love theme as a song: intro - verse - chorus - interlude - verse - chorus -
    bridge - final chorus a semitone up - outro. ``instrumental`` swaps the voice-like lead
    (GM 53, "Voice Oohs") for a violin; everything else is identical, note for note."""
    title = "Where the Light Falls" + (" (Inst.)" if instrumental else "")
    a = Arranger(title, bpm=72, key="Eb major", seed=seed, tail=5.0, reverb=(2.2, 0.22))
    eb, e = a.key, a.key.transposed(1)
    if instrumental:
        lead = a.part("violin (lead)", 40, volume=127, pan=62)
    else:
        lead = a.part("voice (lead)", 53, volume=127, pan=64, vocal=True)
    piano = a.part("piano", 0, volume=127, pan=52)
    strings = a.part("strings", 49, volume=85, pan=78)
    cello = a.part("cello", 42, volume=96, pan=84)
    harp = a.part("harp", 46, volume=104, pan=40)
    warm = a.part("warm pad", 89, volume=72, pan=64)
    bass = a.part("fretless bass", 35, volume=91, pan=64)
    drums = a.part("drums", 0, bank=128, drums=True, volume=111)

    a.section("intro", 0, 4)
    a.prog(0, "I | V | vi | IV")
    a.arpeggio(piano, 0, 4, center=63, vel=60)
    a.pad(strings, 2, 2, center=60, vel=44)

    def verse(bar: int) -> None:
        a.section("verse", bar, 8)
        a.prog(bar, LOVE_VERSE_PROG)
        a.melody(lead, LOVE_VERSE, bar=bar, base=60, vel=86, legato=0.97, expressive=True)
        a.arpeggio(piano, bar, 8, center=62, vel=60)

    def chorus(bar: int, key: Key, vel: int) -> None:
        a.section("chorus", bar, 8, key=key)
        a.prog(bar, LOVE_PROG, key=key)
        a.melody(
            lead,
            _t("love"),
            bar=bar,
            key=key,
            base=60,
            vel=vel,
            legato=0.97,
            expressive=True,
            theme="love",
        )
        a.arpeggio(piano, bar, 8, center=62, vel=64)
        a.pad(strings, bar, 8, center=60, vel=vel - 30)

    verse(4)
    a.bass(bass, 4, 8, style="whole", vel=72)
    a.pad(strings, 8, 4, center=58, vel=40)
    chorus(12, eb, 92)
    a.bass(bass, 12, 8, style="ballad", vel=80)
    a.drums(drums, 12, 8, style="ballad", vel=74, crash=False)

    a.section("interlude", 20, 2)
    a.prog(20, "IV | V")
    a.arpeggio(piano, 20, 2, center=64, vel=64)
    a.arpeggio(harp, 20, 2, center=72, vel=70, step=0.25, pattern=(0, 1, 2, 3, 4, 5, 6, 7))
    a.pad(strings, 20, 2, center=62, vel=56)
    a.bass(bass, 20, 2, style="whole", vel=74)

    verse(22)
    a.melody(
        cello, "3:4 | 1:4 | 3:4 | 2:4 | 3:4 | 1:4 | 2:4 | 2:4", bar=22, base=48, vel=70, legato=0.98
    )
    a.bass(bass, 22, 8, style="ballad", vel=78)
    a.drums(drums, 22, 8, style="ballad", vel=72, crash=False)
    chorus(30, eb, 96)
    a.bass(bass, 30, 8, style="ballad", vel=84)
    a.drums(drums, 30, 8, style="ballad_full", vel=80)
    a.arpeggio(harp, 30, 8, center=74, vel=58, step=0.5, pattern=(0, 2, 4, 5))

    a.section("bridge", 38, 4)
    a.prog(38, "vi | IV | ii", key=eb)
    a.prog(41, "V7", key=e)
    a.melody(lead, LOVE_BRIDGE, bar=38, base=60, vel=94, legato=0.97, expressive=True)
    a.arpeggio(piano, 38, 4, center=62, vel=66)
    a.pad(strings, 38, 4, center=62, vel=66)
    a.swell(strings, 38, 4, 70, 127)
    a.bass(bass, 38, 4, style="whole", vel=80)
    a.drums(drums, 38, 4, style="ballad", vel=78, crash=False)

    chorus(42, e, 100)
    a.melody(cello, _t("love"), bar=42, key=e, base=48, vel=78, legato=0.97)
    a.pad(warm, 42, 8, center=60, vel=60)
    a.bass(bass, 42, 8, style="ballad", vel=88)
    a.drums(drums, 42, 8, style="ballad_full", vel=88)

    a.section("outro", 50, 2, key=e)
    a.prog(50, "IV | I", key=e)
    a.melody(lead, "1':2 6:2 5:4", bar=50, key=e, base=60, vel=84, legato=0.98, expressive=True)
    a.arpeggio(piano, 50, 1, center=64, vel=58)
    for p in (40, 52, 56, 59, 64, 68):  # final E major chord, left to ring
        piano.add(a.beat(51), 4.0, p, 60)
    a.pad(strings, 50, 2, center=62, vel=52)
    a.swell(strings, 50, 2, 127, 60)
    a.bass(bass, 50, 2, style="whole", vel=70)
    return a.finish(52)


def love_minor(seed: int) -> Score:
    """Slow minor variation of the love theme: cello, then oboe, harp and strings."""
    a = Arranger(
        "A Letter Never Sent", bpm=60, key="C minor", seed=seed, tail=4.5, reverb=(2.6, 0.26)
    )
    cello = a.part("cello", 42, volume=127, pan=70)
    oboe = a.part("oboe", 68, volume=104, pan=52)
    harp = a.part("harp", 46, volume=104, pan=40)
    strings = a.part("strings", 49, volume=84, pan=80)
    cbass = a.part("contrabass", 43, volume=96, pan=72)

    a.section("intro", 0, 2)
    a.prog(0, "i | VI")
    a.arpeggio(harp, 0, 2, center=62, vel=66, pattern=(0, 1, 2, 3, 4, 3, 2, 1))

    a.section("theme (cello)", 2, 8)
    a.prog(2, LOVE_PROG_MINOR)
    a.melody(cello, _t("love"), bar=2, base=48, vel=88, legato=0.98, theme="love")
    a.arpeggio(harp, 2, 8, center=62, vel=60, pattern=(0, 1, 2, 3, 4, 3, 2, 1))
    a.pad(strings, 4, 6, center=60, vel=46)
    a.bass(cbass, 2, 8, style="whole", base=31, vel=70)

    a.section("episode", 10, 4)
    a.prog(10, "VI | III | iv | V")
    a.melody(oboe, "3:2 2:2 5:4 4:2 3:2 ^7,:4", bar=10, base=72, vel=80, legato=0.97)
    a.pad(strings, 10, 4, center=62, vel=56)
    a.swell(strings, 10, 4, 70, 120)
    a.bass(cbass, 10, 4, style="whole", base=31, vel=74)
    a.arpeggio(harp, 10, 4, center=60, vel=56, pattern=(0, 2, 4, 2))

    a.section("theme (oboe)", 14, 8)
    a.prog(14, LOVE_PROG_MINOR)
    a.melody(oboe, _t("love"), bar=14, base=72, vel=90, legato=0.97, theme="love")
    a.bass(cello, 14, 8, style="half", base=43, vel=70)
    a.arpeggio(harp, 14, 8, center=62, vel=58, pattern=(0, 1, 2, 3, 4, 3, 2, 1))
    a.pad(strings, 14, 8, center=62, vel=58)
    a.bass(cbass, 14, 8, style="whole", base=31, vel=74)

    a.section("coda", 22, 4)
    a.prog(22, "iv | i | iv V | i")
    a.melody(cello, "6:2 5:2 3:4", bar=22, base=48, vel=80, legato=0.98)
    a.melody(
        cello, _t("love"), bar=24, base=48, vel=78, legato=0.98, theme="love", fragment=(24, 32)
    )
    a.pad(strings, 22, 4, center=60, vel=54)
    a.swell(strings, 23, 3, 110, 40)
    a.arpeggio(harp, 22, 3, center=60, vel=54, pattern=(0, 1, 2, 3, 4, 3, 2, 1))
    a.bass(cbass, 22, 4, style="whole", base=31, vel=66)
    return a.finish(26)


def action_theme(seed: int) -> Score:
    """Action cue in E minor with a driving ostinato; its bridge quotes the first two bars
    of the main title, in G major at 144 instead of 112 BPM."""
    a = Arranger(
        "Chase Across the River", bpm=144, key="E minor", seed=seed, tail=3.0, reverb=(1.6, 0.15)
    )
    g = Key.of("G major")
    strings = a.part("strings", 48, volume=114, pan=72)
    horns = a.part("french horns", 60, volume=100, pan=80)
    trumpet = a.part("trumpet", 56, volume=105, pan=56)
    brass = a.part("brass section", 61, volume=104, pan=66)
    trombone = a.part("trombone", 57, volume=78, pan=86)
    bass = a.part("bass", 33, volume=93, pan=64)
    timp = a.part("timpani", 47, volume=104, pan=70)
    drums = a.part("drums", 0, bank=128, drums=True, volume=108)

    a.prog(0, "i | VI VII | i | VI VII")
    a.section("intro", 0, 4)
    a.ostinato(strings, 0, 4, figure=(0, 0, 7, 0, 12, 0, 7, 3), base=52, vel=74)
    a.drums(drums, 2, 2, style="action", vel=90)
    for b in range(4):
        timp.add(a.beat(b), 1.0, 40, 100)

    def theme_a(bar: int, *, full: bool, lead_vel: int = 100) -> None:
        a.section("theme", bar, 8)
        a.prog(bar, ACTION_PROG)
        a.melody(horns, _t("action"), bar=bar, base=60, vel=lead_vel, theme="action", legato=0.85)
        a.ostinato(strings, bar, 8, figure=(0, 0, 7, 0, 12, 0, 7, 3), base=52, vel=76)
        a.bass(bass, bar, 8, style="root8", base=28, vel=92)
        a.drums(drums, bar, 8, style="action", vel=100)
        a.stabs(brass, bar, 8, hits=((1.5, 0.3), (3.5, 0.3)), center=58, vel=84)
        if full:
            a.melody(trumpet, _t("action"), bar=bar, base=72, vel=lead_vel - 6, legato=0.85)
            for b in range(bar, bar + 8):
                timp.add(a.beat(b), 1.0, 40, 104)

    theme_a(4, full=False)
    theme_a(12, full=True)

    a.section("breakdown", 20, 4)
    a.prog(20, "i | i | VI | V")
    a.drums(drums, 20, 4, style="toms", vel=96, crash=True)
    a.bass(bass, 20, 4, style="root8", base=28, vel=88)
    a.ostinato(strings, 20, 4, figure=(0, 1, 0, 1, 0, 3, 0, 1), base=40, vel=70)
    a.roll(timp, a.beat(23), 4, 40, 60, 112)

    a.section("bridge (main-title quote)", 24, 8)
    a.prog(24, "III | VII | VI | VII | III | VII | VI | V")
    a.melody(
        trumpet,
        _t("opening"),
        bar=24,
        key=g,
        base=72,
        vel=104,
        theme="opening",
        fragment=(0, 8),
        legato=0.9,
    )
    a.melody(trumpet, "5:1 4:.5 3:.5 1:2 2:2 7,:1 5,:1", bar=26, key=g, base=72, vel=98)
    a.melody(
        brass,
        _t("opening"),
        bar=28,
        key=g,
        base=72,
        vel=104,
        theme="opening",
        fragment=(0, 8),
        legato=0.9,
    )
    a.melody(strings, _t("opening"), bar=28, key=g, base=84, vel=90, fragment=(0, 8))
    a.melody(horns, "3:2 4:2 ^7:2 2':2", bar=30, base=60, vel=102)
    a.pad(trombone, 24, 8, center=52, vel=80, notes=3)
    a.bass(bass, 24, 8, style="root8", base=28, vel=90)
    a.drums(drums, 24, 8, style="rock", vel=98)
    a.ostinato(strings, 24, 4, figure=(0, 7, 12, 7), base=55, vel=66)

    theme_a(32, full=True, lead_vel=106)

    a.section("build", 40, 4)
    a.prog(40, "i | i | i | V")
    a.ostinato(strings, 40, 4, figure=(0, 0, 7, 0, 12, 0, 7, 3), base=52, vel=80)
    a.bass(bass, 40, 4, style="root8", base=28, vel=94)
    a.drums(drums, 40, 3, style="action", vel=100, fill=False)
    a.roll(drums, a.beat(43), 4, 38, 60, 120, rate=0.25)
    a.roll(timp, a.beat(43), 4, 40, 70, 120)
    a.swell(strings, 40, 4, 90, 127)

    theme_a(44, full=True, lead_vel=110)
    a.melody(trombone, _t("action"), bar=44, base=48, vel=96, legato=0.85)

    a.section("outro", 52, 4)
    a.prog(52, "i | VI VII | i | i")
    a.stabs(brass, 52, 2, hits=((0.0, 0.5), (1.5, 0.5), (3.0, 0.5)), center=60, vel=104)
    a.ostinato(strings, 52, 2, figure=(0, 0, 7, 0, 12, 0, 7, 3), base=52, vel=84)
    a.bass(bass, 52, 2, style="root8", base=28, vel=96)
    a.drums(drums, 52, 2, style="action", vel=104)
    a.stabs(brass, 54, 1, hits=((0.0, 2.0),), center=60, vel=118)
    a.stabs(strings, 54, 1, hits=((0.0, 2.0),), center=64, vel=110)
    bass.add(a.beat(54), 2.0, 28, 110)
    a.hit(drums, a.beat(54), ("crash", "kick", "tom_low"), vel=120)
    timp.add(a.beat(54), 2.0, 40, 120)
    return a.finish(56)


def ballad(seed: int) -> Score:
    """Heartbreak ballad (vocal, GM 54 "Synth Voice" lead), A minor, brushes from chorus 1."""
    a = Arranger("Still I Wait", bpm=66, key="A minor", seed=seed, tail=4.5, reverb=(2.4, 0.24))
    voice = a.part("voice (lead)", 54, volume=127, pan=64, vocal=True)
    piano = a.part("piano", 0, volume=110, pan=54)
    guitar = a.part("nylon guitar", 24, volume=70, pan=40)
    strings = a.part("strings", 49, volume=72, pan=80)
    cello = a.part("cello", 42, volume=90, pan=84)
    bass = a.part("fretless bass", 35, volume=74, pan=64)
    drums = a.part("brush kit", 40, bank=128, drums=True, volume=96)

    a.section("intro", 0, 4)
    a.prog(0, "i | VI | III | VII")
    a.arpeggio(piano, 0, 4, center=62, vel=62, pattern=(0, 1, 2, 3, 4, 3, 2, 1))

    def verse(bar: int) -> None:
        a.section("verse", bar, 8)
        a.prog(bar, BALLAD_VERSE_PROG)
        a.melody(voice, BALLAD_VERSE, bar=bar, base=64, vel=84, legato=0.97, expressive=True)

    def chorus(bar: int, vel: int) -> None:
        a.section("chorus", bar, 8)
        a.prog(bar, BALLAD_PROG)
        a.melody(
            voice,
            _t("ballad"),
            bar=bar,
            base=64,
            vel=vel,
            legato=0.97,
            expressive=True,
            theme="ballad",
        )
        a.arpeggio(piano, bar, 8, center=62, vel=64, pattern=(0, 1, 2, 3, 4, 3, 2, 1))
        a.pad(strings, bar, 8, center=60, vel=vel - 34)

    verse(4)
    a.arpeggio(piano, 4, 8, center=60, vel=58, pattern=(0, 1, 2, 3, 4, 3, 2, 1))
    a.bass(bass, 4, 8, style="whole", vel=70)
    chorus(12, 90)
    a.bass(bass, 12, 8, style="ballad", vel=78)
    a.drums(drums, 12, 8, style="ballad", vel=80, crash=False)

    verse(20)
    a.arpeggio(guitar, 20, 8, center=60, vel=70, step=0.5, pattern=(0, 2, 1, 3, 2, 4, 3, 1))
    a.pad(strings, 20, 8, center=57, vel=44)
    a.bass(bass, 20, 8, style="ballad", vel=76)
    a.drums(drums, 20, 8, style="ballad", vel=76, crash=False)
    chorus(28, 94)
    a.arpeggio(guitar, 28, 8, center=60, vel=62, step=1.0, pattern=(0, 2, 3, 1))
    a.bass(bass, 28, 8, style="ballad", vel=82)
    a.drums(drums, 28, 8, style="ballad_full", vel=84)

    chorus(36, 100)
    a.melody(cello, _t("ballad"), bar=36, base=52, vel=80, legato=0.97)
    a.swell(strings, 36, 4, 90, 127)
    a.bass(bass, 36, 8, style="ballad", vel=88)
    a.drums(drums, 36, 8, style="ballad_full", vel=92)

    a.section("outro", 44, 4)
    a.prog(44, "VI | VII | i | i")
    a.melody(voice, "3:4 2:4 1:4", bar=44, base=64, vel=80, legato=0.98, expressive=True)
    a.arpeggio(piano, 44, 4, center=62, vel=56, pattern=(0, 1, 2, 3, 4, 3, 2, 1))
    a.pad(strings, 44, 4, center=60, vel=50)
    a.swell(strings, 45, 3, 120, 40)
    a.bass(bass, 44, 3, style="whole", vel=70)
    return a.finish(48)


def anthem(seed: int) -> Score:
    """Upbeat anthem: overdrive power chords, four-on-the-floor chorus, trumpet hook."""
    a = Arranger("Run to the Sun", bpm=128, key="A major", seed=seed, tail=3.0, reverb=(1.3, 0.13))
    gtr = a.part("overdrive guitar", 29, volume=75, pan=34)
    acoustic = a.part("steel guitar", 25, volume=75, pan=90)
    sax = a.part("alto sax", 65, volume=106, pan=60)
    trumpet = a.part("trumpet", 56, volume=112, pan=64)
    strings = a.part("strings", 48, volume=92, pan=76)
    brass = a.part("brass section", 61, volume=90, pan=70)
    bass = a.part("pick bass", 34, volume=95, pan=64)
    drums = a.part("drums", 0, bank=128, drums=True, volume=116)
    strum = ((0.0, 0.9), (1.0, 0.4), (1.5, 0.9), (2.5, 0.4), (3.0, 0.4), (3.5, 0.45))

    a.section("intro", 0, 4)
    a.prog(0, "I | V | vi | IV")
    a.power(gtr, 0, 4, vel=86)
    a.melody(sax, ANTHEM_RIFF, bar=0, base=67, vel=92, legato=0.85)
    a.drums(drums, 0, 4, style="rock", vel=100)
    a.bass(bass, 0, 4, style="root8", base=33, vel=92)

    def verse(bar: int) -> None:
        a.section("verse", bar, 8)
        a.prog(bar, "I | V | vi | IV | I | V | vi | IV")
        a.melody(sax, ANTHEM_VERSE, bar=bar, base=67, vel=94, legato=0.85)
        a.stabs(acoustic, bar, 8, hits=strum, center=60, vel=78)
        a.bass(bass, bar, 8, style="root8", base=33, vel=88)
        a.drums(drums, bar, 8, style="pop", vel=96)

    def pre(bar: int) -> None:
        a.section("pre-chorus", bar, 4)
        a.prog(bar, "ii | IV | IV | V")
        a.melody(sax, ANTHEM_PRE, bar=bar, base=67, vel=98, legato=0.9)
        a.pad(strings, bar, 4, center=62, vel=70)
        a.swell(strings, bar, 4, 70, 127)
        a.power(gtr, bar, 4, rhythm=((0.0, 1.9), (2.0, 1.9)), vel=84)
        a.bass(bass, bar, 4, style="root8", base=33, vel=90)
        a.drums(drums, bar, 4, style="pop", vel=98, crash=False)

    def chorus(bar: int, vel: int) -> None:
        a.section("chorus", bar, 8)
        a.prog(bar, ANTHEM_PROG)
        a.melody(trumpet, _t("anthem"), bar=bar, base=67, vel=vel, theme="anthem", legato=0.9)
        a.melody(strings, _t("anthem"), bar=bar, base=79, vel=vel - 12, legato=0.95)
        a.power(gtr, bar, 8, vel=92)
        a.stabs(brass, bar, 8, hits=((1.5, 0.4), (3.5, 0.4)), center=62, vel=vel - 14)
        a.bass(bass, bar, 8, style="root8", base=33, vel=96)
        a.drums(drums, bar, 8, style="rock", vel=106)

    verse(4)
    pre(12)
    chorus(16, 100)
    a.section("instrumental", 24, 4)
    a.prog(24, "I | V | vi | IV")
    a.melody(sax, ANTHEM_RIFF, bar=24, base=67, vel=96, legato=0.85)
    a.power(gtr, 24, 4, vel=90)
    a.bass(bass, 24, 4, style="root8", base=33, vel=92)
    a.drums(drums, 24, 4, style="rock", vel=102)
    verse(28)
    pre(36)
    chorus(40, 104)
    chorus(48, 110)
    a.melody(brass, _t("anthem"), bar=48, base=55, vel=96, legato=0.9)

    a.section("outro", 56, 4)
    a.prog(56, "I | V | IV | I")
    a.melody(trumpet, "5:1 5:.5 6:.5 5:1 3:1 2:2 7,:2 1:4", bar=56, base=67, vel=104)
    a.power(gtr, 56, 3, vel=94)
    a.bass(bass, 56, 3, style="root8", base=33, vel=96)
    a.drums(drums, 56, 3, style="rock", vel=106)
    a.stabs(brass, 59, 1, hits=((0.0, 2.0),), center=62, vel=110)
    a.power(gtr, 59, 1, rhythm=((0.0, 2.5),), vel=104)
    bass.add(a.beat(59), 2.5, 33, 110)
    a.hit(drums, a.beat(59), ("crash", "kick"), vel=118)
    return a.finish(60)


def suspense(seed: int) -> Score:
    """Suspense cue: contrabass pedal, tremolo strings, a pizzicato semitone motif that
    builds over a heartbeat pulse to a brass peak, then a held cluster."""
    a = Arranger(
        "Footsteps in the Hall", bpm=84, key="F minor", seed=seed, tail=4.0, reverb=(2.8, 0.28)
    )
    ab_minor = a.key.transposed(3)
    cbass = a.part("contrabass", 43, volume=104, pan=70)
    trem = a.part("tremolo strings", 44, volume=103, pan=80)
    pizz = a.part("pizzicato strings", 45, volume=112, pan=46)
    piano = a.part("piano (low)", 0, volume=127, pan=56)
    celesta = a.part("celesta", 8, volume=127, pan=30)
    timp = a.part("timpani", 47, volume=100, pan=70)
    trombone = a.part("trombones", 57, volume=90, pan=84)
    sweep = a.part("sweep pad", 95, volume=58, pan=64)
    drums = a.part("drums", 0, bank=128, drums=True, volume=104)

    a.prog(0, "i | i | bII | i | i | i | bII | i")
    a.prog(8, "i | i | bII | i | i | i | bII | i")
    a.prog(16, "i | bII | i | bII | iv | bII | V | V")
    a.prog(24, "i | bII | i | bII | i | bII | i | i")

    a.section("stillness", 0, 8)
    a.bass(cbass, 0, 8, style="whole", base=29, vel=70)
    a.pad(trem, 0, 8, center=56, vel=44, notes=3)
    a.swell(trem, 0, 8, 50, 100)
    a.pad(sweep, 0, 8, center=60, vel=50, notes=3)
    for bar in (2, 4, 6):
        a.melody(pizz, _t("suspense"), bar=bar, base=48, vel=74, theme="suspense", legato=0.6)

    a.section("heartbeat", 8, 8)
    a.bass(cbass, 8, 8, style="whole", base=29, vel=76)
    a.pad(trem, 8, 8, center=57, vel=52, notes=3)
    a.drums(drums, 8, 8, style="heartbeat", vel=96, fill=False, crash=False)
    for bar in (8, 10, 12, 14):
        a.melody(pizz, _t("suspense"), bar=bar, base=48, vel=82, theme="suspense", legato=0.6)
    for i, bar in enumerate(range(9, 16, 2)):
        celesta.add(a.beat(bar) + 1.5, 1.5, 84 + (i % 2), 60)
        celesta.add(a.beat(bar) + 3.0, 1.0, 77, 54)

    a.section("build", 16, 8)
    a.bass(cbass, 16, 8, style="half", base=29, vel=84)
    a.pad(trem, 16, 8, center=60, vel=64, notes=4)
    a.swell(trem, 16, 8, 70, 127)
    a.drums(drums, 16, 8, style="pulse", vel=96, fill=False, crash=False)
    for bar in (16, 18, 20, 22):
        a.melody(
            pizz,
            _t("suspense"),
            bar=bar,
            key=ab_minor,
            base=48,
            vel=88,
            theme="suspense",
            legato=0.6,
        )
        a.melody(piano, _t("suspense"), bar=bar, key=ab_minor, base=36, vel=80, legato=0.6)
    for bar in range(16, 24):
        timp.add(a.beat(bar), 1.0, 41, 70 + 4 * (bar - 16))

    a.section("peak", 24, 6)
    a.bass(cbass, 24, 6, style="root8", base=29, vel=96)
    a.pad(trem, 24, 6, center=62, vel=84, notes=4)
    a.drums(drums, 24, 6, style="toms", vel=104, crash=True)
    for bar in (24, 26, 28):
        a.melody(trombone, _t("suspense"), bar=bar, base=48, vel=104, theme="suspense", legato=0.7)
        a.melody(pizz, _t("suspense"), bar=bar, base=60, vel=96, legato=0.6)
    for bar in range(24, 30):
        timp.add(a.beat(bar), 1.0, 41, 112)
        timp.add(a.beat(bar) + 2, 1.0, 41, 100)

    a.section("aftermath", 30, 2)
    for p in (53, 54, 56, 60, 61):
        trem.add(a.beat(30), 7.5, p, 70)
    a.swell(trem, 30, 2, 110, 20)
    cbass.add(a.beat(30), 7.5, 29, 80)
    a.hit(drums, a.beat(30), ("crash", "kick"), vel=110)
    return a.finish(32)


def morning(seed: int) -> Score:
    """Calm solo piano in 3/4 (F major): A - A (octave up) - B - A - coda."""
    a = Arranger(
        "Morning Window", bpm=76, key="F major", seed=seed, meter=3, tail=4.5, reverb=(2.0, 0.24)
    )
    right = a.part("piano (right hand)", 0, volume=127, pan=70)
    left = a.part("piano (left hand)", 0, volume=90, pan=56)
    pad = a.part("warm pad", 89, volume=60, pan=64)
    lh = (0, 1, 2, 1, 3, 1)

    a.section("intro", 0, 2)
    a.prog(0, "I | I")
    a.arpeggio(left, 0, 2, center=54, vel=58, pattern=lh, ring=2.5)

    def a_section(bar: int, base: int, vel: int, name: str) -> None:
        a.section(name, bar, 8)
        a.prog(bar, MORNING_PROG)
        a.melody(right, _t("morning"), bar=bar, base=base, vel=vel, theme="morning", legato=1.0)
        a.arpeggio(left, bar, 8, center=54, vel=vel - 26, pattern=lh, ring=2.5)

    a_section(2, 64, 80, "A")
    a_section(10, 76, 78, "A (octave up)")
    a.section("B", 18, 8)
    a.prog(18, MORNING_B_PROG)
    a.melody(right, MORNING_B, bar=18, base=64, vel=82, legato=1.0)
    a.arpeggio(left, 18, 8, center=54, vel=56, pattern=lh, ring=2.5)
    a.pad(pad, 18, 8, center=60, vel=40, notes=3)
    a_section(26, 64, 76, "A")
    a.section("coda", 34, 6)
    a.prog(34, "IV | iv | I | V | I | I")
    a.melody(right, "6:3 b6:3 5:3 2:1.5 7,:1.5 1:3", bar=34, base=64, vel=70, legato=1.0)
    a.arpeggio(left, 34, 5, center=54, vel=50, pattern=lh, ring=2.5)
    for p in (41, 48, 53, 57, 60, 65):
        left.add(a.beat(39), 3.0, p, 48)
    return a.finish(40)


def paper_boats(seed: int) -> Score:
    """Distractor: same key (D major) and instruments as the main title, new melody."""
    a = Arranger("Paper Boats", bpm=100, key="D major", seed=seed, tail=3.0, reverb=(1.6, 0.18))
    piano = a.part("piano", 0, volume=127, pan=54)
    pad = a.part("strings pad", 49, volume=84, pan=76)
    flute = a.part("flute", 73, volume=110, pan=60)
    violin = a.part("violin", 40, volume=127, pan=50)
    pizz = a.part("pizzicato strings", 45, volume=93, pan=40)
    bass = a.part("bass", 33, volume=92, pan=64)
    drums = a.part("drums", 0, bank=128, drums=True, volume=113)

    a.section("intro", 0, 4)
    a.prog(0, "I | IV | I | V")
    a.stabs(
        pizz, 0, 4, hits=((0.5, 0.25), (1.5, 0.25), (2.5, 0.25), (3.5, 0.25)), center=66, vel=74
    )
    a.bass(bass, 0, 4, style="half", vel=76)
    a.drums(drums, 2, 2, style="pop_light", vel=80, crash=False)

    prog_a = "I | IV | I | V | vi | IV | V | I"
    a.prog(4, prog_a)
    tune = a.improvise(8, bar=4, base=72)
    for bar, part, vel in ((4, flute, 88), (12, violin, 90)):
        a.section("A", bar, 8)
        a.prog(bar, prog_a)
        a.melody(part, tune, bar=bar, vel=vel, theme="paper_boats", legato=0.8)
        a.arpeggio(piano, bar, 8, center=64, vel=62, pattern=(0, 2, 1, 3))
        a.stabs(pizz, bar, 8, hits=((0.5, 0.25), (2.5, 0.25)), center=66, vel=70)
        a.pad(pad, bar, 8, center=60, vel=46)
        a.bass(bass, bar, 8, style="half", vel=84)
        a.drums(drums, bar, 8, style="pop", vel=90)

    a.section("B", 20, 8)
    a.prog(20, "IV | V | iii | vi | ii | V | I | V")
    a.melody(flute, a.improvise(8, bar=20, base=72), bar=20, vel=88, legato=0.8)
    a.arpeggio(piano, 20, 8, center=62, vel=62, pattern=(0, 2, 1, 3))
    a.pad(pad, 20, 8, center=62, vel=54)
    a.bass(bass, 20, 8, style="walk", vel=84)
    a.drums(drums, 20, 8, style="pop_light", vel=86)

    a.section("A", 28, 8)
    a.prog(28, prog_a)
    a.melody(flute, tune, bar=28, vel=92, theme="paper_boats", legato=0.8)
    a.melody(violin, [(s, d, p - 12) for s, d, p in tune], bar=28, vel=80, legato=0.8)
    a.arpeggio(piano, 28, 8, center=64, vel=66, pattern=(0, 2, 1, 3))
    a.pad(pad, 28, 8, center=60, vel=54)
    a.bass(bass, 28, 8, style="half", vel=86)
    a.drums(drums, 28, 8, style="pop", vel=94)

    a.section("outro", 36, 4)
    a.prog(36, "IV | V | I | I")
    a.stabs(
        pizz, 36, 3, hits=((0.0, 0.25), (1.0, 0.25), (2.0, 0.25), (3.0, 0.25)), center=66, vel=76
    )
    a.pad(pad, 36, 4, center=62, vel=52)
    a.bass(bass, 36, 3, style="half", vel=80)
    a.drums(drums, 36, 2, style="pop_light", vel=84, crash=False)
    a.hit(drums, a.beat(38), ("crash", "kick"), vel=96)
    return a.finish(40)


def quiet_streets(seed: int) -> Score:
    """Distractor: same key (Eb major) and instruments as the love theme, new melody."""
    a = Arranger("Quiet Streets", bpm=76, key="Eb major", seed=seed, tail=4.0, reverb=(2.2, 0.22))
    piano = a.part("piano", 0, volume=127, pan=58)
    strings = a.part("strings", 49, volume=62, pan=78)
    harp = a.part("harp", 46, volume=70, pan=40)
    bass = a.part("fretless bass", 35, volume=63, pan=64)

    a.section("intro", 0, 2)
    a.prog(0, "I | IV")
    a.arpeggio(harp, 0, 2, center=63, vel=64)
    prog_a = "I | iii | IV | V | I | iii | IV V | I"
    a.prog(2, prog_a)
    tune = a.improvise(8, bar=2, base=72)
    for bar in (2, 18):
        a.section("A", bar, 8)
        a.prog(bar, prog_a)
        a.melody(piano, tune, bar=bar, vel=82, theme="quiet_streets", legato=0.95)
        a.arpeggio(harp, bar, 8, center=60, vel=56, pattern=(0, 1, 2, 3))
        a.pad(strings, bar, 8, center=58, vel=48)
        a.bass(bass, bar, 8, style="whole", vel=74)
    a.section("B", 10, 8)
    a.prog(10, "vi | IV | I | V | vi | ii | IV | V")
    a.melody(piano, a.improvise(8, bar=10, base=72), bar=10, vel=80, legato=0.95)
    a.arpeggio(harp, 10, 8, center=62, vel=56, pattern=(0, 2, 1, 3))
    a.pad(strings, 10, 8, center=60, vel=56)
    a.swell(strings, 10, 8, 80, 120)
    a.bass(bass, 10, 8, style="ballad", vel=76)
    a.section("outro", 26, 4)
    a.prog(26, "IV | I | IV | I")
    a.arpeggio(piano, 26, 4, center=62, vel=58)
    a.pad(strings, 26, 4, center=60, vel=48)
    a.swell(strings, 27, 3, 110, 40)
    a.bass(bass, 26, 4, style="whole", vel=68)
    return a.finish(30)


def jazz_radio(seed: int) -> Score:
    """Foreign (not on the album) music: a swing combo heard on a radio in episode 1."""
    a = Arranger(
        "Late Night Combo", bpm=120, key="Bb major", seed=seed, tail=2.0, reverb=(1.0, 0.12)
    )
    rhodes = a.part("electric piano", 4, volume=115, pan=50)
    sax = a.part("tenor sax", 66, volume=112, pan=70)
    bass = a.part("acoustic bass", 32, volume=85, pan=64)
    drums = a.part("drums", 0, bank=128, drums=True, volume=127)
    prog = "ii7 | V7 | Imaj7 | vi7 | ii7 | V7 | Imaj7 | Imaj7"
    swing = [
        [0.667, 0.333, 0.667, 0.333, 2],
        [1, 0.667, 0.333, 1, 1],
        [0.667, 0.333, 1, 2],
        [1.667, 0.333, 0.667, 0.333, 1],
    ]
    for bar in (0, 8, 16):
        a.section("chorus", bar, 8)
        a.prog(bar, prog)
        a.melody(sax, a.improvise(8, bar=bar, base=60, rhythms=swing), bar=bar, vel=84, legato=0.9)
        a.stabs(rhodes, bar, 8, hits=((0.0, 0.6), (1.667, 0.3), (3.0, 0.6)), center=62, vel=62)
        a.bass(bass, bar, 8, style="walk", base=31, vel=88)
        a.drums(drums, bar, 8, style="swing", vel=112, fill=False, crash=False)
    return a.finish(24)


# --------------------------------------------------------------------------- the album
@dataclass(frozen=True)
class TrackSpec:
    """Album metadata of one track and the function that composes it."""

    number: int
    title: str
    artist: str
    composer: str
    role: str
    moods: tuple[str, ...]
    build: Callable[[int], Score]
    vocal: bool = False
    instrumental_of: str | None = None


_COMPOSER = "Elena Marsh"
_ORCH = "Rainlight Orchestra"
TRACKS: tuple[TrackSpec, ...] = (
    TrackSpec(
        1,
        "Letters to the Rain (Main Title)",
        _ORCH,
        _COMPOSER,
        "opening theme",
        ("hopeful", "nostalgic"),
        opening_theme,
    ),
    TrackSpec(
        2,
        "Where the Light Falls",
        "Yuna Vale",
        _COMPOSER,
        "love theme",
        ("romantic", "tear-jerker"),
        love_song,
        vocal=True,
    ),
    TrackSpec(
        3,
        "Run to the Sun",
        "The Paper Lanterns",
        "Jae Morrow",
        "anthem",
        ("triumphant", "hopeful"),
        anthem,
    ),
    TrackSpec(
        4,
        "Chase Across the River",
        _ORCH,
        _COMPOSER,
        "action theme",
        ("action", "tense"),
        action_theme,
    ),
    TrackSpec(5, "Footsteps in the Hall", _ORCH, _COMPOSER, "suspense cue", ("tense",), suspense),
    TrackSpec(
        6,
        "Still I Wait",
        "Daniel Oh",
        "Jae Morrow",
        "ballad",
        ("tear-jerker", "melancholic"),
        ballad,
        vocal=True,
    ),
    TrackSpec(
        7, "Morning Window", "Mira Castell", _COMPOSER, "score cue", ("calm", "nostalgic"), morning
    ),
    TrackSpec(
        8, "Paper Boats", _ORCH, "Tomas Lind", "distractor", ("playful", "hopeful"), paper_boats
    ),
    TrackSpec(
        9,
        "A Letter Never Sent",
        _ORCH,
        _COMPOSER,
        "score cue",
        ("melancholic", "tear-jerker"),
        love_minor,
    ),
    TrackSpec(
        10,
        "Quiet Streets",
        "Mira Castell",
        "Tomas Lind",
        "distractor",
        ("calm", "romantic"),
        quiet_streets,
    ),
    TrackSpec(
        11,
        "Where the Light Falls (Inst.)",
        _ORCH,
        _COMPOSER,
        "instrumental version",
        ("romantic", "tear-jerker"),
        lambda seed: love_song(seed, instrumental=True),
        instrumental_of="Where the Light Falls",
    ),
)
FOREIGN = TrackSpec(
    0, "Late Night Combo", "(radio)", "unknown", "foreign music", ("calm",), jazz_radio
)

# Each piece gets its own fixed seed offset: the vocal song and its instrumental version
# share one, so their accompaniment is identical note for note.
_SEED_OFFSET = {"Where the Light Falls (Inst.)": 2}


def build_track(spec: TrackSpec, seed: int) -> Score:
    """Compose one track deterministically from the demo seed."""
    offset = _SEED_OFFSET.get(spec.title, spec.number)
    return spec.build(seed * 1000 + offset)
