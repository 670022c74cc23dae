"""Segments, consensus, adjudication and the gold-label contract retraining reads."""
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from collector.models import AuditAction, AuditEvent, StudyRole
from collector.services.withdrawal import participant_withdraw
from labeling.models import GoldLabel, GoldSource, Segment
from labeling.selectors import gold_segments, sessions_with_gold_since
from labeling.selectors.agreement import study_agreement
from labeling.services.assignments import sessions_assign
from labeling.services.consensus import consensus_rebuild, gold_adjudicate
from labeling.services.segments import segment_create, segment_delete, segment_update
from tests.factories import MembershipFactory, ParticipantFactory, StudyFactory, UserFactory
from tests.labeling.support import session_with_frames

pytestmark = pytest.mark.django_db


def annotators(study, n):
    users = [UserFactory() for _ in range(n)]
    for u in users:
        MembershipFactory(study=study, user=u, role=StudyRole.ANNOTATOR)
    return users


def test_segment_create_validates_and_stores_nothing_on_bad_input():
    session = session_with_frames(n=10)
    (user,) = annotators(session.participant.study, 1)
    with pytest.raises(ValidationError) as err:
        segment_create(session=session, annotator=user, kind="emotion", label="bored",
                       start_ms=0, end_ms=100)
    assert "label" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        segment_create(session=session, annotator=user, kind="stress", label="high",
                       start_ms=500, end_ms=100)
    assert "end_ms" in err.value.message_dict
    with pytest.raises(ValidationError):
        segment_create(session=session, annotator=user, kind="stress", label="high",
                       start_ms=0, end_ms=100, confidence=1.5)
    assert Segment.objects.count() == 0
    assert not AuditEvent.objects.filter(action=AuditAction.LABEL_CHANGE).exists()


def test_segment_changes_are_audited_without_personal_data():
    session = session_with_frames(n=10)
    (user,) = annotators(session.participant.study, 1)
    seg = segment_create(session=session, annotator=user, kind="emotion", label="happy",
                         start_ms=0, end_ms=300, confidence=0.8, note="smiles")
    segment_update(segment=seg, actor=user, label="sad", end_ms=400)
    seg.refresh_from_db()
    assert (seg.label, seg.end_ms, seg.confidence) == ("sad", 400.0, 0.8)
    with pytest.raises(ValidationError):
        segment_update(segment=seg, actor=user, start_ms=900)
    seg.refresh_from_db()
    assert seg.start_ms == 0.0  # a rejected edit changes nothing
    segment_delete(segment=seg, actor=user)
    events = AuditEvent.objects.filter(action=AuditAction.LABEL_CHANGE).order_by("at", "pk")
    assert [e.details["op"] for e in events] == ["create", "update", "delete"]
    code = session.participant.code
    assert all(code not in str(e.details) for e in events)


def test_majority_consensus_and_disputed_spans():
    # 3 annotators over frames at 0..9900 ms: all agree "happy" on [0, 3000),
    # two say "sad" on [3000, 6000) (majority), all differ on [6000, 8000) (disputed).
    session = session_with_frames(n=100)
    a, b, c = annotators(session.participant.study, 3)
    for user, labels in ((a, ["happy", "sad", "angry"]), (b, ["happy", "sad", "fearful"]),
                         (c, ["happy", "neutral", "disgusted"])):
        for (start, end), label in zip([(0, 3000), (3000, 6000), (6000, 8000)], labels,
                                       strict=True):
            segment_create(session=session, annotator=user, kind="emotion", label=label,
                           start_ms=start, end_ms=end)
    result = consensus_rebuild(session=session, kind="emotion")
    gold = list(GoldLabel.objects.filter(session=session).order_by("start_ms"))
    assert [(g.label, g.start_ms, g.end_ms) for g in gold] == [
        ("happy", 0.0, 3000.0), ("sad", 3000.0, 6000.0)]
    assert gold[0].agreement == pytest.approx(1.0)
    assert gold[1].agreement == pytest.approx(2 / 3)
    assert result.annotators == 3
    assert result.disputed_spans == [(6000.0, 8000.0)]

    gold_adjudicate(session=session, kind="emotion", label="angry", start_ms=6000,
                    end_ms=8000, actor=None)
    gold = list(GoldLabel.objects.filter(session=session).order_by("start_ms"))
    assert [(g.label, g.source) for g in gold] == [
        ("happy", GoldSource.MAJORITY), ("sad", GoldSource.MAJORITY),
        ("angry", GoldSource.ADJUDICATED)]
    # A rebuild keeps the adjudicated span and reports no dispute there any more.
    assert consensus_rebuild(session=session, kind="emotion").disputed_spans == []
    assert GoldLabel.objects.filter(session=session, source=GoldSource.ADJUDICATED).count() == 1


