"""The README is tested against the code: verbs, moods and roles it documents exist."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from heartsong.analysis.moods import MOODS
from heartsong.analysis.roles import ROLES
from heartsong.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def test_every_documented_verb_exists_and_every_verb_is_documented() -> None:
    block = README.split("## Command line", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    documented = {m.group(1) for m in re.finditer(r"^heartsong (\w+)", block, re.M)}
    assert documented == set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_mood_table_lists_exactly_the_moods() -> None:
    table = README.split("**Moods.**", 1)[1].split("**Roles.**", 1)[0]
    rows = re.findall(r"^\| ([a-z/-]+) \| ", table, re.M)
    assert tuple(r for r in rows if r != "mood") == MOODS


def test_every_role_is_named() -> None:
    text = " ".join(README.lower().split())
    for role in ROLES:
        assert role in text, role
