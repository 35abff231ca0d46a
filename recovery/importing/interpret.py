"""One imported row -> what it would write, and what stops it (its problems).

``Context`` loads, once per import, what rows are matched against: the people who may own
actions at the service (by name, email or role), the CQC key questions and quality
statements. ``interpret`` reads one row through the column mapping (plus any fixes typed in
the preview) into a ``RowPlan``: the action's fields, the theme it belongs to, the notes it
keeps (status/progress, RAG, comments, unknown columns) and its problems.
"""

from __future__ import annotations

import calendar
import datetime
import hashlib
import re
from dataclasses import dataclass, field

from core import permissions as policy
from core.choices import Regulation, RiskLevel
from core.forms import plausible_window
from core.framework_data import KEY_QUESTIONS
from core.models import FrameworkItem, Membership, Role, Service
from recovery.importing.mapping import normalise

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
EXCEL_EPOCH = datetime.date(1899, 12, 30)

KQ_WORDS = {
    "safe": "safe",
    "s": "safe",
    "effective": "effective",
    "e": "effective",
    "caring": "caring",
    "c": "caring",
    "responsive": "responsive",
    "r": "responsive",
    "well led": "well_led",
    "wellled": "well_led",
    "well": "well_led",
    "w": "well_led",
    "wl": "well_led",
    "leadership": "well_led",
}
KQ_NAMES = dict(KEY_QUESTIONS)

RISK_WORDS = {
    "high": RiskLevel.HIGH,
    "h": RiskLevel.HIGH,
    "red": RiskLevel.HIGH,
    "r": RiskLevel.HIGH,
    "critical": RiskLevel.HIGH,
    "urgent": RiskLevel.HIGH,
    "1": RiskLevel.HIGH,
    "medium": RiskLevel.MEDIUM,
    "med": RiskLevel.MEDIUM,
    "m": RiskLevel.MEDIUM,
    "amber": RiskLevel.MEDIUM,
    "a": RiskLevel.MEDIUM,
    "2": RiskLevel.MEDIUM,
    "low": RiskLevel.LOW,
    "l": RiskLevel.LOW,
    "green": RiskLevel.LOW,
    "g": RiskLevel.LOW,
    "3": RiskLevel.LOW,
}

ROLE_WORDS = {normalise(label): value for value, label in Role.choices}
ROLE_WORDS.update(
    {
        "rm": Role.REGISTERED_MANAGER,
        "manager": Role.REGISTERED_MANAGER,
        "home manager": Role.REGISTERED_MANAGER,
        "deputy": Role.DEPUTY_MANAGER,
        "deputy manager": Role.DEPUTY_MANAGER,
        "ql": Role.QUALITY_LEAD,
        "ni": Role.NOMINATED_INDIVIDUAL,
    }
)


