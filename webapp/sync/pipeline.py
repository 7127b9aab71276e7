"""Read ahead: the next page is in flight while the current one is written.

`prefetch(produce)` runs the producer in its own thread and hands its items over through a queue
of one, so at most three pages exist at once (one being written, one waiting, one being read):
memory stays flat however large the directory, and a full sync costs little more than its round
trips. An error in the producer reaches the consumer at the point it happened; a consumer that
stops early (an error while writing) stops the producer at its next item.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Generic, TypeVar

T = TypeVar("T")

HANDOFF_POLL_SECONDS = 0.2


class _Done:
    """The producer finished (normally if `error` is None)."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class _Stopped(Exception):
    """The consumer went away: the producer stops."""


class Prefetcher(Generic[T]):
    """Iterate over the items of `produce()`, produced one ahead in a background thread.

    `context` is entered around the producer (an app context: the producer's thread needs one
    for the database and Okta's token service). Use as a context manager, so the thread is
    stopped and joined whatever happens.
    """

    def __init__(
        self,
        produce: Callable[[], Iterator[T]],
        *,
        context: Callable[[], AbstractContextManager[object]] | None = None,
        name: str = "signet-sync-prefetch",
    ) -> None:
        self._produce = produce
        self._context = context or nullcontext
        self._queue: queue.Queue[T | _Done] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Prefetcher[T]:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if isinstance(item, _Done):
                if item.error is not None:
                    raise item.error
                return
            yield item

    def has_next_ready(self) -> bool:
        """Whether the next item is already waiting (the producer is ahead of the consumer)."""
        return not self._queue.empty()

    def close(self) -> None:
        """Stop the producer (at its next hand-over) and wait for its thread."""
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):  # make room: a producer blocked on a full queue
                self._queue.get_nowait()  # then sees the stop
            self._thread.join(timeout=HANDOFF_POLL_SECONDS)

    def _put(self, item: T | _Done) -> None:
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                self._queue.put(item, timeout=HANDOFF_POLL_SECONDS)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        try:
            with self._context():
                for item in self._produce():
                    self._put(item)
            self._put(_Done(None))
        except _Stopped:
            return
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which re-raises it
            try:
                self._put(_Done(error))
            except _Stopped:
                return
