"""What a batch holds until it scores: events, and the leads of an account model.

Events arrive in any order, and a lead is scored as soon as its row is read,
so every event must be kept until then. Raw rows would cost about a
kilobyte each; `EventStore` keeps each event in parallel typed arrays
instead (INTERFACE.md §4, docs/batch.md):

    at       8 bytes   µs since the epoch
    kind     1 byte    declared type, or UNDECLARED / AFTER_NOW
    line     4 bytes   where the row starts, for a late reject
    previous 4 bytes   the lead's previous event: each lead's events form a chain
    values   8 bytes   its typed attributes (`typed` below), shared by equal rows

so about 25 bytes an event: under 400 MB for ten million events. The
typed attributes of an event are the two dicts an `Event` holds (folded,
stripped), made once for each distinct row of raw attribute texts of a
type and shared by its events (an event's dicts are read, never written:
runtime/schema.py `event_typer` shares them too); where a type's rows are
nearly all distinct (more than CACHE_LIMIT), an event keeps only its
typed values (`_Values`) and its dicts are made when it is read. So an
event is converted once when it is added and costs one list item when it
is used. Only a lead's last event is found by id (`heads`); the rest follow
the chain, and a chain can also be read from its last event alone (what
`claim` returns), without the id.

A model with an account scope cannot score a lead before every lead of its
account is known, so all its leads are read first and held in `HeldLeads`:
one tuple of typed values per lead, again with repeated values stored once.
"""

from __future__ import annotations

import operator
from array import array

from ..runtime import values as v
from ..runtime.schema import TEXT, Event, Lead, converter, describe_raw, event_head, iso_time, time_of

UNDECLARED = -1
AFTER_NOW = -2

#: Raw attribute texts remembered per type with what they convert to. Most
#: columns repeat a few values (a URL, a campaign, a duration in seconds); a
#: column of distinct values stops being remembered when this is reached.
CACHE_LIMIT = 1 << 16

_UNSEEN = object()


