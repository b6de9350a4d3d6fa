"""Checked model → Python source: straight-line code for every rule.

The generated module builds the same `Plan` the closure compiler builds,
but each rule, stream and stage is one plain function whose body is the
rule's logic written out — no closure call per node. The runtime assembles
results from it exactly as it does for closures (runtime/scoring.py).

Conditions are written in two-valued form: `true(c)` is a Python boolean
expression that holds exactly when the three-valued condition is True,
`false(c)` when it is False (LANGUAGE.md §5). `not c` is `false(c)`, so no
third value is ever materialized.

Safe by construction: the text contains only what this module writes from
checked IR nodes. Every literal goes through `repr`; names from the model
appear only inside `repr`'d strings (dict keys, labels), never as Python
identifiers — functions and temporaries are numbered.
"""

from __future__ import annotations

import itertools
import json
import re

import attrs

from ..dsl import ir
from ..dsl.visitor import NodeVisitor
from ..runtime.streams import cap
from ..runtime.values import US_PER_DAY
from .inputs import input_nodes

#: What a generated function binds at its start, when its body reads the name.
PROLOGUE = (("now", "env.now"), ("lead", "env.lead.values"), ("stripped", "env.lead.stripped"))
NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
HEADER = '''"""Scorer for the leadscore model {name}, generated from {file}. Do not edit.

It needs only leadscore's runtime (no parser, no checker):

    import scorer
    result = scorer.score(lead, events, now="2026-11-20T00:00:00Z")
    result.score, result.tier, result.explain()
"""
'''


#: A model of more rules than this, with the fast path for a lead without events, gets no
#: `total()` body of its own: `total()` calls `_lead_result` and takes its score, so the
#: rules are written out, and compiled, once instead of twice (docs/architecture.md "What a
#: big model's load compiles"). At or below it, `total()` keeps its own body, which reads no
#: warnings and builds no result: about 10 µs a lead less (34 against 45 µs at 101 rules; no
#: difference measurable at 1,000; benchmarks/README.md, part c).
TOTAL_INLINE_MAX_RULES = 500


@attrs.frozen
class Generated:
    source: str
    line_map: dict                   # generated line → (file, line, column, what)
    # (name, first line, last line) of each top-level function that only explanations and
    # the full assembly call: `load_generated` compiles them on the first call of one.
    deferred: tuple = ()
    # `generate(model, lazy=True)`: (first line, last line, arguments of `_shared_rule_lines`) of
    # the deferred functions whose text is not written yet; their lines in `source` are blank.
    # `load_generated` writes them when it compiles the deferred functions. Empty otherwise:
    # `source` is then the whole module, as `leadscore compile` writes it.
    pending: tuple = ()


class Writer:
    """Indented lines with a source map back to the `.score` spans."""

    def __init__(self):
        self.lines: list[str] = []
        self.line_map: dict[int, tuple] = {}
        self.deferred: list[tuple] = []     # (function name, first line, last line)
        self.pending: list[tuple] = []      # (first line, last line, how to write them): `Generated.pending`
        self.depth = 0
        self.origin = None

    def line(self, text: str = "") -> None:
        self.lines.append(("    " * self.depth + text) if text else "")
        if self.origin is not None:
            self.line_map[len(self.lines)] = self.origin

    def block(self, lines: list, origin) -> None:
        """Lines already indented, all mapped to `origin`."""
        first = len(self.lines) + 1
        self.lines += lines
        if origin is not None:
            self.line_map.update(dict.fromkeys(range(first, len(self.lines) + 1), origin))

    def later(self, count: int, origin, arguments: tuple) -> None:
        """`count` blank lines, mapped to `origin`, for `_shared_rule_lines(*arguments)` to fill
        when they are first needed (`Generated.pending`)."""
        first = len(self.lines) + 1
        self.lines += [""] * count
        self.line_map.update(dict.fromkeys(range(first, first + count), origin))
        self.pending.append((first, first + count - 1, arguments))

    def indent(self) -> "_Indented":
        """`with w.indent():` the lines written inside are one level deeper."""
        return _Indented(self)

    def mapped(self, origin) -> "_Mapped":
        """`with w.mapped(origin):` the lines written inside map to `origin`."""
        return _Mapped(self, origin)

    def extend(self, other: "Writer") -> None:
        offset = len(self.lines)
        self.lines.extend(other.lines)
        self.line_map.update({offset + k: origin for k, origin in other.line_map.items()})
        self.deferred.extend((name, offset + first, offset + last) for name, first, last in other.deferred)
        self.pending.extend((offset + first, offset + last, arguments) for first, last, arguments in other.pending)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class _Indented:
    """Writer.indent's context (a class: a big model enters it tens of thousands of times,
    and a generator-based context manager costs several times more)."""

    __slots__ = ("writer",)

    def __init__(self, writer: Writer):
        self.writer = writer

    def __enter__(self) -> None:
        self.writer.depth += 1

    def __exit__(self, *exc) -> None:
        self.writer.depth -= 1


class _Mapped:
    """Writer.mapped's context."""

    __slots__ = ("writer", "origin", "saved")

    def __init__(self, writer: Writer, origin):
        self.writer, self.origin = writer, origin

    def __enter__(self) -> None:
        self.saved, self.writer.origin = self.writer.origin, self.origin

    def __exit__(self, *exc) -> None:
        self.writer.origin = self.saved


def generate(model: ir.Model, lazy: bool = False) -> Generated:
    """The module's text. `lazy` (the load path, `leadscore.loads`): the text of the deferred
    `_rule_N` functions of a model with `_lead_result` is left blank, to be written by
    `load_generated` on the first call of a deferred function (`Generated.pending`)."""
    return Generator(model, lazy).module()


