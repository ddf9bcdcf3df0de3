CREATE TABLE "call_status_events" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"call_id" text NOT NULL,
	"sequence_number" integer NOT NULL,
	"status" text NOT NULL,
	"duration_seconds" integer,
	"answered_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calls" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"conversation_id" text,
	"phone_number_id" text,
	"campaign_id" text,
	"campaign_contact_id" text,
	"direction" text NOT NULL,
	"from_number" text NOT NULL,
	"to_number" text NOT NULL,
	"twilio_call_sid" text,
	"status" text DEFAULT 'requested' NOT NULL,
	"answered_by" text,
	"stream_token_hash" text,
	"stream_token_expires_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"duration_seconds" integer,
	"end_reason" text,
	"transfer_to" text,
	"summary" text,
	"turns" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaign_contacts" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"campaign_id" text NOT NULL,
	"phone" text NOT NULL,
	"name" text,
	"variables" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"last_call_id" text,
	"last_result" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"name" text NOT NULL,
	"from_number" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"window" jsonb NOT NULL,
	"pacing" jsonb NOT NULL,
	"retry" jsonb NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "phone_numbers" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"number" text NOT NULL,
	"agent_id" text NOT NULL,
	"mode" text DEFAULT 'media_stream' NOT NULL,
	"label" text,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "call_status_events" ADD CONSTRAINT "call_status_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_status_events" ADD CONSTRAINT "call_status_events_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calls" ADD CONSTRAINT "calls_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_contacts" ADD CONSTRAINT "campaign_contacts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_contacts" ADD CONSTRAINT "campaign_contacts_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "phone_numbers" ADD CONSTRAINT "phone_numbers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "call_status_events_key" ON "call_status_events" USING btree ("tenant_id","call_id","sequence_number","status");--> statement-breakpoint
CREATE UNIQUE INDEX "calls_twilio_call_sid_key" ON "calls" USING btree ("twilio_call_sid");--> statement-breakpoint
CREATE INDEX "calls_tenant_idx" ON "calls" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "calls_tenant_status_idx" ON "calls" USING btree ("tenant_id","status","id");--> statement-breakpoint
CREATE INDEX "calls_tenant_agent_idx" ON "calls" USING btree ("tenant_id","agent_id","id");--> statement-breakpoint
CREATE INDEX "calls_campaign_idx" ON "calls" USING btree ("tenant_id","campaign_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_contacts_phone_key" ON "campaign_contacts" USING btree ("tenant_id","campaign_id","phone");--> statement-breakpoint
CREATE INDEX "campaign_contacts_due_idx" ON "campaign_contacts" USING btree ("tenant_id","campaign_id","status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "campaign_contacts_list_idx" ON "campaign_contacts" USING btree ("tenant_id","campaign_id","id");--> statement-breakpoint
CREATE INDEX "campaigns_tenant_idx" ON "campaigns" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "campaigns_tenant_status_idx" ON "campaigns" USING btree ("tenant_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "phone_numbers_number_key" ON "phone_numbers" USING btree ("number");--> statement-breakpoint
CREATE INDEX "phone_numbers_tenant_idx" ON "phone_numbers" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "phone_numbers_tenant_agent_idx" ON "phone_numbers" USING btree ("tenant_id","agent_id");
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON phone_numbers, calls, campaigns, campaign_contacts TO lumay_app;
--> statement-breakpoint
-- Applied status callbacks are append-only for the application.
GRANT SELECT, INSERT ON call_status_events TO lumay_app;
--> statement-breakpoint
ALTER TABLE phone_numbers ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE phone_numbers FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY phone_numbers_tenant_access ON phone_numbers AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY phone_numbers_tenant_guard ON phone_numbers AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
ALTER TABLE calls ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE calls FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY calls_tenant_access ON calls AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY calls_tenant_guard ON calls AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
ALTER TABLE call_status_events ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE call_status_events FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY call_status_events_tenant_access ON call_status_events AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY call_status_events_tenant_guard ON call_status_events AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
ALTER TABLE campaigns ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE campaigns FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY campaigns_tenant_access ON campaigns AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY campaigns_tenant_guard ON campaigns AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
ALTER TABLE campaign_contacts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE campaign_contacts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY campaign_contacts_tenant_access ON campaign_contacts AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY campaign_contacts_tenant_guard ON campaign_contacts AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
-- Twilio reaches the voice node before anyone knows the tenant: the called number (inbound) or the
-- CallSid (status callbacks) names it. SECURITY DEFINER functions owned by lumay_router (NOLOGIN,
-- NOBYPASSRLS) answer exactly that routing question; lumay_router may read only the routing columns
-- (column grants) of active numbers of active tenants and calls with a CallSid (its own policies), and
-- the application may call the functions but still cannot read other tenants' rows itself.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lumay_router') THEN
    CREATE ROLE lumay_router NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
--> statement-breakpoint
-- Needed to hand the functions to lumay_router when the migrating owner is not a superuser.
GRANT lumay_router TO CURRENT_USER;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO lumay_router;
--> statement-breakpoint
GRANT USAGE, CREATE ON SCHEMA lumay_private TO lumay_router;
--> statement-breakpoint
GRANT SELECT (id, status) ON tenants TO lumay_router;
--> statement-breakpoint
GRANT SELECT (id, tenant_id, number, agent_id, mode, status) ON phone_numbers TO lumay_router;
--> statement-breakpoint
GRANT SELECT (id, tenant_id, twilio_call_sid) ON calls TO lumay_router;
--> statement-breakpoint
CREATE POLICY tenants_router_lookup ON tenants AS PERMISSIVE FOR SELECT TO lumay_router USING (status = 'active');
--> statement-breakpoint
CREATE POLICY phone_numbers_router_lookup ON phone_numbers AS PERMISSIVE FOR SELECT TO lumay_router USING (status = 'active');
--> statement-breakpoint
CREATE POLICY calls_router_lookup ON calls AS PERMISSIVE FOR SELECT TO lumay_router USING (twilio_call_sid IS NOT NULL);
--> statement-breakpoint
-- An inbound call: which tenant, agent and number (and media mode) the called number routes to.
CREATE FUNCTION lumay_private.voice_route_number(p_number text)
RETURNS TABLE (tenant_id text, agent_id text, phone_number_id text, mode text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT p.tenant_id, p.agent_id, p.id, p.mode
  FROM public.phone_numbers p JOIN public.tenants t ON t.id = p.tenant_id
  WHERE p.number = p_number AND p.status = 'active' AND t.status = 'active'
$$;
--> statement-breakpoint
-- A status callback: which tenant and call a Twilio CallSid belongs to.
CREATE FUNCTION lumay_private.voice_call_by_sid(p_call_sid text)
RETURNS TABLE (tenant_id text, call_id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT c.tenant_id, c.id FROM public.calls c WHERE c.twilio_call_sid = p_call_sid
$$;
--> statement-breakpoint
ALTER FUNCTION lumay_private.voice_route_number(text) OWNER TO lumay_router;
--> statement-breakpoint
REVOKE ALL ON FUNCTION lumay_private.voice_route_number(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION lumay_private.voice_route_number(text) TO lumay_app;
--> statement-breakpoint
ALTER FUNCTION lumay_private.voice_call_by_sid(text) OWNER TO lumay_router;
--> statement-breakpoint
REVOKE ALL ON FUNCTION lumay_private.voice_call_by_sid(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION lumay_private.voice_call_by_sid(text) TO lumay_app;
