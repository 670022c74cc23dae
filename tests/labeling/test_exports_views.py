"""Export pages over HTTP: who may see them, form errors, the job list and its status
JSON, the download, its audit event and its expiry."""
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from collector.models import AuditAction, AuditEvent, SessionEvent, StudyRole
from labeling.models import ExportJob, ExportStatus
from labeling.services.exports import export_request, exports_expire
from tests.factories import MembershipFactory, ParticipantFactory, StudyFactory, UserFactory
from tests.labeling.support import session_with_frames

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the job is built when its row commits
    study = StudyFactory()
    researcher, annotator = UserFactory(), UserFactory()
    MembershipFactory(study=study, user=researcher, role=StudyRole.RESEARCHER)
    MembershipFactory(study=study, user=annotator, role=StudyRole.ANNOTATOR)
    session = session_with_frames(n=40, participant=ParticipantFactory(study=study))
    SessionEvent.objects.create(session=session, eid=uuid.uuid4(), name="phase_start", t_ms=0,
                                data={"phase": "baseline"})
    job = export_request(study=study, user=researcher, format="csv", filters={})
    job.refresh_from_db()
    assert job.status == ExportStatus.SUCCEEDED, job.error
    return {"study": study, "researcher": researcher, "annotator": annotator, "job": job,
            "session": session, "outsider": UserFactory()}


def export_urls(world) -> list[tuple[str, str]]:
    slug, uid = world["study"].slug, world["job"].uid
    return [
        ("get", reverse("labeling:exports", args=[slug])),
        ("post", reverse("labeling:exports", args=[slug])),
        ("get", reverse("labeling:export_status", args=[slug])),
        ("get", reverse("labeling:export_download", args=[slug, uid])),
    ]


def request(client, method: str, url: str):
    if method == "post":
        return client.post(url, {"format": "csv", "label_status": "any"})
    return client.get(url)


def test_annotators_get_403_on_every_export_url_and_start_nothing(client, world):
    client.force_login(world["annotator"])
    for method, url in export_urls(world):
        assert request(client, method, url).status_code == 403, url
    assert ExportJob.objects.count() == 1


def test_non_members_get_404_on_every_export_url(client, world):
    client.force_login(world["outsider"])
    for method, url in export_urls(world):
        assert request(client, method, url).status_code == 404, url
    # A researcher of another study cannot reach this study's job through their own.
    other = StudyFactory()
    MembershipFactory(study=other, user=world["outsider"], role=StudyRole.RESEARCHER)
    url = reverse("labeling:export_download", args=[other.slug, world["job"].uid])
    assert client.get(url).status_code == 404
    assert ExportJob.objects.count() == 1


def test_anonymous_users_are_sent_to_login(client, world):
    for method, url in export_urls(world):
        response = request(client, method, url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert ExportJob.objects.count() == 1


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"format": "xlsx"}, "format", "Choose one of csv, parquet, npz"),
        ({"format": "csv", "label_status": "maybe"}, "label_status", "Choose one of any"),
        ({"format": "csv", "phase": "lunch"}, "phase", "No session of this study has a phase"),
        ({"format": "csv", "sessions": ["not-a-uuid"]}, "sessions", "Not sessions of this study"),
        ({"format": "npz", "sessions": [str(uuid.uuid4())]}, "sessions", "Not sessions of"),
    ],
)
def test_bad_form_input_is_a_clear_error_and_creates_no_job(client, world, form, field,
                                                            message):
    client.force_login(world["researcher"])
    audit_before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()
    response = client.post(reverse("labeling:exports", args=[world["study"].slug]), form)
    assert response.status_code == 400
    page = response.content.decode()
    assert f"<strong>{field}</strong>" in page and message in page
    assert ExportJob.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == audit_before


def test_a_valid_request_starts_a_job_with_its_filters(client, world):
    client.force_login(world["researcher"])
    response = client.post(reverse("labeling:exports", args=[world["study"].slug]), {
        "format": "parquet", "phase": "baseline", "label_status": "unlabeled",
        "sessions": [str(world["session"].uuid)]})
    assert response.status_code == 302
    job = ExportJob.objects.exclude(pk=world["job"].pk).get()
    assert job.format == "parquet" and job.requested_by == world["researcher"]
    assert job.filters == {"phase": "baseline", "label_status": "unlabeled",
                           "sessions": [str(world["session"].uuid)]}
    assert job.status == ExportStatus.SUCCEEDED and job.manifest["counts"]["frames"] == 40


def test_page_and_status_json_show_progress_and_a_link_only_when_done(client, world):
    waiting = ExportJob.objects.create(study=world["study"], requested_by=world["researcher"],
                                       format="npz", filters={"label_status": "any"})
    client.force_login(world["researcher"])
    slug = world["study"].slug
    page = client.get(reverse("labeling:exports", args=[slug])).content.decode()
    done_link = reverse("labeling:export_download", args=[slug, world["job"].uid])
    assert done_link in page
    assert reverse("labeling:export_download", args=[slug, waiting.uid]) not in page
    assert 'value="baseline"' in page  # the phase choices come from the study's sessions
    jobs = {j["uid"]: j for j in
            client.get(reverse("labeling:export_status", args=[slug])).json()["jobs"]}
    assert jobs[str(world["job"].uid)]["status"] == "succeeded"
    assert jobs[str(world["job"].uid)]["progress"] == 1.0
    assert jobs[str(world["job"].uid)]["downloadable"] is True
    assert jobs[str(world["job"].uid)]["counts"]["frames"] == 40
    assert jobs[str(waiting.uid)] | {"expires_at": None} == {
        "uid": str(waiting.uid), "format": "npz", "status": "queued", "progress": 0.0,
        "error": "", "downloadable": False, "expires_at": None, "counts": None}
    url = reverse("labeling:export_download", args=[slug, waiting.uid])
    assert client.get(url).status_code == 404


def test_download_streams_the_bundle_and_is_audited_without_personal_data(client, world):
    client.force_login(world["researcher"])
    job = world["job"]
    response = client.get(reverse("labeling:export_download", args=[world["study"].slug,
                                                                    job.uid]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == Path(job.file_path).read_bytes()
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT,
                                      details__op="download").get()
    assert event.details == {"op": "download", "job": str(job.uid), "format": "csv",
                             "counts": job.manifest["counts"]}
    assert event.details["counts"]["frames"] == 40
    assert event.actor == world["researcher"] and event.study == world["study"]
    code = world["session"].participant.code
    for details in AuditEvent.objects.filter(action=AuditAction.EXPORT).values_list(
            "details", flat=True):
        assert code not in json.dumps(details)


def test_expired_export_is_deleted_and_its_download_is_gone(client, world):
    client.force_login(world["researcher"])
    job = world["job"]
    path = Path(job.file_path)
    assert path.exists()
    assert exports_expire(now=timezone.now() + timedelta(hours=24, minutes=1)) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and not path.exists()
    url = reverse("labeling:export_download", args=[world["study"].slug, job.uid])
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(details__op="download").exists()