class Generator(NodeVisitor):
    """IR → Python source. Two families of handlers (dsl/visitor.py): `visit_<IR node>(node, item)`
    writes an expression's value, `truth_<IR node>(node, item, want)` a condition's truth."""

    stage_name = "the codegen backend"

    def __init__(self, model: ir.Model, lazy: bool = False):
        self.model = model
        self.lazy = lazy
        self.w = Writer()
        self.constants: dict = {}          # repr → module-level name
        self.readers: dict = {}            # node → the name of the function reading its value
        self.temps = itertools.count()
        self.field_names: dict | None = None   # in `total`: field name → local variable
        self.score_local: str | None = None    # in `_lead_result`: the local holding the score
        # a lead without events is scored by `_lead_result`, which has the rules and stages
        # inlined: their own functions serve only explanations and the full assembly
        self.fast = not (model.streams or model.account is not None or model.campaigns)
        self.field_locals = {f.name: f"f_{k}" for k, f in enumerate(model.fields)}
        self.shared_texts: dict = {}       # rule index → `shared`'s text
        self.shared_fields: dict = {}      # rule index → the (field, stripped) pairs the text reads
        self.shared_refs: dict = {}        # rule index → its field references, in reading order

    # ---- small helpers -------------------------------------------------------------

    def constant(self, text: str) -> str:
        """A module-level constant for an expression text built from literals."""
        if text not in self.constants:
            self.constants[text] = f"_K{len(self.constants)}"
        return self.constants[text]

    def temp(self) -> str:
        return f"_t{next(self.temps)}"

    def origin(self, span, what: str):
        return (self.model.filename, span.line, span.column, what)

    # ---- the module ----------------------------------------------------------------

    def module(self) -> Generated:
        m, w = self.model, self.w
        body = Writer()
        self.w = body
        self.streams()
        rule_names = {}
        for rule, _group in m.all_rules():
            rule_names[rule.index] = self.rule(rule)
        stages = self.stages()
        key_fn = self.account_functions()
        fast = self.lead_result()
        self.plan(rule_names, stages, key_fn, fast)
        self.total()
        self.w = w

        for line in HEADER.format(name=_doc(repr(m.name)), file=_doc(repr(m.filename))).splitlines():
            w.line(line)                   # one by one, so the line map counts them
        w.line("import re2 as _re2")
        w.line("from leadscore.runtime import plan as _plan, schema as _schema, values as _values")
        w.line("from leadscore.runtime.model import Model as _Model, now_us as _now_us")
        w.line("from leadscore.runtime.scoring import Plan as _Plan, PlanCampaign as _PlanCampaign, "
               "PlanGroup as _PlanGroup, Env as _Env")
        w.line("from leadscore.runtime.results import LazyResult as _LazyResult")
        w.line("from leadscore.runtime.scoring import ordered_tags as _ordered_tags")
        w.line("from leadscore.runtime.streams import distinct_newest as _distinct, "
               "newest_known as _newest_known, sum_known as _sum_known")
        w.line()
        w.line(f"NAME = {m.name!r}")
        w.line(f"VERSION = {m.version!r}")
        w.line("_domain = _values.domain_of")
        for text, name in self.constants.items():
            w.line(f"{name} = {text}")
        w.line()
        w.extend(body)
        w.line("MODEL = _Model(NAME, VERSION, PLAN, FIELDS, EVENTS)")
        ranges = json.dumps(line_ranges(w.line_map), separators=(",", ":"))
        w.line(f"LINE_MAP = _plan.ranges_from_json({ranges!r})")     # a string: next to nothing to compile
        w.line()
        w.line()
        w.line("def score(lead, events=(), now=None):")
        with w.indent():
            w.line('"""Score one lead (an account of one): a `ScoreResult`."""')
            w.line("return MODEL.score(lead, events, now)")
        w.line()
        w.line()
        w.line("def score_many(leads, events=(), now=None, **options):")
        with w.indent():
            w.line('"""Score many leads, grouped into accounts; results in input order."""')
            w.line("return MODEL.score_many(leads, events, now, **options)")
        return Generated(w.text(), dict(w.line_map), tuple(w.deferred), tuple(w.pending))

    # ---- declarations --------------------------------------------------------------

    def declarations(self) -> None:
        w = self.w
        fields = ", ".join(
            f"_schema.Field({f.name!r}, {f.type!r}, {f.column!r}, {_set(f.sentinel_texts)}, "
            f"{_set(f.sentinel_numbers)})" for f in self.model.fields)
        w.line(f"FIELDS = ({fields}{',' if len(self.model.fields) == 1 else ''})")
        events = []
        for e in self.model.events:
            attributes = "".join(f"_schema.Attribute({a.name!r}, {a.type!r}, {a.column!r}), "
                                 for a in e.attributes)
            events.append(f"_schema.EventType({e.name!r}, ({attributes}))")
        w.line(f"EVENTS = ({', '.join(events)}{',' if len(events) == 1 else ''})")
        w.line()

    # ---- streams -------------------------------------------------------------------

    def streams(self) -> None:
        for stream in self.model.streams:
            self.stream(stream)

    def stream(self, s: ir.StreamDef) -> None:
        w = self.w
        w.line()
        w.line(f"def _stream_{s.id}(env):")
        with w.indent():
            w.line("cache = env.streams")
            w.line(f"found = cache[{s.id}]")
            w.line("if found is None:")
            with w.indent():
                if s.is_leads:
                    base = "env.account.leads"
                elif s.account:
                    base = f"env.account.by_type.get({s.source!r}, ())" if s.source else "env.account.events"
                else:
                    base = f"env.by_type.get({s.source!r}, ())" if s.source else "env.events"
                tests = []
                if s.window is not None:
                    w.line(f"cutoff = env.now - {s.window!r}")
                    tests.append("e.at > cutoff")
                if s.filter is not None:
                    if self.uses_now(s.filter):
                        w.line("now = env.now")
                    tests.append(self.true(s.filter, "e"))
                if tests:
                    w.line(f"found = cache[{s.id}] = [e for e in {base} if {' and '.join(tests)}]")
                else:
                    w.line(f"found = cache[{s.id}] = {base}")
            w.line("return found")

    def uses_now(self, expr) -> bool:
        return any(isinstance(n, (ir.NowRef, ir.DaysSince)) for n in ir.walk(expr))

    # ---- rules ---------------------------------------------------------------------

    def function(self, signature: str, build, origin=None, deferred: bool = False) -> None:
        """`def signature:` with the body `build()` writes, preceded by the bindings it reads;
        `deferred`: a function only explanations and the full assembly call (`load_generated`)."""
        w = self.w
        w.line()
        first = len(w.lines) + 1
        body = Writer()
        body.depth = w.depth + 1
        body.origin = origin or w.origin
        with w.mapped(body.origin):
            w.line(f"def {signature}:")
        self.w = body
        build()
        self.w = w
        words = _words("\n".join(body.lines))
        with w.indent(), w.mapped(body.origin):
            for name, binding in PROLOGUE:
                if name in words:
                    w.line(f"{name} = {binding}")
        w.extend(body)
        if deferred:
            w.deferred.append((signature.split("(", 1)[0], first, len(w.lines)))

    def rule(self, rule: ir.Rule) -> dict:
        """Write a rule's functions; return their names."""
        origin = (self.model.filename, rule.span.line, rule.span.column, f"rule {rule.name}")
        if self.shared(rule) is not None:
            self.shared_rule(rule, origin)
        else:
            build = {"condition": self.condition_rule, "each": self.each_rule, "table": self.table_rule}[rule.kind]
            self.w.line()
            self.function(f"_rule_{rule.index}(env)", lambda: build(rule), origin, deferred=self.fast)
        w = self.w
        saved, w.origin = w.origin, origin
        try:
            return {"points": f"_rule_{rule.index}", "inputs": self.inputs(rule), "reason": self.reason(rule)}
        finally:
            w.origin = saved

    def shared(self, rule: ir.Rule) -> str | None:
        """In a model with `_lead_result`: a condition rule's test, or a table rule's capped points,
        as one expression over the field locals (`f_k`, `s_k`) and `now`, written once for its
        `_rule_N` and the inlined bodies. None for a rule that is written apart."""
        if not self.fast or rule.kind not in ("condition", "table"):
            return None
        if rule.index not in self.shared_texts:
            refs = _fields_read(rule.condition if rule.kind == "condition" else rule.by)
            text = None
            if refs is not None:
                self.shared_refs[rule.index] = refs
                self.shared_fields[rule.index] = sorted({(n.name, n.stripped) for n in refs})
                saved, self.field_names = self.field_names, self.field_locals
                try:
                    text = self.true(rule.condition) if rule.kind == "condition" else self.table_expression(rule)
                finally:
                    self.field_names = saved
            self.shared_texts[rule.index] = text
        return self.shared_texts[rule.index]

    def shared_rule(self, rule: ir.Rule, origin) -> None:
        """`_rule_N` of a rule with a `shared` text (written as `function` would write it, in
        fewer steps): the fields it reads bound as the inlined bodies bind them, then the text.
        Lazily (`generate(lazy=True)`), only its lines are counted now: `_shared_rule_lines`
        writes them if an explanation ever needs the function."""
        w, text, fields = self.w, self.shared(rule), self.shared_fields[rule.index]
        if rule.kind == "condition":
            points = rule.points if rule.max_total is None else cap(rule.points, rule.max_total)
            text = f"{points!r} if {text} else 0.0"
        uses_now = "now" in text and "now" in _words(text)
        plain = stripped = False
        for _, each in fields:
            if each:
                stripped = True
            else:
                plain = True
        locals_ = self.field_locals
        arguments = (rule.index, w.depth, text, tuple((name, each, locals_[name]) for name, each in fields),
                     uses_now, plain, stripped)
        w.line()
        w.line()
        first = len(w.lines) + 1
        if self.lazy:
            w.later(2 + uses_now + plain + stripped + len(fields), origin, arguments)
        else:
            w.block(_shared_rule_lines(*arguments), origin)
        w.deferred.append((f"_rule_{rule.index}", first, len(w.lines)))

    def condition_rule(self, rule: ir.Rule) -> None:
        w = self.w
        if rule.decay is None or not rule.counted:         # no decay: the points, capped, or nothing
            points = rule.points if rule.max_total is None else cap(rule.points, rule.max_total)
            w.line(f"return {points!r} if {self.true(rule.condition)} else 0.0")
            return
        w.line(f"if {self.true(rule.condition)}:")
        with w.indent():
            w.line(f"points = {rule.points!r}")
            self.finish(rule, rule.counted)
            w.line("return points")
        w.line("return 0.0")

    def table_rule(self, rule: ir.Rule) -> None:
        self.table_points(rule)
        self.finish(rule, rule.counted)
        self.w.line("return points")

    def table_points(self, rule: ir.Rule) -> None:
        """`points = ...` from the first arm that takes the `by` value (unknown: the first
        `unknown` or `else` arm; no match: 0)."""
        w = self.w
        value = self.temp()
        w.line(f"{value} = {self.value(rule.by)}")
        unknown, arms, fallback = table_arms(rule)
        w.line(f"if {value} is None:")
        with w.indent():
            w.line(f"points = {unknown!r}")
        for arm in arms:
            w.line(f"elif {self.arm_test(arm, value)}:")
            with w.indent():
                w.line(f"points = {arm.points!r}")
        w.line("else:")
        with w.indent():
            w.line(f"points = {fallback!r}")


    def arm_test(self, arm: ir.Arm, value: str) -> str:
        tests = [f"{value} in {self.constant(_set(arm.values))}"] if arm.values else []
        tests += [_range_test(value, low, high) for low, high in arm.ranges]
        return " or ".join(tests) or "False"

    def each_rule(self, rule: ir.Rule) -> None:
        w = self.w
        items = f"_stream_{rule.stream.id}(env)"
        if rule.distinct is not None:
            items = f"_distinct({items}, {rule.distinct!r})"
        factor = self.factor(rule.decay, "now - e.at") if rule.decay is not None else None
        if rule.max_per is None:
            if factor is None:
                w.line(f"points = {rule.points!r} * len({items})")
            else:
                w.line("weight = 0.0")
                w.line(f"for e in {items}:")
                with w.indent():
                    w.line(f"weight += {factor}")
                w.line(f"points = {rule.points!r} * weight")
        else:
            limit, period = rule.max_per
            w.line("weights = {}")
            w.line(f"for e in {items}:")
            with w.indent():
                w.line(f"k = (now - e.at) // {period!r}")
                w.line(f"weights[k] = weights.get(k, 0.0) + {factor or '1.0'}")
            w.line("points = 0.0")
            w.line("for k in sorted(weights):")
            with w.indent():
                w.line(f"x = {rule.points!r} * weights[k]")
                self.cap("x", limit)
                w.line("points += x")
        self.cap("points", rule.max_total)
        w.line("return points")

    def finish(self, rule: ir.Rule, counted: tuple) -> None:
        """Decay by the newest counted event, then the `max` cap."""
        w = self.w
        if rule.decay is not None and counted:
            newest = [self.newest(a) for a in counted]
            w.line("if points:")
            with w.indent():
                if len(newest) == 1:
                    w.line(f"at = {newest[0]}")
                else:
                    names = [self.temp() for _ in newest]
                    for name, expression in zip(names, newest):
                        w.line(f"{name} = {expression}")
                    w.line(f"times = [t for t in ({', '.join(names)}) if t is not None]")
                    w.line("at = max(times) if times else None")
                w.line("if at is not None:")
                with w.indent():
                    w.line(f"points = points * {self.factor(rule.decay, 'env.now - at')}")
        self.cap("points", rule.max_total)

    def newest(self, a: ir.Aggregate) -> str:
        stream = f"_stream_{a.stream.id}(env)"
        if a.kind == "sum":
            return f"_newest_known({stream}, {a.attribute!r})"
        s = self.temp()
        index = 0 if a.kind == "first" else -1
        return f"({s}[{index}].at if ({s} := {stream}) else None)"

    @staticmethod
    def factor(decay: ir.Decay, age: str) -> str:
        if decay.kind == "half_life":
            return f"0.5 ** (({age}) / {decay.period!r})"
        if decay.kind == "expire":
            return f"(1.0 if ({age}) < {decay.period!r} else 0.0)"
        return f"max(0.0, 1.0 - {decay.rate!r} * ({age}) / {decay.period!r})"

    def cap(self, name: str, limit) -> None:
        if limit is None:
            return
        w = self.w
        w.line(f"if {name} > {limit!r}:")
        with w.indent():
            w.line(f"{name} = {limit!r}")
        w.line(f"elif {name} < {-limit!r}:")
        with w.indent():
            w.line(f"{name} = {-limit!r}")

    # ---- explanations ---------------------------------------------------------------

    def inputs(self, rule: ir.Rule) -> list:
        """The values a rule read, as `[label, reader]` pairs (runtime/plan.py `rules_from_json`)."""
        refs = self.shared_refs.get(rule.index)
        if refs is not None:      # fields only: `input_nodes`' answer from the walk `shared` made
            entries, seen = [], set()
            for n in refs:
                if n.name not in seen:
                    seen.add(n.name)
                    stripped = n.type == "text" or n.stripped      # text is shown as written
                    entries.append([n.name, self.field_reader(n.name, stripped)])
            return entries
        entries = [[label, self.field_reader(node.name, node.stripped) if isinstance(node, ir.FieldRef)
                    else self.reader(node)] for label, node in input_nodes(rule)]
        if rule.kind == "each":
            counted = f"float(len(_stream_{rule.stream.id}(env)))"
            entries.append(["events counted", self.reader(("counted", rule.stream.id), counted)])
        return entries

    def field_reader(self, name: str, stripped: bool) -> str:
        """`reader` of a field, under one key whatever the FieldRef node that reads it (its text
        written only for the first: a big model's rules read a few fields thousands of times)."""
        key = ("field", name, stripped)
        found = self.readers.get(key)
        return found if found is not None else self.reader(key, f"{'stripped' if stripped else 'lead'}.get({name!r})")

    def reader(self, node, value: str | None = None) -> str:
        """The function `(env, item=None) → value` of a node (or of `value`, under the key
        `node`): one for every rule that reads the same, so a big model's many rules over
        a few fields share a few readers."""
        name = self.readers.get(node)
        if name is None:
            name = self.readers[node] = f"_input_{len(self.readers)}"
            text = value if value is not None else self.value(node)
            with self.w.mapped(None):
                self.function(f"{name}(env, item=None)", lambda: self.w.line(f"return {text}"), deferred=True)
        return name

    def reason(self, rule: ir.Rule) -> list | None:
        """A table rule's reason, naming the arm its value took (runtime/plan.py `TableReason`):
        `[reader, reason, arms]`, each arm `[kind, values, ranges, text]`."""
        if rule.kind != "table" or rule.reason_given:
            return None
        arms = [[arm.kind, sorted(arm.values, key=repr), [list(r) for r in arm.ranges], arm.text]
                for arm in rule.arms]
        by = rule.by
        reader = self.field_reader(by.name, by.stripped) if isinstance(by, ir.FieldRef) else self.reader(by)
        return [reader, rule.reason, arms]

    # ---- stages and the account scope ---------------------------------------------------

    def stages(self) -> dict:
        """Functions for qualify/disqualify conditions; name lists per scope."""
        out = {"qualify": [], "disqualify": [], "campaigns": {}}

        numbers = itertools.count()

        def write(stage, kind) -> str:
            name = f"_{kind}_{next(numbers)}"
            with self.w.mapped(self.origin(stage.span, f"{kind} {stage.name}")):
                self.predicate(name, stage.condition, deferred=self.fast)
            return f"({stage.name!r}, {name}, {stage.text!r})"

        for stage in self.model.qualify:
            out["qualify"].append(write(stage, "qualify"))
        for stage in self.model.disqualify:
            out["disqualify"].append(write(stage, "disqualify"))
        for campaign in self.model.campaigns:
            out["campaigns"][campaign.name] = [write(stage, "qualify") for stage in campaign.qualify]
        return out

    def predicate(self, name: str, condition, deferred: bool = False) -> None:
        self.function(f"{name}(env, item=None)", lambda: self.w.line(f"return {self.true(condition)}"),
                      deferred=deferred)

    def account_functions(self) -> tuple:
        account = self.model.account
        if account is None:
            return ("None", "None")
        self.function("_account_key(env, item=None)", lambda: self.w.line(f"return {self.value(account.key)}"))
        where = "None"
        if account.where is not None:
            self.predicate("_account_where", account.where)
            where = "_account_where"
        return ("_account_key", where)

    # ---- the plan ------------------------------------------------------------------

    def plan(self, rules: dict, stages: dict, account: tuple, lead_result: str = "None") -> None:
        w, m = self.w, self.model
        w.line()
        self.declarations()

        specs: list = []              # every rule's PlanRule as data (runtime/plan.py `rules_from_json`)

        def planned(scope) -> str:
            """A scope's rules: a slice of `_RULES`, which is built from one JSON text."""
            first = len(specs)
            for rule in scope:
                names = rules[rule.index]
                specs.append([rule.name, rule.index, rule.reason, rule.tag, names["points"], names["inputs"],
                              names["reason"]])
            return f"_RULES[{first}:{len(specs)}]" if len(specs) > first else "()"

        def group(g: ir.Group) -> str:
            info = f"_plan.GroupInfo({g.name!r}, {g.label!r}, {g.min!r}, {g.max!r})"
            return f"_PlanGroup({info}, {planned(g.rules)})"

        def tiers(t) -> str:
            return "None" if t is None else f"_plan.TierSet({t.group!r}, {t.names!r}, {t.thresholds!r})"

        def tuple_of(items) -> str:
            return "(" + "".join(f"{item}, " for item in items) + ")"

        campaigns = []
        for c in m.campaigns:
            info = f"_plan.CampaignInfo({c.name!r}, {tiers(c.tiers)}, {tuple_of(tiers(t) for t in c.group_tiers)})"
            campaigns.append(f"_PlanCampaign({info}, {tuple_of(group(g) for g in c.groups)}, "
                             f"{planned(c.rules)}, {tuple_of(stages['campaigns'][c.name])})")
        info = f"_plan.ModelInfo({m.clamp!r}, {tiers(m.tiers)}, {tuple_of(tiers(t) for t in m.group_tiers)})"
        groups = tuple_of(group(g) for g in m.groups)
        global_rules = planned(m.rules)
        account_rules = planned(m.account.rules) if m.account else "()"
        data = json.dumps(specs, separators=(",", ":"))
        w.line(f"_RULES = _plan.rules_from_json(globals(), {data!r})")
        w.line("PLAN = _Plan(")
        with w.indent():
            w.line(f"model={info},")
            w.line(f"groups={groups},")
            w.line(f"rules={global_rules},")
            w.line(f"account_rules={account_rules},")
            w.line(f"account_key={account[0]},")
            w.line(f"account_where={account[1]},")
            w.line(f"qualify={tuple_of(stages['qualify'])},")
            w.line(f"disqualify={tuple_of(stages['disqualify'])},")
            w.line(f"campaigns={tuple_of(campaigns)},")
            w.line(f"stream_count={len(m.streams)!r},")
            w.line(f"key_reads_events={bool(m.account and m.account.key_reads_events)!r},")
            w.line(f"account_rules_shared={bool(m.account and m.account.rules_shared)!r},")
            w.line(f"lead_result={lead_result},")
        w.line(")")

    # ---- the fast paths: a lead without events, fields in locals, rules inlined ---------

    def total(self) -> None:
        """`total(lead, events=(), now=None)`: just the score, for callers that need no result.

        A model that reads no events and has no account scope gets the
        inlined body (`inline`); others score through MODEL and return its score.
        """
        w, m = self.w, self.model
        w.line()
        w.line()
        w.line("def total(lead, events=(), now=None):")
        with w.indent():
            if m.streams or m.account is not None:
                w.line('"""The lead\'s score alone (the `score` of `score(...)`); this model reads events, so it is scored in full."""')
                w.line("return MODEL.score(lead, events, now).score")
                return
            if self.fast and sum(1 for _ in m.all_rules()) > TOTAL_INLINE_MAX_RULES:
                w.line('"""The lead\'s score alone (the `score` of `score(...)`): a big model\'s rules are written '
                       'once, in `_lead_result`."""')
                w.line("if events:")
                with w.indent():
                    w.line("return MODEL.score(lead, events, now).score")
                w.line("return _lead_result(lead, _now_us(now), None, (), None).score")
                return
            w.line('"""The lead\'s score alone (the `score` of `score(...)`), computed without building a result."""')
            w.line("if events:")
            with w.indent():
                w.line("return MODEL.score(lead, events, now).score")
            self.inline(result=False)

    def lead_result(self) -> str:
        """`_lead_result(lead, at, lead_id, extra, full)`: the `ScoreResult` of a lead given no
        events, inlined as `total()` is, plus what the result needs — conversion warnings,
        groups, tiers, stages, tags. Its `now` text and its explanation are left to
        `LazyResult` (`full` calls the full assembly of runtime/scoring.py). Returns the
        function's name, or "None" for a model that reads events, has an account scope or
        campaigns: those are assembled in full (Model.score)."""
        if not self.fast:
            return "None"
        w = self.w
        w.line()
        w.line()
        w.line("def _lead_result(lead, at, lead_id, extra, full):")
        with w.indent():
            self.inline(result=True)
        return "_lead_result"

    def inline(self, result: bool) -> None:
        """The body both fast paths share: the fields read into locals (all of them, for their
        warnings, when the `result` is wanted; else those the rules read), then `inline_body`."""
        w, m = self.w, self.model
        body = Writer()
        body.depth = w.depth
        self.w, self.field_names, self.score_local = body, {f.name: f"f_{k}" for k, f in enumerate(m.fields)}, "final"
        self.inline_body(result)
        self.w, self.field_names, self.score_local = w, None, None
        words = _locals_read("\n".join(body.lines),
                             ["now"] + [f"{kind}_{k}" for k in range(len(m.fields)) for kind in "fs"])
        if "now" in words:
            w.line("now = at" if result else "now = _now_us(now)")
        w.line("read = lead.get")
        if result:
            w.line("warnings = ()")
        for k, f in enumerate(m.fields):
            if result or f"f_{k}" in words or f"s_{k}" in words:
                self.read_field(k, f, f"s_{k}" in words, result)
        if result:
            w.line("if extra:")
            with w.indent():
                w.line("warnings += tuple(extra)")
        w.extend(body)

    def read_field(self, k: int, f: ir.Field, stripped: bool, warn: bool) -> None:
        """Convert one raw field as runtime/schema.py's LeadReader does (with its warning when
        `warn`), into `f_k` (folded text) and, when `stripped` is read, `s_k`; text (and a whole
        number for a number field) without a call."""
        w = self.w
        raw, text = f"r_{k}", f.type == "text"
        value = f"s_{k}" if text else f"f_{k}"
        convert = self.constant(f"_schema.converter({f.type!r}, {_set(f.sentinel_texts)}, "
                                f"{_set(f.sentinel_numbers)})")
        w.line(f"{raw} = read({f.column!r})")
        if not f.sentinel_texts and not f.sentinel_numbers and f.type in ("text", "number"):
            w.line(f"if {raw}.__class__ is {'str' if text else 'int'}:")
            with w.indent():
                if not text:
                    w.line(f"f_{k} = float({raw})")
                elif stripped:
                    w.line(f"s_{k} = {raw}.strip() or None")
                    w.line(f"f_{k} = s_{k} and s_{k}.casefold()")
                else:                      # a text's case-folded form is empty only when it is
                    w.line(f"f_{k} = {raw}.strip().casefold() or None")
            w.line(f"elif {raw} is None:")
        else:
            w.line(f"if {raw} is None:")
        with w.indent():
            w.line(f"f_{k} = s_{k} = None" if text and stripped else f"f_{k} = None")
        w.line("else:")
        with w.indent():
            w.line(f"{value} = {convert}({raw})")
            w.line(f"if {value} is {self.constant('_values.BAD')}:")
            with w.indent():
                if warn:
                    w.line(f"warnings += ({'field `' + f.name + '`: cannot read '!r} + "
                           f"repr(_schema.describe_raw({raw})) + {' as ' + f.type!r},)")
                w.line(f"{value} = None")
            if text:
                w.line(f"f_{k} = s_{k} and s_{k}.casefold()")

    def inline_body(self, result: bool) -> None:
        """The rules, groups and clamp as runtime/scoring.py's `score` gives them; then the score
        alone (knocked out to the floor), or with the `result`: stages, tiers, tags."""
        w, m = self.w, self.model
        tagged = result and any(rule.tag is not None for rule, _group in m.all_rules())
        if tagged:
            w.line("tags = []")
        w.line("total = 0.0")
        groups = []
        for k, g in enumerate(m.groups):
            w.line("group = 0.0")
            for rule in g.rules:
                self.inline_rule(rule, "group", tagged)
            w.line(f"g_{k} = {_clamp_expr('group', _float(g.min), _float(g.max))}")
            w.line(f"total += g_{k}")
            groups.append(f"{g.name!r}: g_{k}")
        for rule in m.rules:
            self.inline_rule(rule, "total", tagged)
        low, high = m.clamp if m.clamp else (None, None)
        w.line(f"final = {_clamp_expr('total', _float(low), _float(high))}")
        if not result:                     # (a knock-out reads neither the score nor a group's)
            if m.disqualify:
                w.line(f"if {' or '.join(self.true(s.condition) for s in m.disqualify)}:")
                with w.indent():
                    w.line(f"return {m.floor!r}")
            w.line("return final")
            return
        w.line(f"groups = {{{', '.join(groups)}}}")
        w.line("clamped = final != total" if m.clamp else "clamped = False")
        for kind, stages in (("disqualified", m.disqualify), ("qualified", m.qualify)):
            w.line(f"{kind} = ()")
            for stage in stages:
                w.line(f"if {self.true(stage.condition)}:")
                with w.indent():
                    w.line(f"{kind} += ({stage.name!r},)")
        w.line("tier = PLAN.model.tiers.tier_of(final)" if m.tiers else "tier = None")
        tiers = ", ".join(f"{t.group!r}: PLAN.model.group_tiers[{i}].tier_of(groups[{t.group!r}])"
                          for i, t in enumerate(m.group_tiers))
        w.line(f"group_tiers = {{{tiers}}}")
        if m.disqualify:
            w.line("if disqualified:")
            with w.indent():
                w.line(f"final = {m.floor!r}")
                w.line(f"tier = {m.tiers.names[0]!r}" if m.tiers else "tier = None")
                w.line("qualified = ()")
        tags = "_ordered_tags(tags)" if tagged else "()"
        w.line(f"return _LazyResult(lead_id, final, tier, groups, group_tiers, qualified, disqualified, {tags}, "
               "{}, clamped, warnings, at, full)")

    def inline_rule(self, rule: ir.Rule, into: str, tagged: bool) -> None:
        """`into += points` when the rule scores; with `tagged`, its tag kept (as `_Tally.run` keeps it)."""
        w = self.w
        tag = f"tags.append(({rule.index!r}, {rule.tag!r}))" if tagged and rule.tag is not None else None
        if rule.kind == "condition":
            points = rule.points if rule.max_total is None else cap(rule.points, rule.max_total)
            test = _unwrapped(self.shared(rule) or self.true(rule.condition))
            if tag and points:
                w.line(f"if {test}:")
                with w.indent():
                    w.line(f"{into} += {points!r}")
                    w.line(tag)
            else:       # one line: the same code, two tokens fewer to compile (no indent, dedent)
                w.line(f"if {test}: {into} += {points!r}")
            return
        if tag is None:
            w.line(f"{into} += {_unwrapped(self.shared(rule) or self.table_expression(rule))}")
            return
        self.table_points(rule)
        self.cap("points", rule.max_total)
        w.line("if points:")
        with w.indent():
            w.line(f"{into} += points")
            w.line(tag)

    def table_expression(self, rule: ir.Rule) -> str:
        """A table rule's points, capped, as one conditional expression: what `table_points` and
        the cap give, in about half the tokens (so a big model's `_lead_result` compiles faster)."""
        limit = rule.max_total

        def points(value) -> str:
            return repr(value if limit is None else cap(value, limit))

        value = self.value(rule.by)
        if value.isidentifier():
            first = value
        else:
            first = f"({(t := self.temp())} := {value})"
            value = t
        unknown, arms, fallback = table_arms(rule)
        parts = [f"{points(unknown)} if {first} is None else"]
        parts += [f"{points(arm.points)} if {self.arm_test(arm, value)} else" for arm in arms]
        return f"({' '.join(parts)} {points(fallback)})"

    # ---- expressions -------------------------------------------------------------------

    def value(self, node, item: str | None = None) -> str:
        """A Python expression for the node's value, None when unknown."""
        return self.visit(node, item)

    def visit_Const(self, node: ir.Const, item):
        return repr(node.value)

    def visit_FieldRef(self, node: ir.FieldRef, item):
        if self.field_names is not None:
            local = self.field_names[node.name]
            return ("s" + local[1:]) if node.stripped else local
        source = "stripped" if node.stripped else "lead"
        return f"{source}.get({node.name!r})"

    def visit_AttrRef(self, node: ir.AttrRef, item):
        source = "stripped" if node.stripped else "values"
        return f"{item}.{source}.get({node.name!r})"

    def visit_NowRef(self, node, item):
        return "now"

    def visit_KeyRef(self, node, item):
        return "env.account.key"

    def visit_ScoreRef(self, node, item):
        return self.score_local or "env.score"

    def visit_GroupScoreRef(self, node: ir.GroupScoreRef, item):
        if self.score_local is not None:        # in `_lead_result`: no campaigns, the groups dict
            return f"groups[{node.group!r}]"
        return f"env.group_scores[{(node.campaign, node.group)!r}]"

    def visit_Domain(self, node: ir.Domain, item):
        return f"_domain({self.value(node.argument, item)})"

    def visit_DaysSince(self, node: ir.DaysSince, item):
        argument = self.value(node.argument, item)
        if argument.isidentifier():        # a local: read twice, no temporary
            return f"(None if {argument} is None else (now - {argument}) / {US_PER_DAY!r})"
        t = self.temp()
        return f"(None if ({t} := {argument}) is None else (now - {t}) / {US_PER_DAY!r})"

    def visit_TimeDiff(self, node: ir.TimeDiff, item):
        a, b = self.temp(), self.temp()
        return (f"(None if ({a} := {self.value(node.left, item)}) is None or "
                f"({b} := {self.value(node.right, item)}) is None else {a} - {b})")

    def visit_Aggregate(self, node: ir.Aggregate, item):
        stream = f"_stream_{node.stream.id}(env)"
        if node.kind == "any":
            return f"(len({stream}) > 0)"
        if node.kind == "no":
            return f"(len({stream}) == 0)"
        if node.kind == "count":
            return f"float(len({stream}))"
        if node.kind == "sum":
            return f"_sum_known({stream}, {node.attribute!r})"
        s = self.temp()
        index = 0 if node.kind == "first" else -1
        return f"({s}[{index}].at if ({s} := {stream}) else None)"

    def _three_valued(self, node, item):
        return f"(True if {self.true(node, item)} else (False if {self.false(node, item)} else None))"

    visit_Logic = visit_NotOp = visit_Compare = visit_InSet = visit_InRange = visit_TextTest = \
        visit_Matches = _three_valued

    def visit_IsKnown(self, node, item):
        return self.true(node, item)

    # ---- conditions: true(c) and false(c) -------------------------------------------------

    def true(self, node, item: str | None = None) -> str:
        return self.truth(node, item, True)

    def false(self, node, item: str | None = None) -> str:
        return self.truth(node, item, False)

    def truth(self, node, item, want: bool) -> str:
        """A Python bool expression: the three-valued `node` is exactly `want`."""
        return self.dispatch("truth", node, item, want)

    def truth_Logic(self, node: ir.Logic, item, want: bool) -> str:
        joins_and = (node.op == "and") == want
        parts = []
        for child in (node.left, node.right):
            text = self.truth(child, item, want)
            # A child's own outer parentheses (a `truth` text that starts with "(" is wrapped
            # whole in it) go where it binds at least as tightly as the joiner: any child of
            # `or`; of `and`, all but an `or`. Fewer tokens for `compile()` of a big model.
            if text[:1] == "(" and not (joins_and and _joins_or(child, want)):
                text = text[1:-1]
            parts.append(text)
        return f"({parts[0]}{' and ' if joins_and else ' or '}{parts[1]})"

    def truth_NotOp(self, node: ir.NotOp, item, want: bool) -> str:
        return self.truth(node.operand, item, not want)

    def truth_IsKnown(self, node: ir.IsKnown, item, want: bool) -> str:
        if never_unknown(node.operand):
            return repr(node.known == want)
        holds = "is not None" if node.known == want else "is None"
        return f"({self.value(node.operand, item)} {holds})"

    def truth_Const(self, node: ir.Const, item, want: bool) -> str:
        return repr(node.value is want)

    def truth_Aggregate(self, node: ir.Aggregate, item, want: bool) -> str:
        if node.kind not in ("any", "no"):
            return self.standing_alone(node, item, want)
        stream = f"_stream_{node.stream.id}(env)"
        nonempty = (node.kind == "any") == want
        return f"(len({stream}) {'>' if nonempty else '=='} 0)"

    def standing_alone(self, node, item, want: bool) -> str:
        """A bool-valued field, attribute or key standing alone (the checker lets only bools be conditions)."""
        return f"({self.value(node, item)} is {want!r})"

    truth_FieldRef = truth_AttrRef = truth_KeyRef = truth_NowRef = truth_ScoreRef = truth_GroupScoreRef = \
        truth_TimeDiff = truth_Domain = truth_DaysSince = standing_alone

    def known(self, node, item, needed: bool = True) -> tuple[str, str]:
        """(a guard that holds when the value is known, the value) — with a temporary if the
        value is not a local already. A local's guard may be left out where it is not `needed`."""
        if never_unknown(node):
            return "", self.value(node, item)
        if node.__class__ is ir.DaysSince:      # of a local: known when the local is
            argument = self.value(node.argument, item)
            if argument.isidentifier():
                return f"{argument} is not None", f"(now - {argument}) / {US_PER_DAY!r}"
        value = self.value(node, item)
        if value.isidentifier():
            return (f"{value} is not None" if needed else ""), value
        t = self.temp()
        return f"({t} := {value}) is not None", t

    def truth_Compare(self, node: ir.Compare, item, want: bool) -> str:
        op = node.op if want else NEGATED[node.op]
        # unknown equals no constant, so `==` needs no guard on a local beside a constant
        needed = op != "==" or not (_constant(node.left) or _constant(node.right))
        guard_a, a = self.known(node.left, item, needed)
        guard_b, b = self.known(node.right, item, needed)
        parts = [g for g in (guard_a, guard_b) if g] + [f"{a} {op} {b}"]
        return "(" + " and ".join(parts) + ")"

    def test(self, node, item, want: bool) -> str:
        """`in`, `not in`, `matches` and the text tests: the operand known, then the test."""
        inside = isinstance(node, ir.InSet) and (not node.negated) == want
        guard, a = self.known(node.operand, item, needed=not inside)     # unknown is in no set
        parts = [guard] if guard else []
        if isinstance(node, ir.InSet):
            parts.append(f"{a} {'in' if inside else 'not in'} {self.constant(_set(node.values))}")
        elif isinstance(node, ir.InRange):
            holds = (not node.negated) == want
            test = _range_test(a, node.low, node.high)
            parts.append(test if holds else f"not ({test})")
        elif isinstance(node, ir.Matches):
            pattern = self.constant(f"_re2.compile({'(?i)' + node.pattern!r})")
            parts.append(f"{pattern}.search({a}) is {'not ' if want else ''}None")
        else:
            guard_b, b = self.known(node.needle, item)
            if guard_b:
                parts.append(guard_b)
            test = {"contains": f"{b} in {a}", "starts_with": f"{a}.startswith({b})",
                    "ends_with": f"{a}.endswith({b})"}[node.op]
            parts.append(test if want else f"not ({test})")
        return "(" + " and ".join(parts) + ")"

    truth_InSet = truth_InRange = truth_TextTest = truth_Matches = test


