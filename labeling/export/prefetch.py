"""Read ahead on a helper thread, so that database reads overlap with encoding.

Both sides release the GIL for most of their work (the database driver while it waits
for and copies rows, pyarrow while it encodes), so an export takes about as long as the
slower of the two instead of their sum. The helper thread uses its own database
connection (Django's are per thread) and closes it when done; it therefore sees only
committed rows, which is what a Celery task has anyway.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def prefetched(make: Callable[[], Iterator[T]], *, depth: int = 1) -> Iterator[T]:
    """Yield what `make()` yields, produced on a helper thread at most `depth` items
    ahead (memory: depth + 2 items). An error in the producer is raised here; stopping
    early (an error in the consumer) stops the producer at its next item."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in make():
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
        finally:
            connections.close_all()

    thread = threading.Thread(target=produce, name="export-prefetch", daemon=True)
    thread.start()
    try:
        while (item := items.get()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()
