"""The export's read-ahead thread: order kept, errors surface, stopping early stops it."""
import threading

import pytest

from labeling.export.prefetch import prefetched


def running_prefetchers() -> int:
    return sum(t.name == "export-prefetch" for t in threading.enumerate())


def test_items_arrive_in_order_and_the_thread_ends():
    assert list(prefetched(lambda: iter(range(100)), depth=2)) == list(range(100))
    assert running_prefetchers() == 0


def test_an_error_while_reading_is_raised_to_the_writer():
    def broken():
        yield 1
        raise ValueError("chunk 2 is corrupt")

    got = []
    with pytest.raises(ValueError, match="chunk 2 is corrupt"):
        for item in prefetched(broken):
            got.append(item)
    assert got == [1] and running_prefetchers() == 0


def test_closing_early_stops_the_reader_before_it_reads_everything():
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    items = prefetched(endless, depth=1)
    assert next(items) == 0
    items.close()
    assert running_prefetchers() == 0
    assert len(produced) <= 4  # at most depth + 2 read ahead, then it stopped
