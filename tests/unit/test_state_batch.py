"""Feed states are written in batches: by size, by age, and whatever is left at the end."""

from __future__ import annotations

import pytest

from monitor import polling
from monitor.polling import FeedState, StateBatch


def test_states_are_written_when_the_batch_is_full_and_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(polling, "FLUSH_SIZE", 3)
    writes: list[list[FeedState]] = []
    batch = StateBatch(writes.append)
    for n in range(7):
        batch.add({"id": n})
    assert [len(w) for w in writes] == [3, 3]
    batch.flush()
    batch.flush()
    assert [len(w) for w in writes] == [3, 3, 1]


def test_an_old_batch_is_written_without_waiting_to_fill() -> None:
    now = [100.0]
    writes: list[list[FeedState]] = []
    batch = StateBatch(writes.append, clock=lambda: now[0])
    batch.add({"id": 1})
    assert writes == []
    now[0] += polling.FLUSH_SECONDS + 1
    batch.add({"id": 2})
    assert [len(w) for w in writes] == [2]
