"""The checked model as one SQL query, built as a sqlglot tree (docs/sql.md).

The query reads two relations and returns one row per lead:

- *staged* (the default, what `leadscore sql` prints): the raw `leads` and
  `events` relations of INTERFACE.md §3–§4. The `staged_leads` and
  `staged_events` CTEs convert them exactly as runtime/schema.py does
  (blank and sentinel values unknown, text stripped and case-folded,
  decimal numbers, bool words, ISO dates and times in µs), keep the first
  row of a repeated id, and drop the events the language ignores.
- *prepared*: relations already in that converted form (`prepared=True`),
  for tests and for engines that convert input themselves.

From there every language construct is a column expression. The query is a
chain of CTEs, each adding columns to the one before (`Layers`): per-lead
aggregates of the lead's events, the account key, per-account aggregates,
each rule's points after decay and caps, group scores, the total, the
clamp, stages, campaigns, then the output row. Unknown is SQL NULL and the
language's three-valued logic is SQL's; a condition holds only when it is
TRUE (`CASE WHEN`), which folds unknown to "does not hold" exactly where
LANGUAGE.md §5 says so. Every sum over rules is written out left to right
in the order docs/semantics.md fixes, so per-lead arithmetic gives the same
floats as the Python runtime; sums over events are added in time order
where the engine can (DuckDB, Spark: `Dialect.ordered_sum`), else by SUM
(equal to 1e-9).

Safe by construction: the tree is built from checked IR nodes only; every
literal is a sqlglot literal node, every identifier a quoted sqlglot
identifier; no model text is ever parsed as SQL.
"""

from __future__ import annotations

import attrs
from sqlglot import exp

from ...dsl import ir, without_gc
from ...dsl.visitor import NodeVisitor
from ...runtime import values as v
from .build import (Layers, NameList, add, and_, big, call, cap_expr, case, col, compare, concat_names, div,
                    greatest, holds, ident, lambda_, limit_expr, list_fold_sum, lit, mul, not_, num, or_, paren,
                    source_table, sub, table, to_double)
from .dialects import Dialect, SqlUnsupported, dialect as get_dialect
from .jsonl import json_name, result_json, result_line
from .stage import Stager


#: More rules than this, and a DuckDB query holds the rules' points (and the disqualify lines' flags)
#: as items of one LIST column, not a column each: DuckDB's planning grows with the columns a layer
#: carries times the layers (docs/sql.md, "Big models").
LIST_RULES = 256

@attrs.frozen
class Columns:
    """How the prepared relations name things: fields `f{i}`, attribute columns `a{j}`."""

    fields: dict                     # field name -> index
    attributes: dict                 # (attribute name, type) -> index

    @classmethod
    def of(cls, model: ir.Model) -> "Columns":
        attributes: dict = {}
        for event in model.events:
            for attribute in event.attributes:
                attributes.setdefault((attribute.name, attribute.type), len(attributes))
        return cls({f.name: i for i, f in enumerate(model.fields)}, attributes)

    def field(self, name: str, stripped: bool = False) -> str:
        return f"{'s' if stripped else 'f'}{self.fields[name]}"

    def attribute(self, name: str, type_: str, stripped: bool = False) -> str:
        return f"{'t' if stripped else 'a'}{self.attributes[(name, type_)]}"


@attrs.define
class Aggregates:
    """The aggregate columns one owner (a lead, an account) needs, registered while compiling."""

    prefix: str
    specs: dict = attrs.field(factory=dict)         # spec -> column name

    def column(self, spec: tuple) -> exp.Column:
        if spec not in self.specs:
            self.specs[spec] = f"{self.prefix}{len(self.specs)}"
        return col(self.specs[spec])


class Scope:
    """What names mean where an expression is compiled (a lead's rule, a filter, a stage)."""

    def __init__(self, builder: "QueryBuilder", item: str | None = None, item_stream=None,
                 score=None, groups=None):
        self.b = builder
        self.item = item                 # None, "event", "lead": what AttrRef reads
        self.item_stream = item_stream
        self.score = score
        self.groups = groups if groups is not None else {}


