"""Ingest benchmark (not a test): the production stack vs a bare ASGI websocket echo.

Starts, on loopback, uvicorn + Channels (config.settings.production) on PostgreSQL and
Redis, and in the same run a bare ASGI echo server, then drives N concurrent websocket
clients sending 8-frame landmark batches:

  paced      every client streams 30 fps (the real load): frames durably stored/s and
             ack latency p50/p99 (an ack is sent only after the chunk committed);
  saturated  every client keeps `window` batches in flight with no pacing, against the
             stack and against the echo server: the echo's frames/s is the ceiling.

  .venv/bin/python bench/ingest.py --clients 100 --duration 15

Needs PostgreSQL (BENCH_DATABASE_URL's server; a scratch database is created) and Redis.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.wire import FRAME_DTYPE, HEADER_DTYPE, MAGIC  # noqa: E402

FRAMES_PER_BATCH = 8


async def echo_app(scope, receive, send):
    """The ceiling: accepts, answers every binary message with a small ack, nothing else."""
    if scope["type"] != "websocket":
        return
    received = 0
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            if message.get("bytes") is not None:
                received += FRAMES_PER_BATCH
                await send({"type": "websocket.send",
                            "text": json.dumps({"type": "ack", "next_seq": received})})
            else:
                await send({"type": "websocket.send", "text": json.dumps({"type": "ready",
                                                                         "next_seq": 0})})
        elif message["type"] == "websocket.disconnect":
            return


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("server exited during start") from None
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def uvicorn_start(app: str, env: dict[str, str], workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log",
         "--ws", "websockets-sansio", "--ws-max-size", str(16 + 64 * 6160)],
        cwd=ROOT, env=env,
    )
    wait_port(port, process)
    return process, port


def production_env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "bench-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def bench_database(base_url: str) -> str:
    """A fresh scratch database on the same PostgreSQL server."""
    import psycopg

    name = "stresslab_bench"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlparse(base_url)._replace(path=f"/{name}").geturl()


def sessions_create(env: dict[str, str], clients: int) -> list[tuple[str, str]]:
    """Migrate and create `clients` consented sessions; (uuid, token) pairs."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0", "--noinput"], cwd=ROOT,
                   env=env, check=True)
    script = f"""
import json, django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from collector.models import *
from collector.services.capture import capture_token_issue
owner = get_user_model().objects.create_user("bench-owner")
study = Study.objects.create(slug="bench", title="bench", owner=owner)
consent = ConsentVersion.objects.create(
    study=study, version=1, text="ok", published_at=timezone.now())
out = []
for i in range({clients}):
    p = Participant.objects.create(study=study, code=f"BENCH{{i:05d}}")
    ConsentRecord.objects.create(participant=p, consent_version=consent)
    s = Session.objects.create(participant=p)
    out.append((str(s.uuid), capture_token_issue(session=s)))
print(json.dumps(out))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


class BatchMaker:
    """Valid batches with increasing seq and t_ms, built from one template (cheap per batch)."""

    def __init__(self, seed: int, first_seq: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.frames = np.zeros(FRAMES_PER_BATCH, dtype=FRAME_DTYPE)
        self.frames["face_ok"] = 1
        self.frames["pose_ok"] = 1
        self.frames["face"] = rng.random(self.frames["face"].shape, dtype=np.float32)
        self.frames["pose"] = rng.random(self.frames["pose"].shape, dtype=np.float32)
        self.header = np.zeros(1, dtype=HEADER_DTYPE)
        self.seq = first_seq

    def next(self) -> bytes:
        self.header[0] = (MAGIC, self.seq, FRAMES_PER_BATCH, FRAME_DTYPE.itemsize, 0)
        self.frames["t_ms"] = (self.seq + np.arange(FRAMES_PER_BATCH)) * (1000 / 30) + 1
        self.seq += FRAMES_PER_BATCH
        return self.header.tobytes() + self.frames.tobytes()


async def client_run(url: str, seed: int, *, clock: dict, paced: bool, window: int,
                     latencies: list[float], acked: list[int]) -> None:
    import websockets

    maker = BatchMaker(seed)
    async with websockets.connect(url, origin="http://127.0.0.1", max_size=None,
                                  compression=None) as ws:
        await ws.send(json.dumps({"type": "hello"}))
        maker.seq = json.loads(await ws.recv())["next_seq"]
        # Every client is connected before the clock starts: the rate is the steady state.
        clock["ready"] += 1
        if clock["ready"] == clock["clients"]:
            clock["start"] = time.perf_counter()
            clock["stop_at"] = clock["start"] + clock["duration"]
            clock["go"].set()
        await clock["go"].wait()
        stop_at = clock["stop_at"]
        sent: list[float] = []
        slots = asyncio.Semaphore(window)
        done = asyncio.Event()

        async def receiver() -> None:
            async for message in ws:
                reply = json.loads(message)
                if reply["type"] != "ack":
                    raise RuntimeError(f"unexpected reply {reply}")
                latencies.append(time.perf_counter() - sent.pop(0))
                acked[0] += FRAMES_PER_BATCH
                slots.release()
                if not sent and done.is_set():
                    return

        receiving = asyncio.create_task(receiver())
        period = FRAMES_PER_BATCH / 30
        next_send = clock["start"] + (seed % 100) / 100 * period
        while time.perf_counter() < stop_at:
            if paced:
                await asyncio.sleep(max(0.0, next_send - time.perf_counter()))
                next_send += period
            else:
                await slots.acquire()
            sent.append(time.perf_counter())
            await ws.send(maker.next())
        done.set()
        if sent:
            await asyncio.wait_for(receiving, timeout=30)
        else:
            receiving.cancel()


async def load_run(urls: list[str], *, duration: float, paced: bool, window: int) -> dict:
    latencies: list[float] = []
    acked = [0]
    clock = {"ready": 0, "clients": len(urls), "duration": duration, "go": asyncio.Event()}
    await asyncio.gather(*[
        client_run(url, i, clock=clock, paced=paced, window=window, latencies=latencies,
                   acked=acked)
        for i, url in enumerate(urls)
    ])
    elapsed = time.perf_counter() - clock["start"]
    lat = np.array(latencies) * 1000
    return {
        "frames_per_s": acked[0] / elapsed,
        "frames": acked[0],
        "ack_p50_ms": float(np.percentile(lat, 50)) if lat.size else float("nan"),
        "ack_p99_ms": float(np.percentile(lat, 99)) if lat.size else float("nan"),
    }


def stored_frames(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT coalesce(sum(frame_count), 0) FROM collector_session")
        return row.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--window", type=int, default=4, help="batches in flight (saturated)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--redis-url", default=os.environ.get(
        "BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"))
    args = parser.parse_args()

    database_url = bench_database(args.database_url)
    env = production_env(database_url, args.redis_url)
    print(f"setting up {args.clients} consented sessions on {urlparse(database_url).path[1:]}")
    sessions = sessions_create(env, args.clients)

    echo, echo_port = uvicorn_start("bench.ingest:echo_app", env, args.workers)
    try:
        echo_urls = [f"ws://127.0.0.1:{echo_port}/echo"] * args.clients
        ceiling = asyncio.run(load_run(echo_urls, duration=args.duration, paced=False,
                                       window=args.window))
    finally:
        echo.terminate()
        echo.wait()

    stack, port = uvicorn_start("config.asgi:application", env, args.workers)
    try:
        urls = [f"ws://127.0.0.1:{port}/ws/sessions/{uuid}/stream/?token={token}"
                for uuid, token in sessions]
        paced = asyncio.run(load_run(urls, duration=args.duration, paced=True, window=64))
        saturated = asyncio.run(load_run(urls, duration=args.duration, paced=False,
                                         window=args.window))
    finally:
        stack.terminate()
        stack.wait()
    durable = stored_frames(database_url)
    acked_total = paced["frames"] + saturated["frames"]

    print(f"clients={args.clients} duration={args.duration:.0f}s workers={args.workers} "
          f"batch={FRAMES_PER_BATCH} frames")
    print(f"echo ceiling (saturated):  {ceiling['frames_per_s']:8.0f} frames/s  "
          f"ack p50 {ceiling['ack_p50_ms']:.1f} ms  p99 {ceiling['ack_p99_ms']:.1f} ms")
    print(f"stack paced 30 fps:        {paced['frames_per_s']:8.0f} frames/s stored  "
          f"ack p50 {paced['ack_p50_ms']:.1f} ms  p99 {paced['ack_p99_ms']:.1f} ms")
    print(f"stack saturated:           {saturated['frames_per_s']:8.0f} frames/s stored  "
          f"ack p50 {saturated['ack_p50_ms']:.1f} ms  p99 {saturated['ack_p99_ms']:.1f} ms")
    ratio = saturated["frames_per_s"] / ceiling["frames_per_s"]
    print(f"ratio stack/echo (saturated): {ratio:.2f}")
    print(f"offered paced load: {args.clients * 30} frames/s; "
          f"durable in DB: {durable} frames (acked {acked_total})")


if __name__ == "__main__":
    main()
