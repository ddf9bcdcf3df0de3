CREATE TABLE "document_chunks" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"knowledge_base_id" text NOT NULL,
	"document_id" text NOT NULL,
	"ordinal" integer NOT NULL,
	"heading" text,
	"content" text NOT NULL,
	"token_count" integer DEFAULT 0 NOT NULL,
	"embedding_array" real[],
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"knowledge_base_id" text NOT NULL,
	"title" text NOT NULL,
	"source_type" text NOT NULL,
	"source_uri" text,
	"mime_type" text,
	"content_hash" text NOT NULL,
	"byte_size" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"progress" real DEFAULT 0 NOT NULL,
	"chunk_count" integer DEFAULT 0 NOT NULL,
	"error" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "intents" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"examples" text[] DEFAULT '{}' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge_bases" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"embedding" jsonb,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_calls" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"agent_id" text,
	"conversation_id" text,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"operation" text DEFAULT 'generate' NOT NULL,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"latency_ms" integer DEFAULT 0 NOT NULL,
	"cost_usd" numeric(14, 8) DEFAULT '0' NOT NULL,
	"price_version" text NOT NULL,
	"outcome" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_providers" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"provider" text NOT NULL,
	"base_url" text,
	"default_model" text,
	"secret_id" text,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "secrets" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"ciphertext" text NOT NULL,
	"iv" text NOT NULL,
	"wrapped_key" text NOT NULL,
	"wrap_iv" text NOT NULL,
	"kek_version" integer NOT NULL,
	"last_four" text,
	"rotated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "document_chunks" ADD CONSTRAINT "document_chunks_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_chunks" ADD CONSTRAINT "document_chunks_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_knowledge_base_id_knowledge_bases_id_fk" FOREIGN KEY ("knowledge_base_id") REFERENCES "public"."knowledge_bases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "intents" ADD CONSTRAINT "intents_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_bases" ADD CONSTRAINT "knowledge_bases_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_calls" ADD CONSTRAINT "model_calls_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_providers" ADD CONSTRAINT "model_providers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_providers" ADD CONSTRAINT "model_providers_secret_id_secrets_id_fk" FOREIGN KEY ("secret_id") REFERENCES "public"."secrets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secrets" ADD CONSTRAINT "secrets_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "document_chunks_kb_idx" ON "document_chunks" USING btree ("tenant_id","knowledge_base_id");--> statement-breakpoint
CREATE INDEX "document_chunks_document_idx" ON "document_chunks" USING btree ("document_id","ordinal");--> statement-breakpoint
CREATE UNIQUE INDEX "documents_kb_hash_key" ON "documents" USING btree ("tenant_id","knowledge_base_id","content_hash");--> statement-breakpoint
CREATE INDEX "documents_kb_idx" ON "documents" USING btree ("tenant_id","knowledge_base_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "intents_agent_name_key" ON "intents" USING btree ("tenant_id","agent_id","name");--> statement-breakpoint
CREATE INDEX "intents_agent_idx" ON "intents" USING btree ("tenant_id","agent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "knowledge_bases_tenant_name_key" ON "knowledge_bases" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE INDEX "model_calls_tenant_created_idx" ON "model_calls" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "model_calls_agent_idx" ON "model_calls" USING btree ("tenant_id","agent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "model_providers_tenant_name_key" ON "model_providers" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "secrets_tenant_name_key" ON "secrets" USING btree ("tenant_id","name");
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON knowledge_bases, documents, document_chunks, secrets, model_providers, intents TO lumay_app;
--> statement-breakpoint
-- Cost records are append-only for the application.
GRANT SELECT, INSERT ON model_calls TO lumay_app;
--> statement-breakpoint
ALTER TABLE knowledge_bases ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE knowledge_bases FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY knowledge_bases_tenant_access ON knowledge_bases AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY knowledge_bases_tenant_guard ON knowledge_bases AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY documents_tenant_access ON documents AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY documents_tenant_guard ON documents AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
ALTER TABLE document_chunks ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE document_chunks FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY document_chunks_tenant_access ON document_chunks AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY document_chunks_tenant_guard ON document_chunks AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE secrets FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY secrets_tenant_access ON secrets AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY secrets_tenant_guard ON secrets AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
ALTER TABLE model_providers ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE model_providers FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY model_providers_tenant_access ON model_providers AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY model_providers_tenant_guard ON model_providers AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
ALTER TABLE intents ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE intents FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY intents_tenant_access ON intents AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY intents_tenant_guard ON intents AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
ALTER TABLE model_calls ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE model_calls FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY model_calls_tenant_access ON model_calls AS PERMISSIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
CREATE POLICY model_calls_tenant_guard ON model_calls AS RESTRICTIVE FOR ALL TO lumay_app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), ''))) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')));
--> statement-breakpoint
-- Full-text index over heading + content, maintained by Postgres itself.
ALTER TABLE document_chunks ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(heading, '') || ' ' || content)) STORED;
--> statement-breakpoint
CREATE INDEX document_chunks_search_idx ON document_chunks USING gin (search);
--> statement-breakpoint
-- Vector retrieval where pgvector exists (PGlite ships it; managed Postgres has it); servers without it
-- keep lexical retrieval and the portable embedding_array column.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    CREATE EXTENSION IF NOT EXISTS vector;
    ALTER TABLE document_chunks ADD COLUMN IF NOT EXISTS embedding vector;
  END IF;
END $$;
--> statement-breakpoint
-- Users may update only their own identity row; tenant administrators manage memberships, not other
-- people's credentials (a user can belong to several tenants).
DROP POLICY users_update ON users;
--> statement-breakpoint
CREATE POLICY users_update ON users AS PERMISSIVE FOR UPDATE TO lumay_app USING (id = (select nullif(current_setting('app.user_id', true), ''))) WITH CHECK (id = (select nullif(current_setting('app.user_id', true), '')));
