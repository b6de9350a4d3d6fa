{#- The statement that pins the session's time zone to UTC (docs/sql.md, "now"): dates, and
    times without an offset, are UTC in the language, and the query reads them in the
    session's zone. BigQuery reads them as UTC already. -#}
{% macro utc_session() -%}
  {%- if target.type == 'snowflake' -%}
    alter session set timezone = 'UTC'
  {%- elif target.type in ('duckdb', 'postgres') -%}
    set timezone = 'UTC'
  {%- elif target.type in ('spark', 'databricks') -%}
    set spark.sql.session.timeZone = UTC
  {%- endif -%}
{%- endmacro %}
