"""Valid text → AST in one pass: Lark's LALR(1) tables for a grammar, driven
here without a parse tree.

Lark's parse builds a tree, propagating positions at every node, and the
transformer (`parse.ToAst`) then walks it: for a 1,000-rule model those two
passes were most of `analyze`. `Driver` reads the same parse table and the
same per-state lexers of the same `Lark` object, and calls the transformer's
methods as each rule is reduced, with the children and the `meta` positions
Lark's tree would have given them: its rules for dropping anonymous tokens,
splicing `_rules`, inlining a `?rule` with one child, and a node's span
reaching over the brackets of an inlined child (Lark's "containers") are
mirrored in `Reduction`.

It never reports anything. Text it does not take — a syntax error, a tree
nested beyond the limit, a transformer method that raises — makes `parse`
raise `Declined`, and the caller parses the text again with Lark, whose
exceptions the diagnostics are made from. A grammar that uses something not
mirrored here gives no driver at all (`Driver.of` returns None). So the
diagnostics are Lark's, always; tests/test_lalr.py checks that both paths
give the same AST, spans included.
"""

from __future__ import annotations

import inspect

from lark import Lark, Token

try:    # Lark's internals the driver mirrors: a Lark without them gets no driver, and parses alone
    from lark.lexer import PatternStr, UnlessCallback
    from lark.parsers.lalr_analysis import Shift
    from lark.visitors import _vargs_meta, _VArgsWrapper
except ImportError:     # pragma: no cover - another Lark
    Shift = None


class Declined(Exception):
    """The driver does not take this text; parse it with Lark."""


class Unsupported(Exception):
    """The grammar or the transformer uses something the driver does not mirror."""


class Meta:
    """What a transformer method reads of a Lark tree's meta."""

    __slots__ = ("start_pos", "end_pos", "empty")

    def __init__(self, start_pos, end_pos):
        self.start_pos = start_pos
        self.end_pos = end_pos
        self.empty = start_pos is None


# A stack entry is a tuple (value, start, end, depth, kind): `start`/`end` are the
# positions a parent's span takes from it (a Lark tree's container positions; None
# for a tree with no tokens), `depth` the height of its Lark tree.
TOKEN, TREE, SPLICE = 0, 1, 2


class Reduction:
    """What Lark's tree builder does when one grammar rule is reduced."""

    __slots__ = ("size", "origin", "include", "splice", "expand1", "passthrough", "method", "with_meta",
                 "firsts", "lasts", "subtrees")

    def __init__(self, rule, transformer_class):
        expansion = rule.expansion
        self.size = len(expansion)
        self.origin = rule.origin.name
        # the children a node keeps (anonymous tokens are dropped) and which are spliced `_rules`
        self.include = tuple((i, not sym.is_term and sym.name.startswith("_"))
                             for i, sym in enumerate(expansion)
                             if rule.options.keep_all_tokens or not (sym.is_term and sym.filter_out))
        self.splice = self.origin.startswith("_")
        self.expand1 = bool(rule.options.expand1) and not rule.alias
        if self.expand1 and any(expand for _, expand in self.include):
            raise Unsupported(f"`?{self.origin}` splices a `_rule`")
        # `?a: b` with one symbol, kept: the entry of `b` is the entry of `a`, unchanged
        self.passthrough = self.expand1 and self.size == 1 and self.include == ((0, False),)
        # where the first and last positions can come from: symbols up to the first token
        # (a token always has them), and from the last one
        terms = [i for i, sym in enumerate(expansion) if sym.is_term]
        self.firsts = tuple(range(terms[0] + 1 if terms else self.size))
        self.lasts = tuple(range(self.size - 1, terms[-1] - 1 if terms else -1, -1))
        self.subtrees = tuple(i for i, sym in enumerate(expansion) if not sym.is_term)
        self.method, self.with_meta = None, False
        try:
            if not self.splice:
                self.method, self.with_meta = transformer_method(
                    transformer_class, rule.alias or rule.options.template_source or self.origin)
        except Unsupported:
            if not self.expand1:    # a `?rule` needs no method while it has one child
                raise

    def reduce(self, entries, transformer, max_depth):
        """The stack entry that replaces `entries`, the rule's symbols."""
        start = end = None
        for i in self.firsts:
            start = entries[i][1]
            if start is not None:
                break
        for i in self.lasts:
            end = entries[i][2]
            if end is not None:
                break
        children = []
        for i, expand in self.include:
            if not expand:
                children.append(entries[i][0])
            elif children:
                children += entries[i][0]
            else:                                   # left recursion: extend the list in place
                children = entries[i][0]
        depth = 0
        for i in self.subtrees:
            if entries[i][3] > depth:
                depth = entries[i][3]
        if self.splice:
            return children, start, end, depth, SPLICE
        if self.expand1 and len(children) == 1:
            return self.inlined(entries, start, end)
        if self.method is None:
            raise Declined(f"no method for `{self.origin}`")
        depth += 1
        if depth > max_depth:
            raise Declined("nested too deeply")
        if self.with_meta:
            value = self.method(transformer, Meta(start, end), children)
        else:
            value = self.method(transformer, children)
        return value, start, end, depth, TREE

    def inlined(self, entries, start, end):
        """A `?rule` with one child is that child; a tree child's container grows to the rule's tokens."""
        child = entries[self.include[0][0]]
        if child[4] == TOKEN or start is None:
            return child
        if child[1] is None:    # Lark would give the empty tree the rule's positions
            raise Declined("an empty tree inlined")
        return child[0], start, end, child[3], TREE


