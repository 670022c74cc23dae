"""The capture stream consumer against every rule of docs/protocol.md, with a real DB."""
from __future__ import annotations

import time

import numpy as np
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.utils import timezone

from collector.models import FrameChunk, Session, SessionEvent, SessionStatus
from collector.selectors.frames import session_frames
from collector.services.sessions import session_end
from collector.wire import FRAME_BYTES, HEADER_BYTES, MAX_BATCH_BYTES
from tests.collector.capture_support import (
    ORIGIN,
    batch,
    consented_session,
    db_threads_closed,  # noqa: F401
    expect_close,
    frames,
    stream_hello,
    stream_open,
    stream_path,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("db_threads_closed")]

new_session = database_sync_to_async(consented_session)


@database_sync_to_async
def stored(session: Session) -> tuple[int, int, np.ndarray]:
    session.refresh_from_db()
    arrays = session_frames(session=session)
    return session.frame_count, FrameChunk.objects.filter(session=session).count(), arrays


async def send_batch(communicator: WebsocketCommunicator, data: bytes) -> dict:
    await communicator.send_to(bytes_data=data)
    return await communicator.receive_json_from(timeout=5)


async def test_normal_stream_acks_after_storing_each_batch_as_one_chunk():
    session = await new_session()
    ws = await stream_open(session)
    assert await stream_hello(ws) == 0
    for first in (0, 8, 16):
        assert await send_batch(ws, batch(first)) == {"type": "ack", "next_seq": first + 8}
    await ws.disconnect()
    frame_count, chunks, arrays = await stored(session)
    assert (frame_count, chunks) == (24, 3)
    expected = [frames(first, 8) for first in (0, 8, 16)]
    sent = np.concatenate([e["features"] for e in expected])
    np.testing.assert_array_equal(arrays.features, sent)
    np.testing.assert_array_equal(arrays.t_ms, np.concatenate([e["t_ms"] for e in expected]))
    session_row = await database_sync_to_async(Session.objects.get)(pk=session.pk)
    assert session_row.status == SessionStatus.ACTIVE
    assert session_row.face_frame_count == int(arrays.presence[:, 0].sum())


async def test_duplicate_batch_is_acked_and_stored_once():
    session = await new_session()
    ws = await stream_open(session)
    await stream_hello(ws)
    await send_batch(ws, batch(0))
    await send_batch(ws, batch(8))
    assert await send_batch(ws, batch(0)) == {"type": "ack", "next_seq": 16}
    # A batch overlapping the stored end keeps only its new frames.
    assert await send_batch(ws, batch(12)) == {"type": "ack", "next_seq": 20}
    await ws.disconnect()
    frame_count, chunks, arrays = await stored(session)
    assert (frame_count, chunks, len(arrays)) == (20, 3, 20)
    np.testing.assert_array_equal(arrays.t_ms, np.arange(20) * 33.3 + 1.0)


async def test_gap_stores_nothing_and_acks_next_seq_for_rewind():
    session = await new_session()
    ws = await stream_open(session)
    await stream_hello(ws)
    await send_batch(ws, batch(0))
    assert await send_batch(ws, batch(24)) == {"type": "ack", "next_seq": 8}
    assert await send_batch(ws, batch(8)) == {"type": "ack", "next_seq": 16}
    await ws.disconnect()
    frame_count, chunks, arrays = await stored(session)
    assert (frame_count, chunks) == (16, 2)
    np.testing.assert_array_equal(arrays.t_ms, np.arange(16) * 33.3 + 1.0)


async def test_resume_after_disconnect_loses_no_frame():
    session = await new_session()
    ws = await stream_open(session)
    await stream_hello(ws)
    await send_batch(ws, batch(0))
    await send_batch(ws, batch(8))
    await ws.disconnect()
    ws = await stream_open(session)
    assert await stream_hello(ws) == 16
    await send_batch(ws, batch(8))  # the client resends what it had not seen acked
    await send_batch(ws, batch(16))
    await ws.disconnect()
    frame_count, chunks, arrays = await stored(session)
    assert (frame_count, len(arrays)) == (24, 24)
    np.testing.assert_array_equal(arrays.t_ms, np.arange(24) * 33.3 + 1.0)