class QueryBuilder(NodeVisitor):
    """IR → the scoring query; `visit_<IR node>(node, scope)` gives an expression's SQL."""

    stage_name = "the SQL backend"

    def __init__(self, model: ir.Model, dialect: Dialect, now: int | None, *, prepared: bool = False,
                 leads: str = "leads", events: str = "events", id_column: str = "id",
                 lead_column: str = "lead_id", position: str | None = None, columns_present=None,
                 output_form: str = "columns", line_parts: tuple | None = None):
        self.model = model
        # "columns"; "json": the id and the JSON text; "line": the whole JSON Lines line
        self.output_form = output_form
        # for "line": (the table of warnings' JSON text by lead, `__wid` → `__wtext`; `now` as JSON)
        self.line_parts = line_parts
        self.d = dialect
        self.now = dialect.now_us(now)
        self.prepared = prepared
        self.sources = (leads, events)
        self.id_column, self.lead_column, self.position = id_column, lead_column, position
        self.present = columns_present
        self.names = Columns.of(model)
        self.lead_aggs = Aggregates("g")
        self.account_aggs = Aggregates("h")
        self.member_aggs = Aggregates("m")            # over the account's leads
        self.each_rules: list = []                    # (rule, column, owner)
        self.layers = Layers()
        self.rule_columns: dict = {}                  # id(rule) -> points column (or its item of `__r`)
        self.lead_values: dict = {}                   # column -> expression, computed once per lead
        self.lead_values_written = False
        self.arm_columns: dict = {}                   # id(rule) -> arm index column
        self.lists = False                            # points and flags in LIST columns (score_layers)

    # ---- expressions -------------------------------------------------------------------

    def visit_Const(self, node, scope):
        if node.type == ir.TEXT:
            return lit(node.value)
        if node.type == ir.BOOL:
            return exp.true() if node.value else exp.false()
        if node.type in (ir.DATE, ir.TIME, ir.DURATION):
            return big(node.value)
        return num(node.value)

    def visit_FieldRef(self, node, scope):
        return col(self.names.field(node.name, node.stripped))

    def visit_AttrRef(self, node, scope):
        if scope.item == "lead":
            return col(self.names.field(node.name, node.stripped))
        return col(self.names.attribute(node.name, node.type, node.stripped))

    def visit_NowRef(self, node, scope):
        return self.now

    def visit_KeyRef(self, node, scope):
        return col("__key")

    def visit_ScoreRef(self, node, scope):
        return scope.score

    def visit_GroupScoreRef(self, node, scope):
        return scope.groups[(node.campaign, node.group)]

    def visit_Logic(self, node, scope):
        a, b = self.visit(node.left, scope), self.visit(node.right, scope)
        return and_(a, b) if node.op == "and" else or_(a, b)

    def visit_NotOp(self, node, scope):
        return not_(self.visit(node.operand, scope))

    def visit_Compare(self, node, scope):
        return compare(node.op, self.visit(node.left, scope), self.visit(node.right, scope))

    def visit_InSet(self, node, scope):
        operand = self.visit(node.operand, scope)
        values = sorted(node.values, key=repr)
        if not values:
            inside = case((exp.Is(this=paren(operand), expression=exp.null()), exp.null()), default=exp.false())
        else:
            inside = exp.In(this=paren(operand),
                            expressions=[self.visit_Const(ir.Const(x, self._type_of(x)), scope) for x in values])
        return not_(inside) if node.negated else inside

    @staticmethod
    def _type_of(value) -> str:
        if isinstance(value, bool):
            return ir.BOOL
        if isinstance(value, str):
            return ir.TEXT
        return ir.NUMBER

    def visit_InRange(self, node, scope):
        operand = self.visit(node.operand, scope)
        inside = self._in_range(operand, node.low, node.high)
        return not_(inside) if node.negated else inside

    @staticmethod
    def _in_range(operand, low, high) -> exp.Expression:
        parts = []
        if low is not None:
            parts.append(exp.GTE(this=paren(operand), expression=num(low)))
        if high is not None:
            parts.append(exp.LTE(this=paren(operand), expression=num(high)))
        if not parts:       # `..` cannot be written; an open range still needs a known value
            return exp.Not(this=exp.Is(this=paren(operand), expression=exp.null()))
        return and_(*parts)

    def visit_TextTest(self, node, scope):
        a, b = self.visit(node.operand, scope), self.visit(node.needle, scope)
        if node.op == "contains":
            return exp.GT(this=exp.StrPosition(this=a, substr=b), expression=exp.Literal.number(0))
        length = exp.Length(this=b)
        side = exp.Left if node.op == "starts_with" else exp.Right
        return exp.EQ(this=side(this=a, expression=length), expression=paren(b))

    def visit_Matches(self, node, scope):
        gaps = self.d.regex_gaps(node.pattern)
        if gaps:
            raise SqlUnsupported(f"`matches \"{node.pattern}\"` cannot be run on {self.d.name}: "
                                 + "; ".join(gaps))
        return self.d.regex_search(self.visit(node.operand, scope), node.pattern)

    def visit_IsKnown(self, node, scope):
        test = exp.Is(this=paren(self.visit(node.operand, scope)), expression=exp.null())
        return exp.Not(this=test) if node.known else test

    def visit_TimeDiff(self, node, scope):
        return sub(self.visit(node.left, scope), self.visit(node.right, scope))

    def visit_Domain(self, node, scope):
        field = self._lead_field(node.argument, scope)
        name = field is not None and f"dom{self.names.fields[field]}"
        if not name or (name not in self.lead_values and self.lead_values_written):
            return self._domain(self.visit(node.argument, scope))
        if name not in self.lead_values:
            self.lead_values[name] = self._domain(col(self.names.field(field)))
        return col(name)

    @staticmethod
    def _lead_field(node, scope) -> str | None:
        """The field a lead-level expression reads as is (for values worth computing once per lead)."""
        if isinstance(node, ir.FieldRef) and scope.item is None and not node.stripped:
            return node.name
        if isinstance(node, ir.AttrRef) and scope.item == "lead" and not node.stripped:
            return node.name
        return None

    def _domain(self, text) -> exp.Expression:
        reverse = exp.Anonymous(this="REVERSE", expressions=[text])
        at = exp.StrPosition(this=reverse, substr=lit("@"))
        tail = exp.Anonymous(this="REVERSE", expressions=[
            exp.Substring(this=reverse.copy(), start=exp.Literal.number(1),
                          length=sub(at, exp.Literal.number(1)))])
        domain = exp.Nullif(this=self.d.strip(exp.Lower(this=tail)), expression=lit(""))
        return case((exp.GT(this=at.copy(), expression=exp.Literal.number(0)), domain))

    def visit_DaysSince(self, node, scope):
        return div(to_double(sub(self.now, self.visit(node.argument, scope))), num(v.US_PER_DAY))

    def visit_Aggregate(self, node, scope):
        stream = node.stream
        aggs = self._owner_aggs(stream)
        if node.kind in ("any", "no", "count"):
            count = exp.Coalesce(this=aggs.column(("count", stream.id)), expressions=[big(0)])
            if node.kind == "count":
                return to_double(count)
            return (exp.GT if node.kind == "any" else exp.EQ)(this=count, expression=big(0))
        if node.kind == "sum":
            return exp.Coalesce(this=aggs.column(("sum", stream.id, node.attribute)), expressions=[num(0)])
        if stream.is_leads:
            raise SqlUnsupported(f"`{node.kind} leads` has no time")
        return aggs.column(("min_at" if node.kind == "first" else "max_at", stream.id))

    def _owner_aggs(self, stream) -> Aggregates:
        if stream.is_leads:
            return self.member_aggs
        return self.account_aggs if stream.account else self.lead_aggs

    def newest_counted(self, rule: ir.Rule) -> exp.Expression | None:
        """The time of the newest event the rule's condition counted (LANGUAGE.md §6)."""
        times = []
        for agg in rule.counted:
            aggs = self._owner_aggs(agg.stream)
            if agg.kind in ("any", "count", "last"):
                times.append(aggs.column(("max_at", agg.stream.id)))
            elif agg.kind == "sum":
                times.append(aggs.column(("max_at_known", agg.stream.id, agg.attribute)))
            elif agg.kind == "first":
                times.append(aggs.column(("min_at", agg.stream.id)))
        return greatest(times) if times else None

    # ---- decay and rules ----------------------------------------------------------------

    def factor(self, decay: ir.Decay, age) -> exp.Expression:
        if decay.kind == "half_life":
            return self.d.power(num(0.5), div(to_double(age), num(decay.period)))
        if decay.kind == "linear":
            value = sub(num(1.0), div(mul(num(decay.rate), to_double(age)), num(decay.period)))
            return case((exp.LT(this=paren(value), expression=num(0.0)), num(0.0)), default=value)
        return case((exp.LT(this=paren(age), expression=big(decay.period)), num(1.0)), default=num(0.0))

    def rule_points(self, rule: ir.Rule) -> tuple:
        """(points column expression, arm index expression or None) for one rule."""
        scope = Scope(self)
        if rule.kind == "condition":
            points = case((self.visit(rule.condition, scope), num(rule.points)), default=num(0.0))
            return cap_expr(self._decayed(rule, points), rule.max_total), None
        if rule.kind == "table":
            value = self.visit(rule.by, scope)
            whens, arms = [], []
            for i, arm in enumerate(rule.arms):
                takes = self._arm_takes(arm, value)
                whens.append((takes, num(arm.points)))
                arms.append((takes, exp.Literal.number(i)))
            points = case(*whens, default=num(0.0))
            return cap_expr(self._decayed(rule, points), rule.max_total), case(*arms)
        return cap_expr(self.each_points(rule), rule.max_total), None

    def _decayed(self, rule: ir.Rule, points) -> exp.Expression:
        if rule.decay is None:
            return points
        newest = self.newest_counted(rule)
        if newest is None:
            return points
        factor = self.factor(rule.decay, sub(self.now, newest))
        return case((exp.Is(this=paren(newest), expression=exp.null()), points),
                    (exp.EQ(this=paren(points), expression=num(0.0)), points),
                    default=mul(points, factor))

    def _arm_takes(self, arm: ir.Arm, value) -> exp.Expression:
        if arm.kind == "else":
            return exp.true()
        if arm.kind == "unknown":
            return exp.Is(this=paren(value), expression=exp.null())
        tests = []
        if arm.values:
            tests.append(exp.In(this=paren(value), expressions=[
                self.visit_Const(ir.Const(x, self._type_of(x)), None) for x in sorted(arm.values, key=repr)]))
        tests += [self._in_range(value, low, high) for low, high in arm.ranges]
        return or_(*tests)

    def each_points(self, rule: ir.Rule) -> exp.Expression:
        stream = rule.stream
        if rule.distinct is None and rule.max_per is None:
            weights = self._owner_aggs(stream).column(("weights", stream.id, rule.decay))
            return mul(num(rule.points), exp.Coalesce(this=weights, expressions=[num(0.0)]))
        name = f"x{len(self.each_rules)}"
        self.each_rules.append((rule, name))
        return exp.Coalesce(this=col(name), expressions=[num(0.0)])

    # ---- stream predicates and aggregate columns -------------------------------------

    def predicate(self, stream: ir.StreamDef) -> exp.Expression:
        """Is this row (event, or member lead) in the stream?"""
        parts = []
        if not stream.is_leads:
            if stream.source is not None:
                parts.append(exp.EQ(this=col("__type"), expression=lit(stream.source)))
            if stream.window is not None:
                parts.append(exp.LT(this=sub(self.now, col("__at")), expression=big(stream.window)))
        if stream.filter is not None:
            parts.append(self.visit(stream.filter, Scope(self, item="lead" if stream.is_leads else "event")))
        return and_(*parts) if parts else exp.true()

    def weight(self, stream, decay) -> exp.Expression:
        if decay is None or stream.is_leads:
            return num(1.0)
        return self.factor(decay, sub(self.now, col("__at")))

    def aggregate_column(self, spec: tuple) -> exp.Expression:
        kind, stream_id = spec[0], spec[1]
        stream = self.model.streams[stream_id]
        p = self.predicate(stream)
        if kind == "count":
            return exp.Sum(this=case((p, big(1)), default=big(0)))
        if kind == "sum":
            attr = self._item_column(stream, spec[2])
            known = and_(p, exp.Not(this=exp.Is(this=attr, expression=exp.null())))
            return self.d.ordered_sum(attr.copy(), self._order(stream), known, num(0.0))
        if kind == "weights":
            return self.d.ordered_sum(self.weight(stream, spec[2]), self._order(stream), p, num(0.0))
        if kind == "max_at_known":
            attr = self._item_column(stream, spec[2])
            return exp.Max(this=case((and_(p, exp.Not(this=exp.Is(this=attr, expression=exp.null()))),
                                      col("__at"))))
        moment = case((p, col("__at")))
        return exp.Min(this=moment) if kind == "min_at" else exp.Max(this=moment)

    def _item_column(self, stream, name: str) -> exp.Column:
        """A number attribute of the stream's rows: an event attribute, or a member lead's field."""
        if stream.is_leads:
            return col(self.names.field(name))
        return col(self.names.attribute(name, ir.NUMBER))

    @staticmethod
    def _order(stream) -> exp.Expression:
        """The order rows are added in: by time (the account's leads: by input position)."""
        return col("__pos") if stream.is_leads else col("__at")

    def aggregate_select(self, aggs: Aggregates, source: str, owner: str) -> exp.Select:
        columns = [exp.alias_(self.aggregate_column(spec), ident(name)) for spec, name in aggs.specs.items()]
        return (exp.select(col(owner), *columns, copy=False)
                .from_(table(source), copy=False).group_by(col(owner), copy=False))

    def each_select(self, rule: ir.Rule, source: str, owner: str) -> exp.Select:
        """Points of an each-rule with `distinct` or `max N per D`, per owner, before `max N`."""
        stream = rule.stream
        inner = exp.select(col(owner), exp.alias_(self.weight(stream, rule.decay), ident("__w")), copy=False)
        inner = inner.select(self._order(stream), copy=False)
        where = self.predicate(stream)
        if rule.distinct is not None:
            attr = (col(self.names.field(rule.distinct)) if stream.is_leads else
                    col(self.names.attribute(rule.distinct, self._distinct_type(stream, rule.distinct))))
            order = col("__at") if not stream.is_leads else col("__pos")
            number = exp.Window(this=exp.RowNumber(), partition_by=[col(owner), attr],
                                order=exp.Order(expressions=[exp.Ordered(this=order, desc=True)]))
            inner = inner.select(exp.alias_(number, ident("__n")), copy=False)
            where = and_(where, exp.Not(this=exp.Is(this=attr.copy(), expression=exp.null())))
        inner = inner.from_(table(source), copy=False).where(where, copy=False)
        rows = exp.select(exp.Star(), copy=False).from_(exp.alias_(exp.Subquery(this=inner), ident("r"), table=True))
        if rule.distinct is not None:
            rows = rows.where(exp.EQ(this=col("__n"), expression=exp.Literal.number(1)), copy=False)
        rows_q = exp.Subquery(this=rows)
        if rule.max_per is None:
            weights = self.d.ordered_sum(col("__w"), self._order(stream), None, num(0.0))
            return (exp.select(col(owner), exp.alias_(mul(num(rule.points), weights), ident("x")))
                    .from_(exp.alias_(rows_q, ident("d"), table=True)).group_by(col(owner)))
        limit, period = rule.max_per
        if stream.is_leads:
            raise SqlUnsupported("`max N per D` over `leads` has no time")
        k = self.d.int_div(sub(self.now, col("__at")), big(period))
        period_sum = self.d.ordered_sum(col("__w"), col("__at"), None, num(0.0))
        periods = (exp.select(col(owner), exp.alias_(k, ident("__k")), exp.alias_(period_sum, ident("__s")))
                   .from_(exp.alias_(rows_q, ident("d"), table=True)).group_by(col(owner), k.copy()))
        capped = cap_expr(mul(num(rule.points), col("__s")), limit)
        return (exp.select(col(owner), exp.alias_(self.d.ordered_sum(capped, col("__k"), None, num(0.0)), ident("x")))
                .from_(exp.alias_(exp.Subquery(this=periods), ident("p"), table=True)).group_by(col(owner)))

    def _distinct_type(self, stream, name: str) -> str:
        types = [a.type for e in self.model.events if stream.source in (None, e.name)
                 for a in e.attributes if a.name == name]
        return types[0]

    # ---- the query -----------------------------------------------------------------------

    def build(self) -> exp.Expression:
        m = self.model
        global_rules = [(r, g) for r, g in m.all_rules() if r.scope.kind == "global"]
        account_rules = list(m.account.rules) if m.account else []
        campaign_rules = [(r, g) for r, g in m.all_rules() if r.scope.kind == "campaign"]
        points = {}
        for rule, _ in global_rules + [(r, None) for r in account_rules] + campaign_rules:
            points[id(rule)] = self.rule_points(rule)
        key = None
        if m.account:
            key = self.visit(m.account.key, Scope(self))
            if m.account.where is not None:
                key = case((self.visit(m.account.where, Scope(self)), key))
        self.register_stage_aggregates()
        lead_each = [(r, n) for r, n in self.each_rules if not r.stream.account and not r.stream.is_leads]
        account_each = [(r, n) for r, n in self.each_rules if r.stream.account or r.stream.is_leads]

        self.inputs()
        self.join_lead_aggregates(lead_each)
        if m.account:
            self.layers.extend("keyed", [("__key", key)])
            self.join_account_aggregates(account_each)
        self.score_layers(points)
        query = self.output()
        return self.write_nul(query)

    def write_nul(self, query: exp.Expression) -> exp.Expression:
        """Each text literal holding U+0000 as the dialect writes one, never a raw NUL; or the model
        refused. `transform` copies the tree first, so a node shared by two columns is rewritten in both."""
        def holds_nul(node):
            return isinstance(node, exp.Literal) and node.is_string and "\x00" in node.this
        if not any(holds_nul(node) for node in query.find_all(exp.Literal)):
            return query
        return query.transform(lambda node: self.d.text_with_nul(node.this) if holds_nul(node) else node)

    def register_stage_aggregates(self) -> None:
        """Stages read aggregates too; they must be known before the aggregate CTEs are written."""
        class AnyScore(dict):
            def __missing__(self, key):
                return num(0.0)
        scope = Scope(self, score=num(0.0), groups=AnyScore())
        m = self.model
        for stage in m.qualify + m.disqualify + tuple(s for c in m.campaigns for s in c.qualify):
            self.visit(stage.condition, scope)

    def inputs(self) -> None:
        if self.prepared:
            self.layers.add("staged_leads", exp.select(exp.Star()).from_(source_table(self.sources[0])))
            leads_source = "staged_leads"
            self.layers.add("staged_events", exp.select(exp.Star()).from_(source_table(self.sources[1])))
        else:
            stager = Stager(self)
            stager.add_to(self.layers)
            leads_source = "staged_leads"
        declared = [lit(e.name) for e in self.model.events]
        usable = [exp.LTE(this=col("__at"), expression=self.now)]
        if declared:
            usable.append(exp.In(this=col("__type"), expressions=declared))
        else:
            usable.append(exp.false())
        self.layers.add("usable_events", exp.select(exp.Star()).from_(table("staged_events"))
                        .where(and_(*usable)))
        self.layers.last = leads_source
        self.layers.extend("lead_values", list(self.lead_values.items()))
        self.lead_values_written = True

    def join_lead_aggregates(self, each: list) -> None:
        joined = []
        if self.lead_aggs.specs:
            self.layers.ctes.append(("lead_aggregates", self.aggregate_select(self.lead_aggs, "usable_events", "__lead")))
            joined.append(("lead_aggregates", list(self.lead_aggs.specs.values())))
        for rule, name in each:
            self.layers.ctes.append((f"each_{name}", self.each_select(rule, "usable_events", "__lead")))
            joined.append((f"each_{name}", ["x"], name))
        self._join(joined, "__id", "__lead", "leads_with_aggregates")

    def join_account_aggregates(self, each: list) -> None:
        """Each account's events (every member's) and leads, aggregated per key, joined back to each lead."""
        keyed = self.layers.last
        member_events = (exp.select(*[col(c, "e") for c in self._event_columns()], col("__key", "k"))
                         .from_(exp.alias_(table("usable_events"), ident("e"), table=True))
                         .join(exp.alias_(table(keyed), ident("k"), table=True),
                               on=and_(exp.EQ(this=col("__lead", "e"), expression=col("__id", "k")),
                                       exp.Not(this=exp.Is(this=col("__key", "k"), expression=exp.null()))),
                               join_type="inner"))
        self.layers.ctes.append(("account_events", member_events))
        members = exp.select(exp.Star()).from_(table(keyed)).where(
            exp.Not(this=exp.Is(this=col("__key"), expression=exp.null())))
        self.layers.ctes.append(("account_leads", members))
        joined = []
        if self.account_aggs.specs:
            self.layers.ctes.append(("account_aggregates",
                                     self.aggregate_select(self.account_aggs, "account_events", "__key")))
            joined.append(("account_aggregates", list(self.account_aggs.specs.values())))
        if self.member_aggs.specs:
            self.layers.ctes.append(("member_aggregates",
                                     self.aggregate_select(self.member_aggs, "account_leads", "__key")))
            joined.append(("member_aggregates", list(self.member_aggs.specs.values())))
        for rule, name in each:
            source = "account_leads" if rule.stream.is_leads else "account_events"
            self.layers.ctes.append((f"each_{name}", self.each_select(rule, source, "__key")))
            joined.append((f"each_{name}", ["x"], name))
        self._join(joined, "__key", "__key", "accounts_joined")

    def _event_columns(self) -> list:
        names = ["__lead", "__type", "__at"]
        for (name, type_), j in self.names.attributes.items():
            names.append(f"a{j}")
            if type_ == ir.TEXT:
                names.append(f"t{j}")
        return names

    def _join(self, joined: list, left_key: str, right_key: str, name: str) -> None:
        """A layer: the last one LEFT JOINed to each (CTE, columns[, new name]) on its key."""
        if not joined:
            return
        base = self.layers.last
        projections = [exp.Column(this=exp.Star(), table=ident("b"))]
        query = exp.select(*projections).from_(exp.alias_(table(base), ident("b"), table=True))
        for i, item in enumerate(joined):
            source, columns = item[0], item[1]
            alias = f"j{i}"
            for c in columns:
                out = item[2] if len(item) > 2 else c
                query = query.select(exp.alias_(col(c, alias), ident(out)), copy=False)
            query = query.join(exp.alias_(table(source), ident(alias), table=True),
                               on=exp.EQ(this=col(left_key, "b"), expression=col(right_key, alias)),
                               join_type="left", copy=False)
        self.layers.add(name, query)

    # ---- scores ----------------------------------------------------------------------------

    def score_layers(self, points: dict) -> None:
        m = self.model
        rule_cols, arm_cols = [], []
        # a big model on DuckDB: each rule's points an item of one LIST column, not a column of its own
        self.lists = self.d.name == "duckdb" and len(points) > LIST_RULES
        for n, (rule, _) in enumerate(m.all_rules()):
            expr, arm = points[id(rule)]
            if rule.scope.kind == "account":
                expr = case((exp.Not(this=exp.Is(this=col("__key"), expression=exp.null())), expr),
                            default=num(0.0))
            self.rule_columns[id(rule)] = f"r{n}" if not self.lists else len(rule_cols) + 1
            rule_cols.append((f"r{n}", expr))
            if arm is not None:
                self.arm_columns[id(rule)] = f"arm{n}" if not self.lists else len(arm_cols) + 1
                arm_cols.append((f"arm{n}", arm))
        if self.lists:
            rule_cols = [("__r", call("LIST_VALUE", *[e for _, e in rule_cols]))]
            arm_cols = [("__arm", call("LIST_VALUE", *[e for _, e in arm_cols]))] if arm_cols else []
        self.layers.extend("rule_points", rule_cols + arm_cols)
        self.first_tags()

        # groups (global and each campaign's), then the total and each campaign's part from them
        group_sums = []
        self.group_columns = {}
        for i, group in enumerate(m.groups):
            self.group_columns[(None, group.name)] = col(f"grp{i}")
            group_sums.append((f"grp{i}", self._points(group.rules), self._limit(group)))
        self.campaign_columns = {}
        for c_index, campaign in enumerate(m.campaigns):
            groups = self.campaign_columns[campaign.name] = {}
            for g_index, group in enumerate(campaign.groups):
                groups[(campaign.name, group.name)] = col(f"c{c_index}g{g_index}")
                group_sums.append((f"c{c_index}g{g_index}", self._points(group.rules), self._limit(group)))
        fold = list_fold_sum if self.d.name == "duckdb" else None     # docs/sql.md, "Big models"
        self.layers.sums("group_scores", group_sums, fold)
        total = [col(f"grp{i}") for i in range(len(m.groups))] + self._points(m.rules)
        total += self._points(m.account.rules if m.account else ())
        parts = [(f"c{c_index}part", list(groups.values()) + self._points(campaign.rules), None)
                 for c_index, (campaign, groups) in enumerate(zip(m.campaigns, self.campaign_columns.values()))]
        self.layers.sums("total_scores", [("__total", total, None)] + parts, fold)

        low, high = m.clamp if m.clamp is not None else (None, None)
        disq = [(f"dq{i}", holds(self.visit(s.condition, Scope(self)))) for i, s in enumerate(m.disqualify)]
        if self.lists and disq:
            disq = [("__dq", call("LIST_VALUE", *[e for _, e in disq]))]
        self.layers.extend("totals", [("__final", limit_expr(col("__total"), low, high))] + disq)

        scope = Scope(self, score=col("__final"), groups=dict(self.group_columns))
        stages = [(f"q{i}", holds(self.visit(s.condition, scope))) for i, s in enumerate(m.qualify)]
        self.layers.extend("stages", stages)

        campaign_scores = []
        for c_index, campaign in enumerate(m.campaigns):
            total_c = add(col("__total"), col(f"c{c_index}part"))
            campaign_scores.append((f"c{c_index}score", limit_expr(total_c, low, high)))
        self.layers.extend("campaign_scores", campaign_scores)

        campaign_stages = []
        for c_index, campaign in enumerate(m.campaigns):
            groups = {**dict(self.group_columns), **self.campaign_columns[campaign.name]}
            cscope = Scope(self, score=col(f"c{c_index}score"), groups=groups)
            for s_index, stage in enumerate(campaign.qualify):
                campaign_stages.append((f"c{c_index}q{s_index}", holds(self.visit(stage.condition, cscope))))
        self.layers.extend("campaign_stages", campaign_stages)

    def _points(self, rules) -> list:
        """The rules' points columns, in their order."""
        return [self.rule_value(rule) for rule in rules]

    def rule_value(self, rule: ir.Rule) -> exp.Expression:
        """A rule's points, as the rule_points layer holds them (a column, or an item of `__r`)."""
        return self._item("__r", self.rule_columns[id(rule)])

    def dq_value(self, i: int) -> exp.Expression:
        """Whether the i-th disqualify line holds (a column, or an item of `__dq`)."""
        return self._item("__dq", i + 1) if self.lists else col(f"dq{i}")

    @staticmethod
    def _item(items: str, ref) -> exp.Expression:
        """A column (`ref` its name), or the `ref`th item (1-based) of the LIST column `items`."""
        if isinstance(ref, str):
            return col(ref)
        return call("LIST_EXTRACT", col(items), exp.Literal.number(ref))

    @staticmethod
    def _limit(group):
        return lambda value: limit_expr(value, group.min, group.max)

    def disqualified(self) -> exp.Expression:
        if self.lists and self.model.disqualify:
            return call("LIST_CONTAINS", col("__dq"), exp.true())
        flags = [self.dq_value(i) for i in range(len(self.model.disqualify))]
        return or_(*flags) if flags else exp.false()

    def disqualified_names(self):
        """(condition, name) of each disqualify line; in list mode a `NameList` masked by `__dq`."""
        m = self.model
        if self.lists and m.disqualify:
            def names(render):
                return call("LIST_WHERE", call("LIST_VALUE", *[lit(render(s.name)) for s in m.disqualify]), col("__dq"))
            return NameList(names)
        return [(self.dq_value(i), s.name) for i, s in enumerate(m.disqualify)]

    def tier_expr(self, tiers, score, disqualified=None, render=str) -> exp.Expression:
        """The tier's name (as `render` writes it) for a score."""
        whens = [(exp.GTE(this=paren(score), expression=num(t)), lit(render(name)))
                 for t, name in reversed(list(zip(tiers.thresholds, tiers.names[1:])))]
        if disqualified is not None:
            whens.insert(0, (disqualified, lit(render(tiers.names[0]))))
        return case(*whens, default=lit(render(tiers.names[0])))

    def first_tags(self) -> None:
        """For each tag of a scope, the index of the scope's first rule that gave it (NULL: none did),
        as one flat CASE: so a rule's condition in `tag_pairs` is small however many rules share a tag."""
        columns, self.tag_firsts = [], {}
        scopes = [(None, "tg")] + [(c.name, f"c{i}tg") for i, c in enumerate(self.model.campaigns)]
        for scope, prefix in scopes:
            rules = self._scope_rules(scope)
            for k, tag in enumerate(dict.fromkeys(r.tag for r in rules if r.tag is not None)):
                if self.lists:
                    columns.append((f"{prefix}{k}", self._first_fired([(i, r) for i, r in enumerate(rules)
                                                                       if r.tag == tag])))
                    self.tag_firsts[(scope, tag)] = f"{prefix}{k}"
                    continue
                fired = [(exp.NEQ(this=self.rule_value(r), expression=num(0.0)), exp.Literal.number(i))
                         for i, r in enumerate(rules) if r.tag == tag]
                columns.append((f"{prefix}{k}", case(*fired)))
                self.tag_firsts[(scope, tag)] = f"{prefix}{k}"
        self.layers.extend("first_tags", columns)

    def _first_fired(self, rules: list) -> exp.Expression:
        """Of `(i, rule)`, the first i whose rule's points are not 0 (NULL: none), read from `__r`
        by list functions: one CASE of thousands of WHENs is slow to plan on DuckDB."""
        numbers = lambda values: call("LIST_VALUE", *[exp.Literal.number(x) for x in values])  # noqa: E731
        points = call("LIST_SELECT", col("__r"), numbers([self.rule_columns[id(r)] for _, r in rules]))
        fired = call("LIST_TRANSFORM", points, lambda_(["__v"], lambda v: exp.NEQ(this=v, expression=num(0.0))))
        return call("LIST_EXTRACT", numbers([i for i, _ in rules]), call("LIST_POSITION", fired, exp.true()))

    def tag_pairs(self, scope: str | None):
        """(condition, tag) for the tags of the scope's rules that contributed, in the order of the
        first rule giving each; in list mode a `NameList`: the tags sorted by their first rule."""
        if self.lists:
            tags = [tag for (s, tag) in self.tag_firsts if s == scope]
            if not tags:
                return []
            firsts = call("LIST_VALUE", *[call("LIST_VALUE", col(self.tag_firsts[(scope, tag)]),
                                               exp.Literal.number(k + 1)) for k, tag in enumerate(tags)])
            given = call("LIST_FILTER", firsts, lambda_(["__p"], lambda p: exp.Not(this=exp.Is(
                this=call("LIST_EXTRACT", p, exp.Literal.number(1)), expression=exp.null()))))
            order = call("LIST_TRANSFORM", call("LIST_SORT", given),
                         lambda_(["__p"], lambda p: call("LIST_EXTRACT", p, exp.Literal.number(2))))
            return NameList(lambda render: call("LIST_SELECT", call("LIST_VALUE", *[lit(render(t)) for t in tags]),
                                                order.copy()))
        return [(exp.EQ(this=col(self.tag_firsts[(scope, r.tag)]), expression=exp.Literal.number(i)), r.tag)
                for i, r in enumerate(self._scope_rules(scope)) if r.tag is not None]

    def result_parts(self, render=str) -> dict:
        """Every part of a result (INTERFACE.md §5) as an expression; lists as (condition, name)
        pairs; tier names as `render` writes them."""
        m = self.model
        dq = self.disqualified()
        not_dq = not_(dq)
        floor = num(m.floor)
        parts = {
            "score": case((dq, floor), default=col("__final")),
            "tier": self.tier_expr(m.tiers, col("__final"), dq, render) if m.tiers else None,
            "groups": {g.name: self.group_columns[(None, g.name)] for g in m.groups},
            "group_tiers": {t.group: self.tier_expr(t, self.group_columns[(None, t.group)], render=render)
                            for t in m.group_tiers},
            "qualified": [(and_(not_dq, col(f"q{i}")), s.name) for i, s in enumerate(m.qualify)],
            "disqualified": self.disqualified_names(),
            "tags": self.tag_pairs(None),
            "campaigns": {},
            "clamped": exp.NEQ(this=col("__final"), expression=col("__total")),
        }
        for c_index, campaign in enumerate(m.campaigns):
            score = col(f"c{c_index}score")
            groups = self.campaign_columns[campaign.name]
            parts["campaigns"][campaign.name] = {
                "score": case((dq, floor), default=score.copy()),
                "tier": self.tier_expr(campaign.tiers, score, dq, render) if campaign.tiers else None,
                "qualified": [(and_(not_dq, col(f"c{c_index}q{i}")), s.name)
                              for i, s in enumerate(campaign.qualify)],
                "groups": {g.name: groups[(campaign.name, g.name)] for g in campaign.groups},
                "group_tiers": {t.group: self.tier_expr(t, groups[(campaign.name, t.group)], render=render)
                                for t in campaign.group_tiers},
                "tags": self.tag_pairs(campaign.name),
            }
        return parts

    def output(self) -> exp.Expression:
        if self.output_form in ("json", "line"):
            out = [("id", col("__id")), ("json", result_json(self.result_parts(json_name), self.d))]
        else:
            out = self.output_columns(self.result_parts())
        select = exp.select(*[exp.alias_(e, ident(name), copy=False) for name, e in out], copy=False)
        select = select.from_(table(self.layers.last), copy=False)
        if self.output_form == "line":
            select = self.lines(select.select(col("__pos"), copy=False))
        else:
            select = select.order_by(col("__pos"), copy=False)
        self.check_width(select)
        for name, cte in self.layers.ctes:
            select = select.with_(ident(name), as_=cte, copy=False)
        return select

    def check_width(self, final: exp.Select) -> None:
        """Refuse a query with a SELECT wider than the dialect allows (every rule is a column of
        the layers and of the output: PostgreSQL stops at 1,664)."""
        limit = self.d.max_columns
        if limit is None:
            return
        widths: dict = {}
        for name, cte in self.layers.ctes:
            widths[name] = select_width(cte, widths)
        widest = max([select_width(final, widths), *widths.values()])
        if widest > limit:
            raise SqlUnsupported(f"this model's query needs {widest:,} columns in one SELECT (a column for "
                                 f"each rule and more); {self.d.name} allows {limit:,}")

    def lines(self, results: exp.Select) -> exp.Select:
        """One column, `line`: each result's JSON Lines line (jsonl.result_line), in input order,
        with its lead's warnings from the `line_parts` table."""
        warnings, now_json = self.line_parts
        line = result_line(col("json"), col("id"), col("__pos"), col("__wtext"), now_json, self.d)
        return (exp.select(exp.alias_(line, ident("line")), copy=False)
                .from_(exp.alias_(exp.Subquery(this=results), ident("r"), table=True), copy=False)
                .join(exp.alias_(table(warnings), ident("w"), table=True), join_type="left",
                      on=exp.EQ(this=col("id", "r"), expression=col("__wid", "w")), copy=False)
                .order_by(col("__pos", "r"), copy=False))

    def output_columns(self, parts: dict) -> list:
        """(name, expression) of the output columns: INTERFACE.md §5's CSV form, then the rest a
        `ScoreResult` needs (`runtime.sqlengine.RowReader`), then each rule's points and arm."""
        m = self.model
        out = [("id", col("__id")), ("score", parts["score"]), ("tier", parts["tier"] or exp.Null()),
               ("qualified", concat_names(parts["qualified"])),
               ("disqualified", concat_names(parts["disqualified"])),
               ("tags", concat_names(parts["tags"]))]
        for name, e in parts["groups"].items():
            out.append((f"group.{name}", e))
        for name, c in parts["campaigns"].items():
            out.append((f"campaign.{name}.score", c["score"]))
            out.append((f"campaign.{name}.qualified", concat_names(c["qualified"])))
        out.append(("clamped", parts["clamped"]))
        for group, e in parts["group_tiers"].items():
            out.append((f"group_tier.{group}", e))
        for name, c in parts["campaigns"].items():
            prefix = f"campaign.{name}"
            out.append((f"{prefix}.tier", c["tier"] or exp.Null()))
            out.append((f"{prefix}.tags", concat_names(c["tags"])))
            for group, e in c["groups"].items():
                out.append((f"{prefix}.group.{group}", e))
            for group, e in c["group_tiers"].items():
                out.append((f"{prefix}.group_tier.{group}", e))
        for rule, _ in m.all_rules():
            out.append((rule_column(rule), self.rule_value(rule)))
            if id(rule) in self.arm_columns:
                arm = self._item("__arm", self.arm_columns[id(rule)])
                out.append(("arm." + rule_column(rule)[len("rule."):], arm))
        return out

    def _scope_rules(self, campaign: str | None) -> list:
        rules = [r for r, _ in self.model.all_rules()
                 if (r.scope.kind == "campaign" and r.scope.campaign == campaign)
                 or (campaign is None and r.scope.kind in ("global", "account"))]
        return sorted(rules, key=lambda r: r.index)


