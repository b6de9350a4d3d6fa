-- The leads relation the scoring query reads (INTERFACE.md §3): one row per
-- lead, the id and one column per field of examples/b2b.score, as text,
-- under the exact names the query quotes ("id", "Number of Employees").
-- Map your export's columns here; a field your export lacks must still be a
-- column: `cast(null as varchar) as "phone"`.
select
    cast("id" as varchar)                  as "id",
    cast("email" as varchar)               as "email",
    cast("title" as varchar)               as "title",
    cast("job_level" as varchar)           as "job_level",
    cast("department" as varchar)          as "department",
    cast("Number of Employees" as varchar) as "Number of Employees",
    cast("country" as varchar)             as "country",
    cast("phone" as varchar)               as "phone",
    cast("Email Opt Out" as varchar)       as "Email Opt Out",
    cast("signed_up" as varchar)           as "signed_up",
    cast("last_login" as varchar)          as "last_login"
from {{ source('crm', 'b2b_leads') }}