def parse_date(value) -> datetime.date | None:
    """A due date as people write it (day first, as in England); None when unreadable.

    Dates from the spreadsheet itself, ISO (2027-01-31), 31/01/2027, 31-1-27, 31.01.2027,
    31 Jan 2027, 31st January 2027, Jan 31 2027, January 2027 (the month's last day), and
    Excel day numbers typed into a CSV.
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)):
        return EXCEL_EPOCH + datetime.timedelta(days=int(value)) if 30000 < value < 80000 else None
    text = str(value or "").strip().lower()
    if not text:
        return None
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text).replace(",", " ")
    if re.fullmatch(r"\d{5}", text):
        return parse_date(int(text))
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        pass
    m = re.fullmatch(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})", text)
    if m:
        day, month, year = (int(g) for g in m.groups())
        return _date(year + 2000 if year < 100 else year, month, day)
    words = text.replace("-", " ").replace("/", " ").replace(".", " ").split()
    if len(words) == 3 and words[0].isdigit() and words[1] in MONTHS and words[2].isdigit():
        year = int(words[2])
        return _date(year + 2000 if year < 100 else year, MONTHS[words[1]], int(words[0]))
    if len(words) == 3 and words[0] in MONTHS and words[1].isdigit() and words[2].isdigit():
        return _date(int(words[2]), MONTHS[words[0]], int(words[1]))
    if len(words) == 2 and words[0] in MONTHS and words[1].isdigit():
        year = int(words[1])
        year = year + 2000 if year < 100 else year
        month = MONTHS[words[0]]
        if 1900 < year < 2200:
            return _date(year, month, calendar.monthrange(year, month)[1])
    return None


def _date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def text_of(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return f"{value:%-d %b %Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def row_key(issue: str, action: str, ref: str = "") -> str:
    """The stored key that finds a row again on a re-import: its ID column when the plan has
    one, else a hash of the issue and action as typed (case, spacing and punctuation ignored)."""
    if ref:
        return "ref:" + normalise(ref)[:180]
    return "text:" + hashlib.sha256(f"{normalise(issue)}\n{normalise(action)}".encode()).hexdigest()


@dataclass
class Context:
    """What rows are matched against at one service, loaded once per import."""

    service: Service
    people: dict[int, str]  # user id -> name
    by_name: dict[str, int]
    by_role: dict[str, list[int]]
    statements: dict[str, int]  # normalised code or name -> FrameworkItem id
    statement_kq: dict[int, str]  # item id -> key question code
    statement_labels: dict[int, str]

    @classmethod
    def load(cls, service: Service) -> Context:
        owners = list(policy.users_with(policy.Verb.VIEW, service).order_by("first_name", "last_name", "email"))
        people, by_name = {}, {}
        for user in owners:
            people[user.pk] = str(user)
            full = normalise(user.get_full_name())
            for name in (full, normalise(user.email), normalise(f"{user.last_name} {user.first_name}")):
                if name:
                    by_name.setdefault(name, user.pk)
        by_role: dict[str, list[int]] = {}
        memberships = Membership.objects.filter(provider_id=service.provider_id, user__in=owners).filter(
            service__isnull=True
        ) | Membership.objects.filter(service=service, user__in=owners)
        for role, user_id in memberships.order_by("user__first_name", "user__last_name").values_list("role", "user_id"):
            ids = by_role.setdefault(role, [])
            if user_id not in ids:
                ids.append(user_id)
        statements, statement_kq, labels = {}, {}, {}
        items = FrameworkItem.objects.select_related("version", "key_question").order_by("-version__status", "pk")
        for item in items:  # "draft" sorts after "current": current codes and names win
            for key in (normalise(item.code), normalise(item.name), normalise(f"{item.code} {item.name}")):
                statements.setdefault(key, item.pk)
            statement_kq[item.pk] = item.key_question.code
            labels[item.pk] = str(item)
        return cls(service, people, by_name, by_role, statements, statement_kq, labels)

    def match_owner(self, text: str) -> tuple[int | None, str]:
        """(user id, "") or (None, why not)."""
        name = normalise(text)
        if not name:
            return None, "No owner is named."
        parts = [name, *(normalise(p) for p in re.split(r"/|&|,|;|\band\b|\+|\(|\)", text))]
        for part in parts:
            if part in self.by_name:
                return self.by_name[part], ""
        for part in parts:
            role = ROLE_WORDS.get(part)
            if role:
                ids = self.by_role.get(role, [])
                if len(ids) == 1:
                    return ids[0], ""
                if ids:
                    return None, f"Several people are {Role(role).label.lower()}s here: choose one."
        return None, f"“{text}” matches nobody who works at this service (by name, email or role)."

    def match_key_question(self, text: str) -> str | None:
        word = normalise(text)
        if word in KQ_NAMES:
            return word
        if word.replace(" ", "_") in KQ_NAMES:
            return word.replace(" ", "_")
        return KQ_WORDS.get(word) or KQ_WORDS.get(word.split(" ")[0] if word else "")

    def match_statements(self, text: str) -> tuple[list[int], list[str]]:
        found, unknown = [], []
        for part in re.split(r"[,;/\n]+", text):
            key = normalise(part)
            if not key:
                continue
            item = self.statements.get(key) or self.statements.get(key.split(" ")[0])
            (found.append(item) if item else unknown.append(part.strip()))
        return found, unknown


def match_regulations(text: str) -> tuple[list[str], list[str]]:
    found, unknown = [], []
    for part in re.split(r"[,;/\n&]+|\band\b", text):
        key = normalise(part)
        if not key:
            continue
        m = re.search(r"(\d{1,2}a?)\b", key.replace(" a", "a"))
        code = f"reg{m.group(1)}" if m else ""
        (found.append(code) if code in Regulation.values else unknown.append(part.strip()))
    return found, unknown


@dataclass
class RowPlan:
    number: int
    key: str
    issue: str = ""
    action: str = ""
    owner_text: str = ""
    owner_id: int | None = None
    due_text: str = ""
    due: datetime.date | None = None
    outcome: str = ""
    key_question: str | None = None
    key_question_text: str = ""
    statements: list[int] = field(default_factory=list)
    regulations: list[str] = field(default_factory=list)
    risk: str = RiskLevel.MEDIUM
    notes: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    content_hash: str = ""

    @property
    def theme_title(self) -> str:
        if self.issue:
            return self.issue.splitlines()[0][:200]
        if self.key_question:
            return f"{KQ_NAMES[self.key_question]}: actions from the imported plan"
        return "Actions from the imported plan"

    @property
    def can_open(self) -> bool:
        """What an open action needs: a baseline issue and an intended outcome."""
        return bool(self.issue.strip() and self.outcome.strip())


def interpret(ctx: Context, heads: list[str], mapping: list[str], number: int, cells: list, fixes: dict) -> RowPlan:
    """Read one row (``fixes``: field -> text typed in the preview, which wins over the cell)."""
    values: dict[str, object] = {}
    notes: dict[str, str] = {}
    for index, heading in enumerate(heads):
        cell = cells[index] if index < len(cells) else None
        name = mapping[index] if index < len(mapping) else ""
        if name and name not in values:
            values[name] = cell
        if (not name or name in ("progress", "comments", "risk")) and text_of(cell):
            notes[heading] = text_of(cell)
    for name, typed in fixes.items():
        values[name] = typed
    get = lambda name: text_of(values.get(name))  # noqa: E731
    plan = RowPlan(number=number, key=row_key(get("issue"), get("action"), get("ref")), notes=notes)
    plan.issue, plan.action, plan.outcome = get("issue"), get("action"), get("outcome")
    problems = plan.problems
    if not plan.action:
        problems["action"] = "No action text."
    elif len(plan.action) > 200:
        pass  # the title is the first 200 characters; the whole text stays in the notes
    plan.owner_text = get("owner")
    owner = values.get("owner")
    if isinstance(owner, int) and owner in ctx.people and "owner" in fixes:
        plan.owner_id = owner
    else:
        plan.owner_id, why = ctx.match_owner(plan.owner_text)
        if why:
            problems["owner"] = why
    plan.due_text = get("due")
    plan.due = parse_date(values.get("due"))
    earliest, latest = plausible_window()
    if not plan.due_text:
        problems["due"] = "No due date."
    elif plan.due is None:
        problems["due"] = f"“{plan.due_text}” is not a date we can read (write e.g. 31/01/2027)."
    elif not earliest <= plan.due <= latest:
        problems["due"] = f"{plan.due:%-d %B %Y} is outside {earliest:%Y}-{latest:%Y}: check the year."
        plan.due = None
    plan.key_question_text = get("key_question")
    if plan.key_question_text:
        plan.key_question = ctx.match_key_question(plan.key_question_text)
        if plan.key_question is None:
            problems["key_question"] = f"“{plan.key_question_text}” is not a CQC key question."
    statements_text = get("statement")
    if statements_text:
        plan.statements, unknown = ctx.match_statements(statements_text)
        if unknown:
            notes.setdefault("Quality statement", statements_text)
        if plan.key_question is None and plan.statements:
            plan.key_question = ctx.statement_kq[plan.statements[0]]
    regulation_text = get("regulation")
    if regulation_text:
        plan.regulations, unknown = match_regulations(regulation_text)
        if unknown:
            notes.setdefault("Regulation", regulation_text)
    risk_text = normalise(get("risk"))
    first_word = risk_text.split(" ")[0] if risk_text else ""
    plan.risk = RISK_WORDS.get(risk_text) or RISK_WORDS.get(first_word, RiskLevel.MEDIUM)
    if len(plan.action) > 200:
        notes.setdefault("Action (in full)", plan.action)
    plan.content_hash = hashlib.sha256(
        repr(
            (
                plan.issue,
                plan.action,
                plan.owner_id,
                plan.due,
                plan.outcome,
                plan.key_question,
                plan.statements,
                plan.regulations,
                plan.risk,
                sorted(notes.items()),
            )
        ).encode()
    ).hexdigest()
    return plan
