from __future__ import annotations

import json

import numpy as np
import pytest

from heartsong.cues import FingerprintConfig, FingerprintIndex, IndexError_, synth
from heartsong.cues.fingerprint import fingerprint
from heartsong.errors import ParameterError

SR = 8000


def test_round_trip_add_remove_compact(tmp_path):
    a, b, c = (synth.music(s, duration=15, sr=SR) for s in (1, 2, 3))
    idx = FingerprintIndex(tmp_path)
    idx.add(1, a, sr=SR)
    idx.add(2, b, sr=SR)
    idx.save()
    idx = FingerprintIndex(tmp_path)
    assert idx.track_ids == {1, 2}
    assert idx.duration(1) == pytest.approx(15.0)
    idx.add(3, c, sr=SR)
    assert idx.track_ids == {1, 2, 3} and idx.saved_track_ids == {1, 2}  # 3 is pending
    idx.save()
    assert idx.saved_track_ids == {1, 2, 3}
    assert len(list(tmp_path.glob("seg-*.npz"))) == 2
    idx.remove(1)
    idx.save()
    idx = FingerprintIndex(tmp_path)
    assert idx.track_ids == {2, 3}
    q, _ = fingerprint(a, sr=SR, role="query")
    assert len(idx.lookup(q)) == 0 or 1 not in set(idx.lookup(q).track.tolist())
    q, _ = fingerprint(c, sr=SR, role="query")
    assert 3 in set(idx.lookup(q).track.tolist())
    idx.compact()
    assert len(list(tmp_path.glob("seg-*.npz"))) == 1
    again = FingerprintIndex(tmp_path)
    assert again.track_ids == {2, 3}
    assert len(again.peaks(3)) == len(idx.peaks(3)) > 0
    np.testing.assert_allclose(again.peaks(3).t, idx.peaks(3).t, atol=0.13)


def test_sync_drops_missing_tracks(tmp_path):
    idx = FingerprintIndex(tmp_path)
    for i in range(3):
        idx.add(i, synth.music(i, duration=5, sr=SR), sr=SR)
    idx.save()
    assert idx.sync([0, 2]) == [1]
    idx.save()
    assert FingerprintIndex(tmp_path).track_ids == {0, 2}


def test_re_adding_replaces(tmp_path):
    idx = FingerprintIndex(tmp_path)
    idx.add(5, synth.music(1, duration=5, sr=SR), sr=SR)
    idx.save()
    idx.add(5, synth.music(2, duration=8, sr=SR), sr=SR)
    idx.save()
    idx = FingerprintIndex(tmp_path)
    assert idx.track_ids == {5}
    assert idx.duration(5) == pytest.approx(8.0)


def test_files_are_plain_arrays_and_json(tmp_path):
    idx = FingerprintIndex(tmp_path)
    idx.add(1, synth.music(1, duration=5, sr=SR), sr=SR)
    idx.save()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["tracks"]["1"]["rows"] > 0
    for seg in tmp_path.glob("seg-*.npz"):
        with np.load(seg, allow_pickle=False) as z:
            assert all(z[k].dtype != object for k in z.files)
    assert not list(tmp_path.glob("*.tmp"))


def test_config_mismatch_and_corruption(tmp_path):
    idx = FingerprintIndex(tmp_path)
    idx.add(1, synth.music(1, duration=5, sr=SR), sr=SR)
    idx.save()
    with pytest.raises(IndexError_, match="config"):
        FingerprintIndex(tmp_path, config=FingerprintConfig(query_density=99.0))
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(IndexError_):
        FingerprintIndex(tmp_path)


def test_bad_arguments(tmp_path):
    idx = FingerprintIndex(tmp_path)
    with pytest.raises(ParameterError, match="track_id"):
        idx.add(-1, np.zeros(100), sr=SR)
    with pytest.raises(ParameterError, match="track_id"):
        idx.add("a", np.zeros(100), sr=SR)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="samples"):
        idx.add(1, np.zeros(0), sr=SR)
    with pytest.raises(ParameterError, match="track_id"):
        idx.remove(42)


def test_peak_phases_stored_measured_and_kept_by_compact(tmp_path):
    from heartsong.cues.coherence import peak_phases
    from heartsong.cues.fingerprint import resample

    a, b = (synth.music(s, duration=12, sr=16000) for s in (4, 5))
    idx = FingerprintIndex(tmp_path)
    idx.add(1, a, sr=16000)
    idx.add(2, b, sr=16000)
    idx.save()
    idx = FingerprintIndex(tmp_path)
    ph = idx.phases(1)
    assert ph.shape == (len(idx.peaks(1)),)
    assert np.isfinite(ph).mean() > 0.9  # only peaks within half a window of an end lack one
    # What was stored is the phase measured where the stored (quantised) peaks lie.
    cfg = idx.config
    want = peak_phases(resample(a, sr=16000, target=cfg.sr), idx.peaks(1), config=cfg)
    ok = np.isfinite(want)
    np.testing.assert_array_equal(np.isfinite(ph), ok)
    err = np.angle(np.exp(1j * (ph[ok] - want[ok])))
    # 1/256 turn steps; a half turn is stored one step off (-128 marks unknown).
    assert np.abs(err).max() <= 3 * np.pi / 256 + 1e-6
    idx.remove(2)
    idx.compact()
    np.testing.assert_array_equal(FingerprintIndex(tmp_path).phases(1), ph)
    with pytest.raises(ParameterError, match="track_id"):
        idx.phases(2)


def test_segment_without_phases_reads_as_unknown(tmp_path):
    idx = FingerprintIndex(tmp_path)
    idx.add(1, synth.music(6, duration=8, sr=SR), sr=SR)
    idx.save()
    seg = next(tmp_path.glob("seg-*.npz"))
    with np.load(seg) as z:  # a segment as written before phases were stored
        arrays = {k: z[k] for k in z.files if k != "peak_phase"}
    np.savez_compressed(seg, **arrays)
    old = FingerprintIndex(tmp_path)
    assert len(old.peaks(1)) > 0
    assert np.isnan(old.phases(1)).all()
