"""Decode any audio or video file to float32 samples with PyAV (FFmpeg inside its wheel).

Three entry points share one decoding loop:

- :func:`probe` reads the container header only (duration, rate, channels, codec).
- :func:`stream` yields fixed-size blocks, so a two-hour film never sits in memory whole.
- :func:`load` collects a (possibly time-limited) stream into one array.

Bad input raises :class:`heartsong.errors.AudioError` with the path and a human reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from heartsong.errors import AudioError, ParameterError

__all__ = ["AudioInfo", "load", "probe", "stream", "verify"]

# Decoded length below this fraction of the declared length means the file was cut short.
_TRUNCATION_RATIO = 0.9
# Peak below this (about -80 dBFS) counts as digital silence.
_SILENCE_PEAK = 1e-4


@dataclass(frozen=True)
class AudioInfo:
    """What the container header says about a file's first audio stream."""

    path: str
    duration: float  # seconds; 0.0 when the container does not declare it
    sample_rate: int
    channels: int
    codec: str
    container: str
    has_video: bool
    bit_rate: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AudioError(path, "file not found")
    if path.is_dir():
        raise AudioError(path, "is a directory, not a file")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")


def _open(path: Path) -> av.container.InputContainer:
    _check_file(path)
    try:
        container = av.open(str(path), mode="r")
    except av.error.FileNotFoundError as exc:
        raise AudioError(path, "file not found") from exc
    except PermissionError as exc:
        raise AudioError(path, "permission denied") from exc
    except (av.error.InvalidDataError, av.error.EOFError) as exc:
        raise AudioError(path, "not an audio or video file FFmpeg can read") from exc
    except av.error.FFmpegError as exc:
        raise AudioError(path, f"cannot open: {exc.strerror or exc}") from exc
    if not container.streams.audio:
        has_video = bool(container.streams.video)
        container.close()
        if has_video:
            raise AudioError(path, "video file has no audio stream")
        raise AudioError(path, "no audio stream")
    return container


def _declared_duration(container: Any, stream: Any) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / av.time_base
    return 0.0


def probe(path: str | Path) -> AudioInfo:
    """Read a file's header: duration, sample rate, channels, codec.

    Parameters
    ----------
    path : str or Path
        Any file FFmpeg can open with at least one audio stream.

    Returns
    -------
    AudioInfo

    Raises
    ------
    AudioError
        Missing, empty, unreadable, or without an audio stream.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from heartsong.audio import write, probe
    >>> p = os.path.join(tempfile.mkdtemp(), "a.wav")
    >>> _ = write(p, np.zeros(22050, dtype=np.float32) + 0.1, sr=22050)
    >>> round(probe(p).duration, 2)
    1.0
    """
    p = Path(path)
    container = _open(p)
    try:
        st = container.streams.audio[0]
        ctx = st.codec_context
        return AudioInfo(
            path=str(p),
            duration=_declared_duration(container, st),
            sample_rate=int(ctx.sample_rate or st.rate or 0),
            channels=int(ctx.channels or 0),
            codec=str(ctx.name),
            container=str(container.format.name),
            has_video=bool(container.streams.video),
            bit_rate=int(ctx.bit_rate) if ctx.bit_rate else None,
        )
    finally:
        container.close()


def _validate(sr: int | None, offset: float, duration: float | None, block: float) -> None:
    if sr is not None and (not isinstance(sr, int | np.integer) or sr <= 0):
        raise ParameterError("sr", f"must be a positive integer or None, got {sr!r}")
    if not math.isfinite(offset) or offset < 0:
        raise ParameterError("offset", f"must be a finite number >= 0, got {offset!r}")
    if duration is not None and (not math.isfinite(duration) or duration <= 0):
        raise ParameterError("duration", f"must be a finite number > 0 or None, got {duration!r}")
    if not math.isfinite(block) or block <= 0:
        raise ParameterError("block_seconds", f"must be > 0, got {block!r}")