def test_adjudication_overrides_majority_where_it_overlaps():
    session = session_with_frames(n=50)
    a, b = annotators(session.participant.study, 2)
    for user in (a, b):
        segment_create(session=session, annotator=user, kind="stress", label="low",
                       start_ms=0, end_ms=5000)
    consensus_rebuild(session=session, kind="stress")
    gold_adjudicate(session=session, kind="stress", label="high", start_ms=1000,
                    end_ms=2000, actor=None)
    spans = [(g.label, g.start_ms, g.end_ms) for g in
             GoldLabel.objects.filter(session=session).order_by("start_ms")]
    assert spans == [("low", 0.0, 1000.0), ("high", 1000.0, 2000.0), ("low", 2000.0, 4950.0)]


def test_gold_contract_excludes_withdrawn_and_counts_new_sessions():
    study = StudyFactory()
    kept = session_with_frames(n=20, participant=ParticipantFactory(study=study))
    gone = session_with_frames(n=20, participant=ParticipantFactory(study=study))
    before = timezone.now()
    for s in (kept, gone):
        gold_adjudicate(session=s, kind="emotion", label="happy", start_ms=0, end_ms=1000,
                        actor=None)
    assert {g.session_id for g in gold_segments(study=study, kind="emotion")} == {
        kept.pk, gone.pk}
    assert sessions_with_gold_since(since=before) == 2
    participant_withdraw(code=gone.participant.code)
    segs = gold_segments(study=study, kind="emotion")
    assert [(g.session_id, g.label, g.start_ms, g.end_ms, g.kind) for g in segs] == [
        (kept.pk, "happy", 0.0, 1000.0, "emotion")]
    assert gold_segments(study=study, kind="stress") == []
    assert sessions_with_gold_since(since=timezone.now()) == 0
    assert not GoldLabel.objects.filter(session_id=gone.pk).exists()


def test_withdrawal_deletes_segments():
    session = session_with_frames(n=10)
    (user,) = annotators(session.participant.study, 1)
    segment_create(session=session, annotator=user, kind="emotion", label="happy",
                   start_ms=0, end_ms=500)
    participant_withdraw(code=session.participant.code)
    assert Segment.objects.count() == 0


def test_study_agreement_on_frames():
    # Two annotators, 100 frames: they agree on 75 frames ("none" 50, "high" 25) and
    # disagree on 25 -> the same as the hand-computed cases scaled by 25 items.
    session = session_with_frames(n=100)
    study = session.participant.study
    a, b = annotators(study, 2)
    for start, end, label in ((0, 5000, "none"), (5000, 10000, "high")):
        segment_create(session=session, annotator=a, kind="stress", label=label,
                       start_ms=start, end_ms=end)
    for start, end, label in ((0, 2500, "none"), (2500, 10000, "high")):
        segment_create(session=session, annotator=b, kind="stress", label=label,
                       start_ms=start, end_ms=end)
    result = study_agreement(study=study, kind="stress")
    assert result.sessions == 1
    (pair,) = result.pairs
    assert pair["items"] == 100
    assert pair["kappa"] == pytest.approx(0.5)
    assert result.fleiss.items == 100
    expected = 1 - (50 / 200) / (2 * 75 * 125 / (200 * 199))
    assert result.alpha_nominal.value == pytest.approx(expected)
    assert result.alpha_ordinal.value == pytest.approx(result.alpha_nominal.value)
    assert study_agreement(study=study, kind="emotion").sessions == 0


def test_sessions_assign_with_overlap_is_idempotent():
    study = StudyFactory()
    sessions = [session_with_frames(n=5, participant=ParticipantFactory(study=study))
                for _ in range(10)]
    users = annotators(study, 3)
    plan = sessions_assign(sessions=sessions, annotators=users, overlap=0.3)
    assert plan.sessions == 10 and plan.overlapped == 3 and plan.created == 13
    again = sessions_assign(sessions=sessions, annotators=users, overlap=0.3)
    assert again.created == 0
    loads = sorted(u.label_assignments.count() for u in users)
    assert loads[-1] - loads[0] <= 1
    outsider = UserFactory()
    with pytest.raises(ValidationError):
        sessions_assign(sessions=sessions, annotators=[outsider], overlap=0.0)
