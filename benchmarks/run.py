#!/usr/bin/env python3
"""leadscore benchmarks: one command, one run, every figure a ratio measured side by side.

    python benchmarks/run.py                  # the full run (5 to 12 minutes on 2 cores)
    python benchmarks/run.py --quick          # a smoke run (seconds; figures not meaningful)
    python benchmarks/run.py --json out.json  # also save every figure
    python benchmarks/run.py --only a,c       # some parts only
    python benchmarks/run.py --profile        # also print where leadscore's time goes in (a), (b)
    python benchmarks/run.py --batch          # also (d): DuckDB at 1M leads against its floor

Parts:
  (a) the fit task of ../shared/bench/peer_task.md: hand-written Python (naive, and with
      leadscore's semantics), leadscore (codegen, closures; full `score()` and the generated
      `total()` fast path) and the peer engines of benchmarks/requirements.txt, each
      cross-checked on the check leads before it is timed;
  (b) benchmarks/engagement.score (about 20 rules over 200 events a lead) against a
      hand-written function with the same semantics, checked equal on every lead first;
  (c) load time (`leadscore.loads`: parse + check + compile) of generated models of
      100, 1,000 and 10,000 rules, and its growth per 10x;
  (d) only with --batch (minutes, several GB of data in benchmarks/data/): `score --engine
      duckdb` end to end against a hand-written DuckDB query on 1M leads / 10M events, with
      each one's peak RSS (benchmarks/duckdb_floor.py, each in its own process).

Timing: every candidate of a part is timed with `timeit` in the same process, in rounds:
each round times every candidate once (the order rotating from round to round), so noise
from the machine falls on all of them alike; the figure is the median over the rounds.
The clock is this process's CPU time (`--clock wall` for elapsed time), so time spent
waiting for a core that other programs hold is not counted. Garbage collection is off
in (a) (timeit's default) and on in (b) and (c), where a run allocates many objects.
Exit status: 0 when every leadscore result and hand-written baseline agreed (targets missed
are reported, not failed); 1 when a cross-check of leadscore or a baseline failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
FIT_MODEL = os.path.join(HERE, "fit.score")
ENGAGEMENT_MODEL = os.path.join(HERE, "engagement.score")
NOW = "2026-11-20T00:00:00Z"

import leadscore  # noqa: E402  (installed: pip install -e .)
from leadscore.api import compile_analysis  # noqa: E402
from leadscore.compiler import codegen  # noqa: E402
from leadscore.dsl import analyze, analyze_file  # noqa: E402


# =====================================================================================
# Timing
# =====================================================================================

class Candidate:
    """One thing to time: `stmt` (a statement string run with `env` as its globals) does
    `units` units of work (leads scored, models loaded) each time it runs."""

    def __init__(self, key, label, stmt, env, units=1):
        self.key, self.label, self.stmt, self.env, self.units = key, label, stmt, env, units


CLOCK = {"cpu": time.process_time, "wall": time.perf_counter}
TIMER = [time.process_time]            # set by --clock


def measure(candidates, rounds, target, gc_on=False):
    """{key: (median s per unit, spread, best s per unit)}: `rounds` interleaved rounds of ~`target`
    s each; spread is (slowest - fastest) / median."""
    setup = "import gc; gc.enable()" if gc_on else "pass"
    timers = {c.key: timeit.Timer(c.stmt, setup=setup, timer=TIMER[0], globals=c.env) for c in candidates}
    numbers = {}
    for c in candidates:                      # calibration, which also warms every candidate up
        number = 1
        while True:
            elapsed = timers[c.key].timeit(number)
            if elapsed >= target / 5 or number >= 10**7:
                break
            number *= 10 if elapsed < target / 50 else 2
        numbers[c.key] = max(1, round(number * target / max(elapsed, 1e-9)))
    samples = {c.key: [] for c in candidates}
    if gc_on:
        # What this process already holds (peers, earlier parts) is frozen out of the
        # collector's reach, so each candidate pays for collecting its own objects only.
        gc.collect()
        gc.freeze()
    try:
        for r in range(rounds):
            shift = r % len(candidates)
            for c in candidates[shift:] + candidates[:shift]:
                n = numbers[c.key]
                samples[c.key].append(timers[c.key].timeit(n) / (n * c.units))
    finally:
        if gc_on:
            gc.unfreeze()
    out = {}
    for key, values in samples.items():
        median = statistics.median(values)
        out[key] = (median, (max(values) - min(values)) / median if median else 0.0, min(values))
    return out


def fmt_us(seconds):
    us = seconds * 1e6
    return f"{us:,.0f}" if us >= 100 else (f"{us:.1f}" if us >= 10 else f"{us:.2f}")


def fmt_faster(ratio):
    """`other / ours` as "N× faster", or "N× slower" when ours is the slower."""
    return f"{fmt_x(ratio)} faster" if ratio >= 1 else f"{fmt_x(1 / ratio)} slower"


def fmt_x(ratio):
    if ratio is None:
        return "—"
    return f"{ratio:,.0f}×" if ratio >= 100 else (f"{ratio:.1f}×" if ratio >= 10 else f"{ratio:.2f}×")


def table(headers, rows, align=None):
    align = align or ["l"] + ["r"] * (len(headers) - 1)
    cells = [headers] + [[str(x) for x in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row):
        return "| " + " | ".join(x.ljust(w) if a == "l" else x.rjust(w)
                                 for x, w, a in zip(row, widths, align)) + " |"
    rule = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2))
                          for w, a in zip(widths, align)) + "|"
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


class Targets:
    def __init__(self):
        self.rows = []

    def add(self, part, text, measured, ok, shown):
        self.rows.append({"part": part, "target": text, "measured": measured, "pass": bool(ok),
                          "shown": shown})

    def render(self, part):
        rows = [[t["target"], t["shown"], "PASS" if t["pass"] else "MISS"] for t in self.rows if t["part"] == part]
        return table(["target", "measured", "result"], rows, ["l", "r", "l"])


class CheckFailed(Exception):
    pass


# =====================================================================================
# (a) The fit task
# =====================================================================================

TIMED_LEAD = {"job_level": "director", "department": "IT", "employees": 750, "country": "US",
              "email": "a@acme.com"}
CHECK_LEADS = [
    (TIMED_LEAD, 35),
    ({"job_level": "vp", "department": "Sales", "employees": 5000, "country": "DE", "email": "b@gmail.com"}, 20),
    ({"job_level": "intern", "department": "HR", "employees": 10, "country": "CA", "email": "c@tiny.io"}, -5),
    ({"job_level": "cxo", "department": "Marketing", "employees": 500, "country": "GB", "email": "d@acme.com"}, 37),
    ({"job_level": "director", "department": "IT", "employees": 999, "country": "FR", "email": "e@example.org"}, 33),
]
# Leads on which only the "same semantics" function must agree with leadscore: case,
# surrounding blanks, missing / None / empty / unreadable values.
SEMANTIC_LEADS = [
    ({"job_level": "  Director ", "department": "it", "employees": "750", "country": "us",
      "email": " A@ACME.COM "}, 35),
    ({}, 0),
    ({"job_level": None, "department": "", "employees": None, "country": "   ", "email": None}, 0),
    ({"job_level": "VP", "employees": 1000.0, "email": "x@Gmail.com"}, 15),
    ({"department": "Sales", "employees": "n/a"}, 5),
    ({"employees": 49, "country": "GB"}, -5),
    ({"employees": True, "job_level": 15, "email": ["a@gmail.com"]}, 0),
    ({"job_level": "C-LEVEL", "department": " marketing", "employees": " 999 ", "country": "Ca"}, 40),
]


def fit_naive(lead):
    """The ten rules as plain Python: exact-case, every field assumed present."""
    job = lead["job_level"]
    department = lead["department"]
    employees = lead["employees"]
    country = lead["country"]
    email = lead["email"]
    score = 0
    if job == "director":
        score += 10
    if job in {"vp", "cxo", "c-level"}:
        score += 15
    if department == "IT":
        score += 8
    if department in {"Marketing", "Sales"}:
        score += 5
    if 500 <= employees <= 999:
        score += 15
    if employees >= 1000:
        score += 20
    if employees < 50:
        score -= 10
    if country in {"US", "CA", "GB"}:
        score += 5
    if email.endswith("@gmail.com"):
        score -= 20
    if email.endswith("@acme.com"):
        score -= 3
    return score


def _number_text(raw):
    """A number given as text (`"750"`), else None: unknown, never raising."""
    if raw.__class__ is str:
        try:
            return float(raw)
        except ValueError:
            return None
    return None


def fit_semantics(lead):
    """The ten rules with leadscore's semantics, written by hand: text compared ignoring case
    and surrounding whitespace; a missing, None, empty or unreadable value never matches;
    nothing raises."""
    get = lead.get
    job = get("job_level")
    job = job.strip().casefold() if job.__class__ is str else ""
    department = get("department")
    department = department.strip().casefold() if department.__class__ is str else ""
    country = get("country")
    country = country.strip().casefold() if country.__class__ is str else ""
    email = get("email")
    email = email.strip().casefold() if email.__class__ is str else ""
    employees = get("employees")
    if employees.__class__ is not int and employees.__class__ is not float:
        employees = _number_text(employees)      # bool, None, text → a number or None
    score = 0
    if job == "director":
        score += 10
    if job in {"vp", "cxo", "c-level"}:
        score += 15
    if department == "it":
        score += 8
    if department in {"marketing", "sales"}:
        score += 5
    if employees is not None:
        if 500 <= employees <= 999:
            score += 15
        if employees >= 1000:
            score += 20
        if employees < 50:
            score -= 10
    if country in {"us", "ca", "gb"}:
        score += 5
    if email.endswith("@gmail.com"):
        score -= 20
    if email.endswith("@acme.com"):
        score -= 3
    return score


# The ten rules as (condition, points) in each peer's language.
ZEN_RULES = [('job_level == "director"', 10), ('job_level in ["vp", "cxo", "c-level"]', 15),
             ('department == "IT"', 8), ('department in ["Marketing", "Sales"]', 5),
             ("employees >= 500 and employees <= 999", 15), ("employees >= 1000", 20),
             ("employees < 50", -10), ('country in ["US", "CA", "GB"]', 5),
             ('endsWith(email, "@gmail.com")', -20), ('endsWith(email, "@acme.com")', -3)]
CEL_RULES = [('job_level == "director"', 10), ('job_level in ["vp", "cxo", "c-level"]', 15),
             ('department == "IT"', 8), ('department in ["Marketing", "Sales"]', 5),
             ("employees >= 500 && employees <= 999", 15), ("employees >= 1000", 20),
             ("employees < 50", -10), ('country in ["US", "CA", "GB"]', 5),
             ('email.endsWith("@gmail.com")', -20), ('email.endsWith("@acme.com")', -3)]
RULE_ENGINE_RULES = [("job_level == 'director'", 10), ("job_level in ['vp', 'cxo', 'c-level']", 15),
                     ("department == 'IT'", 8), ("department in ['Marketing', 'Sales']", 5),
                     ("employees >= 500 and employees <= 999", 15), ("employees >= 1000", 20),
                     ("employees < 50", -10), ("country in ['US', 'CA', 'GB']", 5),
                     ("email.ends_with('@gmail.com')", -20), ("email.ends_with('@acme.com')", -3)]


def combined(rules):
    return " + ".join(f"({condition} ? {points} : 0)" for condition, points in rules)


def peer_zen_one():
    import zen
    expression = zen.compile_expression(combined(ZEN_RULES))
    return expression.evaluate, "zen-engine", "one combined expression `(c1 ? p1 : 0) + …`"


def peer_zen_ten():
    import zen
    compiled = [(zen.compile_expression(c).evaluate, p) for c, p in ZEN_RULES]

    def score(lead):
        total = 0
        for evaluate, points in compiled:
            if evaluate(lead):
                total += points
        return total
    return score, "zen-engine", "10 compiled expressions, summed in Python"


def peer_cel_one():
    import cel
    program = cel.compile(combined(CEL_RULES))
    return program.execute, "common-expression-language", "one combined expression"


def peer_cel_ten():
    import cel
    compiled = [(cel.compile(c).execute, p) for c, p in CEL_RULES]
    Context = cel.Context

    def score(lead):
        context = Context(lead)
        total = 0
        for execute, points in compiled:
            if execute(context):
                total += points
        return total
    return score, "common-expression-language", "10 programs, one `cel.Context` per lead"


def peer_business_rules():
    from business_rules import run_all
    from business_rules.actions import BaseActions, rule_action
    from business_rules.fields import FIELD_NUMERIC
    from business_rules.variables import BaseVariables, numeric_rule_variable, string_rule_variable

    class Lead(BaseVariables):
        def __init__(self, lead):
            self.lead = lead

        @string_rule_variable
        def job_level(self):
            return self.lead.get("job_level")

        @string_rule_variable
        def department(self):
            return self.lead.get("department")

        @numeric_rule_variable
        def employees(self):
            return self.lead.get("employees")

        @string_rule_variable
        def country(self):
            return self.lead.get("country")

        @string_rule_variable
        def email(self):
            return self.lead.get("email")

    class Points(BaseActions):
        def __init__(self):
            self.total = 0

        @rule_action(params={"points": FIELD_NUMERIC})
        def add(self, points):
            self.total += points

    def cond(name, operator, value):
        return {"name": name, "operator": operator, "value": value}

    def one_of(name, values):                 # no "in" operator: any of equal_to
        return {"any": [cond(name, "equal_to", v) for v in values]}

    def rule(conditions, points):
        if "any" not in conditions and "all" not in conditions:
            conditions = {"all": [conditions]}
        return {"conditions": conditions, "actions": [{"name": "add", "params": {"points": points}}]}

    rules = [
        rule(cond("job_level", "equal_to", "director"), 10),
        rule(one_of("job_level", ["vp", "cxo", "c-level"]), 15),
        rule(cond("department", "equal_to", "IT"), 8),
        rule(one_of("department", ["Marketing", "Sales"]), 5),
        rule({"all": [cond("employees", "greater_than_or_equal_to", 500),
                      cond("employees", "less_than_or_equal_to", 999)]}, 15),
        rule(cond("employees", "greater_than_or_equal_to", 1000), 20),
        rule(cond("employees", "less_than", 50), -10),
        rule(one_of("country", ["US", "CA", "GB"]), 5),
        rule(cond("email", "ends_with", "@gmail.com"), -20),
        rule(cond("email", "ends_with", "@acme.com"), -3),
    ]

    def score(lead):
        actions = Points()
        run_all(rules, Lead(lead), actions, stop_on_first_trigger=False)
        return actions.total
    return score, "business-rules", "JSON rules, `run_all`, variables class + `add` action"


def peer_rule_engine():
    import rule_engine
    context = rule_engine.Context(default_value=None)
    compiled = [(rule_engine.Rule(c, context=context).matches, p) for c, p in RULE_ENGINE_RULES]

    def score(lead):
        total = 0
        for matches, points in compiled:
            if matches(lead):
                total += points
        return total
    return score, "rule-engine", "10 `Rule`s, `matches(lead)` each"


PEERS = [("zen1", "zen-engine", peer_zen_one), ("zen10", "zen-engine", peer_zen_ten),
         ("cel1", "common-expression-language", peer_cel_one),
         ("cel10", "common-expression-language", peer_cel_ten),
         ("business_rules", "business-rules", peer_business_rules),
         ("rule_engine", "rule-engine", peer_rule_engine)]


def dist_version(name):
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def generated_module(path):
    """The generated module of a `.score` file (the codegen backend), for its `total`."""
    analysis = analyze_file(path)
    if analysis.model is None:
        raise CheckFailed(analysis.render())
    return codegen.load_generated(codegen.generate(analysis.model), f"<leadscore {path}>")


def part_a(args, report, targets):
    print("\n## (a) The fit task: 10 rules, one lead (../shared/bench/peer_task.md)\n")
    module = generated_module(FIT_MODEL)
    codegen_model = leadscore.load(FIT_MODEL, backend="codegen")
    closures_model = leadscore.load(FIT_MODEL, backend="closures")
    lead = TIMED_LEAD
    notes = []
    problems = []

    ours = [
        ("naive", "hand-written Python, naive (exact case, fields assumed present)", fit_naive),
        ("semantics", "hand-written Python with leadscore's semantics", fit_semantics),
        ("codegen_total", "leadscore codegen, generated `total(lead)` (score only)", module.total),
        ("codegen_score", "leadscore codegen, `model.score(lead)` → ScoreResult",
         lambda x: codegen_model.score(x).score),
        ("closures_score", "leadscore closures, `model.score(lead)` → ScoreResult",
         lambda x: closures_model.score(x).score),
    ]
    for key, label, fn in ours:
        leads = CHECK_LEADS + ([] if key == "naive" else SEMANTIC_LEADS)
        for check, expected in leads:
            got = fn(check)
            if got != expected:
                problems.append(f"{label}: scored {got!r}, expected {expected} for {check}")
    if problems:
        raise CheckFailed("\n".join(problems))

    env = {"lead": lead, "naive": fit_naive, "semantics": fit_semantics, "total": module.total,
           "cg": codegen_model, "cl": closures_model}
    candidates = [
        Candidate("naive", ours[0][1], "naive(lead)", env),
        Candidate("semantics", ours[1][1], "semantics(lead)", env),
        Candidate("codegen_total", ours[2][1], "total(lead)", env),
        Candidate("codegen_score", ours[3][1], "cg.score(lead)", env),
        Candidate("closures_score", ours[4][1], "cl.score(lead)", env),
    ]
    peer_rows = {}
    for key, dist, build in PEERS:
        version = dist_version(dist)
        if version is None:
            note = f"{dist}: not installed — skipped (pip install -r benchmarks/requirements.txt)"
            if note not in notes:
                notes.append(note)
            continue
        try:
            fn, engine, how = build()
        except Exception as error:  # noqa: BLE001 — any failure to set a peer up is a note
            notes.append(f"{dist} {version}: could not be set up ({type(error).__name__}: {error}) — skipped")
            continue
        wrong = []
        for check, expected in CHECK_LEADS:
            try:
                got = fn(check)
            except Exception as error:  # noqa: BLE001
                got = f"{type(error).__name__}: {error}"
            if got != expected:
                wrong.append(f"{got!r} for {expected}")
        if wrong:
            notes.append(f"{engine} {version} ({how}): wrong on the check leads ({'; '.join(wrong)}) — skipped")
            continue
        label = f"{engine} {version}, {how}"
        env[f"peer_{key}"] = fn
        candidates.append(Candidate(key, label, f"peer_{key}(lead)", env))
        peer_rows[key] = label

    print(f"Every row scored the {len(CHECK_LEADS)} check leads right before it was timed "
          f"(the hand-written-with-semantics and leadscore rows also {len(SEMANTIC_LEADS)} leads "
          "with case, blanks and missing values).\n")
    results = measure(candidates, args.rounds, args.target)
    naive, semantics = results["naive"][0], results["semantics"][0]
    rows, saved = [], []
    order = ["naive", "semantics", "codegen_total", "codegen_score", "closures_score"] + \
        sorted(peer_rows, key=lambda k: results[k][0])
    labels = {c.key: c.label for c in candidates}
    for key in order:
        seconds, spread, best = results[key]
        rows.append([labels[key], fmt_us(seconds), fmt_x(seconds / naive), fmt_x(seconds / semantics),
                     f"{spread * 100:.0f}%", fmt_us(best)])
        saved.append({"key": key, "label": labels[key], "us_per_lead": seconds * 1e6, "best_us": best * 1e6,
                      "x_naive": seconds / naive, "x_semantics": seconds / semantics, "spread": spread})
    print(table(["candidate", "µs / lead", "× naive", "× same semantics", "spread", "best µs"], rows))
    for note in notes:
        print(f"\nNote: {note}")

    t = {k: results[k][0] for k in results}
    r = t["codegen_total"] / semantics
    targets.add("a", "codegen `total()` within 1.3× of hand-written with semantics", r, r <= 1.3, fmt_x(r))
    r = t["codegen_score"] / semantics
    targets.add("a", "codegen `score()` within 3× of hand-written with semantics (issue 18)", r, r <= 3.0, fmt_x(r))
    if "zen1" in t:
        r = t["zen1"] / t["codegen_score"]
        targets.add("a", "codegen `score()` faster than zen-engine's combined expression (issue 18)", r, r > 1,
                    fmt_faster(r))
    r = t["closures_score"] / semantics
    targets.add("a", "closures `score()` within 3× of hand-written with semantics", r, r <= 3.0, fmt_x(r))
    if "rule_engine" in t:
        for key, name in (("codegen_total", "codegen `total()`"), ("codegen_score", "codegen `score()`"),
                          ("closures_score", "closures `score()`")):
            r = t["rule_engine"] / t[key]
            targets.add("a", f"{name} ≥ 50× faster than rule-engine", r, r >= 50, fmt_faster(r))
    if peer_rows:
        fastest = min(peer_rows, key=lambda k: t[k])
        for key, name in (("codegen_total", "codegen `total()`"), ("codegen_score", "codegen `score()`"),
                          ("closures_score", "closures `score()`")):
            r = t[fastest] / t[key]
            targets.add("a", f"{name} ≥ 3× faster than the fastest peer", r, r >= 3, fmt_faster(r))
    print("\n" + targets.render("a"))
    if peer_rows:
        print(f"\nThe fastest peer in this run: {labels[fastest]}.")
    report["a"] = {"rows": saved, "notes": notes, "rounds": args.rounds, "target_s": args.target}


# =====================================================================================
# (b) The engagement model
# =====================================================================================

DAY = 86_400_000_000
HOUR = 3_600_000_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
ONE_US = dt.timedelta(microseconds=1)


def _time_us(raw):
    """An event time: ISO-8601 text (UTC without an offset) or an aware datetime → µs; else None."""
    if raw.__class__ is str:
        text = raw.strip()
        if not text[:4].isdigit():
            return None
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        return (moment - EPOCH) // ONE_US
    if isinstance(raw, dt.datetime) and raw.utcoffset() is not None:
        return (raw - EPOCH) // ONE_US
    return None


def _fold(raw):
    """Text for comparison (stripped, case-folded), or None when unknown."""
    if raw.__class__ is str:
        text = raw.strip()
        return text.casefold() if text else None
    if raw is None or raw.__class__ is float and raw != raw:
        return None
    if raw.__class__ is bool:
        return "true" if raw else "false"
    if raw.__class__ is int or raw.__class__ is float:
        number = float(raw)
        return str(int(number)) if number == int(number) and abs(number) < 1e15 else repr(number)
    return None


def _number(raw):
    """A number (int/float, or decimal text), or None when unknown or unreadable."""
    cls = raw.__class__
    if cls is int:
        return float(raw)
    if cls is float:
        return raw if math.isfinite(raw) else None
    if cls is str:
        text = raw.strip()
        if not text or "_" in text or not (text[-1].isdigit() or text[-1] == "."):
            return None
        try:
            return float(text)
        except ValueError:
            return None
    return None


DECLARED = frozenset({"page_view", "email_open", "email_click", "form_submit", "demo_request",
                      "webinar_attended"})


def _cap(points, limit):
    return limit if points > limit else (-limit if points < -limit else points)


def engagement_hand(lead, events, now_text, detail=None):
    """benchmarks/engagement.score written by hand, with its exact semantics: returns
    (score, webinar_q3 campaign score); fills `detail`, when given, with each rule's points."""
    now = _time_us(now_text)
    get = lead.get
    job_level, employees, email = _fold(get("job_level")), _number(get("employees")), _fold(get("email"))

    views, opens, clicks, forms, demos, webinars = [], [], [], [], [], []
    newest_any = None                      # the newest declared event up to now, of any type
    for row in events:
        kind = row.get("type")
        if kind.__class__ is not str:
            continue
        at = _time_us(row.get("at"))
        if at is None or at > now:
            continue
        kind = kind.strip()
        if kind not in DECLARED:
            continue
        if newest_any is None or at > newest_any:
            newest_any = at
        if kind == "page_view":
            views.append((at, _fold(row.get("url")) or "", _number(row.get("seconds"))))
        elif kind == "email_open":
            opens.append((at, _fold(row.get("campaign")) or ""))
        elif kind == "email_click":
            clicks.append(at)
        elif kind == "form_submit":
            forms.append((at, _fold(row.get("form")) or ""))
        elif kind == "demo_request":
            demos.append(at)
        else:
            webinars.append((at, _fold(row.get("webinar")) or ""))
    # One canonical order (time, then content), so sums do not depend on the input order.
    views.sort(key=lambda e: (e[0], e[1], -1.0 if e[2] is None else e[2]))
    for stream in (opens, clicks, forms, demos, webinars):
        stream.sort()

    def half30(at):
        return 0.5 ** ((now - at) / (30 * DAY))

    # group fit max 30
    senior = 10.0 if job_level in ("vp", "director", "c-level") else 0.0
    size = 0.0
    if employees is not None:
        size = 5.0 if employees >= 1000 else 10.0 if 500 <= employees <= 999 else \
            5.0 if 100 <= employees <= 499 else 0.0
    webmail = -10.0 if email is not None and email.endswith("@gmail.com") else 0.0
    fit = min(0.0 + senior + size + webmail, 30.0)

    # group engagement max 60, decay half_life 30d ("" below is an unknown text attribute)
    newest = {}
    for at, campaign in opens:
        if campaign:
            newest[campaign] = at                   # streams are in order: the last is the newest
    weight = 0.0
    for at in sorted(newest.values()):
        weight += half30(at)
    opens_ = _cap(2.0 * weight, 10.0)

    weight = 0.0
    for at in clicks:
        if now - at < 30 * DAY:
            weight += half30(at)
    clicks_ = _cap(5.0 * weight, 20.0)

    periods = {}
    for at, _url, _seconds in views:
        k = (now - at) // (7 * DAY)
        periods[k] = periods.get(k, 0.0) + half30(at)
    web_visits = 0.0
    for k in sorted(periods):
        web_visits += _cap(1.0 * periods[k], 5.0)
    web_visits = _cap(web_visits, 20.0)

    pricing = [at for at, url, _s in views if "/pricing" in url]
    pricing_week = [at for at in pricing if now - at < 7 * DAY]
    pricing_interest = 20.0 * half30(pricing_week[-1]) if len(pricing_week) >= 3 else 0.0
    pricing_return = 5.0 * half30(pricing[-1]) if pricing and now - pricing[-1] <= 2 * DAY else 0.0

    month = [(at, seconds) for at, _url, seconds in views if now - at < 30 * DAY]
    seconds_sum, newest_known = 0.0, None
    for at, seconds in month:
        if seconds is not None:
            seconds_sum += seconds
            newest_known = at
    time_on_site = 10.0 * half30(newest_known) if seconds_sum >= 600 else 0.0

    docs = [at for at, url, _s in views if url.startswith("/docs") and now - at < 14 * DAY]
    docs_reader = 5.0 * half30(docs[-1]) if docs else 0.0

    count = len(month)
    visit_depth = 8.0 if count >= 10 else 4.0 if 5 <= count <= 9 else 0.0
    if visit_depth:
        visit_depth *= half30(month[-1][0])

    demo = 0.0                                      # decay expire 90d
    if demos:
        demo = 30.0 * (1.0 if now - demos[-1] < 90 * DAY else 0.0)

    weight = 0.0                                    # decay 50% per 30d
    for at, form in forms:
        if form and form != "newsletter":
            weight += max(0.0, 1.0 - 0.5 * (now - at) / (30 * DAY))
    forms_ = _cap(8.0 * weight, 16.0)

    sales = [at for at, form in forms if form == "contact-sales" and now - at < 90 * DAY]
    contact_sales = 15.0 * half30(sales[-1]) if sales else 0.0

    newest = {}
    for at, webinar in webinars:
        if webinar:
            newest[webinar] = at
    weight = 0.0
    for at in sorted(newest.values()):
        weight += half30(at)
    webinars_ = _cap(5.0 * weight, 15.0)

    engagement = 0.0
    for points in (opens_, clicks_, web_visits, pricing_interest, pricing_return, time_on_site,
                   docs_reader, visit_depth, demo, forms_, contact_sales, webinars_):
        engagement += points
    engagement = min(engagement, 60.0)

    # ungrouped rules, then the total's clamp 0..100
    dormant = -15.0 if newest_any is None or now - newest_any >= 90 * DAY else 0.0
    fast_mover = 10.0 if (forms and demos and forms[0][0] <= demos[-1]
                          and demos[-1] - forms[0][0] <= 3 * DAY) else 0.0
    total = fit + engagement + (0.0 + dormant + fast_mover)
    score = min(max(total, 0.0), 100.0)

    # campaign webinar_q3: its group (min 0, max 15, decay half_life 14d), then its rule;
    # its score is clamp(T + C), T the total before the clamp
    weight = 0.0
    for at, url, _s in views:
        if "/roadmap" in url:
            weight += 0.5 ** ((now - at) / (14 * DAY))
    roadmap_pages = _cap(5.0 * weight, 10.0)
    fortnight = [at for at in clicks if now - at < 14 * DAY]
    replay = 5.0 * 0.5 ** ((now - fortnight[-1]) / (14 * DAY)) if fortnight else 0.0
    roadmap = min(max(0.0 + roadmap_pages + replay, 0.0), 15.0)
    attended = 25.0 if any(webinar == "q3-roadmap" for _at, webinar in webinars) else 0.0
    campaign = min(max(total + (0.0 + roadmap + attended), 0.0), 100.0)

    if detail is not None:                          # each rule's points, for the cross-check
        detail.update(senior=senior, size=size, webmail=webmail, opens=opens_, clicks=clicks_,
                      web_visits=web_visits, pricing_interest=pricing_interest,
                      pricing_return=pricing_return, time_on_site=time_on_site, docs_reader=docs_reader,
                      visit_depth=visit_depth, demo=demo, forms=forms_, contact_sales=contact_sales,
                      webinars=webinars_, dormant=dormant, fast_mover=fast_mover,
                      roadmap_pages=roadmap_pages, replay=replay, attended=attended)
    return score, campaign


