"""Computed results: stored atomically, invalidated by a new version or new file content."""

from __future__ import annotations

from pathlib import Path

from heartsong.audio import write
from heartsong.library import Library
from tests.conftest import tone


def test_results_lifecycle(tmp_path: Path) -> None:
    folder = tmp_path / "album"
    a = write(folder / "a.flac", tone(440.0, 2.0), sr=22050, tags={"title": "A"})
    write(folder / "b.flac", tone(330.0, 2.0), sr=22050, tags={"title": "B"})
    with Library(tmp_path / "lib.db") as lib:
        lib.scan([folder], work="W")
        ta, tb = lib.tracks()
        assert lib.pending([ta, tb], "analysis", version="1") == [ta, tb]
        lib.store_result(ta, "analysis", version="1", data={"tempo": 120.5}, seconds=0.3)
        lib.store_result(tb, "analysis", version="1", error="all silence")
        res = lib.result(ta, "analysis")
        assert res is not None and res.ok and res.data == {"tempo": 120.5}
        assert res.seconds == 0.3 and res.version == "1"
        failed = lib.result(tb, "analysis")
        assert failed is not None and not failed.ok and failed.reason == "all silence"
        # Done and failed items are skipped; a new algorithm version or --force redoes them.
        assert lib.pending([ta, tb], "analysis", version="1") == []
        assert lib.pending([ta, tb], "analysis", version="2") == [ta, tb]
        assert lib.pending([ta, tb], "analysis", version="1", force=True) == [ta, tb]
        # A changed file invalidates its results.
        write(a, tone(500.0, 2.0), sr=22050, tags={"title": "A"})
        lib.scan([folder], work="W")
        ta2 = lib.track("A")
        assert ta2.id == ta.id and lib.result(ta2, "analysis") is None
        assert lib.pending(lib.tracks(), "analysis", version="1") == [ta2]
        # Forgetting a track forgets its results.
        lib.remove([tb.id])
        n = lib.connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        assert n == 1