async def assert_batch_refused(bad: bytes, error: str, *, stored_before: int = 0) -> None:
    """After `stored_before` good frames, `bad` closes 4400 with `error` and stores nothing."""
    session = await new_session()
    ws = await stream_open(session)
    await stream_hello(ws)
    for first in range(0, stored_before, 8):
        await send_batch(ws, batch(first))
    await ws.send_to(bytes_data=bad)
    await expect_close(ws, 4400, error)
    assert (await stored(session))[:2] == (stored_before, stored_before // 8)


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
async def test_non_finite_values_close_4400_and_store_nothing(bad_value):
    features = frames(0, 8)["features"]
    features[5, 100] = bad_value
    await assert_batch_refused(batch(0, features=features), "not_finite")


async def test_non_finite_time_closes_4400():
    t_ms = frames(0, 8)["t_ms"]
    t_ms[3] = np.nan
    await assert_batch_refused(batch(0, t_ms=t_ms), "not_finite")


def _with_header(data: bytes, **fields) -> bytes:
    header = bytearray(data[:HEADER_BYTES])
    offsets = {"magic": (0, 4), "count": (8, 2), "frame_bytes": (10, 2), "flags": (12, 4)}
    for name, value in fields.items():
        start, width = offsets[name]
        header[start:start + width] = value if isinstance(value, bytes) else value.to_bytes(
            width, "little"
        )
    return bytes(header) + data[HEADER_BYTES:]


@pytest.mark.parametrize(
    ("mangle", "error"),
    [
        (lambda data: data[:-1], "bad_length"),
        (lambda data: data + b"\0" * FRAME_BYTES, "bad_length"),
        (lambda data: data[:10], "short_header"),
        (lambda data: _with_header(data, count=0), "bad_count"),
        (lambda data: _with_header(data, count=65), "bad_count"),
        (lambda data: _with_header(data, frame_bytes=6156), "bad_frame_bytes"),
        (lambda data: _with_header(data, flags=1), "bad_flags"),
        (lambda data: _with_header(data, magic=b"SLB2"), "bad_magic"),
    ],
    ids=["short", "long", "short-header", "count-0", "count-65", "frame-bytes", "flags", "magic"],
)
async def test_wrong_sizes_and_bad_magic_close_4400_and_store_nothing(mangle, error):
    await assert_batch_refused(mangle(batch(8)), error, stored_before=8)


async def test_time_going_back_within_a_batch_closes_4400():
    t_ms = frames(0, 8)["t_ms"]
    t_ms[4] = t_ms[2]
    await assert_batch_refused(batch(0, t_ms=t_ms), "non_monotonic_time")


async def test_time_before_the_last_stored_frame_closes_4400():
    stale = batch(8, t_ms=frames(0, 8)["t_ms"])
    await assert_batch_refused(stale, "non_monotonic_time", stored_before=8)


async def test_message_larger_than_a_full_batch_closes_4413():
    session = await new_session()
    ws = await stream_open(session)
    await stream_hello(ws)
    await ws.send_to(bytes_data=b"\0" * (MAX_BATCH_BYTES + 1))
    await expect_close(ws, 4413, "too_large")
    ws = await stream_open(session)
    await ws.send_to(text_data='{"type":"hello","pad":"' + "x" * MAX_BATCH_BYTES + '"}')
    await expect_close(ws, 4413, "too_large")
    assert (await stored(session))[:2] == (0, 0)


async def test_bad_token_closes_4401():
    session = await new_session()
    other = await new_session()
    for path in (
        f"/ws/sessions/{session.uuid}/stream/?token=forged",
        f"/ws/sessions/{session.uuid}/stream/",
        stream_path(other).replace(str(other.uuid), str(session.uuid)),
    ):
        ws = await stream_open(session, path=path)
        await expect_close(ws, 4401, "bad_token")


async def test_expired_token_closes_4401():
    session = await new_session()
    path = stream_path(session)
    time.sleep(1.1)
    with override_settings(CAPTURE_TOKEN_MAX_AGE_S=1):
        ws = await stream_open(session, path=path)
        await expect_close(ws, 4401, "bad_token")


async def test_withdrawn_consent_closes_4403():
    session = await new_session()

    @database_sync_to_async
    def withdraw():
        session.participant.consent_records.update(withdrawn_at=timezone.now())

    await withdraw()
    ws = await stream_open(session)
    await expect_close(ws, 4403, "no_consent")


async def test_withdrawn_participant_closes_4403():
    session = await new_session()

    @database_sync_to_async
    def withdraw():
        type(session.participant).objects.filter(pk=session.participant_id).update(
            withdrawn_at=timezone.now()
        )

    await withdraw()
    ws = await stream_open(session)
    await expect_close(ws, 4403, "no_consent")


async def test_ended_session_closes_4409_at_connect_and_mid_stream():
    session = await new_session()
    ws = await stream_open(session)
    await stream_hello(ws)
    await send_batch(ws, batch(0))
    await database_sync_to_async(session_end)(session=session)
    await ws.send_to(bytes_data=batch(8))
    await expect_close(ws, 4409, "session_ended")
    ws = await stream_open(session)
    await expect_close(ws, 4409, "session_ended")
    assert (await stored(session))[:2] == (8, 1)


async def test_events_are_acked_and_stored_once_per_eid():
    session = await new_session()
    ws = await stream_open(session)
    await stream_hello(ws)
    event = {"type": "event", "eid": "0d3c2a58-7d2e-4a52-9a7e-2b0c1f7d9a11",
             "name": "phase_start", "t_ms": 12.5, "data": {"phase": "baseline"}}
    for _ in range(2):
        await ws.send_json_to(event)
        assert await ws.receive_json_from(timeout=5) == {"type": "event_ack", "eid": event["eid"]}
    await ws.disconnect()
    rows = await database_sync_to_async(list)(
        SessionEvent.objects.filter(session=session).values("name", "t_ms", "data")
    )
    assert rows == [{"name": "phase_start", "t_ms": 12.5, "data": {"phase": "baseline"}}]


@pytest.mark.parametrize(
    "message",
    [
        {"type": "event", "eid": "nope", "name": "x", "t_ms": 1, "data": {}},
        {"type": "event", "eid": "0d3c2a58-7d2e-4a52-9a7e-2b0c1f7d9a12", "name": "", "t_ms": 1},
        {"type": "event", "eid": "0d3c2a58-7d2e-4a52-9a7e-2b0c1f7d9a13", "name": "x", "t_ms": "1"},
        {"type": "teleport"},
    ],
)
async def test_malformed_text_messages_close_4400(message):
    session = await new_session()
    ws = await stream_open(session)
    await ws.send_json_to(message)
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "error"
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4400}
    assert not await database_sync_to_async(SessionEvent.objects.filter(session=session).exists)()