URLS = ["/pricing", "/Pricing/enterprise", " /pricing?plan=team ", "/docs/start", "/DOCS/api",
        "/roadmap", "/blog/roadmap-2027", "/blog/scoring", "/", "/careers", "/features", "/contact"]
CAMPAIGNS = [f"nurture-{i}" for i in range(12)] + ["Nurture-3 ", "ONBOARDING", "onboarding"]
FORMS = ["newsletter", "Newsletter ", "contact-sales", "Contact-Sales", "whitepaper", "trial", "", None]
WEBINARS = ["q3-roadmap", " Q3-Roadmap", "intro", "deep-dive", "deep-dive", None]
TYPES = [("page_view", 48), ("email_open", 20), ("email_click", 9), ("form_submit", 6),
         ("demo_request", 2), ("webinar_attended", 5), ("chat_message", 5)]


def engagement_data(count, per_lead=200, seed=20261120):
    """Deterministic leads with `per_lead` events each: ISO times (a few after now, a few ties),
    mixed case and blanks in text, a few unknown or textual numbers, an undeclared type."""
    rng = random.Random(seed)
    now = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    kinds = [k for k, w in TYPES for _ in range(w)]
    data = []
    for i in range(count):
        lead = {"id": f"L{i}", "email": rng.choice([f"p{i}@corp{i % 7}.com", f" P{i}@GMAIL.com", None, ""]),
                "job_level": rng.choice(["VP", "director ", "C-Level", "Manager", "intern", None]),
                "employees": rng.choice([40, 150, "600", 750.0, 2500, "n/a", None])}
        quiet = rng.choice([0, 0, 0, 0, 20, 100])            # days since this lead's last activity
        events, last = [], None
        for _ in range(per_lead):
            if last is not None and rng.random() < 0.02:
                at = last                                       # a tie in time
            else:
                age = quiet * 86400 + int(150 * 86400 * rng.random() ** 2) - (86400 * 3 if rng.random() < 0.01 else 0)
                at = (now - dt.timedelta(seconds=age)).strftime("%Y-%m-%dT%H:%M:%SZ")
            last = at
            kind = rng.choice(kinds)
            event = {"type": kind, "at": at}
            if kind == "page_view":
                event["url"] = rng.choice(URLS)
                event["seconds"] = rng.choice([rng.randint(2, 90), rng.randint(2, 90), str(rng.randint(2, 90)), None])
            elif kind == "email_open":
                event["campaign"] = rng.choice(CAMPAIGNS)
            elif kind == "form_submit":
                event["form"] = rng.choice(FORMS)
            elif kind == "webinar_attended":
                event["webinar"] = rng.choice(WEBINARS)
            elif kind == "chat_message":
                event["text"] = "hello"
            events.append(event)
        if i == 0:             # one fast mover: a demo two days after its only form (rule fast_mover)
            events = [e for e in events if e["type"] not in ("form_submit", "demo_request")]
            events += [{"type": "form_submit", "at": (now - dt.timedelta(days=10)).isoformat(), "form": "trial"},
                       {"type": "demo_request", "at": (now - dt.timedelta(days=8)).isoformat()}]
            events += [{"type": "page_view", "at": events[k]["at"], "url": "/features", "seconds": 5}
                       for k in range(per_lead - len(events))]
        rng.shuffle(events)
        data.append((lead, events))
    return data