class EventStore:
    def __init__(self, event_types: tuple, now: int):
        self.now = now
        self.names = [e.name for e in event_types]
        self.codes = {e.name: k for k, e in enumerate(event_types)}
        self.at = array("q")
        self.kind = array("b")
        self.line = array("i")
        self.previous = array("i")
        self.values: list = []           # each event's typed attributes: a (folded, stripped) pair, or _Values
        self.heads: dict[str, int] = {}
        self.warnings: dict[int, list] = {}
        # raw `type` texts seen → their code (UNDECLARED for a type the model does not declare)
        self.kinds: dict = dict(self.codes)
        readers = {}
        self.plans = [tuple((a.column, *_reader(readers, a.type), a.name, a.type) for a in e.attributes)
                      for e in event_types]
        self.layouts = [tuple((a.name, a.type == TEXT) for a in e.attributes) for e in event_types]
        # a type's raw attribute texts, as one key: `getters[code](row)` (None: the type has none)
        self.getters = [_getter(e.attributes) for e in event_types]
        # a type's raw attribute texts (the getter's key) → the typed pair its events share
        self.typed = [{} for _ in event_types]
        # bound once: `add` runs for every event row
        self._append_at, self._append_kind, self._append_line, self._append_previous = (
            column.append for column in (self.at, self.kind, self.line, self.previous))
        self._keep_value = self.values.append

    def __len__(self) -> int:
        return len(self.at)

    # ---- adding ---------------------------------------------------------------------

    def add(self, lead_id: str, row: dict, line: int) -> list | None:
        """Convert and keep one event row. Raises EventProblem for a row to reject.

        Returns the attribute warnings of the row (None when it converted cleanly),
        so a strict run can reject it instead; the caller then calls `drop_last`.

        What `event_head` and `event_fate` decide, in the usual case without a call
        to them: a type text seen before, a time as `iso_time` reads it.
        """
        kind_text = row.get("type")
        code = self.kinds.get(kind_text) if kind_text.__class__ is str else None
        raw_at = row.get("at")
        if code is None or raw_at.__class__ is not str:
            code, at = self._head(row)
        else:
            at = iso_time(raw_at)
            if at is None:
                at = time_of(raw_at)
        warnings = record = None
        if code < 0:
            kind = UNDECLARED
        elif at > self.now:
            kind = AFTER_NOW
        else:
            kind = code
            getter = self.getters[code]
            if getter is None:
                record = _BARE
            else:
                try:
                    key = getter(row)
                    record = self.typed[code].get(key)
                except (KeyError, TypeError):    # a column missing (JSON), a value no key can be
                    key = None
                if record is None:
                    record, warnings = self._convert(code, row, key, at)
        index = len(self.at)
        self._append_at(at)
        self._append_kind(kind)
        self._append_line(line)
        self._keep_value(record)
        heads = self.heads
        self._append_previous(heads.get(lead_id, -1))
        heads[lead_id] = index
        if warnings:
            self.warnings[index] = warnings
        return warnings

    def _head(self, row: dict) -> tuple:
        """(code, time) of a row whose type text is new, or whose time is not text: `event_head`
        reads it (raising EventProblem), and its type text is remembered."""
        raw = row.get("type")
        kind_text, at = event_head(row)
        code = self.codes.get(kind_text, UNDECLARED)
        if raw.__class__ is str and len(raw) <= 256 and len(self.kinds) < CACHE_LIMIT:
            self.kinds[raw] = code
        return code, at

    def _convert(self, code: int, row: dict, key, at: int) -> tuple:
        """(typed attributes, warnings or None) of a row of type `code`; remembered by `key`
        (the getter's raw texts) when every raw value is text and all converted."""
        warnings, found = None, []
        get = row.get
        for column, known, convert, name, type_ in self.plans[code]:
            raw = get(column)
            if raw.__class__ is str:
                value = known.get(raw, _UNSEEN)
                if value is _UNSEEN:
                    value = convert(raw)
                    if len(known) < CACHE_LIMIT:
                        known[raw] = value
            else:
                value = convert(raw) if raw is not None else None
            if value is v.BAD:
                warnings = warnings or []
                warnings.append(f"event `{self.names[code]}` at {v.format_time(at)}: attribute `{name}`: "
                                f"cannot read {describe_raw(raw)!r} as {type_}")
                value = None
            found.append(value)
        typed = self.typed[code]
        if warnings is None and key is not None and len(typed) < CACHE_LIMIT and (
                key.__class__ is str if key.__class__ is not tuple else all(k.__class__ is str for k in key)):
            record = typed[key] = _pair(self.layouts[code], found)
            return record, None
        return _Values(found), warnings

    def drop_last(self, lead_id: str) -> None:
        """Forget the event just added (a strict run rejected it)."""
        index = len(self.at) - 1
        previous = self.previous[index]
        if previous < 0:
            del self.heads[lead_id]
        else:
            self.heads[lead_id] = previous
        for column in (self.at, self.kind, self.line, self.previous, self.values):
            column.pop()
        self.warnings.pop(index, None)

    # ---- reading --------------------------------------------------------------------

    def chain(self, head: int) -> list:
        """The store positions of a chain (ending at `head`, -1 for none), in file order."""
        positions = []
        previous = self.previous
        while head >= 0:
            positions.append(head)
            head = previous[head]
        positions.reverse()
        return positions

    def claim(self, lead_id: str) -> int:
        """Take a lead's chain out of the index: its last event, or -1 if it has none.

        What is still indexed at the end belongs to no scored lead (`leftover`).
        """
        return self.heads.pop(lead_id, -1)

    def peek(self, lead_id: str) -> list:
        """A lead's usable events, leaving them held: nothing is counted or removed."""
        return self.read(self.heads.get(lead_id, -1))

    def usable_lines(self, lead_id: str) -> list:
        """The lines of a lead's usable events, in file order: those `take` gives, line for event."""
        kinds, lines = self.kind, self.line
        return [lines[index] for index in self.chain(self.heads.get(lead_id, -1)) if kinds[index] >= 0]

    def take(self, lead_id: str, counts, warnings: list) -> list:
        """A lead's usable events (typed, file order), claimed and counted (`use`)."""
        return self.use(self.claim(lead_id), counts, warnings)

    def use(self, head: int, counts, warnings: list) -> list:
        """The usable events of a claimed chain, for the lead it belongs to.

        Used and ignored events are counted in `counts`, and the attribute
        warnings of the used ones are appended to `warnings`; call it once
        per chain.
        """
        kinds, ats, values, previous, names = self.kind, self.at, self.values, self.previous, self.names
        noted = self.warnings
        events = []
        append = events.append
        ignored = after_now = 0
        pending = None                   # events with attribute warnings, last first
        # the chain walked from its last event, the list reversed at the end
        while head >= 0:
            index, head = head, previous[head]
            kind = kinds[index]
            if kind < 0:
                if kind == UNDECLARED:
                    ignored += 1
                else:
                    after_now += 1
                continue
            if noted and index in noted:
                pending = pending or []
                pending.append(index)
            record = values[index]
            if record.__class__ is _Values:
                record = _pair(self.layouts[kind], record)
            event = _new(Event)
            event.type, event.at, event._content = names[kind], ats[index], None
            event.values, event.stripped = record
            append(event)
        events.reverse()
        if pending:
            for index in reversed(pending):      # in file order
                warnings.extend(noted.pop(index))
        if ignored:
            counts.events_undeclared += ignored
        if after_now:
            counts.events_after_now += after_now
        counts.events_used += len(events)
        return events

    def read(self, head: int) -> list:
        """The usable events of a chain, in file order, typed when first read (`HeldEvent`).

        Nothing is counted: this is for reading another lead's events, or a
        lead's events before it is scored.
        """
        kinds, ats, names = self.kind, self.at, self.names
        return [HeldEvent(names[kind], ats[index], self, index)
                for index in self.chain(head) if (kind := kinds[index]) >= 0]

    def read_at(self, positions) -> list:
        """`HeldEvent`s of the events at these store positions, in that order."""
        kinds, ats, names = self.kind, self.at, self.names
        return [HeldEvent(names[kinds[index]], ats[index], self, index) for index in positions]

    def leftover(self) -> dict[int, str]:
        """Line → lead id of every event still indexed: their leads were never scored."""
        found = {}
        for lead_id, head in self.heads.items():
            for index in self.chain(head):
                found[self.line[index]] = lead_id
        return found

    def release(self, lead_id: str) -> list[int]:
        """Forget a lead's events (its row was rejected); return their lines."""
        return [self.line[index] for index in self.chain(self.claim(lead_id))]


