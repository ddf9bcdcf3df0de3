import { parseSecretKeys } from '@lumay/shared';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');
const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection URL');
const pem = (kind: string) => z.string().includes('-----BEGIN', { message: `must be a PEM-encoded ${kind}` });
/** The KEK keyring: `1:<base64 32 bytes>,2:<…>`, highest version primary. Messages never echo key material. */
const secretsKeys = z
  .string({ error: 'required: key-encryption keys as <version>:<base64 of 32 bytes>[,<version>:<…>]' })
  .superRefine((value, context) => {
    try {
      parseSecretKeys(value);
    } catch (error) {
      context.addIssue({
        code: 'custom',
        message: `must be <version>:<base64 of 32 bytes>[,…]: ${error instanceof Error ? error.message : 'invalid'}`,
      });
    }
  });

/** Settings every target of the management API shares. */
const common = {
  JWT_ISSUER: z.string().min(1).default('lumay'),
  JWT_AUDIENCE: z.string().min(1).default('lumay-api'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(3600).max(7_776_000).default(2_592_000),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(1024 * 1024),
  TRUST_PROXY: bool(false),
};

/** `npm start`: one process, PGlite (or DATABASE_URL), in-memory cache and bus, seeded demo tenant. */
export const embeddedConfigSchema = z.object({
  ...common,
  PORT: port(8080),
  VOICE_PORT: port(8001),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: postgresUrl.optional(),
  LUMAY_DATA_DIR: z.string().min(1).default('./.lumay'),
  LUMAY_ADMIN_EMAIL: z.string().email('must be an email address').default('admin@lumay.local'),
  LUMAY_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  LUMAY_DEMO_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  JWT_PRIVATE_KEY: pem('PKCS#8 ES256 private key').optional(),
  JWT_PUBLIC_KEY: pem('SPKI ES256 public key').optional(),
  /** Optional here: generated into LUMAY_DATA_DIR on first start. */
  LUMAY_SECRETS_KEYS: secretsKeys.optional(),
  ALLOW_PRIVATE_MODEL_ENDPOINTS: bool(true),
});
export type EmbeddedConfig = z.output<typeof embeddedConfigSchema>;

/** `npm run start:node`: the on-prem target; every external service is explicit. */
export const nodeConfigSchema = z.object({
  ...common,
  PORT: port(8080),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: postgresUrl,
  MIGRATION_DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
  RUN_MIGRATIONS: bool(true),
  JWT_PRIVATE_KEY: pem('PKCS#8 ES256 private key'),
  JWT_PUBLIC_KEY: pem('SPKI ES256 public key'),
  LUMAY_ADMIN_EMAIL: z.string().email('must be an email address').optional(),
  LUMAY_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(15_000),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
  AMQP_URL: z.string().regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL'),
  CACHE_TIMEOUT_MS: z.coerce.number().int().min(5).max(5000).default(50),
  LOCAL_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(300).default(5),
  OUTBOX_RELAY_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  LUMAY_SECRETS_KEYS: secretsKeys,
  ALLOW_PRIVATE_MODEL_ENDPOINTS: bool(true),
});
export type NodeConfig = z.output<typeof nodeConfigSchema>;

/**
 * The edge target (Cloudflare Workers): read from the Worker's vars and secrets on the first request of
 * an isolate. DATABASE_URL is filled from the `HYPERDRIVE` binding when one is bound. A Worker cannot
 * exit, so a bad setting answers 503 naming the variable instead of stopping start-up.
 */
export const edgeConfigSchema = z
  .object({
    ...common,
    DATABASE_URL: z
      .string({ error: 'required: a postgres:// connection URL, or bind a Hyperdrive config as HYPERDRIVE' })
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection URL'),
    /** Workers allow six concurrent outbound connections per request; keep one spare. */
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(5).default(5),
    JWT_PRIVATE_KEY: z
      .string({ error: 'required: a PEM-encoded PKCS#8 ES256 private key (a Worker secret)' })
      .includes('-----BEGIN', { message: 'must be a PEM-encoded PKCS#8 ES256 private key' }),
    JWT_PUBLIC_KEY: z
      .string({ error: 'required: a PEM-encoded SPKI ES256 public key' })
      .includes('-----BEGIN', { message: 'must be a PEM-encoded SPKI ES256 public key' }),
    UPSTASH_REDIS_REST_URL: z.string().url('must be an https:// URL').optional(),
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
    CACHE_TIMEOUT_MS: z.coerce.number().int().min(5).max(5000).default(50),
    LOCAL_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(300).default(5),
    OUTBOX_RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(100),
    /** A Worker secret. */
    LUMAY_SECRETS_KEYS: secretsKeys,
    /** Model endpoints must be public: a Worker serves many tenants from a shared network. */
    ALLOW_PRIVATE_MODEL_ENDPOINTS: bool(false),
  })
  .superRefine((config, context) => {
    if (Boolean(config.UPSTASH_REDIS_REST_URL) !== Boolean(config.UPSTASH_REDIS_REST_TOKEN)) {
      const missing = config.UPSTASH_REDIS_REST_URL ? 'UPSTASH_REDIS_REST_TOKEN' : 'UPSTASH_REDIS_REST_URL';
      context.addIssue({
        code: 'custom',
        path: [missing],
        message: 'required when the other UPSTASH_REDIS_REST_* setting is set',
      });
    }
  });
export type EdgeConfig = z.output<typeof edgeConfigSchema>;
