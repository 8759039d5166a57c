"""The period switcher: which assessments a person may move between, and which one is current.

Shown on the page "Các kỳ đánh giá" (assessments:periods) and in the navigation bar's
dropdown (assessments/_period_switcher.html), which fetches its items from that page when it
opens, so that no other page pays a query for it. The rows come from here;
links to each period's issued documents are added by whoever owns those documents, through
`register_documents` (the reports app registers one in its AppConfig.ready), so this app never
imports the reports app.

Which assessment is "current" in a commune: the newest OPEN one, or the newest when none is
open. A person may choose another one in the switcher (`assessments:choose`); the choice is
remembered in their session (`CHOSEN_KEY`) and the home page lands on it until they choose
again or it stops being visible to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assessments.access import visible_assessments
from assessments.models import Assessment

if TYPE_CHECKING:
    from assessments.access import User

CHOSEN_KEY = "assessment_chosen"
"""The session key holding the pk of the assessment a person chose in the switcher."""


@dataclass
class DocumentLink:
    """A link shown under a period: an issued report, its signed PDF, a dossier."""

    label: str
    url: str
    icon: str = "bi-file-earmark-text"


@dataclass
class PeriodRow:
    assessment: Assessment
    is_current: bool = False
    is_chosen: bool = False
    documents: list[DocumentLink] = field(default_factory=list)

    @property
    def label(self) -> str:
        """'6 tháng đầu năm 2026'."""
        return f"{self.assessment.get_period_display()} {self.assessment.year}"


DocumentProvider = Callable[["User", list[PeriodRow]], None]
_providers: list[DocumentProvider] = []


def register_documents(provider: DocumentProvider) -> None:
    """Add a function that appends `DocumentLink`s to the rows it is given (a fixed number of
    queries for any number of rows; only links the person may open)."""
    if provider not in _providers:
        _providers.append(provider)


def _newest_first(assessment: Assessment) -> tuple:
    # FIRST_HALF ("h1") comes before FULL_YEAR ("year") in a year.
    order = list(Assessment.Period.values)
    return (-assessment.year, -order.index(assessment.period), -assessment.pk)


def current_of(assessments: Iterable[Assessment]) -> Assessment | None:
    """The newest open assessment, or the newest of all when none is open (one commune)."""
    ordered = sorted(assessments, key=_newest_first)
    return next((a for a in ordered if a.status == Assessment.Status.OPEN), None) or next(
        iter(ordered), None
    )


def ordered_periods(assessments: Iterable[Assessment], chosen_pk: Any = None) -> list[PeriodRow]:
    """Per commune (administrators see several), the current assessment first, then the
    others newest first."""
    by_commune: dict[int, list[Assessment]] = {}
    for assessment in assessments:
        by_commune.setdefault(assessment.commune_id, []).append(assessment)
    rows: list[PeriodRow] = []
    for group in sorted(
        by_commune.values(), key=lambda g: (g[0].commune.city_id, g[0].commune.name)
    ):
        current = current_of(group)
        ordered = sorted(group, key=lambda a: (a is not current, *_newest_first(a)))
        rows += [
            PeriodRow(assessment=a, is_current=a is current, is_chosen=a.pk == chosen_pk)
            for a in ordered
        ]
    return rows


def period_rows(user: User, session: Any = None) -> list[PeriodRow]:
    """The switcher's rows for `user`, with the documents the providers add."""
    chosen = session.get(CHOSEN_KEY) if session is not None else None
    rows = ordered_periods(visible_assessments(user), chosen)
    if rows:
        for provider in _providers:
            provider(user, rows)
    return rows


def home_assessment(assessments: list[Assessment], session: Any) -> Assessment | None:
    """Where the home page lands: the assessment chosen in the switcher if the person still
    sees it, else the current one of their commune."""
    chosen = session.get(CHOSEN_KEY)
    picked = next((a for a in assessments if a.pk == chosen), None)
    return picked or current_of(assessments)


@dataclass
class Switcher:
    """What the navigation bar's switcher shows: the rows and the period it names."""

    rows: list[PeriodRow]

    def __bool__(self) -> bool:
        return bool(self.rows)

    @property
    def selected(self) -> PeriodRow | None:
        """The chosen period, else the current one (the first row)."""
        return next((r for r in self.rows if r.is_chosen), None) or next(iter(self.rows), None)

    @property
    def several_communes(self) -> bool:
        return len({row.assessment.commune_id for row in self.rows}) > 1


def switcher_for(request: Any) -> Switcher:
    """The switcher of this request's person (their chosen period marked)."""
    return Switcher(rows=period_rows(request.user, request.session))
