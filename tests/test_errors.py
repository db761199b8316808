"""The exception hierarchy: one root, messages that name the culprit, and errors that
survive the trip from a worker process to its parent."""

from __future__ import annotations

import pickle

import pytest

from heartsong.analysis.core import AnalysisError
from heartsong.errors import AudioError, HeartsongError, LibraryError, ParameterError


@pytest.mark.parametrize(
    "exc",
    [
        ParameterError("sr", "must be a positive integer, got -1"),
        AudioError("/music/01.flac", "not an audio file"),
        LibraryError("lib.db: not a heartsong library"),
        AnalysisError("silent: nothing to analyse"),
    ],
)
def test_errors_pickle_round_trip(exc: HeartsongError) -> None:
    # multiprocessing pickles a worker's exception; one that cannot be rebuilt kills the
    # pool's result thread and the parent waits forever.
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert str(back) == str(exc)
    assert vars(back) == vars(exc)


def test_parameter_error_names_the_argument() -> None:
    exc = ParameterError("density", "must be > 0, got 0")
    assert isinstance(exc, HeartsongError) and isinstance(exc, ValueError)
    assert str(exc).startswith("density: ")