def part_b(args, report, targets):
    per_lead = 200
    print(f"\n## (b) The engagement model: benchmarks/engagement.score, {args.leads} leads × "
          f"{per_lead} events, now = {NOW}\n")
    data = engagement_data(args.leads, per_lead)
    module = generated_module(ENGAGEMENT_MODEL)
    models = {"codegen": leadscore.load(ENGAGEMENT_MODEL, backend="codegen"),
              "closures": leadscore.load(ENGAGEMENT_MODEL, backend="closures")}
    problems, fired = [], set()
    for lead, events in data:
        detail = {}
        score, campaign = engagement_hand(lead, events, NOW, detail)
        for name, model in models.items():
            result = model.score(lead, events, now=NOW)
            fired.update(c.rule for c in result.contributions)
            points = {c.rule: c.points for c in result.contributions}
            for rule, expected in detail.items():
                if abs(points.get(rule, 0.0) - expected) > 1e-9:
                    problems.append(f"{lead['id']}: rule {rule}: {name} gave {points.get(rule, 0.0)!r}, "
                                    f"hand-written {expected!r}")
            got_campaign = result.campaigns["webinar_q3"].score
            if abs(result.score - score) > 1e-9 or abs(got_campaign - campaign) > 1e-9:
                problems.append(f"{lead['id']}: {name} scored {result.score!r} / campaign {got_campaign!r}, "
                                f"hand-written {score!r} / {campaign!r}")
        total = module.total(lead, events, NOW)
        if abs(total - score) > 1e-9:
            problems.append(f"{lead['id']}: generated total() gave {total!r}, hand-written {score!r}")
    if problems:
        raise CheckFailed("engagement: hand-written and leadscore disagree:\n  " + "\n  ".join(problems[:10]))
    print(f"Before timing, the hand-written function, both backends and `total()` agreed to 1e-9 on the "
          f"score, the campaign score and each rule's points for all {len(data)} leads "
          f"({len(fired)} of the model's 20 rules scored on some lead).\n")

    env = {"data": data, "now": NOW, "hand": engagement_hand, "cg": models["codegen"],
           "cl": models["closures"], "total": module.total}
    loop = "for lead, events in data: "
    candidates = [
        Candidate("hand", "hand-written Python, same semantics (score + campaign score)",
                  loop + "hand(lead, events, now)", env, len(data)),
        Candidate("codegen_score", "leadscore codegen, `model.score(lead, events, now)`",
                  loop + "cg.score(lead, events, now)", env, len(data)),
        Candidate("codegen_total", "leadscore codegen, generated `total(lead, events, now)`",
                  loop + "total(lead, events, now)", env, len(data)),
        Candidate("closures_score", "leadscore closures, `model.score(lead, events, now)`",
                  loop + "cl.score(lead, events, now)", env, len(data)),
    ]
    results = measure(candidates, args.rounds, args.target, gc_on=True)
    hand = results["hand"][0]
    rows, saved = [], []
    for c in candidates:
        seconds, spread, best = results[c.key]
        rows.append([c.label, fmt_us(seconds), f"{seconds / per_lead * 1e6:.2f}", fmt_x(seconds / hand),
                     f"{spread * 100:.0f}%", fmt_us(best)])
        saved.append({"key": c.key, "label": c.label, "us_per_lead": seconds * 1e6, "best_us": best * 1e6,
                      "x_hand": seconds / hand, "spread": spread})
    print(table(["candidate", "µs / lead", "µs / event", "× hand-written", "spread", "best µs"], rows))
    for key, name in (("codegen_score", "codegen `score()`"), ("codegen_total", "codegen `total()`")):
        r = results[key][0] / hand
        targets.add("b", f"{name} within 1.3× of hand-written (issue 18)", r, r <= 1.3, fmt_x(r))
    print("\n" + targets.render("b"))
    report["b"] = {"rows": saved, "leads": len(data), "events_per_lead": per_lead, "rules_fired": sorted(fired)}


