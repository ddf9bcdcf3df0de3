import {
  ConfigError,
  createCoreServices,
  createMemoryCache,
  createPostgresDatabase,
  createSecretKeyring,
  parseConfig,
} from '@lumay/shared';
import { createRabbitMqBus } from '@lumay/shared/node';
import { z } from 'zod';
import { voiceConfigSchema } from './config.ts';
import { startVoiceRuntime } from './runtime.ts';

/** The voice container's own settings on top of the voice settings: where the platform's data lives. */
const containerSchema = voiceConfigSchema.extend({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection URL'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
  /** Outbound calls arrive as `outbound.call.requested` over RabbitMQ; without it, no dialer runs. */
  AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL')
    .optional(),
  /** Decrypts tenants' model-provider keys (the same keyring as the management API). */
  LUMAY_SECRETS_KEYS: z.string().min(1).optional(),
});

function log(event: string, data: Record<string, unknown>): void {
  console.log(JSON.stringify({ at: new Date().toISOString(), event, ...data }));
}

/**
 * The voice container (`npm run start:voice`): the voice node on VOICE_PORT over Postgres (the
 * management API migrates it), RabbitMQ for outbound calls. SIGTERM: readiness turns 503, new
 * streams are refused, active calls finish their turn and end by VOICE_DRAIN_TIMEOUT_MS.
 */
async function main(): Promise<void> {
  let config: z.output<typeof containerSchema>;
  try {
    config = parseConfig(containerSchema, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(
        `LuMay voice node cannot start.\n${error.message}\nSee the configuration table in README.md.`,
      );
      process.exit(78);
    }
    throw error;
  }
  const db = createPostgresDatabase({ url: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
  const bus = config.AMQP_URL ? createRabbitMqBus({ url: config.AMQP_URL }) : undefined;
  const core = createCoreServices({
    db,
    cache: createMemoryCache({ maxEntries: 5000 }),
    ...(config.LUMAY_SECRETS_KEYS
      ? { secretsKeyring: await createSecretKeyring(config.LUMAY_SECRETS_KEYS) }
      : {}),
  });
  const voice = await startVoiceRuntime({ config, core, db, ...(bus ? { bus } : {}), log });
  log('voice_node_started', { port: voice.port, publicBaseUrl: config.PUBLIC_BASE_URL ?? null });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('voice_node_draining', { signal, activeCalls: voice.activeCalls() });
    await voice.drain(config.VOICE_DRAIN_TIMEOUT_MS);
    await voice.close();
    await bus?.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('LuMay voice node failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