def _reader(readers: dict, type_: str) -> tuple:
    """(remembered raw texts, convert) for an attribute type, shared by every attribute of it.

    `convert` gives what the store keeps: None, `values.BAD`, a number or
    time, or for text the (folded, stripped) pair, each equal value once.
    """
    if type_ not in readers:
        plain, pool, is_text = converter(type_), {}, type_ == TEXT

        def convert(raw):
            value = plain(raw)
            if value is None or value is v.BAD:
                return value
            if is_text:
                value = (value.casefold(), value)
            # zeros are not pooled, so 0.0 and -0.0 stay apart
            return pool.setdefault(value, value) if value else value
        readers[type_] = ({}, convert)
    return readers[type_]


def _getter(attributes: tuple):
    """`row → key` of a type's raw attribute values (a tuple, the value itself for one
    attribute); None for a type without attributes. Raises KeyError for a row without
    one of the columns (a JSON row may leave one out)."""
    if not attributes:
        return None
    return operator.itemgetter(*(a.column for a in attributes))


class _Values(tuple):
    """An event's typed attribute values, in declaration order (text as the pair folded,
    stripped), kept instead of its dicts when they are not shared (`EventStore`)."""

    __slots__ = ()


def _pair(layout: tuple, found) -> tuple:
    """(folded, stripped): an event's attribute dicts from its typed values (`_Values`)."""
    folded, stripped = {}, {}
    for (attribute, is_text), value in zip(layout, found):
        if is_text and value is not None:
            folded[attribute], stripped[attribute] = value
        else:
            folded[attribute] = value
    return folded, stripped if stripped else _NONE


#: the attribute dicts of a type without attributes, and the stripped dict of an event
#: without text: shared by every such event (read, never written)
_NONE: dict = {}
_BARE = (_NONE, _NONE)
_new = object.__new__


_VALUES, _STRIPPED = Event.values, Event.stripped    # the slots a HeldEvent fills when typed


class HeldEvent(Event):
    """An event from the store whose attributes are typed only when first read.

    The events of an account's leads are built each time the account is
    (`Batch.score_held`), and account rules mostly look only at their time
    and type (`count(page_view within 30d)`); typing the attributes of just
    the ones a rule reads makes building an account cheap. It reads like
    any `Event`; `index` is its place in the store.
    """

    __slots__ = ("index", "store")

    def __init__(self, type, at, store, index):
        self.type = type
        self.at = at
        self._content = None
        self.store = store           # None once typed
        self.index = index

    def _typed(self) -> None:
        store, index = self.store, self.index
        record = store.values[index]
        folded, stripped = _pair(store.layouts[store.kind[index]], record) if record.__class__ is _Values else record
        _VALUES.__set__(self, folded)
        _STRIPPED.__set__(self, stripped)
        self.store = None

    @property
    def values(self) -> dict:
        if self.store is not None:
            self._typed()
        return _VALUES.__get__(self)

    @property
    def stripped(self) -> dict:
        if self.store is not None:
            self._typed()
        return _STRIPPED.__get__(self)