def select_width(select: exp.Expression, widths: dict) -> int:
    """How many columns `select` gives: its expressions, a `*` (or `b.*`) counted as the columns of
    what it reads (`widths`: CTE name → its width; a subquery counted; a table of the user's, 0)."""
    if isinstance(select, exp.Subquery):
        return select_width(select.this, widths)
    if not isinstance(select, exp.Select):
        return 0
    sources = {}                                    # alias or name → its width
    for clause in [select.args.get("from_") or select.args.get("from"), *(select.args.get("joins") or ())]:
        source = clause.this if clause is not None else None
        if isinstance(source, exp.Table):
            sources[source.alias_or_name] = widths.get(source.name, 0)
        elif isinstance(source, exp.Identifier):    # `FROM "layer"`, as Layers writes it
            sources[source.name] = widths.get(source.name, 0)
        elif isinstance(source, exp.Subquery):
            sources[source.alias_or_name] = select_width(source.this, widths)
    count = 0
    for e in select.expressions:
        star = isinstance(e, exp.Star) or isinstance(e, exp.Column) and isinstance(e.this, exp.Star)
        if star and isinstance(e, exp.Column) and e.table:
            count += sources.get(e.table, 0)
        elif star:
            count += sum(sources.values())
        else:
            count += 1
    return count


