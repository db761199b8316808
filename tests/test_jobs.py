"""The batch runner: log-and-continue, worker processes, results stored as they finish."""

from __future__ import annotations

import os

import pytest

from heartsong.errors import AudioError, ParameterError
from heartsong.jobs import run_batch


def _work(x: int) -> dict[str, int]:
    if x == 3:
        raise AudioError(f"/music/{x}.flac", "all silence")
    if x == 5:
        raise ZeroDivisionError("boom")
    return {"x": x, "pid": os.getpid()}


@pytest.mark.parametrize("workers", [1, 2])
def test_failures_are_recorded_and_the_batch_goes_on(workers: int) -> None:
    stored: dict[int, tuple[object, str | None]] = {}
    seen: list[tuple[int, int]] = []
    report = run_batch(
        list(range(8)),
        _work,
        store=lambda item, data, err, s: stored.update({item: (data, err)}),
        workers=workers,
        progress=lambda d, t, _: seen.append((d, t)),
    )
    assert report.done == 6
    assert dict(report.failed) == {
        "3": "all silence",
        "5": stored[5][1],
    }
    assert stored[5][1].startswith("internal error ZeroDivisionError: boom")
    assert sorted(stored) == list(range(8))
    assert stored[4][0]["x"] == 4  # type: ignore[index]
    assert [d for d, _ in seen] == list(range(1, 9)) and {t for _, t in seen} == {8}
    if workers == 2:
        pids = {data["pid"] for data, _ in stored.values() if data}  # type: ignore[index]
        assert os.getpid() not in pids


def test_bad_workers_value() -> None:
    with pytest.raises(ParameterError, match=r"^workers: "):
        run_batch([1], _work, store=lambda *a: None, workers=0)
