"""Shared setup for capture tests: consented sessions, batches and stream connections."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import timezone

from collector.models import ConsentRecord, ConsentVersion, Participant, Session, Study
from collector.services.capture import capture_token_issue
from collector.wire import batch_encode
from ml.features import FEATURE_DIM

ORIGIN = (b"origin", b"http://testserver")
_counter = itertools.count()


def consented_session(*, protocol: dict | None = None) -> Session:
    """A new session of a participant who signed the study's published consent."""
    n = next(_counter)
    owner = get_user_model().objects.create_user(f"capture-owner-{n}-{timezone.now().timestamp()}")
    study = Study.objects.create(
        slug=f"capture-{n}-{int(timezone.now().timestamp() * 1e6)}", title="Capture study",
        owner=owner, protocol=protocol or {},
    )
    consent = ConsentVersion.objects.create(
        study=study, version=1, text="I agree.", published_at=timezone.now()
    )
    participant = Participant.objects.create(study=study, code=f"P{n}{study.pk:06d}"[:16])
    ConsentRecord.objects.create(participant=participant, consent_version=consent)
    return Session.objects.create(participant=participant)


def frames(first_seq: int, count: int, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Synthetic landmark frames at 30 fps, t_ms = 33.3 * seq (deterministic per seq)."""
    seqs = np.arange(first_seq, first_seq + count)
    rng = np.random.default_rng(seed + first_seq)
    features = rng.random((count, FEATURE_DIM), dtype=np.float32)
    presence = np.stack([seqs % 4 != 0, np.ones(count, bool)], axis=1).astype(np.uint8)
    return {"t_ms": seqs * 33.3 + 1.0, "presence": presence, "features": features}


def batch(first_seq: int, count: int = 8, **overrides) -> bytes:
    arrays = frames(first_seq, count)
    arrays.update(overrides)
    return batch_encode(first_seq=first_seq, **arrays)


def stream_path(session: Session) -> str:
    return f"/ws/sessions/{session.uuid}/stream/?token={capture_token_issue(session=session)}"


async def stream_open(session: Session, *, path: str | None = None) -> WebsocketCommunicator:
    from config.asgi import application

    communicator = WebsocketCommunicator(
        application, path or stream_path(session), headers=[ORIGIN, (b"host", b"testserver")]
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def stream_hello(communicator: WebsocketCommunicator) -> int:
    await communicator.send_json_to({"type": "hello"})
    reply = await communicator.receive_json_from(timeout=5)
    assert reply["type"] == "ready", reply
    return reply["next_seq"]


async def expect_close(communicator: WebsocketCommunicator, code: int, error: str) -> None:
    reply = await communicator.receive_json_from(timeout=5)
    assert reply["type"] == "error" and reply["code"] == error, reply
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": code}


@pytest.fixture
async def db_threads_closed(monkeypatch):
    """Connections opened by the consumer's worker threads close after each call, and the
    ORM thread's at the end, so nothing holds the test database when it is dropped."""
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    yield
    await sync_to_async(connections.close_all)()
