"""A result's JSON Lines text, written from a template of its model's keys.

`json.dumps(result.to_dict(), ensure_ascii=False)` builds a dict of dicts
for every lead and then walks it; at a million leads that is a few percent
of a batch. Every result of one model has the same keys in the same order
(the model's groups, group tiers and campaigns), so `ResultLines` writes
that skeleton once, as a `%` template, and fills in only the values. The
text is exactly what `json.dumps` writes (tests/test_resultjson.py checks
it on generated models); a result whose keys are not the template's is
written by `json.dumps` instead.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring

_float_text = float.__repr__


def _number(value) -> str:
    # `x - x == 0.0` is false for NaN and the infinities, which json writes its own way
    if value.__class__ is float and value - value == 0.0:
        return _float_text(value)
    return json.dumps(value)


def _key(name: str) -> str:
    return encode_basestring(name).replace("%", "%%") + ": "


class ResultLines:
    """`text(result)`: the JSON Lines text of a result of `plan`'s model, without the newline."""

    def __init__(self, plan):
        model = plan.model
        self.groups = tuple(p.group.name for p in plan.groups)
        self.group_tiers = tuple(t.group for t in model.group_tiers)
        self.campaigns = tuple((p.ir.name, tuple(g.group.name for g in p.groups),
                                tuple(t.group for t in p.ir.group_tiers)) for p in plan.campaigns)
        self.names: dict = {}                # tier, stage and tag names → their JSON text
        self.template = self._template()

    def _template(self) -> str:
        def mapping(keys) -> str:
            return "{" + ", ".join(_key(k) + "%s" for k in keys) + "}"

        campaigns = ", ".join(
            _key(name) + '{"score": %s, "tier": %s, "qualified": %s, "groups": ' + mapping(groups)
            + ', "group_tiers": ' + mapping(tiers) + ', "tags": %s}'
            for name, groups, tiers in self.campaigns)
        return ('{"id": %s, "score": %s, "tier": %s, "groups": ' + mapping(self.groups)
                + ', "group_tiers": ' + mapping(self.group_tiers)
                + ', "qualified": %s, "disqualified": %s, "tags": %s, "campaigns": {' + campaigns
                + '}, "clamped": %s, "warnings": %s, "now": %s}')

    def text(self, result) -> str:
        try:
            values = self._values(result)
        except KeyError:                 # a key of the template is missing from the result
            values = None
        if values is None:
            return json.dumps(result.to_dict(), ensure_ascii=False)
        return self.template % values

    def _values(self, result) -> tuple | None:
        """The values the template takes, in its order; None when the result has other keys."""
        name, names = self._name, self._names
        groups, group_tiers, campaigns = result.groups, result.group_tiers, result.campaigns
        if (len(groups) != len(self.groups) or len(group_tiers) != len(self.group_tiers)
                or len(campaigns) != len(self.campaigns)):
            return None
        values = [self._text(result.id), _number(result.score), name(result.tier)]
        values += [_number(groups[g]) for g in self.groups]
        values += [name(group_tiers[g]) for g in self.group_tiers]
        values += [names(result.qualified), names(result.disqualified), names(result.tags)]
        for campaign_name, campaign_groups, campaign_tiers in self.campaigns:
            campaign = campaigns[campaign_name]
            if len(campaign.groups) != len(campaign_groups) or len(campaign.group_tiers) != len(campaign_tiers):
                return None
            values += [_number(campaign.score), name(campaign.tier), names(campaign.qualified)]
            values += [_number(campaign.groups[g]) for g in campaign_groups]
            values += [name(campaign.group_tiers[g]) for g in campaign_tiers]
            values.append(names(campaign.tags))
        values += ["true" if result.clamped else "false",
                   "[" + ", ".join(map(encode_basestring, result.warnings)) + "]",
                   name(result.now)]
        return tuple(values)

    @staticmethod
    def _text(value) -> str:
        return encode_basestring(value) if value.__class__ is str else json.dumps(value)

    def _name(self, value) -> str:
        text = self.names.get(value)
        if text is None:
            text = self.names[value] = self._text(value)
        return text

    def _names(self, values) -> str:
        return "[" + ", ".join(map(self._name, values)) + "]" if values else "[]"