# =====================================================================================
# (c) Load time
# =====================================================================================

TEXT_FIELDS = ["job_level", "department", "country", "industry", "source", "city", "title",
               "plan", "region", "segment"]
NUMBER_FIELDS = ["employees", "revenue", "visits", "seats", "age_days", "nps"]
BOOL_FIELDS = ["opted_in", "is_customer"]
DATE_FIELDS = ["signed_up", "renewal"]
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon"]


def generated_model(n_rules, seed=1):
    """A valid model of `n_rules` rules over 20 fields: about 70% condition rules (text, number,
    bool and date tests, some combined with and/or/not, 1% regexes) and 30% table rules; half
    of them in groups of 5–40 with a `max`."""
    rng = random.Random(seed)
    lines = [f'model "generated-{n_rules}" version 1', ""]
    lines += [f"field {f}: text" for f in TEXT_FIELDS] + [f"field {f}: number" for f in NUMBER_FIELDS]
    lines += [f"field {f}: bool" for f in BOOL_FIELDS] + [f"field {f}: date" for f in DATE_FIELDS]
    lines += ["", "clamp 0..100", ""]

    def quoted(words):
        return ", ".join(f'"{w}"' for w in words)

    def atom():
        k = rng.random()
        if k < 0.45:
            f, op, w = rng.choice(TEXT_FIELDS), rng.random(), rng.choice(WORDS)
            if op < 0.35:
                return f'{f} == "{w}"'
            if op < 0.65:
                return f"{f} in [{quoted(rng.sample(WORDS, 3))}]"
            if op < 0.8:
                return f'{f} contains "{w[:3]}"'
            if op < 0.9:
                return f'{f} starts with "{w[:2]}"'
            if op < 0.97:
                return f'{f} ends with "{w[-2:]}"'
            return f'{f} matches "^{w[:2]}[a-z]+$"'
        if k < 0.8:
            f, low, op = rng.choice(NUMBER_FIELDS), rng.randint(0, 900), rng.random()
            if op < 0.5:
                return f"{f} in {low}..{low + rng.randint(1, 500)}"
            return f"{f} {'>=' if op < 0.75 else '<'} {low}"
        if k < 0.9:
            return rng.choice(["", "not "]) + rng.choice(BOOL_FIELDS)
        f = rng.choice(DATE_FIELDS)
        return rng.choice([f'{f} >= "2026-0{rng.randint(1, 9)}-01"', f"days_since({f}) <= {rng.randint(1, 90)}"])

    def condition():
        k = rng.random()
        if k < 0.6:
            return atom()
        if k < 0.85:
            return f"{atom()} and {atom()}"
        return f"{atom()} or ({atom()} and not {atom()})"

    def points():
        return f"{'-' if rng.random() < 0.2 else '+'}{rng.randint(1, 20)}"

    def rule(i):
        if rng.random() < 0.3:
            if rng.random() < 0.5:
                f, w = rng.choice(TEXT_FIELDS), rng.sample(WORDS, 5)
                arms = [f"{quoted(w[:2])} => {points()}", f'"{w[2]}" => {points()}',
                        f"{quoted(w[3:])} => {points()}", "unknown => 0", "else => -1"]
            else:
                f, a = rng.choice(NUMBER_FIELDS), rng.randint(2, 300)
                arms = [f"{a * 3}.. => {points()}", f"{a}..{a * 3 - 1} => {points()}", f"..{a - 1} => {points()}"]
            return [f"rule r{i}: by {f} {{"] + [f"    {arm}" for arm in arms] + ["}"]
        return [f"rule r{i}: {points()} when {condition()}"]

    i = 0
    while i < n_rules:
        if rng.random() < 0.5:
            size = min(rng.randint(5, 40), n_rules - i)
            lines.append(f"group g{i} max {rng.randint(20, 100)} {{")
            for _ in range(size):
                lines += ["    " + line for line in rule(i)]
                i += 1
            lines.append("}")
        else:
            lines += rule(i)
            i += 1
    return "\n".join(lines) + "\n"