def rule_column(rule: ir.Rule) -> str:
    """The output column holding a rule's points: `rule.NAME`, `rule.account.NAME`, `rule.campaign.C.NAME`."""
    if rule.scope.kind == "account":
        return f"rule.account.{rule.name}"
    if rule.scope.kind == "campaign":
        return f"rule.campaign.{rule.scope.campaign}.{rule.name}"
    return f"rule.{rule.name}"


def build_query(model: ir.Model, dialect: str = "duckdb", now: int | None = None, pow_function: str | None = None,
                regex_function: str | None = None, **options) -> exp.Expression:
    """The model's scoring query as a sqlglot tree. Raises SqlUnsupported. `pow_function` and
    `regex_function`: functions the engine provides (`Dialect`)."""
    return QueryBuilder(model, get_dialect(dialect, pow_function, regex_function), now, **options).build()


@without_gc
def to_sql(model: ir.Model, dialect: str = "duckdb", now: int | None = None, pretty: bool = True,
           **options) -> str:
    """The model's scoring query as SQL text for one dialect. The tree is new and printed once, so
    sqlglot need not copy it first, and the cyclic collector pauses meanwhile (`without_gc`: every
    node lives until printed). At 4,000 rules (py-spy) the copy was half of this function and the
    collector a quarter of `score --engine duckdb`."""
    from sqlglot.errors import ErrorLevel
    tree = build_query(model, dialect, now, **options)
    return tree.sql(dialect=dialect, pretty=pretty, unsupported_level=ErrorLevel.RAISE, copy=False)
