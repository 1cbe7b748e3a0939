-- The tenant policy compares the tenant column with the setting itself, no longer with a
-- sub-select of it. The sub-select made PostgreSQL read the setting once per statement (an
-- InitPlan), but it cost each statement two more plan nodes per table to set up and tear down
-- on every execution, prepared or not: GET /v1/tickets/{id}'s statement (Ticket, ReadMarker and
-- Comment) spent 21 µs more of PostgreSQL's CPU under the policies than without them, about half
-- as much again. Written plainly, the setting joins the query's own `"tenantId" = $1` as one
-- equivalence, which the planner checks once per statement (a one-time filter) and which leaves
-- the index condition `"tenantId" = $1`: the same statement now costs 2–5 µs more.
-- The setting is read per row only by a query that forgets to name its tenant (the mistake this
-- wall is for): about 0.35 µs a row, where the sub-select cost nothing more per row.
CREATE OR REPLACE FUNCTION docket_isolate_tenant_table(target regclass, tenant_column name DEFAULT 'tenantId') RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  in_scope text := format('%I = NULLIF(current_setting(''docket.tenant_id'', true), '''')::uuid', tenant_column);
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', target);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (%s) WITH CHECK (%s)', target, in_scope, in_scope);
  EXECUTE format('CREATE POLICY system_crosses_tenants ON %s TO docket_system USING (true) WITH CHECK (true)', target);
END
$$;

-- Every table that has the policy: its tenant column is "tenantId", or id for the tenants themselves.
DO $$
DECLARE
  isolated record;
  in_scope text;
BEGIN
  FOR isolated IN
    SELECT p.polrelid::regclass AS target,
           CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = p.polrelid AND a.attname = 'tenantId' AND NOT a.attisdropped)
                THEN 'tenantId'::name ELSE 'id'::name END AS tenant_column
      FROM pg_policy p
     WHERE p.polname = 'tenant_isolation'
  LOOP
    in_scope := format('%I = NULLIF(current_setting(''docket.tenant_id'', true), '''')::uuid', isolated.tenant_column);
    EXECUTE format('ALTER POLICY tenant_isolation ON %s USING (%s) WITH CHECK (%s)', isolated.target, in_scope, in_scope);
  END LOOP;
END
$$;