def random_leads(count, seed=7):
    rng = random.Random(seed)
    leads = []
    for _ in range(count):
        lead = {f: rng.choice(WORDS + [w.upper() for w in WORDS[:5]] + [None, ""]) for f in TEXT_FIELDS}
        lead.update({f: rng.choice([rng.randint(0, 1500), None, str(rng.randint(0, 1500))]) for f in NUMBER_FIELDS})
        lead.update({f: rng.choice([True, False, "yes", None]) for f in BOOL_FIELDS})
        lead.update({f: rng.choice(["2026-03-04", "2026-11-01", "2025-12-24", None]) for f in DATE_FIELDS})
        leads.append(lead)
    return leads


COLD = """
import sys, time
clock = time.process_time if sys.argv[2] == "cpu" else time.perf_counter
t0 = clock()
import leadscore
t1 = clock()
text = sys.stdin.read()
t2 = clock()
leadscore.loads(text, backend=sys.argv[1])
t3 = clock()
print(t1 - t0, t3 - t2)
"""


def part_c(args, report, targets):
    sizes = args.sizes
    print(f"\n## (c) Load time: `leadscore.loads(text)` (parse + check + compile) of generated "
          f"models of {', '.join(f'{n:,}' for n in sizes)} rules\n")
    texts = {n: generated_model(n) for n in sizes}
    leads = random_leads(20)
    for n, text in texts.items():                       # valid, and both backends agree
        analysis = analyze(text, f"generated-{n}")
        if analysis.model is None or analysis.errors:
            raise CheckFailed(f"generated {n}-rule model is invalid:\n{analysis.render()[:3000]}")
        cg, cl = compile_analysis(analysis, "codegen"), compile_analysis(analysis, "closures")
        for lead in leads:
            a, b = cg.score(lead, now=NOW).score, cl.score(lead, now=NOW).score
            if abs(a - b) > 1e-9:
                raise CheckFailed(f"generated {n}-rule model: codegen {a!r} ≠ closures {b!r} on {lead}")
        del analysis, cg, cl
    print(f"Each model was checked valid, and codegen and closures gave the same score on "
          f"{len(leads)} random leads, before timing.\n")

    candidates = []
    for n in sizes:
        env = {"loads": leadscore.loads, "analyze": analyze, "text": texts[n]}
        candidates.append(Candidate(f"{n}/analyze", f"{n}", "analyze(text)", env))
        for backend in ("codegen", "closures"):
            candidates.append(Candidate(f"{n}/{backend}", f"{n}", f"loads(text, backend={backend!r})", env))
    rounds = 3 if max(sizes) >= 10_000 else min(args.rounds, 7)     # a 10,000-rule load takes seconds
    results = measure(candidates, rounds, args.target, gc_on=True)

    rows, saved = [], []
    for i, n in enumerate(sizes):
        row = [f"{n:,}", f"{len(texts[n]) / 1e6:.2f} MB"]
        entry = {"rules": n, "bytes": len(texts[n])}
        for what in ("analyze", "codegen", "closures"):
            seconds, spread, _best = results[f"{n}/{what}"]
            growth = seconds / results[f"{sizes[i - 1]}/{what}"][0] if i else None
            row += [f"{seconds:.3f}", fmt_x(growth) if growth else "—"]
            entry[what] = {"seconds": seconds, "growth": growth, "spread": spread}
        rows.append(row)
        saved.append(entry)
    print(table(["rules", "source", "parse + check s", "growth", "loads codegen s", "growth",
                 "loads closures s", "growth"], rows))
    print(f"\n(median of {rounds} interleaved rounds; `growth` is the ratio to the row above, "
          f"{sizes[1] // sizes[0]}× the rules; garbage collection on, the objects of the rest of "
          "this run frozen out of its reach)")

    middle = sizes[1]
    cold = {}
    for backend in ("codegen", "closures"):
        out = subprocess.run([sys.executable, "-c", COLD, backend, args.clock], input=texts[middle], text=True,
                             capture_output=True, check=True).stdout.split()
        cold[backend] = (float(out[0]), float(out[1]))
    print(f"\nCold, in a fresh process (once): `import leadscore` {cold['codegen'][0]:.3f} s, then the first "
          f"`loads` of the {middle:,}-rule model (building the parser too) {cold['codegen'][1]:.3f} s codegen, "
          f"{cold['closures'][1]:.3f} s closures.")

    seconds = results[f"{middle}/analyze"][0]
    targets.add("c", f"{middle:,}-rule model parses and checks in under 0.15 s (issue 18)", seconds,
                seconds < 0.15, f"{seconds:.3f} s")
    for backend in ("codegen", "closures"):
        seconds = results[f"{middle}/{backend}"][0]
        targets.add("c", f"{backend}: {middle:,}-rule model loads in under 0.3 s (issue 18)", seconds,
                    seconds < 0.3, f"{seconds:.3f} s")
        for i in range(1, len(sizes)):
            growth = results[f"{sizes[i]}/{backend}"][0] / results[f"{sizes[i - 1]}/{backend}"][0]
            step = sizes[i] / sizes[i - 1]
            limit = step ** 1.1
            targets.add("c", f"{backend}: {sizes[i - 1]:,} → {sizes[i]:,} rules grows close to linearly "
                        f"(≤ {limit:.1f}× for {step:.0f}×, i.e. exponent ≤ 1.1)", growth, growth <= limit,
                        fmt_x(growth))
    print("\n" + targets.render("c"))
    report["c"] = {"rows": saved, "rounds": rounds, "cold": {k: {"import_s": v[0], "first_loads_s": v[1]}
                                                            for k, v in cold.items()}}


