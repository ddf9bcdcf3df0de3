/**
 * Node-only adapters (file system, embedded Postgres, owner connections). The edge bundle imports
 * `@lumay/shared` only, never this entry point.
 */

export {
  createNodeUrlFetcher,
  type NodeUrlFetcherOptions,
  type ResolvedAddress,
} from './intelligence/rag/sources/node-url-fetcher.ts';
export {
  type BusLogger,
  createRabbitMqBus,
  type RabbitMqBus,
  type RabbitMqBusOptions,
  type RabbitMqBusStats,
} from './platform/bus/rabbitmq.ts';
export { createRedisCache, type RedisCacheOptions } from './platform/cache/redis-tcp.ts';
export type { OwnerQuery } from './platform/db/owner.ts';
export { createPgliteDatabase } from './platform/db/pglite.ts';
export { createPostgresOwner, migratePostgres } from './platform/db/postgres-migrate.ts';