def stream(
    path: str | Path,
    *,
    sr: int | None = 22050,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    block_seconds: float = 30.0,
) -> Iterator[np.ndarray]:
    """Decode a file block by block, resampled and optionally mixed down.

    Parameters
    ----------
    path : str or Path
        Audio file, or video file whose first audio stream is decoded.
    sr : int or None
        Output sample rate; ``None`` keeps the file's own rate.
    mono : bool
        Mix all channels down to one.
    offset : float
        Start this many seconds into the file. Seeks, so earlier audio is not decoded.
    duration : float or None
        Stop after this many seconds; ``None`` reads to the end.
    block_seconds : float
        Length of each yielded block (the last one may be shorter).

    Yields
    ------
    np.ndarray
        float32, shape ``(n,)`` when ``mono`` else ``(channels, n)``.

    Raises
    ------
    AudioError
        Unreadable input, or data corrupt beyond what FFmpeg can skip.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from heartsong.audio import write, stream
    >>> p = os.path.join(tempfile.mkdtemp(), "a.flac")
    >>> _ = write(p, np.full(44100, 0.2, dtype=np.float32), sr=22050)
    >>> [b.shape for b in stream(p, sr=22050, block_seconds=1.0)]
    [(22050,), (22050,)]
    """
    _validate(sr, offset, duration, block_seconds)
    p = Path(path)
    container = _open(p)
    try:
        yield from _decode_blocks(p, container, sr, mono, offset, duration, block_seconds)
    finally:
        container.close()


def _decode_blocks(
    path: Path,
    container: Any,
    sr: int | None,
    mono: bool,
    offset: float,
    duration: float | None,
    block_seconds: float,
) -> Iterator[np.ndarray]:
    st = container.streams.audio[0]
    st.thread_type = "AUTO"
    out_rate = int(sr or st.codec_context.sample_rate or st.rate)
    layout = "mono" if mono else None
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=out_rate)
    block = max(1, int(round(block_seconds * out_rate)))
    # Samples still to skip (after a seek lands early) and still to emit.
    skip = 0
    remaining = None if duration is None else int(round(duration * out_rate))
    if offset > 0:
        try:
            container.seek(int(offset / float(st.time_base)), stream=st, backward=True)
        except av.error.FFmpegError as exc:
            # A truncated or damaged file can refuse the seek outright (FLAC: EPERM).
            raise AudioError(path, f"cannot seek to {offset:.1f} s: {exc.strerror or exc}") from exc
    first = True
    fifo = av.AudioFifo()
    pending: list[np.ndarray] = []
    npending = 0

    def frames() -> Iterator[Any]:
        try:
            for packet in container.demux(st):
                yield from packet.decode()
        except av.error.InvalidDataError as exc:
            raise AudioError(path, f"corrupt audio data: {exc.strerror or exc}") from exc
        except av.error.FFmpegError as exc:
            raise AudioError(path, f"decoding failed: {exc.strerror or exc}") from exc

    def chunks() -> Iterator[np.ndarray]:
        nonlocal first, skip
        for frame in frames():
            if first:
                first = False
                if offset > 0:
                    start = float(frame.pts * st.time_base) if frame.pts is not None else 0.0
                    skip = max(0, int(round((offset - start) * out_rate)))
            # Frames are gathered into ~16k-sample blocks before resampling: one resampler
            # call per codec frame (1024 samples) cost more than decoding itself.
            frame.pts = None  # the FIFO checks timestamps; positions come from counts
            try:
                fifo.write(frame)
            except ValueError:  # the stream changed format or rate mid-file
                yield from flush()
                fifo.write(frame)
            if fifo.samples >= 16384:
                yield from flush(keep_fifo=True)
        yield from flush()
        for rf in resampler.resample(None):
            yield rf.to_ndarray()

    def flush(keep_fifo: bool = False) -> Iterator[np.ndarray]:
        nonlocal fifo
        if fifo.samples:
            for rf in resampler.resample(fifo.read()):
                yield rf.to_ndarray()
        if not keep_fifo:
            fifo = av.AudioFifo()

    for arr in chunks():
        if skip:
            cut = min(skip, arr.shape[1])
            arr = arr[:, cut:]
            skip -= cut
        if remaining is not None:
            arr = arr[:, :remaining]
            remaining -= arr.shape[1]
        if arr.shape[1]:
            pending.append(arr)
            npending += arr.shape[1]
        while npending >= block:
            buf = np.concatenate(pending, axis=1)
            yield _shape(buf[:, :block], mono)
            rest = buf[:, block:]
            pending = [rest] if rest.shape[1] else []
            npending = rest.shape[1]
        if remaining is not None and remaining <= 0:
            break
    if npending:
        yield _shape(np.concatenate(pending, axis=1), mono)


