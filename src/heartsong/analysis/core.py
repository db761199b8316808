"""``analyze_signal`` and ``analyze_file``: one pass over the audio, every descriptor.

The audio is read once, block by block, at the file's own rate and channel layout:

* each block feeds the BS.1770 loudness meter (per channel, native rate: exact K-weighting);
* it is mixed to mono (LFE dropped) and resampled once to 22050 Hz (soxr, streaming);
* the mono stream feeds the shared :class:`~heartsong.analysis.features.FeatureExtractor`
  and the emotion model's 6 s windows (resampled again, in stream, to its 16 kHz).

Nothing else keeps the samples, so memory is the compact features (~50 MB per hour of
audio) whatever the length: a three-hour film analyses in bounded memory.

Refused input raises :class:`AnalysisError` (``analyze_signal``) or
:class:`~heartsong.errors.AudioError` (``analyze_file``) with one clear reason:
digital silence (peak below -80 dBFS) and anything shorter than 1 s.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np

from heartsong.analysis.emotion import (
    EmotionModelError,
    EmotionStream,
    VibenetModel,
    fuse_emotion,
    load_vibenet,
)
from heartsong.analysis.features import SR, FeatureExtractor, Features
from heartsong.analysis.loudness import LoudnessMeter
from heartsong.analysis.moods import MoodInputs, score_moods
from heartsong.analysis.result import ANALYSIS_VERSION, TrackAnalysis, rnd
from heartsong.analysis.rhythm import estimate_tempo, onset_frames, onset_rate
from heartsong.analysis.roles import RoleInputs, classify_role
from heartsong.analysis.structure import analyze_structure
from heartsong.analysis.tonal import estimate_key
from heartsong.errors import AudioError, HeartsongError, ParameterError

__all__ = [
    "MIN_DURATION",
    "AnalysisError",
    "analyze_file",
    "analyze_signal",
]

#: Shortest signal analysed, in seconds.
MIN_DURATION = 1.0
#: Peak below this (-80 dBFS) is digital silence.
SILENCE_PEAK = 1e-4
_MAX_CHANNELS = 16
_BLOCK = SR * 30

EmotionModelArg = Literal["auto"] | VibenetModel | None


class AnalysisError(HeartsongError):
    """A signal that cannot be analysed (silent, too short); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _resolve_model(emotion_model: Any, warnings: list[str]) -> VibenetModel | None:
    if emotion_model is None:
        return None
    if isinstance(emotion_model, VibenetModel):
        return emotion_model
    if emotion_model == "auto":
        try:
            return load_vibenet()
        except EmotionModelError as exc:
            warnings.append(f"emotion model unavailable ({exc}); musical evidence only")
            return None
    raise ParameterError("emotion_model", f'must be "auto", None or a VibenetModel, got '
                                          f"{emotion_model!r}")


def _downmix(block: np.ndarray) -> np.ndarray:
    ch = block.shape[0]
    if ch == 1:
        return block[0]
    if ch == 6:  # FL FR FC LFE BL BR: drop LFE
        return block[[0, 1, 2, 4, 5]].mean(axis=0)
    return block.mean(axis=0)


class _Pipeline:
    def __init__(self, sr: int, channels: int, model: VibenetModel | None) -> None:
        self.sr = sr
        self.channels = channels
        self.meter = LoudnessMeter(sr, channels=channels)
        self.fx = FeatureExtractor()
        self.emotion = EmotionStream(model, SR)
        self.n_in = 0
        self.peak = 0.0
        self._rs: Any = None
        if sr != SR:
            import soxr

            self._rs = soxr.ResampleStream(sr, SR, 1, dtype="float32")

    def push(self, block: np.ndarray, *, last: bool = False) -> None:
        block = np.asarray(block, dtype=np.float32)
        if block.shape[1]:
            if not np.isfinite(block).all():
                block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)
            self.peak = max(self.peak, float(np.max(np.abs(block))))
            self.meter.push(block)
        self.n_in += block.shape[1]
        mono = _downmix(block) if block.shape[1] else np.zeros(0, dtype=np.float32)
        if self._rs is not None:
            mono = self._rs.resample_chunk(mono, last=last)
        if mono.shape[0]:
            self.fx.push(mono)
            self.emotion.push(mono)

    def finish(self) -> tuple[Features, np.ndarray]:
        if self._rs is not None:
            self.push(np.zeros((self.channels, 0), dtype=np.float32), last=True)
        return self.fx.finish(), self.emotion.finish()


