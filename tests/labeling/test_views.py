"""Workspace, player data, segment API, researcher pages and export pages over HTTP."""
import json
import struct
from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from collector.models import AuditAction, AuditEvent, StudyRole
from collector.selectors.frames import session_frames
from labeling.models import Assignment, ExportJob, GoldLabel, Segment
from labeling.services.exports import export_build, exports_expire
from labeling.services.segments import segment_create
from tests.factories import MembershipFactory, ParticipantFactory, StudyFactory, UserFactory
from tests.labeling.support import session_with_frames

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    study = StudyFactory()
    researcher, annotator, other = UserFactory(), UserFactory(), UserFactory()
    MembershipFactory(study=study, user=researcher, role=StudyRole.RESEARCHER)
    MembershipFactory(study=study, user=annotator, role=StudyRole.ANNOTATOR)
    MembershipFactory(study=study, user=other, role=StudyRole.ANNOTATOR)
    assigned = session_with_frames(n=90, participant=ParticipantFactory(study=study), seed=1)
    unassigned = session_with_frames(n=30, participant=ParticipantFactory(study=study), seed=2)
    Assignment.objects.create(session=assigned, annotator=annotator)
    return {"study": study, "researcher": researcher, "annotator": annotator, "other": other,
            "assigned": assigned, "unassigned": unassigned, "outsider": UserFactory()}


def url(name, *args):
    return reverse(f"labeling:{name}", args=args)


def test_annotator_sees_only_assigned_sessions(client, world):
    s = world["study"]
    client.force_login(world["annotator"])
    page = client.get(url("workspace", s.slug)).content.decode()
    assert str(world["assigned"].uuid) in page and str(world["unassigned"].uuid) not in page
    assert client.get(url("player", s.slug, world["assigned"].uuid)).status_code == 200
    for name in ("player", "session_meta", "session_landmarks", "segment_create"):
        method = client.post if name == "segment_create" else client.get
        assert method(url(name, s.slug, world["unassigned"].uuid)).status_code == 404
    for name in ("assignments", "agreement", "consensus", "exports", "export_status"):
        assert client.get(url(name, s.slug)).status_code == 403
    client.force_login(world["researcher"])
    page = client.get(url("workspace", s.slug)).content.decode()
    assert str(world["unassigned"].uuid) in page


def test_non_members_get_404_and_anonymous_users_log_in(client, world):
    s = world["study"]
    client.force_login(world["outsider"])
    for name in ("workspace", "assignments", "agreement", "consensus", "exports"):
        assert client.get(url(name, s.slug)).status_code == 404
    assert client.get(url("player", s.slug, world["assigned"].uuid)).status_code == 404
    client.logout()
    response = client.get(url("workspace", s.slug))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_frames_bin_decodes_to_the_stored_arrays(client, world):
    s, session = world["study"], world["assigned"]
    client.force_login(world["annotator"])
    stored = session_frames(session=session)
    for from_seq, count in ((0, 600), (7, 33), (85, 600)):
        response = client.get(url("session_landmarks", s.slug, session.uuid),
                              {"from_seq": from_seq, "count": count})
        body = b"".join(response.streaming_content)
        magic, first, n, dim = struct.unpack_from("<4sIII", body)
        assert (magic, first, dim) == (b"SLF1", from_seq, 1536)
        assert n == min(count, 90 - from_seq) == int(response["X-Frame-Count"])
        t = np.frombuffer(body, "<f8", n, 16)
        pres_end = 16 + n * 8 + n * 2 + (-(n * 2) % 8)
        X = np.frombuffer(body, "<f4", n * 1536, pres_end).reshape(n, 1536)
        assert np.array_equal(t, stored.t_ms[from_seq:from_seq + n])
        assert np.array_equal(X, stored.features[from_seq:from_seq + n])
        assert len(body) == pres_end + n * 1536 * 4
    bad = client.get(url("session_landmarks", s.slug, session.uuid), {"from_seq": "x"})
    assert bad.status_code == 400