def _shape(arr: np.ndarray, mono: bool) -> np.ndarray:
    out = np.ascontiguousarray(arr, dtype=np.float32)
    return out[0] if mono else out


def load(
    path: str | Path,
    *,
    sr: int | None = 22050,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    allow_silence: bool = True,
) -> tuple[np.ndarray, int]:
    """Decode a file (or a time range of it) into one array.

    Parameters
    ----------
    path : str or Path
        Audio file, or video file whose first audio stream is decoded.
    sr : int or None
        Output sample rate; ``None`` keeps the file's own rate.
    mono : bool
        Mix all channels down to one.
    offset, duration : float
        Time range in seconds; only that range is decoded (the file is seeked).
    allow_silence : bool
        When False, a file whose decoded range is all digital silence raises.

    Returns
    -------
    y : np.ndarray
        float32, ``(n,)`` or ``(channels, n)``.
    sr : int
        The sample rate of ``y``.

    Raises
    ------
    AudioError
        Missing, empty, not audio, no audio stream, corrupt, truncated
        (decoded less than 90% of the declared length), or silent when
        ``allow_silence`` is False.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from heartsong.audio import write, load
    >>> p = os.path.join(tempfile.mkdtemp(), "a.ogg")
    >>> t = np.arange(3 * 44100) / 44100
    >>> _ = write(p, 0.3 * np.sin(2 * np.pi * 440 * t).astype(np.float32), sr=44100)
    >>> y, rate = load(p, sr=22050, offset=1.0, duration=1.0)
    >>> y.shape, rate
    ((22050,), 22050)
    """
    p = Path(path)
    blocks = list(stream(p, sr=sr, mono=mono, offset=offset, duration=duration, block_seconds=60.0))
    rate = int(sr) if sr is not None else probe(p).sample_rate
    if blocks:
        y = np.concatenate(blocks, axis=-1)
    else:
        y = np.zeros((0,) if mono else (1, 0), dtype=np.float32)
    if y.shape[-1] == 0:
        raise AudioError(p, "no audio could be decoded (corrupt or empty stream)")
    if offset == 0.0 and duration is None:
        declared = probe(p).duration
        got = y.shape[-1] / rate
        if declared > 1.0 and got < _TRUNCATION_RATIO * declared:
            raise AudioError(p, f"truncated: decoded {got:.1f} s of {declared:.1f} s declared")
    if not allow_silence and float(np.max(np.abs(y))) < _SILENCE_PEAK:
        raise AudioError(p, "all silence")
    return y, rate


def verify(path: str | Path) -> AudioInfo:
    """Check cheaply that a file decodes: its start, and its end when it declares a length.

    Decoding only a few seconds at each end catches unreadable, corrupt and
    truncated files without decoding a whole film.

    Returns
    -------
    AudioInfo
        The header information, once the checks pass.

    Raises
    ------
    AudioError
        With the reason the file cannot be used.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from heartsong.audio import write, verify
    >>> p = os.path.join(tempfile.mkdtemp(), "a.mp3")
    >>> _ = write(p, np.full(44100 * 20, 0.1, np.float32), sr=44100)
    >>> round(verify(p).duration)
    20
    """
    info = probe(path)
    head = sum(b.shape[-1] for b in stream(path, sr=8000, duration=2.0, block_seconds=2.0))
    if head == 0:
        raise AudioError(path, "no audio could be decoded (corrupt or empty stream)")
    if info.duration > 10.0:
        # A truncated file declares more than it holds: seeking near the end then finds nothing.
        try:
            tail = sum(
                b.shape[-1]
                for b in stream(path, sr=8000, offset=info.duration - 4.0, block_seconds=4.0)
            )
        except AudioError as exc:
            raise AudioError(path, f"truncated: the declared end ({info.duration:.1f} s) cannot "
                                   f"be reached ({exc.reason})") from exc
        if tail < 8000 * 0.5:
            raise AudioError(
                path, f"truncated: no audio near the declared end ({info.duration:.1f} s)"
            )
    return info