def _shared_rule_lines(index: int, depth: int, text: str, fields: tuple, uses_now: bool, plain: bool,
                       stripped: bool) -> list:
    """The lines of `Generator.shared_rule`'s `_rule_N`, from values fixed when the module was
    generated (ints, bools, the rule's expression text, `(field, stripped, local)` triples),
    not the generator: a lazily generated module (`Generated.pending`) keeps no generator alive,
    and what its first explanation compiles depends on nothing but the model."""
    inner = "    " * (depth + 1)
    lines = [f"{inner[4:]}def _rule_{index}(env):"]
    if uses_now:
        lines.append(f"{inner}now = env.now")
    if plain:
        lines.append(f"{inner}lead = env.lead.values")
    if stripped:
        lines.append(f"{inner}stripped = env.lead.stripped")
    for name, each, local in fields:
        lines.append(f"{inner}s{local[1:]} = stripped.get({name!r})" if each else f"{inner}{local} = lead.get({name!r})")
    lines.append(f"{inner}return {text}")
    return lines


def filled(text: str, pending: tuple) -> str:
    """`text` with the blank lines of `pending` (`Generated.pending`) written."""
    lines = text.split("\n")
    for first, last, arguments in pending:
        lines[first - 1:last] = _shared_rule_lines(*arguments)
    return "\n".join(lines)


