"""Websocket consumers: the participant's capture stream and the researcher's live monitor.

Thin by design: parse, call one service, map its domain error to a close code.
"""
from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404

from collector.access import study_for_user
from collector.models import StudyRole
from collector.services import capture as capture_services
from collector.services.capture import (
    CaptureSession,
    CaptureTokenInvalid,
    ConsentMissing,
    LiveStats,
    monitor_group,
)
from collector.services.frames import FrameGap, FrameTimeNotMonotonic
from collector.services.sessions import SessionEnded
from collector.wire import WireError, batch_decode

CLOSE_NORMAL = 1000
CLOSE_MALFORMED = 4400
CLOSE_BAD_TOKEN = 4401
CLOSE_NO_CONSENT = 4403
CLOSE_ENDED = 4409
CLOSE_TOO_LARGE = 4413

admit = database_sync_to_async(capture_services.capture_admit)
hello = database_sync_to_async(capture_services.capture_hello)
# Batches of different sessions commit concurrently (the session row lock orders one
# session's writers), so they use the worker pool rather than the single ORM thread.
batch_store = database_sync_to_async(capture_services.capture_batch_store, thread_sensitive=False)
event_store = database_sync_to_async(capture_services.capture_event_store)
end = database_sync_to_async(capture_services.capture_end)


class SessionStreamConsumer(AsyncWebsocketConsumer):
    """ws/sessions/<uuid>/stream/?token=...: landmark batches in, acks after commit out."""

    # The stream only publishes to the monitor group and never receives layer messages, so
    # it skips the per-connection layer subscription (a blocking Redis read per socket).
    channel_layer_alias = None
    capture: CaptureSession | None = None
    stats: LiveStats | None = None
    closing = False

    async def connect(self) -> None:
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("token") or [""])[0]
        session_uuid = str(self.scope["url_route"]["kwargs"]["session_uuid"])
        try:
            self.capture = await admit(session_uuid=session_uuid, token=token)
        except CaptureTokenInvalid as exc:
            await self.fail(CLOSE_BAD_TOKEN, "bad_token", str(exc))
        except ConsentMissing as exc:
            await self.fail(CLOSE_NO_CONSENT, "no_consent", str(exc))
        except SessionEnded as exc:
            await self.fail(CLOSE_ENDED, "session_ended", str(exc))
        else:
            interval = settings.CAPTURE_MONITOR_INTERVAL_S
            self.stats = LiveStats(capture=self.capture, interval_s=interval)

    async def disconnect(self, code: int) -> None:
        if self.stats is not None:
            await self.publish(self.stats.message(state="disconnected"))

    async def fail(self, close_code: int, code: str, detail: str) -> None:
        # Messages already on their way after a refusal are not processed.
        self.closing = True
        await self.send(text_data=json.dumps({"type": "error", "code": code, "detail": detail}))
        await self.close(code=close_code)

    async def publish(self, message: dict[str, Any]) -> None:
        layer = get_channel_layer()
        if layer is not None and self.capture is not None:
            await layer.group_send(
                monitor_group(study_id=self.capture.study_id), message
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if self.capture is None or self.closing:
            return
        size = len(bytes_data) if bytes_data is not None else len(text_data or "")
        if size > settings.CAPTURE_MAX_MESSAGE_BYTES:
            await self.fail(CLOSE_TOO_LARGE, "too_large", f"message of {size} B is too large")
            return
        try:
            if bytes_data is not None:
                await self.on_batch(bytes_data)
            else:
                await self.on_text(text_data or "")
        except (WireError, FrameTimeNotMonotonic) as exc:
            code = exc.code if isinstance(exc, WireError) else "non_monotonic_time"
            detail = exc.detail if isinstance(exc, WireError) else str(exc)
            await self.fail(CLOSE_MALFORMED, code, detail)
        except SessionEnded as exc:
            await self.fail(CLOSE_ENDED, "session_ended", str(exc))

    async def on_batch(self, data: bytes) -> None:
        batch = batch_decode(data)
        try:
            next_seq = await batch_store(capture=self.capture, batch=batch)
        except FrameGap as gap:
            next_seq = gap.next_seq
        else:
            now = time.monotonic()
            self.stats.batch_stored(
                now=now, count=batch.count, faces=int(batch.presence[:, 0].sum()),
                next_seq=next_seq,
            )
            message = self.stats.due(now=now)
            if message is not None:
                await self.publish(message)
        await self.send(text_data=json.dumps({"type": "ack", "next_seq": next_seq}))

    async def on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError as exc:
            raise WireError("bad_json", "text messages must be JSON objects") from exc
        if not isinstance(message, dict):
            raise WireError("bad_json", "text messages must be JSON objects")
        kind = message.get("type")
        if kind == "hello":
            next_seq = await hello(capture=self.capture)
            self.stats.frames_stored = next_seq
            await self.send(text_data=json.dumps({"type": "ready", "next_seq": next_seq}))
            await self.publish(self.stats.message(state="connected"))
        elif kind == "event":
            event = capture_services.capture_event_parse(message)
            await event_store(capture=self.capture, event=event)
            self.stats.event_seen(event=event)
            await self.send(text_data=json.dumps({"type": "event_ack", "eid": str(event.eid)}))
        elif kind == "end":
            frames = await end(capture=self.capture)
            await self.send(text_data=json.dumps({"type": "ended", "frames": frames}))
            await self.publish(self.stats.message(state="ended"))
            # Anything the client still sends before the close lands is ignored.
            self.capture, self.stats = None, None
            await self.close(code=CLOSE_NORMAL)
        else:
            raise WireError("bad_type", f"unknown message type {kind!r}")


class StudyMonitorConsumer(AsyncWebsocketConsumer):
    """ws/studies/<slug>/monitor/: live stats of a study's capture streams, researchers only."""

    group: str | None = None

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        try:
            study = await database_sync_to_async(study_for_user)(
                user=self.scope["user"], slug=slug, roles=(StudyRole.RESEARCHER,)
            )
        except (Http404, PermissionDenied):
            await self.close(code=CLOSE_NO_CONSENT)
            return
        self.group = monitor_group(study_id=study.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def capture_stats(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({k: v for k, v in message.items() if k != "type"}))
