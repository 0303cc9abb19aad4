"""Registering the learners of a course's enterprise enrollments to its sessions, with a waitlist.

The learners enrolled (enrollment in force, learner linked to the session's customer) are
registered in the order they enrolled while seats remain, then waitlisted; a cancelled
registration frees its seat for the first learner waiting, who gets the invitation then. Each
function holds the session row locked while it counts seats, so two at once cannot overbook.
A change of the session (time, join link) re-sends the invitation with a higher SEQUENCE; a
cancelled session sends METHOD:CANCEL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from enterprise.models import EnterpriseCourseEnrollment
from integrated_channels.classroom.exceptions import SessionNotOpen
from integrated_channels.classroom.models import Registration, Session
from integrated_channels.classroom.services.invitations import CANCEL, REQUEST, send_invitations


@dataclass
class RegistrationResult:
    registered: list[int] = field(default_factory=list)  # user ids given a seat now
    waitlisted: list[int] = field(default_factory=list)
    unchanged: int = 0
    cancelled: list[int] = field(default_factory=list)  # no longer enrolled
    invitations_sent: int = 0


def _emails(user_ids) -> dict[int, str]:
    return dict(get_user_model().objects.filter(pk__in=list(user_ids)).values_list("pk", "email"))


def _invite(session: Session, user_ids: list[int], method: str = REQUEST) -> int:
    if not user_ids:
        return 0
    sent = send_invitations(session=session, emails=_emails(user_ids).values(), method=method)
    Registration.objects.filter(session=session, user_id__in=user_ids).update(invited_sequence=session.sequence)
    return sent


def _locked(session: Session) -> Session:
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if not locked.is_open:
        raise SessionNotOpen(f"The session {locked} is {locked.get_status_display().lower()}.")
    return locked


def register_enrolled_learners(*, session: Session) -> RegistrationResult:
    """Bring the session's registrations in line with the course's enrollments.

    Registers (or waitlists) every learner enrolled and not registered yet; cancels the
    registration of learners no longer enrolled (unenrolled, unlinked: the enrollment services
    work set-based, without signals) and gives their seats to the learners waiting.

    A bounded number of queries whatever the number of learners: enrollments, registrations and
    the seat count read once, one bulk insert, one e-mail connection.
    """
    result = RegistrationResult()
    with transaction.atomic():
        session = _locked(session)
        enrolled = list(
            EnterpriseCourseEnrollment.objects.enrolled()
            .filter(course_id=session.course_id, learner__customer_id=session.customer_id, learner__linked=True)
            .order_by("created", "pk")
            .values_list("learner__user_id", flat=True)
        )
        known = set(session.registrations.values_list("user_id", flat=True))
        taken = session.registrations.filter(status=Registration.Status.REGISTERED).count()
        free = None if session.capacity is None else max(session.capacity - taken, 0)
        rows = []
        for user_id in enrolled:
            if user_id in known:
                result.unchanged += 1
                continue
            known.add(user_id)
            if free is None or free > 0:
                status = Registration.Status.REGISTERED
                result.registered.append(user_id)
                free = None if free is None else free - 1
            else:
                status = Registration.Status.WAITLISTED
                result.waitlisted.append(user_id)
            rows.append(Registration(session=session, user_id=user_id, status=status))
        enrolled_set = set(enrolled)
        gone = session.registrations.exclude(status=Registration.Status.CANCELLED).exclude(user_id__in=enrolled_set)
        gone_seated = list(gone.filter(status=Registration.Status.REGISTERED).values_list("user_id", flat=True))
        result.cancelled = list(gone.values_list("user_id", flat=True))
        if result.cancelled:
            gone.update(status=Registration.Status.CANCELLED, modified=timezone.now())
            send_invitations(session=session, emails=_emails(gone_seated).values(), method=CANCEL)
        Registration.objects.bulk_create(rows)
        result.invitations_sent = _invite(session, result.registered)
        if gone_seated:
            promoted = _promote(session)
            result.registered += promoted
            result.waitlisted = [user_id for user_id in result.waitlisted if user_id not in promoted]
    return result


def cancel_registration(*, session: Session, user_id: int) -> list[int]:
    """Cancel a learner's registration (they get a cancellation); returns the user ids promoted from the waitlist."""
    with transaction.atomic():
        session = _locked(session)
        registration = session.registrations.filter(user_id=user_id).exclude(status=Registration.Status.CANCELLED)
        was = registration.values_list("status", flat=True).first()
        if was is None:
            return []
        registration.update(status=Registration.Status.CANCELLED, modified=timezone.now())
        if was == Registration.Status.REGISTERED:
            send_invitations(session=session, emails=_emails([user_id]).values(), method=CANCEL)
        promoted = _promote(session)
    return promoted


def _promote(session: Session) -> list[int]:
    if session.capacity is None:
        free = None
    else:
        free = session.capacity - session.registrations.filter(status=Registration.Status.REGISTERED).count()
        if free <= 0:
            return []
    waiting = session.registrations.filter(status=Registration.Status.WAITLISTED).order_by("created", "pk")
    promoted = list((waiting if free is None else waiting[:free]).values_list("user_id", flat=True))
    Registration.objects.filter(session=session, user_id__in=promoted).update(
        status=Registration.Status.REGISTERED, modified=timezone.now()
    )
    _invite(session, promoted)
    return promoted


def fill_free_seats(*, session: Session) -> list[int]:
    """Give free seats (a grown capacity) to the first learners waiting, with their invitation."""
    with transaction.atomic():
        return _promote(_locked(session))


def session_changed(*, session: Session) -> int:
    """After a change learners must know (time, join link, capacity): re-invite and fill freed seats.

    Raises the SEQUENCE, sends the updated invitation to every registered learner, and promotes
    waitlisted learners if the capacity grew. Returns how many invitations were sent.
    """
    with transaction.atomic():
        Session.objects.filter(pk=session.pk).update(sequence=F("sequence") + 1)
        session = _locked(session)
        registered = list(
            session.registrations.filter(status=Registration.Status.REGISTERED).values_list("user_id", flat=True)
        )
        sent = _invite(session, registered)
        _promote(session)
    return sent


def cancel_session(*, session: Session) -> int:
    """Cancel the session: registered learners get METHOD:CANCEL. Returns how many were told."""
    with transaction.atomic():
        session = _locked(session)
        session.status = Session.Status.CANCELLED
        session.sequence += 1
        session.save(update_fields=["status", "sequence", "modified"])
        registered = list(
            session.registrations.filter(status=Registration.Status.REGISTERED).values_list("user_id", flat=True)
        )
        return send_invitations(session=session, emails=_emails(registered).values(), method=CANCEL)
