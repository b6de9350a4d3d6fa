"""The store's tables, and its schema version with the upgrades that reach it (LIVE.md §2).

Every raw value (lead fields, event rows) is kept as JSON text, not as a
JSON column type: the text read back is what was written, NaN included,
on SQLite and PostgreSQL alike. Times are ISO-8601 text in UTC.

`meta` holds `schema_version`. Opening a store runs the upgrades from its
version to `SCHEMA_VERSION` in one transaction; a store written by a newer
leadscore (a version above ours) is refused, since we cannot know what its
tables mean.
"""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Index, Integer, MetaData, Table, Text,
                        UniqueConstraint, inspect, select, text)

SCHEMA_VERSION = 2

metadata = MetaData()

meta = Table(
    "meta", metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

models = Table(
    "models", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("version", Text),
    Column("hash", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("base_dir", Text, nullable=False),      # where its `list … from` files are read
    Column("created_at", Text, nullable=False),
)

leads = Table(
    "leads", metadata,
    Column("lead_id", Text, primary_key=True),
    Column("fields", Text),                         # raw JSON object; NULL: known only by its events
    Column("has_events", Boolean, nullable=False, default=False),
    Column("account_key", Text),                    # the active model's, for finding account mates
    Column("result", Text),                         # the active model's JSON line at `result_now`
    Column("result_now", Text),
    Column("shadow_account_key", Text),
    Column("shadow_result", Text),
    Index("leads_account", "account_key"),
    Index("leads_shadow_account", "shadow_account_key"),
)

events = Table(
    "events", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Text, nullable=False),
    Column("lead_id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("data", Text, nullable=False),           # the raw row, JSON
    Column("accepted_at", Text, nullable=False),
    UniqueConstraint("event_id", name="events_event_id"),
    Index("events_lead", "lead_id", "seq"),
)

history = Table(
    "history", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("lead_id", Text, nullable=False),
    Column("at", Text, nullable=False),
    Column("cause", Text, nullable=False),          # JSON: {"kind": ..., ...}
    Column("score_before", Float),
    Column("score_after", Float),
    Column("tier_before", Text),
    Column("tier_after", Text),
    Column("entered", Text, nullable=False),        # JSON list of stages
    Column("left", Text, nullable=False),
    Column("transition", Boolean, nullable=False),
    Column("model_hash", Text),
    Index("history_lead", "lead_id", "seq"),
    Index("history_transition", "transition", "seq"),
)

outbox = Table(
    "outbox", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("history_seq", Integer, ForeignKey("history.seq"), nullable=False),
    Column("lead_id", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("delivered_at", Text),
    Column("next_at", Float),                       # wall-clock epoch seconds: not tried before (the service)
    Column("last_error", Text),
)


class SchemaError(Exception):
    """A store this leadscore cannot use."""


#: version → the function that brings a store at that version to the next one
UPGRADES: dict = {}


def upgrade(connection) -> int:
    """Create the tables of a new store, or bring an older one to SCHEMA_VERSION; the version found."""
    names = set(inspect(connection).get_table_names())
    if "meta" not in names:
        if names & {"leads", "events"}:
            raise SchemaError("the database has leadscore-like tables but no `meta` table: not a leadscore store")
        metadata.create_all(connection)
        connection.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
        return 0
    found = version_of(connection)
    if found > SCHEMA_VERSION:
        raise SchemaError(f"the store has schema version {found}, newer than this leadscore knows "
                          f"({SCHEMA_VERSION}): upgrade leadscore to use it")
    for version in range(found, SCHEMA_VERSION):
        UPGRADES[version](connection)
        connection.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(version + 1)))
    build_deferred(connection)         # a bulk load cut short left them out
    return found


#: indexes a bulk load into a new store builds after its rows are in (`Store.loading`): events
#: arrive in any lead order, and inserting each into the index by lead costs more than sorting
#: them once (the unique index on event ids stays: it finds duplicates)
DEFERRED = tuple(events.indexes)


def drop_deferred(connection) -> None:
    for index in DEFERRED:
        index.drop(connection, checkfirst=True)


def build_deferred(connection) -> None:
    for index in DEFERRED:
        index.create(connection, checkfirst=True)


def version_of(connection) -> int:
    value = connection.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SchemaError(f"the store's schema version {value!r} is not a number") from None


def _from_v0(connection) -> None:
    """Version 0, the layout before the shadow model: leads had no shadow columns."""
    connection.execute(text("ALTER TABLE leads ADD COLUMN shadow_account_key TEXT"))
    connection.execute(text("ALTER TABLE leads ADD COLUMN shadow_result TEXT"))
    connection.execute(text("CREATE INDEX leads_shadow_account ON leads (shadow_account_key)"))


def _from_v1(connection) -> None:
    """Version 1, before the service delivered the outbox: no retry time, no last error."""
    present = {column["name"] for column in inspect(connection).get_columns("outbox")}
    for name, kind in (("next_at", "FLOAT"), ("last_error", "TEXT")):
        if name not in present:
            connection.execute(text(f"ALTER TABLE outbox ADD COLUMN {name} {kind}"))


UPGRADES[0] = _from_v0
UPGRADES[1] = _from_v1