def test_segment_api_create_update_delete_and_errors(client, world):
    s, session = world["study"], world["assigned"]
    client.force_login(world["annotator"])
    create = url("segment_create", s.slug, session.uuid)
    response = client.post(create, json.dumps({"kind": "emotion", "label": "happy",
                                               "start_ms": 100, "end_ms": 900}),
                           content_type="application/json")
    assert response.status_code == 201
    uid = response.json()["uid"]
    bad = client.post(create, json.dumps({"kind": "emotion", "label": "bored",
                                          "start_ms": 100, "end_ms": 50}),
                      content_type="application/json")
    assert bad.status_code == 400 and {"label", "end_ms"} <= set(bad.json()["errors"])
    assert client.post(create, "not json", content_type="application/json").status_code == 400
    assert Segment.objects.count() == 1
    detail = url("segment_detail", s.slug, uid)
    patched = client.patch(detail, json.dumps({"label": "sad", "confidence": 0.5}),
                           content_type="application/json")
    assert patched.status_code == 200 and patched.json()["label"] == "sad"
    rejected = client.patch(detail, json.dumps({"start_ms": 5000}),
                            content_type="application/json")
    assert rejected.status_code == 400
    assert Segment.objects.get(uid=uid).start_ms == 100
    meta = client.get(url("session_meta", s.slug, session.uuid)).json()
    assert [seg["label"] for seg in meta["segments"]] == ["sad"]
    assert meta["frames"] == 90 and meta["schema"]["stress"] == ["none", "low", "moderate",
                                                                 "high"]
    # Someone else's segment cannot be changed, even by a researcher.
    client.force_login(world["researcher"])
    assert client.delete(detail).status_code == 403
    client.force_login(world["annotator"])
    assert client.delete(detail).status_code == 204
    assert not Segment.objects.exists()
    ops = [e.details["op"] for e in AuditEvent.objects.filter(
        action=AuditAction.LABEL_CHANGE).order_by("at", "pk")]
    assert ops == ["create", "update", "delete"]


def test_assignment_page_applies_overlap(client, world):
    s = world["study"]
    client.force_login(world["researcher"])
    response = client.post(url("assignments", s.slug), {
        "annotators": [world["annotator"].pk, world["other"].pk], "overlap": "1",
        "per_overlap": "2", "scope": "all"})
    assert response.status_code == 200
    assert "now have two or more annotators" in response.content.decode()
    for session in (world["assigned"], world["unassigned"]):
        assert Assignment.objects.filter(session=session).count() == 2
    bad = client.post(url("assignments", s.slug), {"annotators": [world["annotator"].pk],
                                                    "overlap": "3", "scope": "all"})
    assert bad.status_code == 400


def test_agreement_and_consensus_pages(client, world):
    s, session = world["study"], world["assigned"]
    for user, label in ((world["annotator"], "happy"), (world["other"], "sad")):
        segment_create(session=session, annotator=user, kind="emotion", label=label,
                       start_ms=0, end_ms=3000)
    segment_create(session=session, annotator=world["annotator"], kind="emotion",
                   label="angry", start_ms=3000, end_ms=6000)
    segment_create(session=session, annotator=world["other"], kind="emotion",
                   label="angry", start_ms=3000, end_ms=6000)
    client.force_login(world["researcher"])
    page = client.get(url("agreement", s.slug)).content.decode()
    assert "Cohen's kappa" in page and "Fleiss' kappa" in page
    assert "<td>60</td>" in page  # frames 0..5900 ms labeled by both
    response = client.post(url("consensus", s.slug), {
        "session": session.uuid, "kind": "emotion", "action": "rebuild"})
    assert response.status_code == 302
    gold = list(GoldLabel.objects.filter(session=session).values_list("label", "start_ms"))
    assert gold == [("angry", 3000.0)]
    page = client.get(url("consensus", s.slug)).content.decode()
    assert "0–3000" in page  # the disputed span is offered for adjudication
    client.post(url("consensus", s.slug), {
        "session": session.uuid, "kind": "emotion", "action": "adjudicate", "label": "happy",
        "start_ms": "0", "end_ms": "3000"})
    assert sorted(GoldLabel.objects.filter(session=session).values_list("label", flat=True)) \
        == ["angry", "happy"]
    assert "No open disagreements" in client.get(url("consensus", s.slug)).content.decode()


@pytest.mark.django_db(transaction=True)
def test_export_pages_request_show_download_and_expire(client, world, settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    s = world["study"]
    client.force_login(world["researcher"])
    bad = client.post(url("exports", s.slug), {"format": "xlsx"})
    assert bad.status_code == 400 and ExportJob.objects.count() == 0
    response = client.post(url("exports", s.slug), {"format": "npz", "label_status": "any"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    export_build(job_id=job.pk)  # already built eagerly on commit; a second call is a no-op
    status = client.get(url("export_status", s.slug)).json()["jobs"][0]
    assert status["status"] == "succeeded" and status["downloadable"]
    assert status["counts"]["frames"] == 120
    download = client.get(url("export_download", s.slug, job.uid))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    b"".join(download.streaming_content)
    exports_expire(now=timezone.now() + timedelta(days=2))
    assert client.get(url("export_download", s.slug, job.uid)).status_code == 404
    ops = [e.details["op"] for e in AuditEvent.objects.filter(action=AuditAction.EXPORT)]
    assert sorted(ops) == ["built", "download", "request"]
