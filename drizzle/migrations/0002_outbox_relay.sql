-- The outbox relay reads unsent events of every tenant, which the application role cannot see.
-- SECURITY DEFINER functions owned by lumay_relay (NOLOGIN, NOBYPASSRLS, sees the outbox only)
-- do that narrow job; the application may call them but still cannot read the outbox itself.
-- Claimed rows stay locked (FOR UPDATE SKIP LOCKED) until the caller's transaction ends, so the
-- relay claims, publishes and marks one batch inside one transaction: a concurrent relay skips
-- those rows, and a relay that dies mid-batch simply rolls back and leaves them unsent.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lumay_relay') THEN
    CREATE ROLE lumay_relay NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
--> statement-breakpoint
-- Needed to hand the functions to lumay_relay when the migrating owner is not a superuser.
GRANT lumay_relay TO CURRENT_USER;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO lumay_relay;
--> statement-breakpoint
GRANT USAGE, CREATE ON SCHEMA lumay_private TO lumay_relay;
--> statement-breakpoint
GRANT SELECT, UPDATE ON outbox TO lumay_relay;
--> statement-breakpoint
CREATE POLICY outbox_relay_read ON outbox AS PERMISSIVE FOR SELECT TO lumay_relay USING (true);
--> statement-breakpoint
CREATE POLICY outbox_relay_update ON outbox AS PERMISSIVE FOR UPDATE TO lumay_relay USING (true) WITH CHECK (true);
--> statement-breakpoint
-- Rows that failed before sort after fresh ones, so one poison row never blocks the outbox;
-- otherwise oldest first.
CREATE FUNCTION lumay_private.outbox_claim(p_limit integer)
RETURNS TABLE (id text, tenant_id text, topic text, payload jsonb, created_at timestamptz, attempts integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT o.id, o.tenant_id, o.topic, o.payload, o.created_at, o.attempts
  FROM public.outbox o
  WHERE o.sent_at IS NULL
  ORDER BY o.attempts, o.created_at, o.id
  LIMIT least(greatest(p_limit, 1), 1000)
  FOR UPDATE SKIP LOCKED
$$;
--> statement-breakpoint
CREATE FUNCTION lumay_private.outbox_mark_sent(p_ids text[])
RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  WITH sent AS (
    UPDATE public.outbox o SET sent_at = now(), attempts = o.attempts + 1, last_error = NULL
    WHERE o.id = ANY (p_ids) AND o.sent_at IS NULL
    RETURNING 1
  )
  SELECT count(*)::integer FROM sent
$$;
--> statement-breakpoint
CREATE FUNCTION lumay_private.outbox_record_failure(p_ids text[], p_errors text[])
RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  WITH failed AS (
    UPDATE public.outbox o SET attempts = o.attempts + 1, last_error = left(f.error, 2000)
    FROM unnest(p_ids, p_errors) AS f(id, error)
    WHERE o.id = f.id AND o.sent_at IS NULL
    RETURNING 1
  )
  SELECT count(*)::integer FROM failed
$$;
--> statement-breakpoint
ALTER FUNCTION lumay_private.outbox_claim(integer) OWNER TO lumay_relay;
--> statement-breakpoint
REVOKE ALL ON FUNCTION lumay_private.outbox_claim(integer) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION lumay_private.outbox_claim(integer) TO lumay_app;
--> statement-breakpoint
ALTER FUNCTION lumay_private.outbox_mark_sent(text[]) OWNER TO lumay_relay;
--> statement-breakpoint
REVOKE ALL ON FUNCTION lumay_private.outbox_mark_sent(text[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION lumay_private.outbox_mark_sent(text[]) TO lumay_app;
--> statement-breakpoint
ALTER FUNCTION lumay_private.outbox_record_failure(text[], text[]) OWNER TO lumay_relay;
--> statement-breakpoint
REVOKE ALL ON FUNCTION lumay_private.outbox_record_failure(text[], text[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION lumay_private.outbox_record_failure(text[], text[]) TO lumay_app;