def transformer_method(cls, name):
    """The plain function Lark's `Transformer` would call for a node `name`, and whether
    it takes the meta (`@v_args(meta=True)`)."""
    try:
        attribute = inspect.getattr_static(cls, name)
    except AttributeError:
        raise Unsupported(f"{cls.__name__} has no method `{name}`") from None
    if isinstance(attribute, _VArgsWrapper):
        if attribute.visit_wrapper is not _vargs_meta:
            raise Unsupported(f"{cls.__name__}.{name}: only @v_args(meta=True) is mirrored")
        return attribute.base_func, True
    if inspect.isfunction(attribute):
        return attribute, False
    raise Unsupported(f"{cls.__name__}.{name} is not a plain method")


class StateLexer:
    """One state's terminals, as Lark's contextual lexer matches them there."""

    __slots__ = ("match", "ignore", "keywords")

    def __init__(self, lexer):
        scanner = lexer.scanner     # builds lexer.callback too
        patterns = tuple(scanner._mres)
        self.match = patterns[0].match if len(patterns) == 1 else first_match(patterns)
        self.ignore = lexer.ignore_types
        self.keywords = {name: fixed_strings(callback) for name, callback in lexer.callback.items()}


def first_match(patterns):
    """`match` over Lark's alternations of one state's terminals, tried in order."""
    def match(text, pos):
        for pattern in patterns:
            found = pattern.match(text, pos)
            if found:
                return found
        return None
    return match


def fixed_strings(callback) -> dict:
    """A terminal's `UnlessCallback` (a keyword matched by NAME is the keyword) as a dict."""
    if not isinstance(callback, UnlessCallback):
        raise Unsupported(f"lexer callback {callback!r}")
    strings = {}
    for terminal in reversed(callback.scanner.terminals):   # the first one listed wins
        if not isinstance(terminal.pattern, PatternStr) or terminal.pattern.flags:
            raise Unsupported(f"keyword terminal {terminal.name}")
        strings[terminal.pattern.value] = terminal.name
    return strings


