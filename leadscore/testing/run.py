"""A model's test cases: checked cases, running them, and what each found.

The checker (leadscore/testing/check.py) builds `Case`s from a `.tests` file; this
module needs nothing of the front end. A case is scored with the model's own
`prepare`/`score_prepared`, as `Model.score` does (the lead and its
colleagues, if any, form one account), and each expectation is compared
with the result.
"""

from __future__ import annotations

import datetime as _dt
import time
from typing import Iterable

import attrs

from ..runtime import values as v

#: `~=`: equal to 2 decimals, i.e. equal when both are shown as explanations show them.
TOLERANCE = 0.005

NUMBER, NAME, NAMES, BOOL = "number", "name", "names", "bool"


@attrs.frozen
class Relative:
    """A time written relative to the case's `now` (`-2d`): a lead's date or time field."""

    offset: int                      # µs
    as_date: bool = False

    def resolve(self, now: int) -> str:
        at = now + self.offset
        return v.format_date(at) if self.as_date else v.format_time(at)


@attrs.frozen
class EventInput:
    type: str
    at: object                       # µs since the epoch, or a Relative
    values: dict                     # column → raw value or Relative

    def row(self, now: int) -> dict:
        at = now + self.at.offset if isinstance(self.at, Relative) else self.at
        values = {k: (x.resolve(now) if isinstance(x, Relative) else x) for k, x in self.values.items()}
        return {**values, "type": self.type, "at": v.us_to_datetime(at)}


@attrs.frozen
class LeadInput:
    id: str
    row: dict                        # column → raw value or Relative
    events: tuple = ()

    def resolve(self, now: int) -> tuple[dict, list]:
        row = {k: (x.resolve(now) if isinstance(x, Relative) else x) for k, x in self.row.items()}
        return row, [e.row(now) for e in self.events]


@attrs.frozen
class Subject:
    """What an expectation reads from a result.

    kind: score, tier, stages, tags, disqualified, clamped, group, rule;
    `campaign` names the campaign whose score, tier, ... it is; `name` is the
    group (of `group` and `tier`) or the rule; `scope` is a rule's scope label.
    """

    kind: str
    campaign: str | None = None
    name: str | None = None
    scope: str | None = None

    @property
    def type(self) -> str:
        if self.kind in ("score", "group", "rule"):
            return NUMBER
        if self.kind == "tier":
            return NAME
        if self.kind == "clamped":
            return BOOL
        return NAMES

    def read(self, result):
        """The actual value in a ScoreResult."""
        if self.kind == "rule":
            return sum((c.points for c in result.contributions
                        if c.rule == self.name and c.scope == self.scope), 0.0)
        if self.kind == "disqualified":
            return tuple(result.disqualified)
        if self.kind == "clamped":
            return result.clamped
        holder = result.campaigns[self.campaign] if self.campaign else result
        if self.kind == "score":
            return holder.score
        if self.kind == "tier":
            return holder.group_tiers.get(self.name) if self.name else holder.tier
        if self.kind == "stages":
            return tuple(holder.qualified)
        if self.kind == "tags":
            return tuple(holder.tags)
        if self.kind == "group":
            return holder.groups[self.name]
        raise ValueError(f"unknown subject {self.kind}")  # pragma: no cover - the checker prevents it


@attrs.frozen
class Expectation:
    subject: Subject
    op: str                          # ==, ~=, in, contains, not contains
    value: object                    # float, (low, high), str, tuple of str, bool
    text: str                        # the `expect` line as written
    line: int
    column: int

    def holds(self, actual) -> bool:
        op, expected = self.op, self.value
        if self.subject.type == NUMBER:
            if op == "~=":
                return abs(actual - expected) <= TOLERANCE
            if op == "in":
                low, high = expected
                return (low is None or actual >= low) and (high is None or actual <= high)
            return actual == expected
        if self.subject.type == NAME:
            return actual in expected if op == "in" else actual == expected
        if self.subject.type == BOOL:
            return actual is expected
        names = set(actual)
        if op == "contains":
            return set(expected) <= names
        if op == "not contains":
            return not set(expected) & names
        return set(expected) == names

    def describe(self) -> str:
        """The expected value as the test file writes it."""
        return show_expected(self.subject.type, self.op, self.value)


