"""Fixtures for the grading tests: capture the records `check` emits."""
import pytest

from rnnkit.grading import record


@pytest.fixture
def records():
    """A list that receives every record emitted while the test runs."""
    captured = []
    record.set_sink(captured.append)
    yield captured
    record.set_sink(None)