def _check_signal(duration: float, peak: float) -> None:
    if duration < MIN_DURATION:
        raise AnalysisError(
            f"too short to analyse: {duration:.2f} s (need at least {MIN_DURATION:.0f} s)"
        )
    if peak < SILENCE_PEAK:
        db = 20 * math.log10(peak) if peak > 0 else -math.inf
        raise AnalysisError(f"all silence (peak {db:.0f} dBFS, below -80 dBFS)")


def analyze_signal(
    y: np.ndarray,
    sr: int,
    *,
    title: str | None = None,
    emotion_model: EmotionModelArg = "auto",
) -> TrackAnalysis:
    """Analyse a signal in memory.

    Parameters
    ----------
    y : np.ndarray
        Samples in [-1, 1]: shape ``(n,)`` (mono) or ``(channels, n)``; 5.1 is taken in
        FFmpeg's order FL FR FC LFE BL BR.
    sr : int
        Sample rate of ``y`` in Hz (4000–384000).
    title : str, optional
        Track title: a cue for the role ("Love Theme", "(Instrumental)"...).
    emotion_model : "auto", None or VibenetModel
        ``"auto"`` loads vibenet's ONNX model when installed (else evidence only, with a
        warning); ``None`` skips the model.

    Returns
    -------
    TrackAnalysis

    Raises
    ------
    ParameterError
        Bad ``y`` or ``sr``.
    AnalysisError
        Silent or shorter than :data:`MIN_DURATION`.

    Examples
    --------
    >>> from heartsong.analysis import analyze_signal
    >>> from heartsong.analysis.synth import Piece, render
    >>> a = analyze_signal(render(Piece(tonic=9, mode="minor", bpm=100, bars=8)), 22050,
    ...                    emotion_model=None)
    >>> a.key.label, round(a.tempo.bpm)
    ('Am', 100)
    """
    if isinstance(sr, bool) or not isinstance(sr, int | np.integer) or not 4000 <= sr <= 384000:
        raise ParameterError("sr", f"must be an integer sample rate in 4000..384000, got {sr!r}")
    y = np.asarray(y)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.shape[0] < 1:
        raise ParameterError("y", f"must have shape (n,) or (channels, n), got {y.shape}")
    if y.shape[0] > _MAX_CHANNELS:
        raise ParameterError(
            "y", f"has {y.shape[0]} channels; expected (channels, n) with at most "
                 f"{_MAX_CHANNELS} channels (transpose an (n, channels) array)")
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError("y", f"must be floating point samples, got {y.dtype}")
    warnings: list[str] = []
    model = _resolve_model(emotion_model, warnings)
    duration = y.shape[1] / sr
    peak = float(np.max(np.abs(np.nan_to_num(y)))) if y.size else 0.0
    _check_signal(duration, peak)
    pipe = _Pipeline(int(sr), y.shape[0], model)
    block = max(1, int(sr) * 30)
    for i in range(0, y.shape[1], block):
        pipe.push(y[:, i : i + block])
    return _assemble(pipe, title=title, warnings=warnings)