@attrs.frozen
class Case:
    name: str
    file: str                        # the test file
    line: int
    now: int | None                  # µs; None: the file's `now`, else the run's default
    lead: LeadInput
    colleagues: tuple
    expectations: tuple
    model: str | None = None         # the model's file


@attrs.frozen
class Check:
    """One expectation and what the result held."""

    expectation: Expectation
    actual: object
    passed: bool

    def hint(self) -> str | None:
        e = self.expectation
        if (not self.passed and e.subject.type == NUMBER and e.op == "=="
                and abs(self.actual - e.value) <= TOLERANCE):
            return "equal to 2 decimals: write `~=` to compare rounded, as explanations show numbers"
        return None

    def to_dict(self) -> dict:
        e = self.expectation
        return {"expect": e.text, "line": e.line, "column": e.column, "passed": self.passed,
                "op": e.op, "expected": json_value(e.value, e.subject.type == NUMBER and e.op == "in"),
                "actual": json_value(self.actual)}


@attrs.frozen
class Outcome:
    case: Case
    now: int
    checks: tuple
    result: object = None            # the ScoreResult; None when scoring failed
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)

    @property
    def status(self) -> str:
        return "error" if self.error is not None else ("passed" if self.passed else "failed")

    @property
    def failures(self) -> tuple:
        return tuple(c for c in self.checks if not c.passed)

    def to_dict(self) -> dict:
        out = {"name": self.case.name, "model": self.case.model, "file": self.case.file, "line": self.case.line,
               "status": self.status, "now": v.format_time(self.now),
               "expectations": [c.to_dict() for c in self.checks]}
        if self.error is not None:
            out["error"] = self.error
        if self.result is not None:
            out["actual"] = self.result.to_dict(explain=True)
            if not self.passed:
                out["explanation"] = self.result.explain()
        return out


def run_case(model, case: Case, default_now: int) -> Outcome:
    """Score one case and compare each expectation. Never raises for a checked case."""
    now = case.now if case.now is not None else default_now
    try:
        prepared = []
        for lead in (case.lead, *case.colleagues):
            row, events = lead.resolve(now)
            prepared.append(model.prepare(row, events, now, lead_id=lead.id))
        result = model.score_prepared(prepared, now)[0]
    except Exception as error:  # noqa: BLE001 - reported as the case's error, never a traceback
        return Outcome(case, now, (), None, f"{type(error).__name__}: {error}")
    checks = []
    for expectation in case.expectations:
        actual = expectation.subject.read(result)
        checks.append(Check(expectation, actual, expectation.holds(actual)))
    return Outcome(case, now, tuple(checks), result)


@attrs.frozen
class Run:
    outcomes: tuple
    seconds: float

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.passed


def run_cases(suites: Iterable[tuple], default_now: int) -> Run:
    """Run (model, cases) pairs; cases that set no `now` use `default_now`."""
    started = time.perf_counter()
    outcomes = tuple(run_case(model, case, default_now) for model, cases in suites for case in cases)
    return Run(outcomes, time.perf_counter() - started)


# ---- showing values ------------------------------------------------------------------

def show_number(value: float, exact: bool = False) -> str:
    return v.number_text(value) if exact else v.rounded(value)


def show_expected(kind: str, op: str, value) -> str:
    if kind == NUMBER:
        if op == "in":
            low, high = value
            return (f"{'' if low is None else v.number_text(low)}.."
                    f"{'' if high is None else v.number_text(high)}")
        return v.number_text(value)
    if kind == BOOL:
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return str(value)


def show_actual(check: Check) -> str:
    e, actual = check.expectation, check.actual
    kind = e.subject.type
    if kind == NUMBER:
        return show_number(actual, exact=e.op == "==")
    if kind == BOOL:
        return "true" if actual else "false"
    if kind == NAME:
        return "none" if actual is None else str(actual)
    return "[" + ", ".join(actual) + "]"


def json_value(value, is_range: bool = False):
    if is_range:
        return {"min": value[0], "max": value[1]}
    if isinstance(value, tuple):
        return list(value)
    return value


def utc_now() -> int:
    return v.datetime_to_us(_dt.datetime.now(_dt.timezone.utc))