def _fields_read(expr) -> list | None:
    """The field references of an expression in `ir.walk`'s order (parents first, left to
    right), or None when it reads the score or a group's (one pass, no generator)."""
    refs, stack = [], [expr]
    while stack:
        node = stack.pop()
        kind = node.__class__
        if kind is ir.FieldRef:
            refs.append(node)
        elif kind is ir.ScoreRef or kind is ir.GroupScoreRef:
            return None
        else:
            below = ir.children(node)
            if below:
                stack.extend(reversed(below))
    return refs


def _joins_or(node, want: bool) -> bool:
    """Is `truth(node, want)` an `or` at its top level?"""
    while node.__class__ is ir.NotOp:
        node, want = node.operand, not want
    return node.__class__ is ir.Logic and (node.op == "and") != want


def line_ranges(line_map: dict) -> tuple:
    """`{line: origin}` → `((first, last, file, line, column, what), ...)`, one entry per run."""
    ranges: list = []
    last = last_origin = None
    for line, origin in sorted(line_map.items()):
        if last is not None and last[1] == line - 1 and (origin is last_origin or tuple(origin) == tuple(last_origin)):
            last[1] = line
        else:
            last, last_origin = [line, line, *origin], origin
            ranges.append(last)
    return tuple(tuple(r) for r in ranges)


