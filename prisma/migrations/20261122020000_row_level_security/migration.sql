-- Row-level security: a second wall between tenants. The application's queries already name the
-- tenant; with these policies a query that forgets to returns nothing instead of another tenant's
-- rows. Written by hand (the schema engine does not diff policies); schema.prisma is unchanged.
--
-- Two roles, taken with SET ROLE by connections of whatever role DATABASE_URL logs in as (see
-- src/db/client.ts), because a superuser, and a table owner unless FORCE is set, bypass policies:
--   docket_app     the application: sees and writes only the rows of the tenant named by the
--                  setting docket.tenant_id (none when unset or empty);
--   docket_system  the few paths that must cross tenants (workers, the platform operator,
--                  sign-in look-ups before the tenant is known): every row.
-- Roles belong to the whole cluster, not this database: created only when missing, and a creation
-- by a concurrent migration of another database on the same server is not an error.
DO $$
DECLARE
  role_name text;
BEGIN
  FOREACH role_name IN ARRAY ARRAY['docket_app', 'docket_system'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS', role_name);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
    -- A superuser may act as any role; anyone else needs the membership to SET ROLE.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
      EXECUTE format('GRANT %I TO %I', role_name, current_user);
    END IF;
  END LOOP;
END
$$;

-- Both roles read and write the tables (the policies decide which rows), now and in the tables
-- later migrations create (default privileges of the role that runs the migrations).
DO $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO docket_app, docket_system', current_schema());
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO docket_app, docket_system', current_schema());
  EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO docket_app, docket_system', current_schema());
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO docket_app, docket_system', current_schema());
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO docket_app, docket_system', current_schema());
END
$$;

-- The wall for one table; a migration that adds a tenant-owned table calls it:
--   SELECT docket_isolate_tenant_table('"NewTable"');
-- (test/row-level-security.test.ts fails for any table with a "tenantId" column left without it).
-- FORCE makes the policies bind the tables' owner too: a data migration run as the owner (not a
-- superuser) that must see every tenant's rows starts with SET LOCAL ROLE docket_system.
CREATE FUNCTION docket_isolate_tenant_table(target regclass, tenant_column name DEFAULT 'tenantId') RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  -- In a sub-select, the setting is read and cast once per statement (an InitPlan), not per row.
  in_scope text := format('%I = (SELECT NULLIF(current_setting(''docket.tenant_id'', true), '''')::uuid)', tenant_column);
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', target);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (%s) WITH CHECK (%s)', target, in_scope, in_scope);
  EXECUTE format('CREATE POLICY system_crosses_tenants ON %s TO docket_system USING (true) WITH CHECK (true)', target);
END
$$;

-- Every table with a tenantId column, whichever migration created it, and the tenants themselves:
-- a tenant's request sees its own Tenant row only.
DO $$
DECLARE
  tenant_owned regclass;
BEGIN
  FOR tenant_owned IN
    SELECT format('%I.%I', c.table_schema, c.table_name)::regclass
      FROM information_schema.columns c
      JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
     WHERE c.table_schema = current_schema() AND c.column_name = 'tenantId'
     ORDER BY c.table_name
  LOOP
    PERFORM docket_isolate_tenant_table(tenant_owned);
  END LOOP;
END
$$;
SELECT docket_isolate_tenant_table('"Tenant"', 'id');

-- Under row-level security PostgreSQL uses a query's own conditions in an index scan only when
-- their functions are LEAKPROOF (else they could see rows the policy hides, through an error
-- message); the full-text match (tsvector @@ tsquery) is not marked so, and search fell from the
-- GIN index to a scan of the tenant's every ticket (1 ms → 250 ms at 100,000 tickets). It raises
-- no error that depends on a row's content: mark it, in this database. Only a superuser may; run
-- by anyone else, search still works, slower, and this says what to run once.
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF;
  ELSE
    RAISE WARNING 'Full-text search cannot use its index under row-level security until a superuser runs, in this database: ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF';
  END IF;
END
$$;