# =====================================================================================
# Profiles (--profile)
# =====================================================================================

def phase_times(phases, rounds, target):
    """Interleaved medians, as `measure`, for a list of (label, stmt, env, units)."""
    candidates = [Candidate(str(i), label, stmt, env, units) for i, (label, stmt, env, units) in enumerate(phases)]
    results = measure(candidates, rounds, target, gc_on=True)
    return [(c.label, results[c.key][0]) for c in candidates]


def load_phases(args):
    """(c): one load of each model size, split into its phases, with garbage collection on and off."""
    import types
    from leadscore.compiler.closures import compile_model
    try:
        parser = sys.modules["leadscore.dsl.parse"].parser
    except (KeyError, AttributeError) as error:
        print(f"(c) load phases not timed: {error!r}\n")
        return
    clock = TIMER[0]
    rows = []
    for n in args.sizes[1:]:
        text = generated_model(n)
        for collect in (True, False):
            gc.collect()
            gc.freeze()
            if not collect:
                gc.disable()
            try:
                t0 = clock()
                parser().parse(text)
                t1 = clock()
                analysis = analyze(text, f"generated-{n}")
                t2 = clock()
                generated = codegen.generate(analysis.model)
                t3 = clock()
                code = compile(generated.source, "<generated>", "exec")
                t4 = clock()
                exec(code, types.ModuleType("leadscore_generated").__dict__)   # as load_generated does
                t5 = clock()
                compile_model(analysis.model)
                t6 = clock()
            finally:
                gc.enable()
                gc.unfreeze()
            rows.append([f"{n:,}", "on" if collect else "off", f"{t1 - t0:.3f}", f"{(t2 - t1) - (t1 - t0):.3f}",
                         f"{t3 - t2:.3f}", f"{t4 - t3:.3f}", f"{t5 - t4:.3f}",
                         f"{len(generated.source) / 1e6:.1f} MB", f"{t6 - t5:.3f}"])
            del analysis, generated, code
    print("### (c) one load, by phase (s; garbage collection on/off)\n")
    print(table(["rules", "gc", "Lark parse", "AST + check", "codegen: generate", "compile()",
                 "exec", "generated source", "closures: compile"], rows))
    print("\n(`AST + check` = `analyze` − the Lark parse alone; `compile()` and `exec` are the two steps of "
          "`codegen.load_generated`)\n")


