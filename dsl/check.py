"""AST → checked model (IR) + diagnostics.

The checker resolves every name in its scope, types every operator, checks
every option, and keeps going after an error: an expression it cannot type
gets the type `error`, which silences the errors that would follow from it
(as cel-go does), so one typo gives one diagnostic.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import re2

from ..runtime import values as v
from . import ir, limits
from . import nodes as n
from .diagnostics import Reporter, did_you_mean
from .ir import BOOL, DATE, DURATION, ERROR, NUMBER, TEXT, TIME
from .source import Source, Span
from .visitor import NodeVisitor

ERROR_EXPR = ir.Const("<error>", ERROR)
ORDERED = {"<", "<=", ">", ">="}
TIMES = {DATE, TIME}
ARTICLE = {"field": "a field", "event": "an event", "list": "a list"}
OPTION_SYNTAX = {"max": "max N", "max_per": "max N per D"}

QUIET_RE2 = re2.Options()
QUIET_RE2.log_errors = False        # the reason goes into the diagnostic, not to stderr


@attrs.define(unsafe_hash=True)      # not frozen, for a quicker `__init__`: one per rule; never changed
class Context:
    """Where an expression stands: what its names mean and what it may use."""

    scope: str = "global"                 # global, account, campaign
    campaign: str | None = None
    filter_of: object = None              # inside `[ ]`: an EventType, "all" or "leads"
    qualify: bool = False                 # `score` and group names allowed
    what: str = "a rule"                  # for messages: where we are

    @property
    def in_account(self) -> bool:
        return self.scope == "account"


def check(model: n.Model, source: Source, reporter: Reporter,
          base_dir: str | os.PathLike | None = None, lost: frozenset = frozenset()) -> ir.Model | None:
    """Check a parsed model; None when it has errors (they are in `reporter`).

    `lost` names the fields, events, lists and groups of declarations that did
    not parse: a use of one is not reported, as its declaration already was.
    """
    checked = Checker(source, reporter, base_dir, lost).model(model)
    return None if reporter.has_errors else checked


class Checker(NodeVisitor):
    """AST → IR and diagnostics. `visit_<AST node>(node, ctx)` checks an expression: (IR, type);
    `decay_<AST node>(spec)` a decay spec: its IR `Decay`."""

    stage_name = "the checker"

    def __init__(self, source: Source, reporter: Reporter, base_dir, lost: frozenset = frozenset()):
        self.source = source
        self.report = reporter
        self.lost = lost
        self.base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        self.fields: dict[str, ir.Field] = {}
        self.events: dict[str, ir.EventType] = {}
        self.lists: dict[str, tuple[str, tuple]] = {}   # name -> (type, values)
        self.declared: dict[str, str] = {}              # name -> kind, one namespace
        self.streams: dict[tuple, ir.StreamDef] = {}
        self.global_groups: set[str] = set()
        self.campaign_groups: dict[str, set[str]] = {}
        self.key_type = ERROR
        self.aggregates = 0     # aggregates made so far: a rule that made none counts none

    # ---- the model ---------------------------------------------------------------

    def model(self, model: n.Model) -> ir.Model:
        items = model.items
        for item in items:
            if isinstance(item, n.FieldDecl):
                self.field_decl(item)
            elif isinstance(item, n.EventDecl):
                self.event_decl(item)
            elif isinstance(item, n.ListDecl):
                self.list_decl(item)
        clamp = self.clamp_decl([i for i in items if isinstance(i, n.ClampDecl)])

        accounts = [i for i in items if isinstance(i, n.Account)]
        account = None
        for extra in accounts[1:]:
            self.report.error(self.head_span(extra, "account"), "E-duplicate",
                              "a model has at most one account scope",
                              "put every account rule in the first `account by` block")
        if accounts:
            account = self.account(accounts[0])

        global_items = [i for i in items if isinstance(i, (n.Rule, n.Group))]
        self.global_groups = {g.name.id for g in global_items if isinstance(g, n.Group)}
        rules, groups = self.scope_items(global_items, ir.Scope("global"), Context())
        self.unique_names([i for i in items if isinstance(i, n.Campaign)], "campaign")
        campaigns = tuple(self.campaign(c) for c in items if isinstance(c, n.Campaign))

        tiers, group_tiers = self.tier_sets([i for i in items if isinstance(i, n.Tiers)],
                                            self.global_groups, "the model")
        stages = [i for i in items if isinstance(i, (n.Qualify, n.Disqualify))]
        self.unique_names(stages, "stage")
        qualify = tuple(self.stage(s, Context(qualify=True, what="a `qualify`"))
                        for s in stages if isinstance(s, n.Qualify))
        disqualify = tuple(self.stage(s, Context(what="a `disqualify`"))
                           for s in stages if isinstance(s, n.Disqualify))

        header = model.header
        name = header.name if header else Path(self.source.filename).stem
        return ir.Model(
            name=name, version=header.version if header else None,
            filename=self.source.filename,
            fields=tuple(self.fields.values()), events=tuple(self.events.values()),
            clamp=clamp, rules=rules, groups=groups, account=account,
            tiers=tiers, group_tiers=group_tiers, qualify=qualify, disqualify=disqualify,
            campaigns=campaigns,
            streams=tuple(sorted(self.streams.values(), key=lambda s: s.id)))

    def head_span(self, node, keyword: str) -> Span:
        """The span of a construct's leading keyword, for errors about the whole construct."""
        return Span(node.span.line, node.span.column, node.span.line,
                    node.span.column + len(keyword), node.span.start,
                    node.span.start + len(keyword))

    # ---- declarations ------------------------------------------------------------

    def declare(self, name: n.Name, kind: str) -> bool:
        if name.id in self.declared:
            self.report.error(name.span, "E-duplicate",
                              f"`{name.id}` is already declared as {ARTICLE[self.declared[name.id]]}",
                              "fields, events and lists share one namespace; rename one")
            return False
        self.declared[name.id] = kind
        return True

    def field_decl(self, decl: n.FieldDecl) -> None:
        if not self.declare(decl.name, "field"):
            return
        texts, numbers = set(), set()
        for sentinel in decl.sentinels:
            if isinstance(sentinel, n.Str):
                texts.add(v.fold(sentinel.value))
            else:
                numbers.add(float(sentinel.value))
        column = decl.column.value if decl.column else decl.name.id
        self.fields[decl.name.id] = ir.Field(decl.name.id, decl.type, column,
                                             frozenset(texts), frozenset(numbers))

    def event_decl(self, decl: n.EventDecl) -> None:
        if not self.declare(decl.name, "event"):
            return
        attributes, seen = [], set()
        for attr in decl.attributes:
            if attr.name.id in seen:
                self.report.error(attr.name.span, "E-duplicate",
                                  f"event `{decl.name.id}` already has an attribute `{attr.name.id}`")
                continue
            seen.add(attr.name.id)
            column = attr.column.value if attr.column else attr.name.id
            attributes.append(ir.Attribute(attr.name.id, attr.type, column))
        self.events[decl.name.id] = ir.EventType(decl.name.id, tuple(attributes))

    def list_decl(self, decl: n.ListDecl) -> None:
        if not self.declare(decl.name, "list"):
            return
        if decl.values is not None:
            kind, values = self.literal_list(decl.values)
        else:
            kind, values = TEXT, self.read_list_file(decl.path)
        if values == () and kind != ERROR and not self.report.has_errors_at(decl.path or decl.values):
            self.report.warning(decl.name.span, "W-empty-list", f"list `{decl.name.id}` has no values")
        self.lists[decl.name.id] = (kind, values)

    def literal_list(self, literal: n.ListLiteral) -> tuple[str, tuple]:
        kinds = {self.literal_type(x) for x in literal.values}
        if len(kinds) > 1:
            self.report.error(literal.span, "E-type", "a list holds values of one type",
                              "write all text in quotes, or all numbers")
            return ERROR, ()
        kind = kinds.pop() if kinds else TEXT
        return kind, tuple(x.value for x in literal.values)

    @staticmethod
    def literal_type(node) -> str:
        return {n.Str: TEXT, n.Num: NUMBER, n.Bool: BOOL}[type(node)]

    def read_list_file(self, path: n.Str) -> tuple:
        if self.report.has_errors_at(path):     # a bad string, already reported
            return ()
        full = self.base_dir / path.value
        try:        # a regular file of at most 10 MB (not `/dev/zero`), read within that
            data = limits.read_bounded(full, limits.MAX_LIST_FILE, regular_only=True)
            text = data.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            shown = str(full).replace("\0", "\\0")
            self.report.error(path.span, "E-list-file", f"cannot read list file `{shown}`: {reason}",
                              "the path is relative to the .score file")
            return ()
        lines = (line.strip() for line in text.splitlines())
        return tuple(line for line in lines if line and not line.startswith("#"))

    def clamp_decl(self, clamps: list) -> tuple | None:
        for extra in clamps[1:]:
            self.report.error(self.head_span(extra, "clamp"), "E-duplicate", "`clamp` is given twice")
        if not clamps:
            return None
        low, high = clamps[0].range.low, clamps[0].range.high
        if low is not None and high is not None and low > high:
            self.report.error(clamps[0].range.span, "E-number",
                              f"the clamp's low end {low} is above its high end {high}")
        return (None if low is None else float(low), None if high is None else float(high))

    def unique_names(self, nodes_, what: str) -> None:
        seen = set()
        for node in nodes_:
            if node.name.id in seen:
                self.report.error(node.name.span, "E-duplicate", f"{what} `{node.name.id}` is declared twice")
            seen.add(node.name.id)

    # ---- scopes ------------------------------------------------------------------

    def scope_items(self, items, scope: ir.Scope, ctx: Context) -> tuple[tuple, tuple]:
        """Rules and groups of one scope: names unique across both."""
        seen: dict[str, str] = {}

        def claim(name: n.Name, kind: str) -> None:
            if name.id in seen:
                self.report.error(name.span, "E-duplicate",
                                  f"`{name.id}` is already the name of a {seen[name.id]} in this scope",
                                  "rule and group names are unique within a scope")
            else:
                seen[name.id] = kind

        rules, groups = [], []
        for item in items:
            if isinstance(item, n.Group):
                claim(item.name, "group")
                if scope.kind == "campaign" and item.name.id in self.global_groups:
                    self.report.error(item.name.span, "E-duplicate",
                                      f"`{item.name.id}` is a global group; a campaign group may not reuse its name")
                for rule in item.rules:
                    claim(rule.name, "rule")
                groups.append(self.group(item, scope, ctx))
            else:
                claim(item.name, "rule")
                rules.append(self.rule(item, scope, ctx, group_decay=None))
        return tuple(r for r in rules if r), tuple(groups)

    def group(self, group: n.Group, scope: ir.Scope, ctx: Context) -> ir.Group:
        limits: dict[str, float] = {}
        decay = None
        for option in group.options:
            kind = type(option).__name__
            if kind in limits or (isinstance(option, n.DecayOption) and decay is not None):
                self.report.error(option.span, "E-option", "this group option is given twice")
                continue
            if isinstance(option, n.DecayOption):
                decay = self.decay(option.spec)
            else:
                limits[kind] = float(option.limit.value)
        low, high = limits.get("MinOption"), limits.get("GroupMaxOption")
        if low is not None and high is not None and low > high:
            self.report.error(group.name.span, "E-number",
                              f"group `{group.name.id}` has `min {v.number_text(low)}` above `max {v.number_text(high)}`")
        inner = attrs.evolve(scope, group=group.name.id)
        rules = tuple(r for r in (self.rule(rule, inner, ctx, group_decay=decay) for rule in group.rules) if r)
        return ir.Group(group.name.id, inner, low, high, rules, span=group.name.span)

    def campaign(self, campaign: n.Campaign) -> ir.Campaign:
        name = campaign.name.id
        scope = ir.Scope("campaign", campaign=name)
        ctx = Context(scope="campaign", campaign=name)
        if name in self.global_groups:          # LANGUAGE.md §10
            self.report.error(campaign.name.span, "E-duplicate",
                              f"`{name}` is a global group; a campaign may not take its name",
                              "rename the campaign or the group")
        body = [i for i in campaign.items if isinstance(i, (n.Rule, n.Group))]
        own_groups = {g.name.id for g in body if isinstance(g, n.Group)}
        self.campaign_groups[name] = own_groups
        rules, groups = self.scope_items(body, scope, ctx)
        tiers, group_tiers = self.tier_sets([i for i in campaign.items if isinstance(i, n.Tiers)],
                                            own_groups, f"campaign `{name}`")
        stages = [i for i in campaign.items if isinstance(i, n.Qualify)]
        self.unique_names(stages, "stage")
        qualify = tuple(self.stage(s, attrs.evolve(ctx, qualify=True, what="a `qualify`"))
                        for s in stages)
        return ir.Campaign(name, rules, groups, tiers, group_tiers, qualify)

    def account(self, account: n.Account) -> ir.Account:
        key, key_type = self.visit(account.key, Context(what="an account key"))
        if key_type not in (TEXT, NUMBER, ERROR):
            self.report.error(account.key.span, "E-type",
                              f"an account key must be text or a number, not {key_type}")
        self.key_type = key_type
        where = None
        if account.where is not None:
            where = self.condition(account.where, Context(what="an account `where`"))
        ctx = Context(scope="account")
        rules, _ = self.scope_items(account.rules, ir.Scope("account"), ctx)
        return ir.Account(key, key_type, where, rules)

    # ---- outputs -----------------------------------------------------------------

    def tier_sets(self, tiers_lines, groups: set, where: str) -> tuple:
        total, per_group, seen = None, [], set()
        for line in tiers_lines:
            target = line.group.id if line.group else None
            if target in seen:
                what = f"`tiers {target}:`" if target else "`tiers:`"
                self.report.error(self.head_span(line, "tiers"), "E-duplicate",
                                  f"{what} is given twice in {where}")
                continue
            seen.add(target)
            if target is not None and target not in groups:
                if target not in self.lost:
                    self.report.error(line.group.span, "E-unknown-name",
                                      f"unknown group `{target}` in {where}", did_you_mean(target, groups))
                continue
            tier_set = self.tier_set(line, target)
            if target is None:
                total = tier_set
            else:
                per_group.append(tier_set)
        return total, tuple(per_group)

    def tier_set(self, line: n.Tiers, target: str | None) -> ir.TierSet:
        names, thresholds, seen = [], [], set()
        for position, tier in enumerate(line.tiers):
            if tier.name.id in seen:
                self.report.error(tier.name.span, "E-duplicate", f"tier `{tier.name.id}` is named twice")
            seen.add(tier.name.id)
            names.append(tier.name.id)
            if position == 0:
                if tier.threshold is not None:
                    self.report.warning(tier.threshold.span, "W-first-tier-threshold",
                                        "the first tier takes every score below the next tier; this threshold has no effect",
                                        f"write just `{tier.name.id}`")
                continue
            if tier.threshold is None:
                self.report.error(tier.name.span, "E-tiers", f"tier `{tier.name.id}` needs a threshold",
                                  f"write `{tier.name.id} >= N`")
                thresholds.append(thresholds[-1] if thresholds else float("-inf"))
                continue
            value = float(tier.threshold.value)
            if thresholds and value <= thresholds[-1]:
                self.report.error(tier.threshold.span, "E-tiers",
                                  f"tier thresholds must increase: {v.number_text(value)} is not above "
                                  f"{v.number_text(thresholds[-1])}")
            thresholds.append(value)
        return ir.TierSet(target, tuple(names), tuple(thresholds))

    def stage(self, stage, ctx: Context) -> ir.Stage:
        return ir.Stage(stage.name.id, self.condition(stage.condition, ctx),
                        self.source.snippet(stage.condition.span), span=stage.name.span)

    # ---- rules -------------------------------------------------------------------

    def rule(self, rule: n.Rule, scope: ir.Scope, ctx: Context, group_decay) -> ir.Rule | None:
        body = rule.body
        # (made directly: `attrs.evolve` per rule was a tenth of the checker on a big model)
        ctx = Context(ctx.scope, ctx.campaign, ctx.filter_of, ctx.qualify, f"rule `{rule.name.id}`")
        aggregates = self.aggregates
        condition = stream = by = None
        arms: tuple = ()
        points = 0.0
        if isinstance(body, n.ConditionBody):
            kind, points = "condition", float(body.points.value)
            condition = self.condition(body.condition, ctx)
            reason = self.source.snippet(body.condition.span)
            counted = ir.counted_aggregates(condition) if self.aggregates != aggregates else ()
        elif isinstance(body, n.EachBody):
            kind, points = "each", float(body.points.value)
            stream = self.stream(body.stream, ctx)
            reason = "each " + self.source.snippet(body.stream.span)
            counted = ()
        else:
            kind = "table"
            by, by_type = self.visit(body.by, ctx)
            arms = self.arms(body, by_type)
            reason = self.source.snippet(body.by.span)
            counted = ir.counted_aggregates(by) if self.aggregates != aggregates else ()

        options = self.rule_options(rule, kind, stream, body)
        unresolved_stream = kind == "each" and stream is None
        reads_events = bool(counted) or unresolved_stream or (stream is not None and not stream.is_leads)
        decay = options.get("decay")
        if decay is not None and not reads_events:
            self.report.warning(options["decay_span"], "W-decay-unused",
                                f"rule `{rule.name.id}` reads no events, so its points never decay",
                                "remove `decay`, or count events in the rule")
        effective_decay = (decay or group_decay) if reads_events else None
        return ir.Rule(
            name=rule.name.id, scope=scope, kind=kind, points=points,
            condition=condition, stream=stream, by=by, arms=arms,
            max_total=options.get("max"), max_per=options.get("max_per"),
            distinct=options.get("distinct"), decay=effective_decay,
            tag=options.get("tag"), reason=options.get("because", reason),
            reason_given="because" in options,
            counted=counted, index=rule.span.start, span=rule.span)

    def rule_options(self, rule: n.Rule, kind: str, stream, body) -> dict:
        found: dict = {}

        def once(key: str, option) -> bool:
            if key in found:
                self.report.error(option.span, "E-option", f"`{OPTION_SYNTAX.get(key, key)}` is given twice")
                return False
            return True

        for option in rule.options:
            if isinstance(option, n.MaxOption):
                limit = float(option.limit.value)
                if limit < 0:
                    self.report.error(option.limit.span, "E-number",
                                      "a cap is a magnitude and cannot be negative",
                                      f"write `max {v.number_text(-limit)}`")
                key = "max" if option.per is None else "max_per"
                if not once(key, option):
                    continue
                if option.per is None:
                    found["max"] = limit
                elif kind != "each":
                    self.report.error(option.span, "E-option", "`max N per D` belongs to each-rules only",
                                      "count events with `+N each STREAM`, or use `max N`")
                elif stream is not None and stream.is_leads:
                    self.report.error(option.span, "E-option", "leads have no time, so `max N per D` does not apply to them",
                                      "use `max N`")
                else:
                    found["max_per"] = (limit, self.duration(option.per))
            elif isinstance(option, n.DistinctOption):
                if not once("distinct", option):
                    continue
                if kind != "each":
                    self.report.error(option.span, "E-option", "`distinct` belongs to each-rules only")
                elif stream is not None:
                    found["distinct"] = self.distinct(option.attribute, stream, body.stream)
            elif isinstance(option, n.DecayOption):
                if once("decay", option):
                    found["decay"] = self.decay(option.spec)
                    found["decay_span"] = option.span
            elif isinstance(option, n.TagOption):
                if once("tag", option):
                    found["tag"] = option.tag.id
            elif isinstance(option, n.BecauseOption):
                if once("because", option):
                    found["because"] = option.reason.value
        return found

    def distinct(self, attribute: n.Name, stream: ir.StreamDef, node: n.Stream) -> str | None:
        available = self.stream_attributes(stream)
        if attribute.id not in available:
            what = "the account's leads" if stream.is_leads else (
                f"event `{stream.source}`" if stream.source else "every event type")
            self.report.error(attribute.span, "E-unknown-attribute",
                              f"{what} has no attribute `{attribute.id}`",
                              did_you_mean(attribute.id, available))
            return None
        return attribute.id

    def stream_attributes(self, stream: ir.StreamDef) -> dict[str, str]:
        if stream.is_leads:
            return {f.name: f.type for f in self.fields.values()}
        if stream.source is not None:
            event = self.events.get(stream.source)
            return {a.name: a.type for a in event.attributes} if event else {}
        return self.common_attributes()

    def common_attributes(self) -> dict[str, str]:
        """Attributes every declared event type has, with one type: what `event[...]` can read."""
        types = list(self.events.values())
        if not types:
            return {}
        common = {a.name: a.type for a in types[0].attributes}
        for event in types[1:]:
            mine = {a.name: a.type for a in event.attributes}
            common = {k: t for k, t in common.items() if mine.get(k) == t}
        return common

    def arms(self, body: n.TableBody, by_type: str) -> tuple:
        wanted = {TEXT: (n.Str,), NUMBER: (n.Num, n.Range), BOOL: (n.Bool,)}.get(by_type)
        if by_type not in (TEXT, NUMBER, BOOL, ERROR):
            self.report.error(body.by.span, "E-type",
                              f"a table rule's `by` must be text, a number or a bool, not {by_type}")
        arms, seen_values, seen_ranges = [], set(), []
        closed = False     # an `else` arm was seen
        seen_unknown = False
        for arm in body.arms:
            points = float(arm.points.value)
            text = self.source.snippet(arm.span).split("=>")[0].strip()
            if closed:
                self.report.warning(arm.span, "W-unreachable-arm",
                                    "this arm can never be reached: `else` above takes every value",
                                    "move `else` to the end")
            if arm.kind != "values":
                if arm.kind == "unknown":
                    if seen_unknown and not closed:
                        self.report.warning(arm.span, "W-unreachable-arm",
                                            "an earlier `unknown` arm takes unknown values")
                    seen_unknown = True
                closed = closed or arm.kind == "else"
                arms.append(ir.Arm(arm.kind, frozenset(), (), points, arm.kind))
                continue
            values, ranges, fresh = set(), [], False
            for value in arm.values:
                if wanted is None:
                    continue
                if not isinstance(value, wanted):
                    self.report.error(value.span, "E-arm",
                                      f"this arm value is {self.arm_value_type(value)}, but `by` is {describe(by_type)}")
                    continue
                if isinstance(value, n.Range):
                    low, high = (None if value.low is None else float(value.low),
                                 None if value.high is None else float(value.high))
                    ranges.append((low, high))
                    fresh |= not any(_covers(r, (low, high)) for r in seen_ranges)
                    continue
                key = v.fold(value.value) if isinstance(value, n.Str) else (
                    float(value.value) if isinstance(value, n.Num) else value.value)
                values.add(key)
                covered = key in seen_values or (
                    isinstance(key, float) and any(_covers(r, (key, key)) for r in seen_ranges))
                fresh |= not covered
            if wanted is not None and (values or ranges) and not fresh and not closed:
                self.report.warning(arm.span, "W-unreachable-arm",
                                    "this arm can never be reached: earlier arms take all of its values",
                                    "table arms are tried in order and the first match wins")
            seen_values |= values
            seen_ranges.extend(ranges)
            arms.append(ir.Arm("values", frozenset(values), tuple(ranges), points, text))
        return tuple(arms)

    @staticmethod
    def arm_value_type(value) -> str:
        return {n.Str: "text", n.Num: "a number", n.Range: "a range", n.Bool: "a bool"}[type(value)]

    # ---- durations and decay -----------------------------------------------------

    def duration(self, node: n.Duration) -> int:
        us = round(node.seconds * v.US_PER_SECOND)
        if us <= 0:
            self.report.error(node.span, "E-duration", f"a duration must be greater than zero, not `{node.text}`")
            return 1
        return us

    def decay(self, spec) -> ir.Decay:
        return self.dispatch("decay", spec)

    def decay_HalfLife(self, spec: n.HalfLife) -> ir.Decay:
        return ir.Decay("half_life", self.duration(spec.period))

    def decay_Expire(self, spec: n.Expire) -> ir.Decay:
        return ir.Decay("expire", self.duration(spec.period))

    def decay_LinearDecay(self, spec: n.LinearDecay) -> ir.Decay:
        percent = spec.percent.value
        if not 0 < percent <= 100:
            self.report.error(spec.percent.span, "E-number",
                              f"a decay rate is between 0% and 100%, not {v.number_text(percent)}%")
        return ir.Decay("linear", self.duration(spec.period), percent / 100.0)

    # ---- conditions and expressions ---------------------------------------------

    def condition(self, node, ctx: Context):
        expr, kind = self.visit(node, ctx)
        if kind not in (BOOL, ERROR):
            self.report.error(node.span, "E-type", f"a condition must be true or false, but this is {describe(kind)}",
                              self.condition_hint(node, kind))
            return ERROR_EXPR
        return expr

    @staticmethod
    def condition_hint(node, kind: str) -> str | None:
        if kind == NUMBER:
            return "compare it: `... >= 3`"
        if kind == TEXT:
            return "compare it: `... == \"value\"`, or test `... is known`"
        return None

    def visit_Str(self, node: n.Str, ctx):
        return ir.Const(v.fold(node.value), TEXT), TEXT

    def visit_Num(self, node: n.Num, ctx):
        return ir.Const(float(node.value), NUMBER), NUMBER

    def visit_Bool(self, node: n.Bool, ctx):
        return ir.Const(node.value, BOOL), BOOL

    def visit_Duration(self, node: n.Duration, ctx):
        return ir.Const(self.duration(node), DURATION), DURATION

    def visit_Now(self, node, ctx):
        return ir.NowRef(), TIME

    def visit_Key(self, node: n.Key, ctx):
        if not ctx.in_account:
            self.report.error(node.span, "E-scope", "`key` is the account key and exists only inside `account by`")
            return ERROR_EXPR, ERROR
        return ir.KeyRef(self.key_type), self.key_type

    def visit_ScoreRef(self, node: n.ScoreRef, ctx):
        if not ctx.qualify:
            self.report.error(node.span, "E-scope", f"`score` may be used only in `qualify` conditions, not in {ctx.what}")
            return ERROR_EXPR, ERROR
        return ir.ScoreRef(), NUMBER

    def visit_Name(self, node: n.Name, ctx: Context):
        name = node.id
        if ctx.filter_of is not None:
            return self.filter_name(node, ctx)
        if ctx.qualify:
            if ctx.campaign and name in self.campaign_groups.get(ctx.campaign, ()):
                return ir.GroupScoreRef(name, ctx.campaign), NUMBER
            if name in self.global_groups:
                return ir.GroupScoreRef(name, None), NUMBER
        field = self.fields.get(name)
        if field is not None:
            return ir.FieldRef(name, field.type), field.type
        groups = self.global_groups | self.campaign_groups.get(ctx.campaign, set())
        if name in groups:
            self.report.error(node.span, "E-scope",
                              f"group `{name}` is a score and may be used only in `qualify` conditions")
        elif self.declared.get(name) == "list":
            self.report.error(node.span, "E-type", f"`{name}` is a list; test membership with `... in {name}`")
        elif self.declared.get(name) == "event":
            self.report.error(node.span, "E-type", f"`{name}` is an event, not a value",
                              f"count it: `any {name}` or `count({name}) >= N`")
        elif name not in self.lost:
            candidates = list(self.fields) + (sorted(groups) if ctx.qualify else [])
            self.report.error(node.span, "E-unknown-name", f"unknown field `{name}`",
                              did_you_mean(name, candidates))
        return ERROR_EXPR, ERROR

    def filter_name(self, node: n.Name, ctx: Context):
        subject = ctx.filter_of
        if subject == "leads":
            field = self.fields.get(node.id)
            if field is not None:
                return ir.AttrRef(node.id, field.type), field.type
            if node.id not in self.lost:
                self.report.error(node.span, "E-unknown-name", f"unknown field `{node.id}` in `leads[...]`",
                                  did_you_mean(node.id, self.fields))
            return ERROR_EXPR, ERROR
        attributes = ({a.name: a.type for a in subject.attributes}
                      if isinstance(subject, ir.EventType) else self.common_attributes())
        if node.id in attributes:
            return ir.AttrRef(node.id, attributes[node.id]), attributes[node.id]
        what = f"event `{subject.name}`" if isinstance(subject, ir.EventType) else "every event type"
        hint = did_you_mean(node.id, attributes)
        if hint is None and node.id in self.fields:
            hint = "inside `[ ]` names are the event's attributes; lead fields are not available there"
        self.report.error(node.span, "E-unknown-attribute", f"{what} has no attribute `{node.id}`", hint)
        return ERROR_EXPR, ERROR

    def visit_Or(self, node: n.Or, ctx):
        return self.logic("or", node, ctx)

    def visit_And(self, node: n.And, ctx):
        return self.logic("and", node, ctx)

    def logic(self, op: str, node, ctx):
        left = self.condition(node.left, ctx)
        right = self.condition(node.right, ctx)
        if ERROR in (_kind(left), _kind(right)):
            return ERROR_EXPR, ERROR
        return ir.Logic(op, left, right), BOOL

    def visit_Not(self, node: n.Not, ctx):
        operand = self.condition(node.operand, ctx)
        if _kind(operand) == ERROR:
            return ERROR_EXPR, ERROR
        return ir.NotOp(operand), BOOL

    def visit_Compare(self, node: n.Compare, ctx):
        left, lt = self.visit(node.left, ctx)
        right, rt = self.visit(node.right, ctx)
        if ERROR in (lt, rt):
            return ERROR_EXPR, ERROR
        if lt in TIMES and rt == TEXT and isinstance(node.right, n.Str):
            right, rt = self.time_literal(node.right), TIME
        elif rt in TIMES and lt == TEXT and isinstance(node.left, n.Str):
            left, lt = self.time_literal(node.left), TIME
        if _kind(left) == ERROR or _kind(right) == ERROR:
            return ERROR_EXPR, ERROR
        kind = TIME if (lt in TIMES and rt in TIMES) else lt
        if kind != (TIME if rt in TIMES else rt):
            self.report.error(node.span, "E-type", f"cannot compare {describe(lt)} with {describe(rt)}",
                              self.compare_hint(node, lt, rt))
            return ERROR_EXPR, ERROR
        if node.op in ORDERED and kind in (TEXT, BOOL):
            self.report.error(node.span, "E-type", f"`{node.op}` does not order {describe(kind)}",
                              "text and bools compare only with `==` and `!=`")
            return ERROR_EXPR, ERROR
        return ir.Compare(node.op, left, right, kind), BOOL

    @staticmethod
    def compare_hint(node: n.Compare, lt: str, rt: str) -> str | None:
        if DURATION in (lt, rt) and NUMBER in (lt, rt):
            return "write the duration with a unit, such as `3d`"
        quoted = [side for side in (node.left, node.right) if isinstance(side, n.Str)]
        if NUMBER in (lt, rt) and TEXT in (lt, rt) and quoted and v.to_number(quoted[0].value) is not v.BAD:
            return "numbers are written without quotes"
        return None

    def time_literal(self, node: n.Str):
        if self.report.has_errors_at(node):     # a bad string, already reported
            return ERROR_EXPR
        value = v.to_date(node.value)
        if value is v.BAD:
            value = v.parse_iso_time(node.value)
        if value is None:
            self.report.error(node.span, "E-time-literal",
                              f"`\"{node.value}\"` is not an ISO-8601 date or time",
                              "write a date as \"2026-01-31\" or a time as \"2026-01-31T09:00:00Z\"")
            return ERROR_EXPR
        return ir.Const(value, TIME)

    def visit_Membership(self, node: n.Membership, ctx):
        operand, kind = self.visit(node.operand, ctx)
        if kind == ERROR:
            return ERROR_EXPR, ERROR
        target = node.target
        if isinstance(target, n.Range):
            if kind != NUMBER:
                self.report.error(node.span, "E-type", f"a range holds numbers, but this is {describe(kind)}")
                return ERROR_EXPR, ERROR
            low = None if target.low is None else float(target.low)
            high = None if target.high is None else float(target.high)
            return ir.InRange(operand, low, high, node.negated), BOOL
        if isinstance(target, n.ListLiteral):
            list_type, raw = self.literal_list(target)
        else:
            if target.id not in self.lists:
                if target.id not in self.lost:
                    self.report.error(target.span, "E-unknown-name", f"unknown list `{target.id}`",
                                      did_you_mean(target.id, self.lists))
                return ERROR_EXPR, ERROR
            list_type, raw = self.lists[target.id]
        if list_type == ERROR:
            return ERROR_EXPR, ERROR
        values = self.member_values(node, kind, list_type, raw, target)
        if values is None:
            return ERROR_EXPR, ERROR
        return ir.InSet(operand, values, node.negated), BOOL

    def member_values(self, node, kind, list_type, raw, target) -> frozenset | None:
        if kind == TEXT and list_type == TEXT:
            return frozenset(v.fold(x) for x in raw)
        if kind == BOOL and list_type == BOOL:
            return frozenset(raw)
        if kind == NUMBER and list_type == NUMBER:
            return frozenset(float(x) for x in raw)
        if kind == NUMBER and list_type == TEXT and isinstance(target, n.Name):
            numbers = [v.to_number(x) for x in raw]
            if all(x is not v.BAD for x in numbers):
                return frozenset(numbers)
        what = f"list `{target.id}`" if isinstance(target, n.Name) else "this list"
        self.report.error(node.span, "E-type", f"{what} holds {describe(list_type)}, but the value is {describe(kind)}")
        return None

    def visit_TextTest(self, node: n.TextTest, ctx):
        operand, kind = self.visit(node.operand, ctx)
        needle, needle_kind = self.visit(node.needle, ctx)
        if ERROR in (kind, needle_kind):
            return ERROR_EXPR, ERROR
        word = node.op.replace("_", " ")
        for part, part_kind in ((node.operand, kind), (node.needle, needle_kind)):
            if part_kind != TEXT:
                self.report.error(part.span, "E-type", f"`{word}` works on text, but this is {describe(part_kind)}")
                return ERROR_EXPR, ERROR
        return ir.TextTest(node.op, operand, needle), BOOL

    def visit_Matches(self, node: n.Matches, ctx):
        operand, kind = self.visit(node.operand, ctx)
        pattern = node.pattern.value
        try:
            re2.compile(pattern, QUIET_RE2)
        except Exception as error:  # re2.error; message text varies by version
            reason = error.args[0] if error.args else error
            if isinstance(reason, bytes):       # google-re2 gives the reason as bytes
                reason = reason.decode("utf-8", "replace")
            self.report.error(node.pattern.span, "E-regex", f"RE2 cannot compile this pattern: {reason}",
                              "patterns are RE2 syntax: no back-references or look-around")
            return ERROR_EXPR, ERROR
        if kind == ERROR:
            return ERROR_EXPR, ERROR
        if kind != TEXT:
            self.report.error(node.operand.span, "E-type", f"`matches` works on text, but this is {describe(kind)}")
            return ERROR_EXPR, ERROR
        if isinstance(operand, (ir.FieldRef, ir.AttrRef)):
            operand = attrs.evolve(operand, stripped=True)
        return ir.Matches(operand, pattern), BOOL

    def visit_Presence(self, node: n.Presence, ctx):
        operand, kind = self.visit(node.operand, ctx)
        if kind == ERROR:
            return ERROR_EXPR, ERROR
        return ir.IsKnown(operand, node.known), BOOL

    def visit_Minus(self, node: n.Minus, ctx):
        left, lt = self.visit(node.left, ctx)
        right, rt = self.visit(node.right, ctx)
        if ERROR in (lt, rt):
            return ERROR_EXPR, ERROR
        if lt not in TIMES or rt not in TIMES:
            self.report.error(node.span, "E-type",
                              f"`-` is defined only between two times, not {describe(lt)} and {describe(rt)}",
                              "compare ages with `now - last S > 30d` or `days_since(t) > 30`")
            return ERROR_EXPR, ERROR
        return ir.TimeDiff(left, right), DURATION

    def visit_Call(self, node: n.Call, ctx):
        argument, kind = self.visit(node.argument, ctx)
        if kind == ERROR:
            return ERROR_EXPR, ERROR
        if node.function == "domain":
            if kind != TEXT:
                self.report.error(node.argument.span, "E-type", f"`domain` takes text, not {describe(kind)}")
                return ERROR_EXPR, ERROR
            return ir.Domain(argument), TEXT
        if kind not in TIMES:
            self.report.error(node.argument.span, "E-type", f"`days_since` takes a date or a time, not {describe(kind)}")
            return ERROR_EXPR, ERROR
        return ir.DaysSince(argument), NUMBER

    def visit_Aggregate(self, node: n.Aggregate, ctx: Context):
        if ctx.filter_of is not None:
            self.report.error(node.span, "E-scope", f"`{node.kind}` cannot be used inside a stream filter `[ ]`")
            return ERROR_EXPR, ERROR
        stream = self.stream(node.stream, ctx)
        if stream is None:
            return ERROR_EXPR, ERROR
        if node.kind in ("first", "last") and stream.is_leads:
            self.report.error(node.span, "E-type", f"leads have no time, so `{node.kind} leads` means nothing",
                              "use `count(leads)` or `any leads[...]`")
            return ERROR_EXPR, ERROR
        result = {"any": BOOL, "no": BOOL, "count": NUMBER, "sum": NUMBER, "first": TIME, "last": TIME}[node.kind]
        attribute = None
        if node.kind == "sum":
            available = self.stream_attributes(stream)
            attribute = node.attribute.id
            if attribute not in available:
                self.report.error(node.attribute.span, "E-unknown-attribute",
                                  f"{self.stream_subject(stream)} has no attribute `{attribute}`",
                                  did_you_mean(attribute, available))
                return ERROR_EXPR, ERROR
            if available[attribute] != NUMBER:
                self.report.error(node.attribute.span, "E-type",
                                  f"`sum` needs a number attribute, but `{attribute}` is {describe(available[attribute])}")
                return ERROR_EXPR, ERROR
        self.aggregates += 1
        return ir.Aggregate(node.kind, stream, attribute), result

    def stream_subject(self, stream: ir.StreamDef) -> str:
        if stream.is_leads:
            return "a lead"
        return f"event `{stream.source}`" if stream.source else "every event type"

    def stream(self, node: n.Stream, ctx: Context) -> ir.StreamDef | None:
        ok = True
        if node.is_leads:
            if not ctx.in_account:
                self.report.error(node.source_span, "E-scope",
                                  "`leads` is the account's leads and exists only inside `account by`")
                ok = False
            subject = "leads"
            if node.window is not None:
                self.report.error(node.window.span, "E-scope", "leads have no time, so `within` does not apply to them")
                ok = False
        elif node.source is None:
            subject = "all"
        else:
            subject = self.events.get(node.source)
            if subject is None:
                if node.source not in self.lost:
                    self.unknown_event(node)
                ok = False
        window = self.duration(node.window) if node.window is not None else None
        filter_ = None
        if node.filter is not None and ok:
            filter_ = self.condition(node.filter, attrs.evolve(ctx, filter_of=subject, qualify=False))
            ok = _kind(filter_) != ERROR
        if not ok:
            return None
        key = (node.source, node.is_leads, filter_, window, ctx.in_account)
        if key not in self.streams:
            self.streams[key] = ir.StreamDef(len(self.streams), node.source, node.is_leads,
                                             filter_, window, ctx.in_account)
        return self.streams[key]


    def unknown_event(self, node: n.Stream) -> None:
        """A stream of an undeclared event: a close declared name, or how to declare it."""
        name = node.source
        hint = did_you_mean(name, self.events)
        if hint is None and name in self.fields:
            hint = f"`{name}` is a field; streams name events"
        elif hint is None:
            hint = f"declare it with `event {name}`"
        self.report.error(node.source_span, "E-unknown-name", f"unknown event `{name}`", hint)


def _kind(expr) -> str | None:
    return ERROR if expr is ERROR_EXPR else None


def _covers(outer: tuple, inner: tuple) -> bool:
    lo, hi = outer
    ilo, ihi = inner
    low_ok = lo is None or (ilo is not None and ilo >= lo)
    high_ok = hi is None or (ihi is not None and ihi <= hi)
    return low_ok and high_ok


def describe(kind: str) -> str:
    return {TEXT: "text", NUMBER: "a number", BOOL: "a bool", DATE: "a date", TIME: "a time",
            DURATION: "a duration", ERROR: "invalid"}.get(kind, kind)
