"""The prefetcher: the next item is produced while the current one is consumed, errors arrive in
order, and an early stop ends the producer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from webapp.sync.pipeline import Prefetcher


def test_the_next_item_is_in_flight_while_the_current_one_is_consumed() -> None:
    """With a producer and a consumer each taking 50 ms per item, ten items take about 0.55 s, not 1 s."""

    def produce() -> Iterator[int]:
        for item in range(10):
            time.sleep(0.05)
            yield item

    started = time.monotonic()
    with Prefetcher(produce) as items:
        seen = []
        for item in items:
            time.sleep(0.05)
            seen.append(item)
    assert seen == list(range(10))
    assert time.monotonic() - started < 0.85


def test_the_producer_runs_at_most_one_item_ahead() -> None:
    """A queue of one: while the consumer holds item k, the producer has made at most k+2."""
    made: list[int] = []

    def produce() -> Iterator[int]:
        for item in range(20):
            made.append(item)
            yield item

    with Prefetcher(produce) as items:
        for item in items:
            time.sleep(0.01)
            assert len(made) <= item + 3


def test_an_error_reaches_the_consumer_after_the_items_before_it() -> None:
    """Items made before the failure are consumed, then the error is raised."""

    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 failed")

    seen = []
    with pytest.raises(ValueError, match="page 3 failed"), Prefetcher(produce) as items:
        for item in items:
            seen.append(item)
    assert seen == [1, 2]


def test_a_consumer_that_stops_early_stops_the_producer() -> None:
    """Leaving the loop (an error while writing) ends the producer's thread."""
    stopped = threading.Event()

    def produce() -> Iterator[int]:
        try:
            yield from range(1_000_000)
        finally:
            stopped.set()

    with pytest.raises(RuntimeError), Prefetcher(produce) as items:
        for item in items:
            if item == 3:
                raise RuntimeError("write failed")
    assert stopped.wait(timeout=2)
    assert not any(t.name == "signet-sync-prefetch" and t.is_alive() for t in threading.enumerate())
