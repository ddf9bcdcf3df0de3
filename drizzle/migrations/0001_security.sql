-- Row-level security, roles, grants and pre-authentication functions.
-- Roles are cluster-wide: create them once, tolerate a concurrent creator.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lumay_app') THEN
    CREATE ROLE lumay_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
--> statement-breakpoint
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lumay_auth') THEN
    CREATE ROLE lumay_auth NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
--> statement-breakpoint
GRANT lumay_auth TO CURRENT_USER;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO lumay_app, lumay_auth;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON tenants TO lumay_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON users TO lumay_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships, api_keys, refresh_tokens, agents, outbox, processed_events TO lumay_app;
--> statement-breakpoint
-- The audit log is append-only for the application.
GRANT SELECT, INSERT ON audit_log TO lumay_app;
--> statement-breakpoint
GRANT SELECT ON tenants, users, memberships TO lumay_auth;
--> statement-breakpoint
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE agents ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE agents FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE processed_events ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE processed_events FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE users FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY memberships_tenant_access ON memberships AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY memberships_tenant_guard ON memberships AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY api_keys_tenant_access ON api_keys AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY api_keys_tenant_guard ON api_keys AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY refresh_tokens_tenant_access ON refresh_tokens AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY refresh_tokens_tenant_guard ON refresh_tokens AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY agents_tenant_access ON agents AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY agents_tenant_guard ON agents AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY audit_log_tenant_access ON audit_log AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY audit_log_tenant_guard ON audit_log AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY outbox_tenant_access ON outbox AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY outbox_tenant_guard ON outbox AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY processed_events_tenant_access ON processed_events AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY processed_events_tenant_guard ON processed_events AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY tenants_tenant_access ON tenants AS PERMISSIVE FOR ALL TO lumay_app USING (id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY tenants_tenant_guard ON tenants AS RESTRICTIVE FOR ALL TO lumay_app USING (id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
-- A user is visible to itself and to the tenants it belongs to (memberships are tenant-filtered by RLS).
CREATE POLICY users_visible ON users AS PERMISSIVE FOR SELECT TO lumay_app USING (id = (select nullif(current_setting('app.user_id', true), '')) OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id));
--> statement-breakpoint
CREATE POLICY users_update ON users AS PERMISSIVE FOR UPDATE TO lumay_app USING (id = (select nullif(current_setting('app.user_id', true), '')) OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id)) WITH CHECK (id = (select nullif(current_setting('app.user_id', true), '')) OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id));
--> statement-breakpoint
CREATE POLICY users_insert ON users AS PERMISSIVE FOR INSERT TO lumay_app WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY tenants_auth_lookup ON tenants AS PERMISSIVE FOR SELECT TO lumay_auth USING (true);
--> statement-breakpoint
CREATE POLICY users_auth_lookup ON users AS PERMISSIVE FOR SELECT TO lumay_auth USING (true);
--> statement-breakpoint
CREATE POLICY memberships_auth_lookup ON memberships AS PERMISSIVE FOR SELECT TO lumay_auth USING (true);
--> statement-breakpoint
CREATE SCHEMA IF NOT EXISTS lumay_private;
--> statement-breakpoint
REVOKE ALL ON SCHEMA lumay_private FROM PUBLIC;
--> statement-breakpoint
GRANT USAGE ON SCHEMA lumay_private TO lumay_app;
--> statement-breakpoint
GRANT USAGE, CREATE ON SCHEMA lumay_private TO lumay_auth;
--> statement-breakpoint
-- Pre-authentication lookups run as lumay_auth (read-only, no BYPASSRLS) through SECURITY DEFINER
-- functions with a pinned search_path; the application can call them but cannot read those rows itself.
CREATE FUNCTION lumay_private.login_lookup(p_email text)
RETURNS TABLE (user_id text, password_hash text, is_platform_admin boolean, disabled boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT u.id, u.password_hash, u.is_platform_admin, u.disabled_at IS NOT NULL
  FROM public.users u WHERE u.email = lower(p_email)
$$;
--> statement-breakpoint
CREATE FUNCTION lumay_private.user_tenants(p_user_id text)
RETURNS TABLE (tenant_id text, role text, tenant_name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT m.tenant_id, m.role, t.name
  FROM public.memberships m JOIN public.tenants t ON t.id = m.tenant_id
  WHERE m.user_id = p_user_id AND t.status = 'active'
  ORDER BY m.created_at
$$;
--> statement-breakpoint
CREATE FUNCTION lumay_private.user_id_by_email(p_email text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT u.id FROM public.users u WHERE u.email = lower(p_email)
$$;
--> statement-breakpoint
-- Cross-tenant listing for platform operators; refuses unless app.user_id is a platform admin.
CREATE FUNCTION lumay_private.platform_tenants(p_limit integer, p_after text)
RETURNS TABLE (id text, name text, status text, created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT t.id, t.name, t.status, t.created_at FROM public.tenants t
  WHERE EXISTS (
    SELECT 1 FROM public.users u
    WHERE u.id = nullif(current_setting('app.user_id', true), '') AND u.is_platform_admin
  )
  AND (p_after IS NULL OR t.id > p_after)
  ORDER BY t.id LIMIT least(greatest(p_limit, 1), 200)
$$;
--> statement-breakpoint
ALTER FUNCTION lumay_private.login_lookup(text) OWNER TO lumay_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION lumay_private.login_lookup(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION lumay_private.login_lookup(text) TO lumay_app;
--> statement-breakpoint
ALTER FUNCTION lumay_private.user_tenants(text) OWNER TO lumay_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION lumay_private.user_tenants(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION lumay_private.user_tenants(text) TO lumay_app;
--> statement-breakpoint
ALTER FUNCTION lumay_private.user_id_by_email(text) OWNER TO lumay_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION lumay_private.user_id_by_email(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION lumay_private.user_id_by_email(text) TO lumay_app;
--> statement-breakpoint
ALTER FUNCTION lumay_private.platform_tenants(integer, text) OWNER TO lumay_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION lumay_private.platform_tenants(integer, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION lumay_private.platform_tenants(integer, text) TO lumay_app;
--> statement-breakpoint
-- The application role can never make anyone a platform administrator; only the owner can (bootstrap).
CREATE FUNCTION lumay_private.guard_platform_admin() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF current_user = 'lumay_app' AND NEW.is_platform_admin
     AND (TG_OP = 'INSERT' OR NOT OLD.is_platform_admin) THEN
    RAISE EXCEPTION 'only the platform owner can grant platform administration' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER users_guard_platform_admin BEFORE INSERT OR UPDATE ON users
FOR EACH ROW EXECUTE FUNCTION lumay_private.guard_platform_admin();
