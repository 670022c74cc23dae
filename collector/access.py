"""Object-level access: nobody reads a study's data without membership.

Non-members get 404 (the study's existence is not revealed); members whose role
does not allow the action get 403. Staff superusers pass every check.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from collector.models import Study, StudyMembership, StudyRole

ALL_ROLES = (StudyRole.RESEARCHER, StudyRole.ANNOTATOR)


def studies_for_user(user: AbstractBaseUser) -> QuerySet[Study]:
    if not user.is_authenticated:
        return Study.objects.none()
    if user.is_superuser:
        return Study.objects.all()
    return Study.objects.filter(memberships__user=user).distinct()


def study_role(*, user: AbstractBaseUser, study: Study) -> str | None:
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return StudyRole.RESEARCHER
    return (
        StudyMembership.objects.filter(study=study, user=user)
        .values_list("role", flat=True)
        .first()
    )


def study_for_user(
    *, user: AbstractBaseUser, slug: str, roles: Iterable[str] = ALL_ROLES
) -> Study:
    """The study if the user may act on it with one of `roles`; else 404/403."""
    study = Study.objects.filter(slug=slug).first()
    role = study_role(user=user, study=study) if study else None
    if study is None or role is None:
        raise Http404("No such study.")
    if role not in set(roles):
        raise PermissionDenied("Your role in this study does not allow this.")
    return study
