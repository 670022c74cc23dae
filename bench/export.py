"""Export benchmark (not a test): the real Parquet export of N stored frames vs a plain
pyarrow write of the same array, plus the player's landmarks.bin throughput.

In one run, on a throwaway database (SQLite at var/bench/db.sqlite3, recreated each run,
or --database-url for PostgreSQL, where the synthetic study is deleted afterwards):
  1. stores N synthetic landmark frames as FrameChunk rows (64-frame chunks, the wire
     format's largest batch) over sessions of --session-frames frames;
  2. export: labeling.services.exports.export_build(format=parquet) in a child process,
     reporting its wall time and peak RSS (the export streams chunk by chunk);
  3. baseline: in another child, the same frames already in memory as one (N, 1536)
     float32 array written with pyarrow.parquet.write_table (same schema for X, snappy);
  4. player: GET landmarks.bin for one 18,000-frame session in 600-frame requests through
     Django's test client: time to the first chunk and MB/s, against reading the same
     chunk rows' bytes straight from the database; when bench/player_data.py exists with a
     main(), it runs instead (in its own process, on its own data).

    .venv/bin/python bench/export.py [--frames 1000000] [--quick] [--database-url URL]
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_VAR_DIR = ROOT / "var" / "bench"
PLAYER_BENCH = ROOT / "bench" / "player_data.py"
CHUNK_FRAMES = 64
SYNTHETIC_SLUG = "synthetic-export-bench"
# The caller's environment, before django_setup points it at the bench database.
ORIGINAL_ENV = dict(os.environ)


def django_setup(var_dir: str, database_url: str | None) -> None:
    os.environ["STRESSLAB_VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # local settings run with DEBUG on, which keeps every query (with its landmark bytes).
    settings.DEBUG = False


def synthetic_store(*, frames: int, session_frames: int) -> dict:
    """Synthetic frames (uniform random landmarks) written as chunk rows in bulk."""
    import numpy as np
    from django.core.management import call_command
    from django.db import transaction

    from collector.models import FrameChunk, Participant, Session, Study
    from ml.features import FEATURE_DIM

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    owner, _ = get_user_model().objects.get_or_create(username="synthetic-bench-owner")
    Study.objects.filter(slug=SYNTHETIC_SLUG).delete()  # a PostgreSQL run that was cut off
    study = Study.objects.create(slug=SYNTHETIC_SLUG, title="Synthetic export bench",
                                 owner=owner)
    rng = np.random.default_rng(0)
    remaining = frames
    sessions = []
    s = 0
    while remaining > 0:
        n = min(session_frames, remaining)
        participant = Participant.objects.create(study=study, code=f"SYN{s:05d}")
        session = Session.objects.create(participant=participant, frame_count=n,
                                         face_frame_count=n)
        rows = []
        with transaction.atomic():
            for first in range(0, n, CHUNK_FRAMES):
                k = min(CHUNK_FRAMES, n - first)
                t = (np.arange(first, first + k) * (1000 / 30)).astype("<f8")
                rows.append(FrameChunk(
                    session=session, first_seq=first, count=k, t_start_ms=float(t[0]),
                    t_end_ms=float(t[-1]), face_count=k,
                    data=rng.random((k, FEATURE_DIM), dtype=np.float32).astype("<f4").tobytes(),
                    t_ms=t.tobytes(), presence=np.ones((k, 2), np.uint8).tobytes(),
                ))
                if len(rows) >= 200:
                    FrameChunk.objects.bulk_create(rows)
                    rows = []
            FrameChunk.objects.bulk_create(rows)
        sessions.append(str(session.uuid))
        remaining -= n
        s += 1
    return {"study": study.slug, "sessions": sessions}


def peak_rss_mib() -> float:
    """This process's RSS high-water mark. VmHWM starts afresh at exec, unlike ru_maxrss,
    which a child started by fork + exec inherits from its (larger) parent."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_export(args) -> None:
    django_setup(args.var_dir, args.database_url)
    from collector.models import Study
    from labeling.models import ExportJob
    from labeling.services.exports import export_build

    job = ExportJob.objects.create(study=Study.objects.get(slug=args.study), format="parquet",
                                   filters={"label_status": "any"})
    t0 = time.perf_counter()
    export_build(job_id=job.pk)
    wall = time.perf_counter() - t0
    job.refresh_from_db()
    peak = peak_rss_mib()
    print(json.dumps({"wall_s": wall, "peak_mib": peak, "status": job.status,
                      "bytes": job.file_size, "frames": job.manifest["counts"]["frames"],
                      "error": job.error}))


def child_baseline(args) -> None:
    django_setup(args.var_dir, args.database_url)
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from collector.models import FrameChunk
    from labeling.export.writers import features_array

    # Not timed: the whole array in memory (filled in place, so one copy of it), as a
    # plain script would have it.
    chunks = FrameChunk.objects.order_by("session_id", "first_seq")
    n = sum(chunks.values_list("count", flat=True))
    X = np.empty((n, 1536), np.float32)
    t = np.empty(n, np.float64)
    at = 0
    for k, d, tt in chunks.values_list("count", "data", "t_ms").iterator(chunk_size=200):
        X[at:at + k] = np.frombuffer(d, "<f4").reshape(k, 1536)
        t[at:at + k] = np.frombuffer(tt, "<f8")
        at += k
    table = pa.table({"t": t, "X": features_array(X)})
    out = Path(args.var_dir) / "baseline.parquet"
    t0 = time.perf_counter()
    pq.write_table(table, out, compression="snappy", row_group_size=8192)
    wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "bytes": out.stat().st_size, "frames": int(len(t))}))
    out.unlink()


