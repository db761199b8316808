"""Run one function over many library items, in worker processes, resumably.

The pattern every long job follows (analyse, fingerprint, find cues):

- the work runs in worker processes (or in-process for ``workers=1``);
- each finished item is handed to ``store`` in the parent at once, so the library has
  one writer and a killed run keeps every stored item;
- an item that fails is stored with its reason and the batch goes on;
- Ctrl-C cancels what has not started and re-raises, after everything finished is stored.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar

from heartsong.errors import HeartsongError, ParameterError

__all__ = ["BatchReport", "run_batch"]

T = TypeVar("T")

# (item, data or None, error reason or None, seconds)
Store = Callable[[Any, Any, str | None, float], None]
Progress = Callable[[int, int, str], None]


@dataclass
class BatchReport:
    """How a batch went: items done, and (label, reason) for each that failed."""

    done: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"done": self.done, "failed": [list(f) for f in self.failed]}


def _timed(work: Callable[[Any], Any], item: Any) -> tuple[Any, str | None, float]:
    t0 = time.perf_counter()
    try:
        return work(item), None, time.perf_counter() - t0
    except HeartsongError as exc:
        return None, str(getattr(exc, "reason", None) or exc), time.perf_counter() - t0
    except Exception as exc:  # a bug on one file must not cost the user the whole batch
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"
        reason = f"internal error {type(exc).__name__}: {exc} (at {where})"
        return None, reason, time.perf_counter() - t0


def run_batch(
    items: Sequence[T],
    work: Callable[[T], Any],
    *,
    store: Store,
    label: Callable[[T], str] = str,
    workers: int = 1,
    progress: Progress | None = None,
) -> BatchReport:
    """Apply ``work`` to every item and ``store`` each outcome as soon as it is known.

    Parameters
    ----------
    items : sequence
        What to process (picklable when ``workers > 1``).
    work : callable
        ``work(item) -> data``; a module-level function when ``workers > 1``.
    store : callable
        ``store(item, data, error, seconds)``, called in this process for every item.
    label : callable
        How an item is named in progress and failure reports.
    workers : int
        Worker processes; 1 runs in this process.
    progress : callable, optional
        ``progress(done, total, label)`` after each item.

    Returns
    -------
    BatchReport

    Examples
    --------
    >>> out = {}
    >>> report = run_batch([1, 2, 0], lambda x: 10 // x,
    ...                    store=lambda item, data, err, s: out.update({item: data or err}))
    >>> report.done, report.failed[0][0], out[2]
    (2, '0', 5)
    """
    if not isinstance(workers, int) or workers < 1:
        raise ParameterError("workers", f"must be a whole number >= 1, got {workers!r}")
    report = BatchReport()
    total = len(items)

    def finish(item: T, data: Any, error: str | None, seconds: float) -> None:
        store(item, data, error, seconds)
        if error is None:
            report.done += 1
        else:
            report.failed.append((label(item), error))
        if progress is not None:
            progress(report.done + len(report.failed), total, label(item))

    if workers == 1 or total <= 1:
        for item in items:
            finish(item, *_timed(work, item))
        return report

    # spawn: numba/onnxruntime thread pools do not survive fork safely.
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    pending: dict[Future[tuple[Any, str | None, float]], T] = {}
    queue = list(items)
    queue.reverse()
    try:
        while queue or pending:
            # A small window in flight keeps memory flat for catalogs of any size.
            while queue and len(pending) < 2 * workers:
                item = queue.pop()
                pending[pool.submit(_timed, work, item)] = item
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                item = pending.pop(fut)
                try:
                    data, error, seconds = fut.result()
                except Exception as exc:  # the worker process itself died
                    data, error, seconds = None, f"worker failed: {type(exc).__name__}", 0.0
                finish(item, data, error, seconds)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return report
