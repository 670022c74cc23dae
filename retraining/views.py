"""Live model outputs for study members (the monitor and the labeling player poll this)."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from collector.access import study_role
from collector.models import Session
from retraining.selectors import session_predictions, session_prelabels


def _member_session(request: HttpRequest, session_uuid: UUID) -> Session:
    """The session if the user is a member of its study (any role), else 404."""
    session = Session.objects.select_related("participant__study").filter(uuid=session_uuid).first()
    if session is None or study_role(user=request.user, study=session.study) is None:
        raise Http404("No such session.")
    return session


@require_GET
@login_required
def session_predictions_json(request: HttpRequest, session_uuid: UUID) -> JsonResponse:
    session = _member_session(request, session_uuid)
    return JsonResponse({"predictions": session_predictions(session=session)})


@require_GET
@login_required
def session_prelabels_json(request: HttpRequest, session_uuid: UUID) -> JsonResponse:
    """Model suggestions the labeling player offers as pre-labels."""
    session = _member_session(request, session_uuid)
    return JsonResponse({"prelabels": session_prelabels(session=session)})