async def test_end_replies_ended_with_frame_count_and_closes_1000():
    session = await new_session()
    ws = await stream_open(session)
    await stream_hello(ws)
    await send_batch(ws, batch(0))
    await ws.send_json_to({"type": "end"})
    assert await ws.receive_json_from(timeout=5) == {"type": "ended", "frames": 8}
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 1000}
    session_row = await database_sync_to_async(Session.objects.get)(pk=session.pk)
    assert session_row.status == SessionStatus.ENDED


async def test_foreign_origin_is_refused():
    from config.asgi import application

    session = await new_session()
    ws = WebsocketCommunicator(
        application, stream_path(session), headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await ws.connect()
    assert not connected
    assert ORIGIN[1] != b"http://evil.example"


async def test_in_session_rating_is_stored_once_as_event_and_questionnaire_responses():
    from collector.models import QuestionnaireResponse

    session = await new_session()
    ws = await stream_open(session)
    await stream_hello(ws)
    rating = {"type": "event", "eid": "5b0f3c7a-1d2e-4f5a-8b9c-0d1e2f3a4b5c", "name": "rating",
              "t_ms": 40.0, "data": {"phase": "rating_stroop", "response_time_ms": 2300,
                                     "responses": {"sam": {"valence": 3, "arousal": 7,
                                                           "dominance": 4},
                                                   "vas": {"stress": 72}}}}
    for _ in range(2):
        await ws.send_json_to(rating)
        assert (await ws.receive_json_from(timeout=5))["type"] == "event_ack"
    await ws.disconnect()
    rows = await database_sync_to_async(list)(
        QuestionnaireResponse.objects.filter(session=session).order_by("instrument")
        .values("instrument", "timing", "scores", "response_time_ms")
    )
    assert [(r["instrument"], r["timing"]) for r in rows] == [("sam", "in_session"),
                                                              ("vas", "in_session")]
    assert rows[1]["scores"]["stress"] == 72 and rows[0]["response_time_ms"] == 2300


async def test_batches_sent_after_a_refused_one_are_not_stored():
    session = await new_session()
    ws = await stream_open(session)
    await stream_hello(ws)
    await ws.send_to(bytes_data=batch(0)[:-1])
    await ws.send_to(bytes_data=batch(0))
    await expect_close(ws, 4400, "bad_length")
    assert await ws.receive_nothing(timeout=0.5)
    assert (await stored(session))[:2] == (0, 0)