def run_child(mode: str, args, study: str) -> dict:
    cmd = [sys.executable, __file__, f"--child-{mode}", "--var-dir", args.var_dir,
           "--study", study]
    if args.database_url:
        cmd += ["--database-url", args.database_url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{mode} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def player_throughput(*, session_uuid: str, study: str) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from collector.models import FrameChunk, Session, Study, StudyMembership, StudyRole

    user, _ = get_user_model().objects.get_or_create(username="synthetic-bench-researcher")
    StudyMembership.objects.create(study=Study.objects.get(slug=study), user=user,
                                   role=StudyRole.RESEARCHER)
    session = Session.objects.get(uuid=session_uuid)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = f"/labeling/{study}/sessions/{session_uuid}/landmarks.bin"
    # Warm up once (URL resolution imports every app's views), as a running server is.
    client.get(f"/labeling/{study}/sessions/{session_uuid}/meta.json")
    t0 = time.perf_counter()
    first_chunk_s = None
    total = 0
    for from_seq in range(0, session.frame_count, 600):
        body = b"".join(client.get(url, {"from_seq": from_seq, "count": 600})
                        .streaming_content)
        total += len(body)
        if first_chunk_s is None:
            first_chunk_s = time.perf_counter() - t0
    endpoint_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw = 0
    for data, t_ms, presence in FrameChunk.objects.filter(session=session).order_by(
        "first_seq"
    ).values_list("data", "t_ms", "presence").iterator(chunk_size=200):
        raw += len(bytes(data)) + len(bytes(t_ms)) + len(bytes(presence))
    raw_s = time.perf_counter() - t0
    return {"frames": session.frame_count, "mb": total / 1e6, "endpoint_s": endpoint_s,
            "first_chunk_s": first_chunk_s, "raw_mb": raw / 1e6, "raw_s": raw_s}


def player_bench_external() -> bool:
    """Run bench/player_data.py's main() in its own process when that script exists."""
    if not PLAYER_BENCH.exists():
        return False
    tree = ast.parse(PLAYER_BENCH.read_text())
    if not any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body):
        return False
    code = ("import importlib.util, sys; sys.argv = [sys.argv[0]]; "
            f"spec = importlib.util.spec_from_file_location('player_data', {str(PLAYER_BENCH)!r}); "
            "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module); "
            "module.main()")
    print("player data endpoint: bench/player_data.py", flush=True)
    subprocess.run([sys.executable, "-c", code, str(PLAYER_BENCH)], cwd=ROOT,
                   env=ORIGINAL_ENV, check=False)
    return True


def scratch_reset(var_dir: Path) -> None:
    for name in ("db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm", "exports"):
        path = var_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--session-frames", type=int, default=18_000,
                        help="frames per synthetic session (18,000 = 10 min at 30 fps)")
    parser.add_argument("--quick", action="store_true", help="50,000 frames")
    parser.add_argument("--database-url", default=None,
                        help="a throwaway PostgreSQL database (default: SQLite under var/bench/)")
    parser.add_argument("--var-dir", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--study", default=None)
    parser.add_argument("--child-export", action="store_true")
    parser.add_argument("--child-baseline", action="store_true")
    args = parser.parse_args()
    if args.child_export:
        return child_export(args)
    if args.child_baseline:
        return child_baseline(args)
    frames = 50_000 if args.quick else args.frames
    var_dir = Path(args.var_dir) if args.var_dir else BENCH_VAR_DIR
    var_dir.mkdir(parents=True, exist_ok=True)
    scratch_reset(var_dir)
    args.var_dir = str(var_dir)
    django_setup(args.var_dir, args.database_url)
    t0 = time.perf_counter()
    stored = synthetic_store(frames=frames, session_frames=args.session_frames)
    print(f"synthetic frames stored: {frames:,} in {len(stored['sessions'])} sessions "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)

    export = run_child("export", args, stored["study"])
    if export["status"] != "succeeded":
        raise SystemExit(f"export failed: {export['error']}")
    baseline = run_child("baseline", args, stored["study"])
    ratio = baseline["wall_s"] / export["wall_s"]
    print(f"export (real path, Parquet zip bundle): {export['wall_s']:.1f} s for "
          f"{export['frames']:,} frames, {export['bytes'] / 1e9:.2f} GB, "
          f"peak RSS {export['peak_mib']:.0f} MiB (goal < 1024)")
    print(f"baseline (pyarrow write_table of the in-memory array): {baseline['wall_s']:.1f} s, "
          f"{baseline['bytes'] / 1e9:.2f} GB")
    print(f"ratio baseline/export: {ratio:.2f} (goal >= 0.5)")

    if not player_bench_external():
        player_report(player_throughput(session_uuid=stored["sessions"][0],
                                        study=stored["study"]))
    if args.database_url:
        from collector.models import Study

        Study.objects.filter(slug=SYNTHETIC_SLUG).delete()
    scratch_reset(var_dir)


def player_report(player: dict) -> None:
    print(f"player landmarks.bin: {player['frames']:,} frames, {player['mb']:.1f} MB in "
          f"{player['endpoint_s']:.2f} s = {player['mb'] / player['endpoint_s']:.0f} MB/s; "
          f"first 600-frame chunk in {player['first_chunk_s'] * 1000:.0f} ms")
    print(f"  baseline raw read of the same chunk rows: {player['raw_mb']:.1f} MB in "
          f"{player['raw_s']:.2f} s = {player['raw_mb'] / player['raw_s']:.0f} MB/s "
          f"(endpoint/raw ratio {player['raw_s'] / player['endpoint_s']:.2f})")


if __name__ == "__main__":
    main()