def score_location(line_ranges_: tuple, line: int) -> tuple | None:
    """The `.score` (file, line, column, what) a generated line came from."""
    for first, last, *origin in line_ranges_:
        if first <= line <= last:
            return tuple(origin)
    return None


def never_unknown(node) -> bool:
    """Values that are never unknown, so comparisons with them need no guard."""
    if isinstance(node, (ir.Const, ir.NowRef, ir.ScoreRef, ir.GroupScoreRef, ir.IsKnown)):
        return True
    return isinstance(node, ir.Aggregate) and node.kind in ("any", "no", "count", "sum")


def _constant(node) -> bool:
    """A constant that is known (never None)."""
    return isinstance(node, ir.Const) and node.value is not None


def _set(values) -> str:
    """A frozenset literal with a stable order (repr of each element)."""
    items = sorted(values, key=repr)
    return "frozenset({" + ", ".join(repr(x) for x in items) + "})" if items else "frozenset()"


def _unwrapped(test: str) -> str:
    """A `truth` text without its outer parentheses: every `truth_*` handler that writes "(" first
    wraps its whole text in that one pair."""
    return test[1:-1] if test.startswith("(") else test


def _range_test(value: str, low, high) -> str:
    if low is None:
        return f"{value} <= {high!r}"
    if high is None:
        return f"{value} >= {low!r}"
    return f"{low!r} <= {value} <= {high!r}"


