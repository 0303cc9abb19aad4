"""The reports the Power BI connector pushes: one table each, its columns, and its rows of a window.

The rows come from the shared report selections (``integrated_channel.exporters.reports``), in key
order, so a run resumed after an interruption skips exactly the rows Power BI already has
(``PushState.resume_after``). The tables
are logs: each run appends the rows whose inputs changed in its window, stamped ``RecordedAt``;
the latest row per ``EnrollmentId`` is an enrollment's current state (docs/connectors/powerbi-tables.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from integrated_channels.integrated_channel.exporters import reports as shared

TRANSCRIPTS, SKILLS, UNIFIED, TRAINING = "transcripts_export", "skills_export", "unified_export", "training_export"
STRING, INT64, DOUBLE, DATETIME, BOOL = "String", "Int64", "Double", "DateTime", "Boolean"


@dataclass(frozen=True)
class Table:
    operation: str
    name: str  # the Power BI table's name
    columns: tuple[tuple[str, str, str], ...]  # (name, Power BI data type, description)

    def schema(self) -> dict:
        return {"name": self.name, "columns": [{"name": n, "dataType": t} for n, t, _d in self.columns]}


_LEARNER = (
    ("EnrollmentId", INT64, "This app's enrollment id: the latest row per id is the enrollment's state."),
    ("Email", STRING, "The learner's e-mail address."),
    ("Username", STRING, "The learner's username."),
    ("CourseId", STRING, "The course id."),
    ("CourseTitle", STRING, "The course title."),
    ("Status", STRING, "completed, in progress, not started or unenrolled."),
    ("Grade", STRING, "The grade by the completion rules (e.g. 0.92, Pass, In Progress)."),
    ("Percent", DOUBLE, "The grade in percent (0 to 100), when the LMS has one."),
    ("EnrolledAt", DATETIME, "When the learner was enrolled."),
    ("CompletedAt", DATETIME, "When the course was completed, if it was."),
    ("UnenrolledAt", DATETIME, "When the learner was unenrolled, if they were."),
    ("Type", STRING, "course, or learning path course when enrolled through a learning path (program)."),
    ("LearningPathId", STRING, "The learning path (program) the course was taken in, if any."),
    ("LearningPath", STRING, "That learning path's title."),
    ("Price", DOUBLE, "The price paid, when a store's order (Adobe Commerce) made the enrollment."),
    ("Currency", STRING, "Its ISO 4217 currency."),
    ("PurchasedAt", DATETIME, "When that order was placed (a learning path's courses share its purchase)."),
)
_RECORDED = (("RecordedAt", DATETIME, "The end of the run's window: when this row's state was read."),)

TABLES = {
    TRANSCRIPTS: Table(TRANSCRIPTS, "Learner transcripts", (*_LEARNER, *_RECORDED)),
    SKILLS: Table(
        SKILLS,
        "User skills",
        (
            ("EnrollmentId", INT64, "The completed enrollment that achieved the skill."),
            ("Email", STRING, "The learner's e-mail address."),
            ("Username", STRING, "The learner's username."),
            ("Skill", STRING, "The skill's name."),
            ("Level", STRING, "The skill's level, when the catalog gives one."),
            ("CourseId", STRING, "The course that teaches it."),
            ("CourseTitle", STRING, "The course title."),
            ("AchievedAt", DATETIME, "When the course was completed."),
            *_RECORDED,
        ),
    ),
    UNIFIED: Table(
        UNIFIED,
        "Unified report",
        (
            *_LEARNER,
            ("Attributes", STRING, "The learner's attributes (learner fields) as JSON."),
            ("Rating", INT64, "The learner's star rating of the course (1 to 5), if given."),
            ("Comment", STRING, "The learner's comment on the course, if given."),
            *_RECORDED,
        ),
    ),
    TRAINING: Table(
        TRAINING,
        "Training report",
        (
            ("CourseId", STRING, "The course id."),
            ("CourseTitle", STRING, "The course title."),
            ("Enrollments", INT64, "The customer's learners enrolled (unenrolled ones not counted)."),
            ("Completions", INT64, "Of them, those who completed the course."),
            ("FeedbackCount", INT64, "Of them, those who rated the course."),
            ("AverageRating", DOUBLE, "Their average star rating (1 to 5); empty when nobody rated."),
            ("Price", DOUBLE, "The course's price for the customer now (its own, else the default); empty if free."),
            ("Currency", STRING, "Its ISO 4217 currency."),
            ("Purchases", INT64, "Of the enrollments, those a store's order (Adobe Commerce) made."),
            ("LastPurchasedAt", DATETIME, "When the latest of those orders was placed."),
            ("RecordedAt", DATETIME, "When the figures were read: each run appends a snapshot."),
        ),
    ),
}


def _transcripts(connection, since, until) -> shared.Selection:
    return shared.transcripts(connection.customer, since, until, connection.transcript_status)


def _unified(connection, since, until) -> shared.Selection:
    return shared.unified(connection.customer, since, until)


def _skills(connection, since, until) -> shared.Selection:
    return shared.skills(connection.customer, since, until)


def _training(connection, since, until) -> shared.Selection:
    return shared.training(connection.customer, since, until)


SELECTORS = {TRANSCRIPTS: _transcripts, SKILLS: _skills, UNIFIED: _unified, TRAINING: _training}
after = shared.after


def tables_markdown() -> str:
    """The tables and columns section of docs/connectors/powerbi-tables.md (a test keeps the page current)."""
    lines = []
    for table in TABLES.values():
        lines += [
            f"### {table.name} (operation `{table.operation}`)",
            "",
            "| Column | Type | Meaning |",
            "|---|---|---|",
        ]
        lines += [f"| `{name}` | {kind} | {meaning} |" for name, kind, meaning in table.columns]
        lines.append("")
    from integrated_channels.powerbi import xapi_report

    lines += [
        f"### {xapi_report.TABLE_NAME} (operation `{xapi_report.OPERATION}`)",
        "",
        "One row per stored xAPI statement; the columns between `Stored` and `NotAvailable` are the "
        "connection's *xAPI activity columns* (name, JSON path, type: text → String, number → Double, "
        "datetime → DateTime, boolean → Boolean). Without any configured, the defaults below are used.",
        "",
        "| Column | Type | Meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {kind} | {meaning} |" for name, kind, meaning in xapi_report.FIXED]
    lines += [
        f"| `{name}` (default) | {xapi_report.POWERBI_TYPES[kind]} | `{path}`; "
        + ('"N/A" when the statement lacks it.' if kind == "text" else "empty when the statement lacks it.")
        + " |"
        for name, path, kind in xapi_report.DEFAULT_COLUMNS
    ]
    lines += [f"| `{name}` | {kind} | {meaning} |" for name, kind, meaning in xapi_report.TRAILING]
    lines.append("")
    return "\n".join(lines)