def profiles(args):
    """Where leadscore's time goes in (a) and (b): the phases of `Model.score` timed apart,
    then cProfile's top functions."""
    import cProfile
    import io
    import pstats
    from leadscore.runtime.model import now_us
    print("\n## Profiles: where leadscore's time goes\n")
    fit = leadscore.load(FIT_MODEL, backend="codegen")
    module = generated_module(FIT_MODEL)
    engagement = leadscore.load(ENGAGEMENT_MODEL, backend="codegen")
    data = engagement_data(max(4, args.leads // 4))
    at = now_us(NOW)
    env = {"fit": fit, "eng": engagement, "lead": TIMED_LEAD, "now_us": now_us, "NOW": NOW, "at": at,
           "total": module.total, "data": data, "semantics": fit_semantics, "hand": engagement_hand,
           "prepared_fit": fit.prepare(TIMED_LEAD, (), at),
           "prepared": [engagement.prepare(lead, events, at) for lead, events in data]}
    n = len(data)
    sections = [
        ("(a) fit, codegen, one lead", [
            ("`model.score(lead)` in all", "fit.score(lead)", env, 1),
            ("  `now_us(None)` (reads the clock)", "now_us(None)", env, 1),
            ("  `model.prepare(lead, (), now)` (typed lead, no events)", "fit.prepare(lead, (), at)", env, 1),
            ("  `model.score_prepared([lead], now)` (rules + ScoreResult)",
             "fit.score_prepared([prepared_fit], at)", env, 1),
            ("generated `total(lead)`", "total(lead)", env, 1),
            ("hand-written with semantics", "semantics(lead)", env, 1)]),
        (f"(b) engagement, codegen, {n} leads × 200 events, per lead", [
            ("`model.score(lead, events, now)` in all", "for l, e in data: eng.score(l, e, NOW)", env, n),
            ("  `now_us(NOW)`", "now_us(NOW)", env, 1),
            ("  `model.prepare(lead, events, now)` (read + convert + sort 200 events)",
             "for l, e in data: eng.prepare(l, e, at)", env, n),
            ("  `model.score_prepared([lead], now)` (streams, rules, ScoreResult)",
             "for p in prepared: eng.score_prepared([p], at)", env, n),
            ("hand-written with the same semantics", "for l, e in data: hand(l, e, NOW)", env, n)]),
    ]
    for title, phases in sections:
        try:
            timed = phase_times(phases, max(3, args.rounds), args.target / 2)
        except Exception as error:  # noqa: BLE001 — the runtime's internals may have moved
            print(f"{title}: phases not timed ({type(error).__name__}: {error})\n")
            continue
        whole = timed[0][1]
        print(f"### {title}\n")
        print(table(["phase", "µs", "share of `score`"],
                    [[label, fmt_us(seconds), f"{seconds / whole * 100:.0f}%"] for label, seconds in timed]))
        print("\n(each phase timed on its own, interleaved; on a busy machine they need not add up to 100%)\n")

    load_phases(args)

    jobs = [("(a) codegen `model.score(lead)`, 20,000 calls",
             lambda: [fit.score(TIMED_LEAD) for _ in range(20_000)]),
            (f"(b) codegen `model.score(lead, events, now)`, {n} leads × 3",
             lambda: [engagement.score(lead, events, NOW) for _ in range(3) for lead, events in data])]
    for title, job in jobs:
        gc.collect()
        gc.freeze()                 # as in the timings: only the job's own objects are collected
        profile = cProfile.Profile()
        profile.enable()
        job()
        profile.disable()
        gc.unfreeze()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(16)
        text = out.getvalue()
        head = text[:text.find("   ncalls")].strip().splitlines()
        print(f"### cProfile: {title} — {head[0].strip() if head else ''}; sorted by own time "
              "(cProfile inflates small calls: read the order, not the times)\n")
        print("```\n" + text[text.find("   ncalls"):].rstrip().replace(os.path.dirname(HERE) + "/", "") + "\n```\n")


# =====================================================================================
# (d) DuckDB near its floor (--batch)
# =====================================================================================

def part_d(args, report, targets):
    """`score --engine duckdb` against a hand-written DuckDB query: benchmarks/duckdb_floor.py."""
    sys.path.insert(0, HERE)
    import duckdb_floor
    leads = 10_000 if args.quick else args.batch_leads
    print(f"\n## (d) DuckDB against its floor: {leads:,} leads, {10 * leads:,} events\n")
    figures = duckdb_floor.measure(leads, 10, os.path.join(HERE, "data"))
    duckdb_floor.report(figures)
    report["d"] = figures
    floor, engine = figures["runs"]["floor query"], figures["runs"]["engine, default memory"]
    ratio, rss = engine["wall_seconds"] / floor["wall_seconds"], engine["peak_tree_rss_mb"]
    targets.add("d", "`score --engine duckdb` within 2× a hand-written DuckDB query, elapsed (issue 18)",
                ratio, ratio <= 2.0, f"{ratio:.2f}×")
    targets.add("d", "`score --engine duckdb` peak RSS under 2 GB (issues 17, 18)", rss, rss < 2048, f"{rss:,} MB")


# =====================================================================================

def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        root = os.path.dirname(HERE)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                    capture_output=True, text=True, check=True).stdout.strip())
        commit += " + uncommitted changes" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(), "commit": commit,
            "implementation": platform.python_implementation(), "platform": platform.platform(),
            "loadavg_start": os.getloadavg()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (figures not meaningful)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--only", default="a,b,c", help="parts to run, e.g. a,c (default: a,b,c)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds in (a) and (b) (default 11; quick 3)")
    parser.add_argument("--target", type=float, help="seconds per timed sample (default 0.2; quick 0.005)")
    parser.add_argument("--profile", action="store_true", help="also print profiles of leadscore in (a) and (b)")
    parser.add_argument("--clock", choices=sorted(CLOCK), default="cpu",
                        help="cpu: this process's CPU time (default; time spent waiting for a core that other "
                             "programs hold is not counted); wall: elapsed time")
    parser.add_argument("--batch", action="store_true",
                        help="also (d): score --engine duckdb against a hand-written DuckDB query (minutes)")
    parser.add_argument("--batch-leads", type=int, default=1_000_000, help="leads in (d) (default 1,000,000)")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 11)
    args.target = args.target or (0.005 if args.quick else 0.2)
    args.leads = 4 if args.quick else 40
    args.sizes = [10, 100] if args.quick else [100, 1_000, 10_000]
    parts = [p.strip() for p in args.only.split(",") if p.strip()] + (["d"] if args.batch else [])
    TIMER[0] = CLOCK[args.clock]

    info = machine()
    started = dt.datetime.now(dt.timezone.utc)
    command = "python benchmarks/run.py" + ("" if argv is None and len(sys.argv) == 1 else " " + " ".join(
        argv if argv is not None else sys.argv[1:]))
    print(f"# leadscore benchmarks — {started:%Y-%m-%d %H:%M} UTC{' (QUICK: figures not meaningful)' if args.quick else ''}\n")
    print(f"`{command}` · {info['nproc']} × {info['cpu']} · {info['implementation']} {info['python']} · "
          f"leadscore {leadscore.__version__} ({info['commit']}) · load average at start {info['loadavg_start'][0]:.2f} · "
          f"clock: {'CPU time of this process' if args.clock == 'cpu' else 'wall'}")

    report = {"date": started.isoformat(), "command": command, "machine": info, "quick": args.quick,
              "clock": args.clock, "rounds": args.rounds, "target_s": args.target,
              "peers": {name: dist_version(name) for name in
                        ("rule-engine", "zen-engine", "common-expression-language", "business-rules")}}
    targets = Targets()
    status = 0
    for part, run in (("a", part_a), ("b", part_b), ("c", part_c), ("d", part_d)):
        if part not in parts:
            continue
        try:
            run(args, report, targets)
        except CheckFailed as error:
            print(f"\nCROSS-CHECK FAILED in ({part}) — not timed:\n{error}")
            report.setdefault("failed", {})[part] = str(error)
            status = 1
        gc.collect()
    if args.profile:
        profiles(args)

    passed = sum(t["pass"] for t in targets.rows)
    print(f"\n## Targets: {passed} of {len(targets.rows)} pass\n")
    if targets.rows:
        print(table(["part", "target", "measured", "result"],
                    [[f"({t['part']})", t["target"], t["shown"], "PASS" if t["pass"] else "MISS"]
                     for t in targets.rows], ["l", "l", "r", "l"]))
    info["loadavg_end"] = os.getloadavg()
    elapsed = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
    print(f"\nLoad average at the end {info['loadavg_end'][0]:.2f}; the run took {elapsed:.0f} s.")
    report["targets"] = targets.rows
    report["seconds"] = elapsed
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        print(f"Figures written to {args.json}.")
    return status


if __name__ == "__main__":
    sys.exit(main())