def analyze_file(
    path: str | Path,
    *,
    title: str | None = None,
    emotion_model: EmotionModelArg = "auto",
) -> TrackAnalysis:
    """Decode a file once (streamed) and analyse it.

    Parameters
    ----------
    path : str or Path
        Any audio or video file :mod:`heartsong.audio` reads.
    title, emotion_model
        As for :func:`analyze_signal`.

    Raises
    ------
    AudioError
        Unreadable, silent, or shorter than :data:`MIN_DURATION`, with the reason.

    Examples
    --------
    >>> import os, tempfile
    >>> from heartsong.audio import write
    >>> from heartsong.analysis import analyze_file
    >>> from heartsong.analysis.synth import Piece, render
    >>> p = os.path.join(tempfile.mkdtemp(), "t.flac")
    >>> _ = write(p, render(Piece(bpm=120, bars=4)), sr=22050)
    >>> round(analyze_file(p, emotion_model=None).tempo.bpm)
    120
    """
    from heartsong.audio import stream

    p = Path(path)
    warnings: list[str] = []
    model = _resolve_model(emotion_model, warnings)
    pipe: _Pipeline | None = None
    from heartsong.audio import probe

    info = probe(p)
    rate = info.sample_rate
    for block in stream(p, sr=None, mono=False, block_seconds=30.0):
        block = np.atleast_2d(block)
        if pipe is None:
            if block.shape[0] > _MAX_CHANNELS:
                raise AudioError(p, f"{block.shape[0]} channels: at most {_MAX_CHANNELS} "
                                    "supported")
            pipe = _Pipeline(rate, block.shape[0], model)
        pipe.push(block)
    if pipe is None:
        raise AudioError(p, "no audio could be decoded (corrupt or empty stream)")
    try:
        _check_signal(pipe.n_in / rate, pipe.peak)
    except AnalysisError as exc:
        raise AudioError(p, exc.reason) from exc
    return _assemble(pipe, title=title, warnings=warnings)


def _assemble(pipe: _Pipeline, *, title: str | None, warnings: list[str]) -> TrackAnalysis:
    f, raw = pipe.finish()
    duration = pipe.n_in / pipe.sr
    if pipe.sr < 16000:
        warnings.append(f"sample rate {pipe.sr} Hz: nothing above {pipe.sr // 2} Hz, so "
                        "brightness and emotion are less reliable")
    onsets = onset_frames(f)  # once: tempo, emotion and moods all use them
    rate = onset_rate(f, frames=onsets)
    tempo = estimate_tempo(f, onset_rate=rate)
    key = estimate_key(f)
    loud = pipe.meter.result()
    structure = analyze_structure(f)
    emotion = fuse_emotion(f, tempo, key, raw, onsets)
    if tempo.confidence < 0.3:
        warnings.append(f"no clear pulse (tempo confidence {tempo.confidence:.2f})")
    if structure.hook is None:
        warnings.append("shorter than 15 s: no hook window")
    inten = np.asarray(structure.intensity.values, dtype=np.float64)
    third = max(1, inten.shape[0] // 3)
    w = f.rms.astype(np.float64) ** 2
    bright = float(np.sum(f.centroid * w) / max(float(w.sum()), 1e-12))
    model = emotion.model
    mi = MoodInputs(
        valence=emotion.valence,
        energy=emotion.energy,
        bpm=tempo.bpm,
        tempo_confidence=tempo.confidence,
        mode=key.mode,
        key_confidence=key.confidence,
        key_clarity=key.clarity,
        mode_margin=key.mode_margin,
        intensity_mean=float(inten.mean()),
        intensity_max=float(np.percentile(inten, 95)),
        intensity_rise=float(inten[-third:].mean() - inten[:third].mean()),
        n_builds=len(structure.builds),
        loudness_range=loud.range_lu,
        onset_rate=rate,
        acousticness=model.acousticness if model else None,
        instrumentalness=model.instrumentalness if model else None,
    )
    moods = score_moods(mi)
    role = classify_role(
        RoleInputs(
            energy=emotion.energy,
            valence=emotion.valence,
            duration=duration,
            moods={m.name: m.score for m in moods},
            title=title,
            instrumentalness=model.instrumentalness if model else None,
            bpm=tempo.bpm,
            tempo_confidence=tempo.confidence,
            mode=key.mode,
            key_clarity=key.clarity,
            intensity_mean=float(inten.mean()),
        )
    )
    return TrackAnalysis(
        version=ANALYSIS_VERSION,
        duration=rnd(duration, 3),
        sample_rate=int(pipe.sr),
        channels=int(pipe.channels),
        tempo=tempo,
        key=key,
        loudness=loud,
        structure=structure,
        emotion=emotion,
        moods=moods,
        role=role,
        brightness_hz=rnd(bright, 1),
        onset_rate=rnd(rate, 3),
        warnings=tuple(warnings),
    )