def _float(limit):
    """A limit as runtime/scoring.py's `clamp` gives it when it applies: a float."""
    return None if limit is None else float(limit)


def _clamp_expr(name: str, low, high) -> str:
    text = name
    if high is not None:
        text = f"({high!r} if {text} > {high!r} else {text})"
    if low is not None:
        text = f"({low!r} if {name} < {low!r} else {text})"
    return text


def _words(text: str) -> set:
    return set(WORDS.findall(text))


WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


LOCALS = re.compile(r"\b(?:now|[fs]_[0-9]+)\b")


def _locals_read(text: str, names: list) -> set:
    """Which of `names` (`now`, `f_k`, `s_k`) a fast path's body reads: those `LOCALS` finds, each
    a whole word where `\\b` would see one (a word character is alphanumeric or `_`), found by
    `str.find` up to its first use. `_lead_result` of a big model is some 100 kB of text, where
    a regex listing every use took most of the work."""
    found = set()
    end_of_text = len(text)
    for name in names:
        at = text.find(name)
        while at >= 0:
            end = at + len(name)
            if (at == 0 or not _word_character(text[at - 1])) and \
                    (end == end_of_text or not _word_character(text[end])):
                found.add(name)
                break
            at = text.find(name, at + 1)
    return found


def _word_character(c: str) -> bool:
    """A character `\\w` matches in a str pattern."""
    return c.isalnum() or c == "_"


