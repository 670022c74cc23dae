"""{% capture_token session %} and {% capture_protocol study %} for the session page."""
from __future__ import annotations

from typing import Any

from django import template

from collector.models import Session, Study
from collector.protocol import protocol_for_study
from collector.services.capture import capture_token_issue

register = template.Library()


@register.simple_tag
def capture_token(session: Session) -> str:
    """A signed, expiring token that lets this page open the session's stream."""
    return capture_token_issue(session=session)


@register.simple_tag
def capture_protocol(study: Study) -> dict[str, Any]:
    return protocol_for_study(study.protocol)