class HeldLeads:
    """The leads of an account model, held compactly from reading to scoring.

    A lead is one tuple: the typed value of every field (folded, for text),
    then the stripped text of every text field (None when unknown), as
    `LeadReader.read` made them; `lead(position)` gives the `Lead` back.
    Equal values are stored once, except in a field whose values are nearly
    all distinct (an e-mail address), where the pool would only cost. The
    raw row is kept only when asked for (`keep_raw`), as its values.

    Accounts are numbered in the order their first lead comes; each lead
    knows its account and the next lead of it (`next`, -1 after the last).
    """

    POOL_CHECK = 1 << 14

    def __init__(self, fields: tuple, keep_raw: bool):
        self.names = tuple(f.name for f in fields)
        self.text_names = tuple(f.name for f in fields if f.type == TEXT)
        self.pools: list = [{} for _ in range(len(self.names) + len(self.text_names))]
        self.ids: list[str] = []
        self.lines = array("q")
        self.rows: list[tuple] = []
        self.heads = array("q")          # the lead's claimed events (EventStore.claim)
        self.account = array("q")        # its account, -1 for none
        self.next = array("q")
        self.warnings: dict[int, list] = {}
        self.inline: dict[int, list] = {}  # typed inline events (JSON leads)
        self.raw: list | None = [] if keep_raw else None
        self.raw_keys: dict[tuple, tuple] = {}
        self.keys: list = []             # account → its key
        self.first = array("q")          # account → its first lead
        self.last = array("q")           # account → its last lead so far
        self.size = array("q")           # account → how many leads it has
        self.numbers: dict = {}          # key → account

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, lead: Lead, key, head: int, inline: list) -> None:
        position = len(self.ids)
        self.ids.append(lead.id)
        self.lines.append(lead.line)
        self.rows.append(self.pack(lead))
        self.heads.append(head)
        self.next.append(-1)
        if lead.warnings:
            self.warnings[position] = lead.warnings
        if inline:
            self.inline[position] = inline
        if self.raw is not None:
            names = tuple(lead.raw)
            self.raw.append((self.raw_keys.setdefault(names, names), tuple(lead.raw.values())))
        self.account.append(-1 if key is None else self.join(key, position))
        if position % self.POOL_CHECK == self.POOL_CHECK - 1:
            self.drop_distinct_pools(position + 1)

    def join(self, key, position: int) -> int:
        """Add the lead at `position` to the account of `key`; return the account."""
        number = self.numbers.get(key)
        if number is None:
            number = self.numbers[key] = len(self.keys)
            self.keys.append(key)
            self.first.append(position)
            self.last.append(position)
            self.size.append(1)
        else:
            self.next[self.last[number]] = position
            self.last[number] = position
            self.size[number] += 1
        return number

    def pack(self, lead: Lead) -> tuple:
        stripped = lead.stripped
        row = [*lead.values.values(), *[stripped.get(name) for name in self.text_names]]
        for k, pool in enumerate(self.pools):
            value = row[k]
            # falsy values are not pooled, so 0.0 and -0.0 stay apart
            if pool is not None and value:
                row[k] = pool.setdefault(value, value)
        return tuple(row)

    def drop_distinct_pools(self, leads: int) -> None:
        for k, pool in enumerate(self.pools):
            if pool is not None and len(pool) > leads // 2:
                self.pools[k] = None

    def lead(self, position: int, *, member: bool = False) -> Lead:
        """The lead at `position`; a `member` (another lead of an account) without warnings or raw row."""
        row = self.rows[position]
        values = dict(zip(self.names, row))
        stripped = {name: text for name, text in zip(self.text_names, row[len(self.names):])
                    if text is not None}
        raw, warnings = None, []
        if not member:
            warnings = list(self.warnings.get(position, ()))
            if self.raw is not None:
                names, raw_values = self.raw[position]
                raw = dict(zip(names, raw_values))
        return Lead(self.ids[position], values, stripped, raw, warnings, line=self.lines[position])

    def members(self, account: int) -> list[int]:
        """The positions of an account's leads, in input order."""
        found = []
        position = self.first[account]
        while position >= 0:
            found.append(position)
            position = self.next[position]
        return found