def _doc(text: str) -> str:
    """Text safe inside the module docstring: no quotes or backslashes can close it."""
    return text.replace("\\", "\\\\").replace('"', "'")


def load_generated(generated: Generated, filename: str):
    """Run generated source in a fresh namespace (never this module's globals) and return it.

    The source is registered with `linecache` under `filename`, so a
    traceback shows the generated lines, whose LINE_MAP names the `.score`
    line each came from. The functions in `generated.deferred` (those only
    explanations and the full assembly call) are not compiled now: each
    name holds a stand-in, and the first call of any of them compiles them
    all and gives every stand-in its real code (`_Deferred`). The lines of a
    lazily generated module's `pending` functions are written then too, and
    `linecache` given the whole text; until then it holds them blank.
    """
    import linecache
    import types
    source = generated.source
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType("leadscore_generated")
    module.__file__ = filename
    if generated.deferred:
        lines = source.split("\n")
        later = [""] * len(lines)
        for name, first, last in generated.deferred:
            if lines[first - 1]:                # (a pending function's lines are blank already)
                later[first - 1:last] = lines[first - 1:last]
                lines[first - 1:last] = [""] * (last - first + 1)      # blank: every line keeps its number
        _Deferred(module.__dict__, "\n".join(later), filename, [name for name, _, _ in generated.deferred],
                  generated.pending, source)
        source = "\n".join(lines)
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


