"""The binary batch codec: round trip and each malformed-batch rule."""
from __future__ import annotations

import numpy as np
import pytest

from collector.wire import (
    FRAME_BYTES,
    HEADER_BYTES,
    MAX_BATCH_BYTES,
    WireError,
    batch_decode,
    batch_encode,
)
from tests.collector.capture_support import frames


def test_layout_matches_the_documented_sizes():
    assert (HEADER_BYTES, FRAME_BYTES, MAX_BATCH_BYTES) == (16, 6160, 16 + 64 * 6160)


def test_round_trip_keeps_every_value():
    arrays = frames(40, 64)
    data = batch_encode(first_seq=40, **arrays)
    assert len(data) == HEADER_BYTES + 64 * FRAME_BYTES
    decoded = batch_decode(data)
    assert decoded.first_seq == 40 and decoded.count == 64
    np.testing.assert_array_equal(decoded.features, arrays["features"])
    np.testing.assert_array_equal(decoded.t_ms, arrays["t_ms"])
    np.testing.assert_array_equal(decoded.presence, arrays["presence"])
    assert decoded.features.dtype == np.float32 and decoded.features.flags.c_contiguous


def test_frame_layout_is_little_endian_at_documented_offsets():
    arrays = frames(0, 1)
    data = batch_encode(first_seq=7, **arrays)
    assert data[:4] == b"SLB1"
    assert int.from_bytes(data[4:8], "little") == 7
    assert int.from_bytes(data[8:10], "little") == 1
    assert int.from_bytes(data[10:12], "little") == 6160
    frame = data[HEADER_BYTES:]
    assert np.frombuffer(frame[:8], "<f8")[0] == arrays["t_ms"][0]
    assert tuple(frame[8:10]) == tuple(arrays["presence"][0]) and frame[10:16] == b"\0" * 6
    np.testing.assert_array_equal(np.frombuffer(frame[16:], "<f4"), arrays["features"][0])


def test_presence_flags_must_be_zero_or_one():
    arrays = frames(0, 2)
    arrays["presence"][1, 0] = 2
    with pytest.raises(WireError) as err:
        batch_decode(batch_encode(first_seq=0, **arrays))
    assert err.value.code == "bad_presence"


def test_equal_timestamps_are_not_monotonic():
    arrays = frames(0, 3)
    arrays["t_ms"][2] = arrays["t_ms"][1]
    with pytest.raises(WireError) as err:
        batch_decode(batch_encode(first_seq=0, **arrays))
    assert err.value.code == "non_monotonic_time"
