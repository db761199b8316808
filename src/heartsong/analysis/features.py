"""Shared frame features, computed once per track and streamed block by block.

Every descriptor reads the same compact matrices, so the audio is framed and
Fourier-transformed exactly twice (a 2048-point STFT for timbre and rhythm, an
8192-point STFT for pitch) and then dropped. Memory is what the features take
(~70 floats per 23 ms frame: about 45 MB per hour), so a three-hour film streams fine.

Frames are *centred* like librosa's (frame ``i`` is centred on sample ``i*hop``).

Examples
--------
>>> import numpy as np
>>> from heartsong.analysis.features import FeatureExtractor, SR
>>> fx = FeatureExtractor()
>>> fx.push(np.zeros(SR, dtype=np.float32))
>>> f = fx.finish()
>>> f.n_frames, f.mel_db.shape[0]
(44, 64)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import librosa
import numpy as np
import scipy.fft
from scipy.ndimage import minimum_filter1d

__all__ = ["CHROMA_HOP", "HOP", "N_FFT", "SR", "FeatureExtractor", "Features"]

#: Analysis sample rate of every shared feature.
SR = 22050
#: Hop (samples) of the timbre/rhythm frames: 23.2 ms.
HOP = 512
N_FFT = 2048
#: Pitch frames: 8192-point FFT (2.7 Hz bins) every 4 timbre frames.
CHROMA_N_FFT = 8192
CHROMA_HOP = 2048
N_MELS = 64
_FLOOR_DB = -100.0
#: Conventional key spelling (as in tags and the demo ground truth): Eb, Ab, Bb flats.
PITCH_CLASSES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@dataclass
class Features:
    """Frame-level features of one mono signal at :data:`SR`.

    Attributes
    ----------
    mel_db : (64, n) log-power mel spectrogram (dB re full scale power).
    rms : (n,) frame RMS (linear), window-free.
    centroid : (n,) spectral centroid in Hz.
    flatness : (n,) spectral flatness (0 tonal .. 1 noise-like), 100 Hz–8 kHz.
    onset_env : (n,) spectral flux of ``mel_db`` (half-wave rectified mean, dB).
    chroma : (12, m) pitch-class magnitude of sustained partials, 80 Hz–2 kHz,
        every :data:`CHROMA_HOP` samples.
    bass_chroma : (12, m) the same for 40–250 Hz.
    duration : seconds of signal.
    """

    mel_db: np.ndarray
    rms: np.ndarray
    centroid: np.ndarray
    flatness: np.ndarray
    onset_env: np.ndarray
    chroma: np.ndarray
    bass_chroma: np.ndarray
    duration: float
    sr: int = SR
    hop: int = HOP

    @property
    def n_frames(self) -> int:
        return int(self.rms.shape[0])

    @property
    def frame_rate(self) -> float:
        return self.sr / self.hop


class _Framer:
    """Centred framing of a stream: yields every complete frame once."""

    def __init__(self, n_fft: int, hop: int) -> None:
        self.n_fft = n_fft
        self.hop = hop
        self.buf = np.zeros(n_fft // 2, dtype=np.float32)

    def push(self, x: np.ndarray) -> np.ndarray:
        buf = np.concatenate([self.buf, x.astype(np.float32, copy=False)])
        if buf.shape[0] < self.n_fft:
            self.buf = buf
            return np.zeros((0, self.n_fft), dtype=np.float32)
        n = 1 + (buf.shape[0] - self.n_fft) // self.hop
        frames = np.lib.stride_tricks.sliding_window_view(buf, self.n_fft)[:: self.hop][:n]
        self.buf = buf[n * self.hop :]
        return frames

    def finish(self, n_total: int) -> np.ndarray:
        """Pad the tail; stop at ``1 + n_total // hop`` frames overall (librosa's count)."""
        return self.push(np.zeros(self.n_fft // 2, dtype=np.float32))


@lru_cache(maxsize=4)
def _mel_basis() -> np.ndarray:
    return librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=30.0, fmax=SR / 2).astype(
        np.float32
    )


@lru_cache(maxsize=4)
def _chroma_basis(fmin: float, fmax: float) -> np.ndarray:
    """Pitch-class weights per FFT bin: triangular around each semitone centre."""
    freqs = np.fft.rfftfreq(CHROMA_N_FFT, 1.0 / SR)
    basis = np.zeros((12, freqs.shape[0]), dtype=np.float32)
    ok = (freqs >= fmin) & (freqs <= fmax)
    midi = 69.0 + 12.0 * np.log2(np.maximum(freqs[ok], 1e-6) / 440.0)
    nearest = np.round(midi)
    weight = np.clip(1.0 - 2.0 * np.abs(midi - nearest), 0.0, 1.0)
    idx = np.nonzero(ok)[0]
    basis[(nearest.astype(int) % 12), idx] = weight
    return basis


@lru_cache(maxsize=2)
def _window(n: int) -> np.ndarray:
    return np.hanning(n + 1)[:-1].astype(np.float32)


class FeatureExtractor:
    """Accumulate :class:`Features` from mono blocks at :data:`SR` (any block sizes)."""

    def __init__(self) -> None:
        self._fa = _Framer(N_FFT, HOP)
        self._fc = _Framer(CHROMA_N_FFT, CHROMA_HOP)
        self._n = 0
        self._parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("mel", "rms", "cen", "flat", "chroma", "bass")
        }
        freqs = np.fft.rfftfreq(N_FFT, 1.0 / SR).astype(np.float32)
        self._freqs = freqs
        self._tail = np.zeros((0, CHROMA_N_FFT // 2 + 1), dtype=np.float32)
        self._flat_band = (freqs >= 100) & (freqs <= 8000)

    def push(self, y: np.ndarray) -> None:
        """Add the next mono block (float, at :data:`SR`)."""
        y = np.asarray(y, dtype=np.float32)
        self._n += y.shape[0]
        self._timbre(self._fa.push(y))
        self._pitch(self._fc.push(y))

    def _timbre(self, frames: np.ndarray) -> None:
        if not frames.shape[0]:
            return
        for start in range(0, frames.shape[0], 2048):
            fr = frames[start : start + 2048]
            spec = scipy.fft.rfft(fr * _window(N_FFT), axis=-1, workers=1)
            power = spec.real**2 + spec.imag**2
            # Normalise so a full-scale sine's bin power is ~0 dB-ish (window sum).
            power *= 4.0 / (_window(N_FFT).sum() ** 2)
            mel = power @ _mel_basis().T
            self._parts["mel"].append(
                (10.0 * np.log10(np.maximum(mel, 1e-10))).astype(np.float32).T
            )
            self._parts["rms"].append(np.sqrt(np.mean(fr.astype(np.float32) ** 2, axis=1)))
            tot = power.sum(axis=1) + 1e-12
            self._parts["cen"].append((power @ self._freqs) / tot)
            pb = power[:, self._flat_band] + 1e-12
            self._parts["flat"].append(np.exp(np.mean(np.log(pb), axis=1)) / np.mean(pb, axis=1))

    def _pitch(self, frames: np.ndarray) -> None:
        for start in range(0, frames.shape[0], 512):
            fr = frames[start : start + 512]
            mag = np.abs(scipy.fft.rfft(fr * _window(CHROMA_N_FFT), axis=-1, workers=1))
            self._sustained(mag.astype(np.float32), final=False)

    def _sustained(self, mag: np.ndarray, *, final: bool) -> None:
        """Keep what lasts: the minimum over 3 pitch frames (~280 ms) per bin drops drum
        hits (kick sweeps, snare tones) that would otherwise pollute the chroma. Streamed
        with a two-row carry so any block split gives the same result as one block."""
        tail = self._tail
        ext = np.concatenate([tail, mag]) if tail.shape[0] else mag
        if not ext.shape[0]:
            return
        done = 1 if tail.shape[0] == 2 else 0  # first carried row was already emitted
        stop = ext.shape[0] if final else ext.shape[0] - 1
        if stop > done:
            filt = minimum_filter1d(ext, size=3, axis=0, mode="nearest")[done:stop]
            self._parts["chroma"].append((filt @ _chroma_basis(80.0, 2000.0).T).T)
            self._parts["bass"].append((filt @ _chroma_basis(40.0, 250.0).T).T)
        self._tail = ext[-2:]

    def finish(self) -> Features:
        """Flush the tail and return the features (the extractor is then spent)."""
        self._timbre(self._fa.finish(self._n))
        self._pitch(self._fc.finish(self._n))
        self._sustained(np.zeros((0, CHROMA_N_FFT // 2 + 1), dtype=np.float32), final=True)
        n_a = 1 + self._n // HOP
        n_c = 1 + self._n // CHROMA_HOP
        p = self._parts

        def cat(key: str, n: int, axis: int) -> np.ndarray:
            parts = p.pop(key)  # dropped as soon as joined: a film's features are big
            if parts:
                arr = np.concatenate(parts, axis=axis)
            else:
                shape = (N_MELS, 0) if key == "mel" else ((12, 0) if axis == 1 else (0,))
                arr = np.zeros(shape, dtype=np.float32)
            del parts
            return np.ascontiguousarray(arr[..., :n], dtype=np.float32)

        mel_db = cat("mel", n_a, 1)
        np.maximum(mel_db, _FLOOR_DB, out=mel_db)
        # Spectral flux in chunks, so a three-hour film needs no full-size temporaries.
        onset = np.zeros(mel_db.shape[1], dtype=np.float32)
        step = 1 << 16
        for a in range(0, max(0, mel_db.shape[1] - 1), step):
            d = np.diff(mel_db[:, a : a + step + 1], axis=1)
            np.maximum(d, 0.0, out=d)
            onset[a + 1 : a + 1 + d.shape[1]] = d.mean(axis=0)
        return Features(
            mel_db=mel_db,
            rms=cat("rms", n_a, 0),
            centroid=cat("cen", n_a, 0),
            flatness=cat("flat", n_a, 0),
            onset_env=onset,
            chroma=cat("chroma", n_c, 1),
            bass_chroma=cat("bass", n_c, 1),
            duration=self._n / SR,
        )


def pool(x: np.ndarray, factor: float, *, how: str = "mean") -> np.ndarray:
    """Pool the last axis of ``x`` into bins of ``factor`` frames (fractional allowed).

    Returns one value per bin; the bin count is ``ceil(n / factor)``.
    """
    n = x.shape[-1]
    nb = max(1, int(np.ceil(n / factor - 1e-9)))
    edges = np.minimum(np.round(np.arange(nb + 1) * factor).astype(int), n)
    edges[-1] = n
    out = np.empty((*x.shape[:-1], nb), dtype=np.float64)
    for i in range(nb):
        a, b = edges[i], max(edges[i + 1], edges[i] + 1)
        seg = x[..., a:b] if a < n else x[..., n - 1 : n]
        out[..., i] = seg.max(axis=-1) if how == "max" else seg.mean(axis=-1)
    return out
