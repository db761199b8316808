"""Read the tags a user's files carry, with mutagen (PyAV's metadata as a fallback)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import av
import mutagen

__all__ = ["Tags", "is_instrumental_title", "parse_episode_name", "read_tags"]

# "(Inst.)", "[Instrumental]", "- Instrumental Ver.", "(Off Vocal)", "(Karaoke)", "(MR)".
_INSTRUMENTAL = re.compile(
    r"[\(\[\-–—~]\s*(inst\.?|instrumental(\s+ver(sion|\.)?)?|off[\s\-]?vocal|karaoke|"
    r"backing\s+track|mr)\s*[\)\]~]?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Tags:
    """The subset of tags heartsong stores (``None`` when absent)."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    composer: str | None = None
    genre: str | None = None
    track_number: int | None = None
    disc_number: int | None = None


def is_instrumental_title(title: str) -> bool:
    """True for titles marked as an instrumental version.

    Examples
    --------
    >>> is_instrumental_title("Love Theme (Inst.)"), is_instrumental_title("Instrumental Love")
    (True, False)
    """
    return bool(_INSTRUMENTAL.search(title.strip()))


def _number(value: object) -> int | None:
    # "3/12" and "03" both mean 3.
    m = re.match(r"\s*(\d+)", str(value)) if value is not None else None
    return int(m.group(1)) if m else None


def _first(values: object) -> str | None:
    if values is None:
        return None
    if isinstance(values, list | tuple):
        values = values[0] if values else None
    text = str(values).strip() if values is not None else ""
    return text or None


def read_tags(path: str | Path) -> Tags:
    """Read title, artist, album, composer, numbers... from any supported file.

    Unreadable tags are not an error: a file without tags gets empty ``Tags``.
    """
    raw: dict[str, object] = {}
    try:
        f = mutagen.File(str(path), easy=True)
        if f is not None and f.tags is not None:
            raw = {k.lower(): v for k, v in f.tags.items()}
    except Exception:  # a broken tag block must not make the audio unusable
        raw = {}
    if not all(k in raw for k in ("title", "artist", "album", "composer")):
        # mutagen reads no Matroska/WebM tags and EasyMP4 has no composer; FFmpeg has both.
        try:
            with av.open(str(path)) as c:
                for k, v in c.metadata.items():
                    raw.setdefault(k.lower(), v)
        except Exception:  # no tags is not an error
            pass
    return Tags(
        title=_first(raw.get("title")),
        artist=_first(raw.get("artist")),
        album=_first(raw.get("album")),
        album_artist=_first(raw.get("albumartist") or raw.get("album_artist")),
        composer=_first(raw.get("composer")),
        genre=_first(raw.get("genre")),
        track_number=_number(_first(raw.get("tracknumber") or raw.get("track"))),
        disc_number=_number(_first(raw.get("discnumber") or raw.get("disc"))),
    )


_EPISODE_PATTERNS = [
    re.compile(r"s(?P<season>\d{1,2})[\s._-]*e(?P<number>\d{1,3})", re.IGNORECASE),
    re.compile(r"(?:^|[\s._-])(?:ep(?:isode)?|e)[\s._-]*(?P<number>\d{1,3})", re.IGNORECASE),
    re.compile(r"^(?P<number>\d{1,3})(?=[\s._-])"),
]


def parse_episode_name(stem: str) -> tuple[int | None, int | None, str]:
    """(season, number, title) from a file name such as ``"S01E03 - The Rain"``.

    Examples
    --------
    >>> parse_episode_name("Show.S01E03.The.Rain")
    (1, 3, 'The Rain')
    >>> parse_episode_name("Episode 2 - Goodbye")
    (None, 2, 'Goodbye')
    """
    for pat in _EPISODE_PATTERNS:
        m = pat.search(stem)
        if m:
            season = m.groupdict().get("season")
            rest = stem[m.end() :]
            title = re.sub(r"[._]+", " ", rest).strip(" -–—_.")
            return (int(season) if season else None, int(m.group("number")), title or stem)
    return None, None, stem
