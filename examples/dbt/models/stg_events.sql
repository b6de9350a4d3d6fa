-- The events relation the scoring query reads (INTERFACE.md §4): one row per
-- event, the lead id, `type`, `at` and every attribute column of the events
-- examples/b2b.score declares, as text, under the exact (quoted) names.
-- `at` must be ISO-8601 text (2026-07-06T09:10:43Z). For a TIMESTAMP column,
-- convert it, e.g. to_varchar("at", 'YYYY-MM-DD"T"HH24:MI:SS.FF6TZH:TZM'):
-- a plain cast writes a space before the offset, which is not ISO-8601.
select
    cast("lead_id" as varchar)  as "lead_id",
    cast("type" as varchar)     as "type",
    cast("at" as varchar)       as "at",
    cast("url" as varchar)      as "url",
    cast("seconds" as varchar)  as "seconds",
    cast("campaign" as varchar) as "campaign",
    cast("form" as varchar)     as "form",
    cast("webinar" as varchar)  as "webinar"
from {{ source('crm', 'b2b_events') }}
