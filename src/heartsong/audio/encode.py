"""Write float samples to any format heartsong reads (used by the demo and the tests).

The container and codec follow the file extension; video containers can carry a
small synthetic picture stream so that they exercise the "audio inside a video" path.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from heartsong.errors import AudioError, ParameterError

__all__ = ["FORMATS", "write"]

# extension -> (audio codec, container format, default bit rate, forced sample rate)
FORMATS: dict[str, tuple[str, str, int | None, int | None]] = {
    ".wav": ("pcm_s16le", "wav", None, None),
    ".flac": ("flac", "flac", None, None),
    ".mp3": ("libmp3lame", "mp3", 192_000, None),
    ".ogg": ("vorbis", "ogg", 160_000, None),
    ".opus": ("libopus", "ogg", 128_000, 48000),
    ".m4a": ("aac", "ipod", 160_000, None),
    ".aac": ("aac", "adts", 160_000, None),
    ".mp4": ("aac", "mp4", 160_000, None),
    ".mkv": ("aac", "matroska", 160_000, None),
    ".webm": ("libopus", "webm", 128_000, 48000),
}
_VIDEO_CODEC = {".mp4": "mpeg4", ".mkv": "mpeg4", ".webm": "libvpx"}


def write(
    path: str | Path,
    y: np.ndarray,
    *,
    sr: int,
    codec: str | None = None,
    bit_rate: int | None = None,
    tags: Mapping[str, str | int] | None = None,
    video: bool = False,
) -> Path:
    """Encode samples to ``path``; the extension picks container and codec.

    Parameters
    ----------
    path : str or Path
        Output file; its extension is one of :data:`FORMATS`.
    y : np.ndarray
        Samples in [-1, 1], shape ``(n,)`` or ``(channels, n)`` with 1 or 2 channels.
    sr : int
        Sample rate of ``y`` (resampled when the codec needs another, e.g. Opus).
    codec : str, optional
        Override the audio codec (e.g. ``"libmp3lame"``).
    bit_rate : int, optional
        Target bit rate for lossy codecs, in bit/s (e.g. ``64_000``).
    tags : mapping, optional
        Metadata (``title``, ``artist``, ``album``, ``track``, ``disc``, ``composer``...),
        written with each container's own conventions by FFmpeg.
    video : bool
        Add a small picture stream (mp4, mkv, webm only).

    Returns
    -------
    Path

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from heartsong.audio import write, probe
    >>> p = os.path.join(tempfile.mkdtemp(), "ep.mkv")
    >>> _ = write(p, np.zeros(22050, np.float32), sr=22050, video=True)
    >>> probe(p).has_video
    True
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in FORMATS:
        raise ParameterError("path", f"unsupported extension {ext!r}; use one of {sorted(FORMATS)}")
    if not isinstance(sr, int | np.integer) or sr <= 0:
        raise ParameterError("sr", f"must be a positive integer, got {sr!r}")
    data = np.asarray(y, dtype=np.float32)
    if data.ndim == 1:
        data = data[np.newaxis, :]
    if data.ndim != 2 or data.shape[0] not in (1, 2):
        raise ParameterError("y", f"must have shape (n,) or (1|2, n), got {np.shape(y)}")
    if video and ext not in _VIDEO_CODEC:
        raise ParameterError("video", f"a picture stream needs .mp4, .mkv or .webm, not {ext}")
    data = np.clip(data, -1.0, 1.0)
    acodec, fmt, default_rate, forced_sr = FORMATS[ext]
    out_sr = forced_sr or int(sr)
    if (codec or acodec) == "vorbis" and data.shape[0] == 1:
        # FFmpeg's own Vorbis encoder only writes stereo (there is no libvorbis in PyAV).
        data = np.repeat(data, 2, axis=0)
    layout = "mono" if data.shape[0] == 1 else "stereo"
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        # bitexact: no random container ids or encoder stamps, so same input = same bytes.
        with av.open(str(p), mode="w", format=fmt, options={"fflags": "+bitexact"}) as container:
            if tags:
                container.metadata.update({str(k): str(v) for k, v in tags.items()})
            ast: Any = container.add_stream(codec or acodec, rate=out_sr)
            ast.layout = layout
            opts = {"flags": "+bitexact"}
            if (codec or acodec) == "vorbis":
                opts["strict"] = "experimental"
            ast.codec_context.options = opts
            rate = bit_rate or default_rate
            if rate:
                ast.bit_rate = int(rate)
            vst: Any = None
            if video:
                vst = container.add_stream(_VIDEO_CODEC[ext], rate=2)
                vst.width, vst.height, vst.pix_fmt = 64, 36, "yuv420p"
                vst.codec_context.options = {"flags": "+bitexact"}
            _encode_audio(container, ast, data, int(sr), out_sr, layout)
            if vst is not None:
                _encode_video(container, vst, data.shape[1] / sr)
    except av.error.FFmpegError as exc:
        raise AudioError(p, f"cannot encode: {exc}") from exc
    return p


def _encode_audio(
    container: Any, st: Any, data: np.ndarray, sr: int, out_sr: int, layout: str
) -> None:
    ctx = st.codec_context
    fmt = ctx.format.name if ctx.format is not None else ctx.codec.audio_formats[0].name
    resampler = av.AudioResampler(format=fmt, layout=layout, rate=out_sr)
    fifo = av.AudioFifo()
    frame_size = ctx.frame_size or 4096
    pts = 0
    hop = 65536

    def drain(final: bool) -> None:
        nonlocal pts
        while fifo.samples >= frame_size or (final and fifo.samples > 0):
            frame = fifo.read(min(frame_size, fifo.samples) if final else frame_size)
            frame.pts = pts
            frame.time_base = Fraction(1, out_sr)
            pts += frame.samples
            for packet in st.encode(frame):
                container.mux(packet)

    for start in range(0, data.shape[1], hop):
        chunk = np.ascontiguousarray(data[:, start : start + hop])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate = sr
        frame.pts = None
        for rf in resampler.resample(frame):
            rf.pts = None
            fifo.write(rf)
        drain(False)
    for rf in resampler.resample(None):
        rf.pts = None
        fifo.write(rf)
    drain(True)
    for packet in st.encode(None):
        container.mux(packet)


def _encode_video(container: Any, st: Any, seconds: float) -> None:
    n = max(1, int(np.ceil(seconds * 2)))
    for i in range(n):
        # A slowly changing grey level: cheap to encode, still a real picture stream.
        level = int(40 + 30 * np.sin(i / 10.0))
        img = np.full((st.height, st.width, 3), level, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = i
        for packet in st.encode(frame):
            container.mux(packet)
    for packet in st.encode(None):
        container.mux(packet)
