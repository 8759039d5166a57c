"""Reads of the rounds and the council's pages, each in a fixed number of queries whatever the
number of communes, sessions or votes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from appraisal.models import CouncilItem, CouncilSession, CouncilVote, Round, Submission
from assessments.models import City

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def rounds_of(city: City) -> QuerySet[Round]:
    """The city's rounds, newest first, with their criteria set and counts (2 queries)."""
    return (
        Round.objects.filter(city=city)
        .select_related("city", "criteria_set", "previous")
        .annotate(
            submission_count=Count("submissions", distinct=True),
            session_count=Count("sessions", distinct=True),
        )
        .order_by("-year", "-period", "-pk")
    )


def sessions_of(city: City) -> QuerySet[CouncilSession]:
    """The city's council sessions, newest first, with their round, chair and counts."""
    return (
        CouncilSession.objects.filter(round__city=city)
        .select_related("round", "chair")
        .annotate(
            item_count=Count("items", distinct=True),
            pending_count=Count(
                "items", filter=Q(items__result=CouncilItem.Result.PENDING), distinct=True
            ),
            member_count=Count("members", distinct=True),
        )
        .order_by("-held_on", "-pk")
    )


@dataclass
class ItemRow:
    item: CouncilItem
    submission: Submission
    votes: list[CouncilVote] = field(default_factory=list)
    own: CouncilVote | None = None

    @property
    def pending(self) -> bool:
        return self.item.result == CouncilItem.Result.PENDING

    @property
    def voted(self) -> int:
        return len(self.votes)

    @property
    def criteria(self) -> list[dict]:
        return list((self.submission.conditions or {}).get("criteria", []))

    @property
    def disqualifiers(self) -> list[dict]:
        return list((self.submission.conditions or {}).get("disqualifiers", []))

    @property
    def min_share(self) -> str | None:
        value = (self.submission.conditions or {}).get("min_share")
        return str(value) if value is not None else None

    @property
    def reaches_registered(self) -> bool | None:
        """Whether the level reached is at least the level the commune registered."""
        registered = self.submission.assessment.target_level
        reached = self.submission.level_reached
        if registered is None or reached is None:
            return None if registered is None else False
        return (reached.min_points or 0) >= (registered.min_points or 0)


@dataclass
class SessionPage:
    session: CouncilSession
    members: list[User]
    rows: list[ItemRow]

    @property
    def member_count(self) -> int:
        return len(self.members)


def session_page(session: CouncilSession, user: User) -> SessionPage:
    """The session's members and its items with their submission, standing, conditions and
    votes (4 queries whatever the number of items and votes)."""
    members = list(session.members.order_by("last_name", "first_name"))
    items = list(
        CouncilItem.objects.filter(session=session)
        .select_related(
            "level",
            "submission__assessment__commune",
            "submission__assessment__target_level",
            "submission__level_reached",
        )
        .order_by("submission__assessment__commune__name")
    )
    votes: dict[int, list[CouncilVote]] = {}
    for vote in (
        CouncilVote.objects.filter(item__session=session)
        .select_related("member")
        .order_by("member__last_name", "member__first_name")
    ):
        votes.setdefault(vote.item_id, []).append(vote)
    rows = []
    for item in items:
        cast = votes.get(item.pk, [])
        own = next((v for v in cast if v.member_id == user.pk), None)
        rows.append(ItemRow(item=item, submission=item.submission, votes=cast, own=own))
    return SessionPage(session=session, members=members, rows=rows)