def table_arms(rule: ir.Rule) -> tuple:
    """A table rule's arms as both of its writers read them (`table_points`, `table_expression`):
    (points when the `by` value is unknown: the first `unknown` or `else` arm's, else 0;
    the `values` arms before any `else`, in order; points when none takes the value)."""
    unknown = next((a.points for a in rule.arms if a.kind in ("unknown", "else")), 0.0)
    arms, fallback = [], 0.0
    for arm in rule.arms:
        if arm.kind == "else":
            fallback = arm.points
            break
        if arm.kind == "values":
            arms.append(arm)
    return unknown, arms, fallback


def _stand_in(*args, _load=None, _name=None, **kwargs):
    """The code of a deferred function until its first call (`_Deferred`)."""
    return _load(_name, args, kwargs)


class _Deferred:
    """The deferred functions of one generated module: a stand-in function under each name,
    and the text that defines them all (every other line blank, so line numbers are the
    module's). The first call of a stand-in compiles the text once and sets each stand-in's
    `__code__` and defaults to its function's, so the stand-ins, which the plan holds, are
    from then on the functions themselves, at no cost per call."""

    def __init__(self, namespace: dict, text: str, filename: str, names: list, pending: tuple = (),
                 source: str = ""):
        import threading
        import types
        # `text`: the deferred functions (every other line blank); the lines of `pending`'s are
        # blank too, written (`filled`) on the first call, when `source`, the module as its
        # `linecache` entry holds it, is given them too
        self.namespace, self.text, self.filename = namespace, text, filename
        self.pending, self.source = pending, source
        self.lock = threading.Lock()
        self.stand_ins = {}
        for name in names:
            function = types.FunctionType(_stand_in.__code__, namespace, name)
            function.__kwdefaults__ = {"_load": self.load, "_name": name}
            namespace[name] = self.stand_ins[name] = function

    def load(self, name: str, args: tuple, kwargs: dict):
        with self.lock:
            if self.text is not None:
                text = self.text
                if self.pending:
                    text = filled(text, self.pending)
                    self.show_pending()
                defined: dict = {}
                exec(compile(text, self.filename, "exec"), self.namespace, defined)
                for each, function in self.stand_ins.items():
                    real = defined[each]
                    # in this order, so another thread calling it meanwhile always finds a working
                    # pair: the stand-in's code takes *args (no positional defaults) and its own
                    # keyword-only ones stay until the real code, which has none, is in place
                    function.__defaults__ = real.__defaults__
                    function.__code__ = real.__code__
                    function.__kwdefaults__ = real.__kwdefaults__
                self.text, self.pending = None, ()
        return self.stand_ins[name](*args, **kwargs)

    def show_pending(self) -> None:
        """`linecache`'s copy of the module, with the lazily written lines (if it is still this
        module's: the same name and size), so tracebacks show them."""
        import linecache
        if linecache.cache.get(self.filename, (None,))[0] == len(self.source):
            source = filled(self.source, self.pending)
            linecache.cache[self.filename] = (len(source), None, source.splitlines(True), self.filename)
        self.source = ""
