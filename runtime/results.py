"""Score results, their JSON form (INTERFACE.md §5) and their explanation text."""

from __future__ import annotations

import attrs

from .values import format_time, rounded


@attrs.frozen
class Contribution:
    """One rule's non-zero points for one lead, after decay and caps."""

    rule: str
    scope: str
    points: float
    reason: str

    def to_dict(self) -> dict:
        return {"rule": self.rule, "scope": self.scope, "points": self.points, "reason": self.reason}


@attrs.frozen
class CampaignResult:
    score: float
    tier: str | None
    qualified: tuple
    groups: dict
    group_tiers: dict
    tags: tuple

    def to_dict(self) -> dict:
        return {"score": self.score, "tier": self.tier, "qualified": list(self.qualified),
                "groups": dict(self.groups), "group_tiers": dict(self.group_tiers),
                "tags": list(self.tags)}


@attrs.frozen
class Threshold:
    """A tier boundary or a stage, and whether the lead met it — for explanations."""

    kind: str          # tier, stage, disqualify
    name: str
    scope: str         # total, a group name, or "campaign NAME"
    condition: str
    met: bool


@attrs.frozen
class Input:
    """A value a rule read, as shown in explanations."""

    rule: str
    label: str
    value: str


@attrs.frozen(slots=False)
class ScoreResult:
    """One lead's result. A result made by `LazyResult` (the generated fast path) works out
    its `now` text and its explanation (contributions, thresholds, inputs) when first asked,
    identical to what the full assembly gives; the instance dict holds what it has."""

    id: str | None
    score: float
    tier: str | None
    groups: dict
    group_tiers: dict
    qualified: tuple
    disqualified: tuple
    tags: tuple
    campaigns: dict
    clamped: bool
    warnings: tuple
    now: str
    contributions: tuple = ()
    read_thresholds: object = attrs.field(default=tuple, eq=False, repr=False)
    read_inputs: object = attrs.field(default=tuple, eq=False, repr=False)

    @property
    def thresholds(self) -> tuple:
        """Every stage, knock-out and tier boundary, met or missed (`Threshold`s)."""
        return self.read_thresholds()

    @property
    def inputs(self) -> tuple:
        """The values each contributing rule read (`Input`s), as explanations show them."""
        return self.read_inputs()

    def __getattr__(self, name: str):
        """Called only for a field `LazyResult` left out: it is worked out now and kept."""
        found = self.__dict__
        if name == "now" and "_now_us" in found:
            found["now"] = format_time(found["_now_us"])
            return found["now"]
        if name == "contributions" and "_rows" in found:
            found["contributions"] = tuple(Contribution(rule, scope, points, reason)
                                           for _index, rule, scope, points, reason in found.pop("_rows"))
            return found["contributions"]
        if name in _FROM_FULL and "_full" in found:
            function, *arguments = found.pop("_full")
            full = function(*arguments)
            for field in _FROM_FULL:
                found[field] = getattr(full, field)
            return found[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_dict(self, explain: bool = False) -> dict:
        """The JSON object of INTERFACE.md §5; `explain` adds `contributions`."""
        out = {
            "id": self.id, "score": self.score, "tier": self.tier,
            "groups": dict(self.groups), "group_tiers": dict(self.group_tiers),
            "qualified": list(self.qualified), "disqualified": list(self.disqualified),
            "tags": list(self.tags),
            "campaigns": {name: c.to_dict() for name, c in self.campaigns.items()},
            "clamped": self.clamped, "warnings": list(self.warnings), "now": self.now,
        }
        if explain:
            out["contributions"] = [c.to_dict() for c in self.contributions]
        return out

    def explain(self) -> str:
        return explain_text(self)

    def __reduce__(self):
        """Pickled with its thresholds and inputs worked out: they are read lazily, by
        closures over the scoring state, which cannot be pickled."""
        values = {field.name: getattr(self, field.name) for field in attrs.fields(ScoreResult)}
        values.update(read_thresholds=Known(self.thresholds), read_inputs=Known(self.inputs))
        return result_of, (values,)


#: What a lazy result takes from the full assembly when its explanation is first asked for.
_FROM_FULL = ("contributions", "read_thresholds", "read_inputs")


class LazyResult:
    """`LazyResult(id, score, …, warnings, now_us, full)` is a `ScoreResult` (the generated
    fast path's, compiler/codegen.py) from its cheap fields: `now` is `now_us` written when
    first read; `contributions`, `read_thresholds` and `read_inputs` come from the same lead
    scored by the full assembly, `full` = (function, *arguments) (a tuple: cheaper to make
    than a closure), called once, when one of them is first read.

    Made in half the time the frozen class takes: plain assignments (which the frozen class
    refuses) fill the instance dict, then the instance becomes a `ScoreResult`, which the
    same layout (a dict, no slots) allows.
    """

    def __init__(self, id, score, tier, groups, group_tiers, qualified, disqualified, tags, campaigns,
                 clamped, warnings, now_us, full):
        self.id = id
        self.score = score
        self.tier = tier
        self.groups = groups
        self.group_tiers = group_tiers
        self.qualified = qualified
        self.disqualified = disqualified
        self.tags = tags
        self.campaigns = campaigns
        self.clamped = clamped
        self.warnings = warnings
        self._now_us = now_us
        self._full = full
        self.__class__ = ScoreResult


class _FullResult:
    """`full_result`'s instance before it becomes a `ScoreResult` (as `LazyResult` does)."""

    def __init__(self, id, score, tier, groups, group_tiers, qualified, disqualified, tags, campaigns,
                 clamped, warnings, now, rows, read_thresholds, read_inputs):
        self.id = id
        self.score = score
        self.tier = tier
        self.groups = groups
        self.group_tiers = group_tiers
        self.qualified = qualified
        self.disqualified = disqualified
        self.tags = tags
        self.campaigns = campaigns
        self.clamped = clamped
        self.warnings = warnings
        self.now = now
        self._rows = rows
        self.read_thresholds = read_thresholds
        self.read_inputs = read_inputs
        self.__class__ = ScoreResult


def full_result(id, score, tier, groups, group_tiers, qualified, disqualified, tags, campaigns, clamped,
                warnings, now, rows, read_thresholds, read_inputs) -> ScoreResult:
    """The `ScoreResult` of the full assembly (runtime/scoring.py `score`), made as `LazyResult`
    makes one (plain assignments, then the class): its contributions are `rows`, (rule index,
    rule, scope, points, reason) in order, each made a `Contribution` when `contributions` is
    first read. Most results are only written as JSON Lines, which has no contributions."""
    return _FullResult(id, score, tier, groups, group_tiers, qualified, disqualified, tags, campaigns, clamped,
                       warnings, now, rows, read_thresholds, read_inputs)


def result_of(values: dict) -> ScoreResult:
    """A `ScoreResult` from its fields by name (how a pickled one is made again)."""
    return ScoreResult(**values)


@attrs.frozen
class Known:
    """A lazy reader that has been read: calling it gives its value."""

    value: tuple

    def __call__(self) -> tuple:
        return self.value


def explain_text(result: ScoreResult) -> str:
    """The breakdown `leadscore explain` prints; numbers rounded to 2 decimals."""
    head = f"lead {result.id}: score {rounded(result.score)}"
    if result.tier is not None:
        head += f", tier {result.tier}"
    if result.clamped:
        head += " (clamped)"
    lines = [head, f"  evaluated at {result.now}"]
    if result.disqualified:
        lines.append(f"  disqualified by {', '.join(result.disqualified)}: "
                     "the score is the floor, the tier the lowest, and no stage is reached")
    inputs: dict[str, list] = {}
    for item in result.inputs:
        inputs.setdefault(item.rule, []).append(item)
    by_scope: dict[str, list] = {}
    for c in result.contributions:
        by_scope.setdefault(c.scope, []).append(c)
    if not by_scope:
        lines += ["", "no rule contributed"]
    width = max((len(c.rule) for c in result.contributions), default=0)
    for scope, items in by_scope.items():
        total = sum(c.points for c in items)
        after = result.groups.get(scope)
        if after is None and scope.startswith("campaign ") and "/" in scope:
            campaign, group = scope[len("campaign "):].split("/", 1)
            after = result.campaigns[campaign].groups.get(group) if campaign in result.campaigns else None
        note = f", {rounded(after)} after the group's limits" if after is not None and after != total else ""
        lines += ["", f"{scope}: {rounded(total)}{note}"]
        for c in items:
            sign = "+" if c.points > 0 else ""
            lines.append(f"  {sign + rounded(c.points):>8}  {c.rule:<{width}}  {c.reason}")
            for item in inputs.get(c.rule, ()):
                lines.append(f"  {'':>8}  {'':<{width}}    {item.label} = {item.value}")
    for name, campaign in result.campaigns.items():
        extra = (f", tier {campaign.tier}" if campaign.tier else "") + (
            f", qualified: {', '.join(campaign.qualified)}" if campaign.qualified else "")
        lines += ["", f"campaign {name} score: {rounded(campaign.score)}{extra}"]
    if result.thresholds:
        lines += ["", "thresholds:"]
        for t in result.thresholds:
            lines.append(f"  {'met   ' if t.met else 'missed'}  {t.kind} {t.name} ({t.scope}): {t.condition}")
    if result.tags:
        lines += ["", f"tags: {', '.join(result.tags)}"]
    if result.warnings:
        lines += ["", "warnings:"] + [f"  {w}" for w in result.warnings]
    return "\n".join(lines)
