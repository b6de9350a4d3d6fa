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

A token is one regex match (the state's ignored text skipped inside it), a
reduction one call of a function written out for its rule (`compiled`), and
a chain of passthrough reductions one step (`Driver.chain`):
docs/architecture.md "The front end's speed".

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
import re

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
                 "firsts", "lasts", "subtrees", "step")

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
        self.step = None        # set by the Driver (`compiled`)

    def generic(self, goto: list, max_depth: int):
        """The `step` of a `?rule` that is not a passthrough: `reduce`, then the goto."""
        size = self.size

        def step(stack, state_stack, transformer, meta):
            if size:
                entries = stack[-size:]
                del stack[-size:]
                del state_stack[-size:]
            else:
                entries = []
            stack.append(self.reduce(entries, transformer, max_depth))
            state_stack.append(goto[state_stack[-1]])
        return step

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


def compiled(reduction: Reduction, goto: dict, max_depth: int):
    """One parse step reducing by a rule: `Reduction.reduce` written out for the rule (its
    symbols, the children it keeps, where its positions come from), then the goto, and
    compiled once per grammar: a reduction is then a few tuple reads, not loops over the
    rule's layout (14,000 of them for a 1,000-rule model)."""
    r, size = reduction, reduction.size
    if r.expand1:
        return r.generic(goto, max_depth)
    names = [f"e{i}" for i in range(size)]
    lines = ["def step(stack, state_stack, transformer, meta):"]
    # the states of the rule's symbols go, the goto's comes: the top one replaced, the rest dropped
    if size == 1:
        lines += ["    e0 = stack.pop()", "    state_stack[-1] = goto[state_stack[-2]]"]
    elif size:
        lines += [f"    {', '.join(names)}, = stack[-{size}:]", f"    del stack[-{size}:]",
                  f"    del state_stack[-{size - 1}:]", "    state_stack[-1] = goto[state_stack[-2]]"]
    else:
        lines.append("    state_stack.append(goto[state_stack[-1]])")

    def first_known(variable, indices, slot):
        indent = "    "
        if not indices:
            lines.append(f"{indent}{variable} = None")
        for k, i in enumerate(indices):
            lines.append(f"{indent}{variable} = e{i}[{slot}]")
            if k < len(indices) - 1:
                lines.append(f"{indent}if {variable} is None:")
                indent += "    "

    first_known("start", r.firsts, 1)
    first_known("end", r.lasts, 2)
    if not r.include:
        lines.append("    children = []")
    for k, (i, expand) in enumerate(r.include):
        if k == 0:
            lines.append(f"    children = e{i}[0]" if expand else f"    children = [e{i}[0]]")
        else:
            lines.append(f"    children += e{i}[0]" if expand else f"    children.append(e{i}[0])")
    # the height of the tree: one more than its highest subtree's (a splice's: its highest
    # subtree's); only a subtree can take a tree beyond the limit, so a rule of tokens alone
    # is 1 high with no test
    lines.append("    depth = 0")
    for i in r.subtrees:
        lines += [f"    if e{i}[3] > depth:", f"        depth = e{i}[3]"]
    if r.splice:
        lines.append(f"    stack.append((children, start, end, depth, {SPLICE}))")
    elif r.method is None:
        lines.append(f"    raise Declined('no method for `{r.origin}`')")
    else:
        if r.subtrees or max_depth < 1:
            lines += ["    depth += 1", "    if depth > max_depth:", "        raise Declined('nested too deeply')"]
        else:
            lines[-1] = "    depth = 1"
        if r.with_meta:
            lines += ["    meta.start_pos = start", "    meta.end_pos = end", "    meta.empty = start is None",
                      f"    stack.append((method(transformer, meta, children), start, end, depth, {TREE}))"]
        else:
            lines.append(f"    stack.append((method(transformer, children), start, end, depth, {TREE}))")
    namespace = {"Declined": Declined, "method": r.method, "goto": goto, "max_depth": max_depth}
    exec(compile("\n".join(lines) + "\n", f"<lalr reduction {r.origin}>", "exec"), namespace)
    return namespace["step"]


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
    """One state's terminals, as Lark's contextual lexer matches them there.

    `match(text, pos)` skips what the lexer ignores (blanks, comments) before the
    token, in the same regex: `(?:ignored|...)*+(?:Lark's alternation)`. What is ignored
    never starts a kept terminal, so the token found after it is the one Lark's
    lexer finds after the ignored tokens it drops one by one. `rest(text, pos)` is
    the end of the ignored run at `pos` (the end of the text: `$END`)."""

    __slots__ = ("match", "ignore", "keywords", "rest")

    def __init__(self, lexer):
        scanner = lexer.scanner     # builds lexer.callback too
        patterns = tuple(scanner._mres)
        self.ignore = lexer.ignore_types
        ignored = [t.pattern.to_regexp() for t in lexer.terminals if t.name in self.ignore]
        if len(patterns) != 1 or len(ignored) != len(self.ignore) or lexer.re is not re:
            raise Unsupported("a state's terminals in more than one regex")
        skip = "(?:" + "|".join(f"(?:{p})" for p in ignored) + ")*+" if ignored else ""
        self.match = re.compile(skip + "(?:" + patterns[0].pattern + ")", patterns[0].flags).match
        self.rest = re.compile(skip, patterns[0].flags).match
        self.keywords = {name: fixed_strings(callback) for name, callback in lexer.callback.items()}


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
        if sorted(self.table) != list(range(len(self.table))):
            raise Unsupported("states that are not 0 to n - 1")
        for reduction in reductions.values():
            # state → the state its goto leads to (a list: states are 0 to n - 1)
            goto = [actions.get(reduction.origin) for _, actions in sorted(self.table.items())]
            reduction.step = compiled(reduction, goto, max_depth)
        # what the main loop acts on: a shift's state (an int), a reduction's `step`, or the
        # `Reduction` of a passthrough
        self.steps = [{symbol: target if target.__class__ is int or target.passthrough else target.step
                       for symbol, target in actions.items()}
                      for _, actions in sorted(self.table.items())]
        by_lexer = {}
        for lexer in contextual.lexers.values():
            if id(lexer) not in by_lexer:
                by_lexer[id(lexer)] = StateLexer(lexer)
        # state → what a step reads there: (its actions, match, keywords, rest)
        self.states = []        # a list, as `steps`: a state's entry is one index, not a hash lookup
        for state in range(len(self.table)):
            lexer = by_lexer[id(contextual.lexers[state])]
            self.states.append((self.steps[state], lexer.match, lexer.keywords, lexer.rest))
        # an ignored terminal (blanks, comments) the skip did not take has no action in any
        # state, so `parse` declines it as an unexpected token, with no test of its own
        ignored = set().union(*(lexer.ignore for lexer in by_lexer.values()))
        if any(symbol in ignored for actions in self.table.values() for symbol in actions):
            raise Unsupported("an ignored terminal in a rule")
        kept = {rule.expansion[i].name for rule, reduction in reductions.items()
                for i, _ in reduction.include if rule.expansion[i].is_term}
        # a kept token's terminal → the transformer's method for it, or None: one lookup per token
        self.token_methods = {}
        for name in kept:
            attribute = inspect.getattr_static(transformer_class, name, None)
            if attribute is not None and not inspect.isfunction(attribute):
                raise Unsupported(f"{transformer_class.__name__}.{name} is not a plain method")
            self.token_methods[name] = attribute
        self.kept_tokens = frozenset(kept)
        self.chains: dict = {}      # `chain`'s answers, found as parses meet them

    def chain(self, key) -> int:
        """The state a chain of passthrough reductions ends in, from (the state below the top,
        the top state, the token), each step replacing the top state by the goto of the one
        below; the token's `$END` stops it at the first step, for `parse` to check the end."""
        below, top, kind = key
        table = self.table
        target = table[top].get(kind)
        while target.__class__ is Reduction and target.passthrough:
            top = table[below][target.origin]
            if kind == "$END":
                break
            target = table[top].get(kind)
        return top

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
        """The transformer's value for the whole text; raises `Declined`.

        The transformer's methods get one `Meta`, refilled for each call: they read
        its positions during the call and keep nothing of it."""
        states, steps = self.states, self.steps
        token_methods = self.token_methods
        new_str, token_class, reduction_class = str.__new__, Token, Reduction
        meta = Meta(None, None)
        chains = self.chains
        state_stack, stack = [self.start_state], []
        pos, length = 0, len(text)
        while True:
            actions, match_at, keywords, rest = states[state_stack[-1]]
            match = match_at(text, pos)             # the next token, as this state's lexer reads it
            if match is None:
                if rest(text, pos).end() != length:
                    raise Declined("no token")
                return self.finish(stack, state_stack, transformer, meta)
            kind = match.lastgroup
            start, pos = match.span(kind)
            if kind in keywords:
                kind = keywords[kind].get(text[start:pos], kind)
            method = token_methods.get(kind, token_methods)     # (the dict itself: not kept)
            if method is token_methods:
                entry = (None, start, pos, 0, TOKEN)
            else:
                value = text[start:pos]
                token = new_str(token_class, value)
                token.type, token.value, token.start_pos, token.end_pos = kind, value, start, pos
                entry = (token if method is None else method(transformer, token), start, pos, 0, TOKEN)
            while True:                             # reduce, then shift the token
                target = actions.get(kind)
                if target.__class__ is int:
                    state_stack.append(target)
                    stack.append(entry)
                    break
                if target is None:
                    raise Declined("unexpected token")
                if target.__class__ is reduction_class:
                    # a chain of `?a: b` reductions (`name` up to `condition`: seven of them) taken
                    # in one step: where it ends depends only on the two states and the token
                    key = (state_stack[-2], state_stack[-1], kind)
                    top = chains.get(key)
                    if top is None:
                        top = chains[key] = self.chain(key)
                    state_stack[-1] = top
                else:
                    target(stack, state_stack, transformer, meta)
                actions = steps[state_stack[-1]]

    def finish(self, stack, state_stack, transformer, meta):
        """At the end of the text: the reductions `$END` calls for, up to the end state."""
        table, end_state = self.table, self.end_state
        while True:
            target = table[state_stack[-1]].get("$END")
            if target is None:
                raise Declined("unexpected end")
            if target.__class__ is int:
                raise Declined("$END shifted")
            if target.passthrough:
                state_stack[-1] = table[state_stack[-2]][target.origin]
            else:
                target.step(stack, state_stack, transformer, meta)
            if state_stack[-1] == end_state:
                return stack[-1][0]
