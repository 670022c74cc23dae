"""Benchmark: one emotion retrain on 100,000 stored synthetic landmark frames, on 2 cores.

Builds a throwaway SQLite database under a temporary folder, stores synthetic frames as
FrameChunks through the real write path with gold segments covering them, then runs the
real retrain task in-process. Prints wall time, peak memory (RSS) and the share of time
in dataset assembly vs training/export/evaluation; the baseline is a plain read-back of
every stored frame measured in the same run (assembly / read-back ratio).

    .venv/bin/python bench/retrain.py [--frames 100000] [--epochs 50]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--subjects", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="stresslab-bench-")
    os.environ["STRESSLAB_VAR_DIR"] = tmp.name
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    sys.path.insert(0, str(ROOT))
    import torch

    torch.set_num_threads(args.threads)
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.threads]))

    import django

    django.setup()
    from django.conf import settings as django_settings
    from django.core.management import call_command

    # local settings run with DEBUG on, which keeps every query (with its landmark bytes)
    # and would count towards the peak memory measured here.
    django_settings.DEBUG = False

    call_command("migrate", verbosity=0)
    from django.conf import settings

    Path(settings.CELERY_RESULTS_DIR).mkdir(parents=True, exist_ok=True)
    import numpy as np

    from collector.selectors.frames import session_frame_chunks
    from retraining.models import TrainingRun
    from retraining.synthetic import synthetic_frames, synthetic_session_store
    from retraining.tasks import retrain
    from tests.factories import ParticipantFactory, SessionFactory, StudyFactory
    from tests.retraining.factories import gold_segment_create

    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    study = StudyFactory(slug="synthetic-bench")
    per_subject = args.frames // args.subjects
    for s in range(args.subjects):
        labels = np.repeat(np.arange(7), -(-per_subject // 7))[:per_subject]
        participant = ParticipantFactory(study=study, code=f"SYN{s:04d}")
        session = SessionFactory(participant=participant)
        frames = synthetic_frames(labels, rng=rng, subject_shift=rng.normal(0, 0.01))
        t_ms = synthetic_session_store(session=session, frames=frames)
        edges = np.flatnonzero(np.diff(labels)) + 1
        for start, end in zip(np.r_[0, edges], np.r_[edges, per_subject] - 1, strict=True):
            gold_segment_create(
                session=session,
                start_ms=t_ms[start],
                end_ms=t_ms[end],
                label=("happy", "sad", "neutral", "angry", "surprised", "fearful", "disgusted")[
                    labels[start]
                ],
            )
    store_s = time.perf_counter() - t0

    from collector.models import Session

    t0 = time.perf_counter()
    n_read = 0
    for session in Session.objects.all():
        for chunk in session_frame_chunks(session=session):
            n_read += len(chunk)
    readback_s = time.perf_counter() - t0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    run = TrainingRun.objects.create(kind="emotion", params={"epochs": args.epochs})
    t0 = time.perf_counter()
    retrain.apply(args=[run.pk]).get()
    wall_s = time.perf_counter() - t0
    run.refresh_from_db()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if run.status != "succeeded":
        raise SystemExit(f"run failed: {run.error}")
    timings = run.timings
    assembly = timings.get("assembling", 0.0)
    rest = wall_s - assembly
    version = run.model_version
    print(f"synthetic frames stored: {n_read} in {store_s:.1f} s ({args.subjects} subjects)")
    print(f"baseline read-back of all frames: {readback_s:.2f} s")
    print(f"retrain wall time: {wall_s:.1f} s on {args.threads} threads (goal < 300 s)")
    print(
        f"  dataset assembly: {assembly:.1f} s ({assembly / wall_s:.0%}), "
        f"{assembly / readback_s:.2f}x the plain read-back"
    )
    training = timings.get("training", 0.0)
    other = rest - sum(v for k, v in timings.items() if k != "assembling")
    print(f"  training: {training:.1f} s ({training / wall_s:.0%}), epochs run: {len(run.curves)}")
    print(
        f"  export: {timings.get('exporting', 0):.1f} s, "
        f"evaluation: {timings.get('evaluating', 0):.1f} s, other: {other:.1f} s"
    )
    print(f"peak RSS: {peak_mb:.0f} MiB (before the run: {rss_before:.0f} MiB)")
    metrics = version.metrics
    print(f"held-out accuracy {metrics.get('accuracy')}, macro-F1 {metrics.get('macro_f1')}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
