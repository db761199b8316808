"""Decoding and encoding: every file enters heartsong through here, decoded once."""

from heartsong.audio.decode import AudioInfo, load, probe, stream, verify
from heartsong.audio.encode import FORMATS, write

__all__ = ["FORMATS", "AudioInfo", "load", "probe", "stream", "verify", "write"]
