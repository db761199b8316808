"""A deterministic demo soundtrack: a fictional drama's OST, its episodes and the truth.

The demo is heartsong's ground truth for every analysis: an album of 11 tracks (main
title, a vocal love theme and its instrumental version, a minor variation, an action cue
quoting the main title, a ballad, an anthem, a suspense cue, a piano piece and two
distractors) rendered through a General MIDI SoundFont, and three episodes mixing cues
with synthetic dialogue and sound effects. ``ground_truth.json`` says exactly what is
where: tempo, key, themes (with tempo ratio and transposition) and every cue.

Examples
--------
>>> from heartsong.demo import generate
>>> demo = generate("/tmp/heartsong-demo", seed=0)  # doctest: +SKIP
>>> demo.ground_truth["episodes"][0]["cues"][1]["track"]  # doctest: +SKIP
'Where the Light Falls (Inst.)'
"""

from heartsong.demo.build import GENERATOR_VERSION, DemoResult, generate, load_ground_truth
from heartsong.demo.render import find_soundfont
from heartsong.demo.run import DemoReport, run_demo

__all__ = [
    "GENERATOR_VERSION",
    "DemoReport",
    "DemoResult",
    "find_soundfont",
    "generate",
    "load_ground_truth",
    "run_demo",
]