class Driver:
    """A `Lark` parser (LALR, contextual lexer) and a `Transformer` class, driven as one."""

    def __init__(self, lark: Lark, transformer_class, max_depth: int, start: str = "start"):
        frontend = lark.parser
        table = frontend.parser.parser.parse_table
        self.start_state = table.start_states[start]
        self.end_state = table.end_states[start]
        self.max_depth = max_depth
        contextual = frontend.lexer.lexer if hasattr(frontend.lexer, "postlexer") else frontend.lexer
        reductions = {rule: Reduction(rule, transformer_class) for rule in lark.rules}
        # state → symbol → the state shifted to (an int) or the `Reduction`
        self.table = {state: {symbol: target if action is Shift else reductions[target]
                              for symbol, (action, target) in actions.items()}
                      for state, actions in table.states.items()}
        if not all(type(t) is int for actions in self.table.values() for t in actions.values()
                   if not isinstance(t, Reduction)):
            raise Unsupported("states that are not numbers")
        by_lexer = {}
        for lexer in contextual.lexers.values():
            if id(lexer) not in by_lexer:
                by_lexer[id(lexer)] = StateLexer(lexer)
        # state → what a step reads there: (its actions, match, ignored terminals, keywords)
        self.states = {}
        for state, actions in self.table.items():
            lexer = by_lexer[id(contextual.lexers[state])]
            self.states[state] = (actions, lexer.match, lexer.ignore, lexer.keywords)
        kept = {rule.expansion[i].name for rule, reduction in reductions.items()
                for i, _ in reduction.include if rule.expansion[i].is_term}
        self.token_methods = {}
        for name in kept:
            attribute = inspect.getattr_static(transformer_class, name, None)
            if attribute is not None:
                if not inspect.isfunction(attribute):
                    raise Unsupported(f"{transformer_class.__name__}.{name} is not a plain method")
                self.token_methods[name] = attribute
        self.kept_tokens = frozenset(kept)

    @classmethod
    def of(cls, lark: Lark, transformer_class, max_depth: int) -> "Driver | None":
        """The driver, or None when the grammar needs what it does not mirror."""
        if Shift is None or lark.options.parser != "lalr" or lark.options.lexer != "contextual" \
                or not lark.options.propagate_positions or lark.options.maybe_placeholders:
            return None
        try:
            return cls(lark, transformer_class, max_depth)
        except (Unsupported, AttributeError, TypeError, KeyError):     # another Lark's tables
            return None

    def parse(self, text: str, transformer):
        """The transformer's value for the whole text; raises `Declined`."""
        states, table, max_depth = self.states, self.table, self.max_depth
        kept, token_methods = self.kept_tokens, self.token_methods
        new_token = Token._future_new
        state_stack, stack = [self.start_state], []
        pos, length = 0, len(text)
        while True:
            actions, match_at, ignore, keywords = states[state_stack[-1]]
            while pos < length:                     # the next token, as this state's lexer reads it
                match = match_at(text, pos)
                if match is None:
                    raise Declined("no token")
                kind, end = match.lastgroup, match.end()
                if kind not in ignore:
                    break
                pos = end
            else:
                kind = "$END"
            if kind != "$END":
                value = match.group()
                if kind in keywords:
                    kind = keywords[kind].get(value, kind)
                if kind in kept:
                    token = new_token(kind, value, pos, None, None, None, None, end)
                    method = token_methods.get(kind)
                    entry = (token if method is None else method(transformer, token), pos, end, 0, TOKEN)
                else:
                    entry = (None, pos, end, 0, TOKEN)
                pos = end
            while True:                             # reduce, then shift the token
                target = actions.get(kind)
                if target is None:
                    raise Declined("unexpected token")
                if target.__class__ is int:
                    if kind == "$END":
                        raise Declined("$END shifted")
                    state_stack.append(target)
                    stack.append(entry)
                    break
                if target.passthrough:
                    state_stack[-1] = table[state_stack[-2]][target.origin]
                else:
                    size = target.size
                    if size:
                        entries = stack[-size:]
                        del stack[-size:]
                        del state_stack[-size:]
                    else:
                        entries = []
                    stack.append(target.reduce(entries, transformer, max_depth))
                    state_stack.append(table[state_stack[-1]][target.origin])
                if kind == "$END" and state_stack[-1] == self.end_state:
                    return stack[-1][0]
                actions = table[state_stack[-1]]
