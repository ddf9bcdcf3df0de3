import { sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/index.ts';
import { rowsOf } from '../db/index.ts';
import type { EventBus } from './bus.ts';
import { type EventEnvelope, parseEventEnvelope } from './events.ts';

export interface OutboxRelayOptions {
  db: Database;
  bus: EventBus;
  /** Rows claimed (and published concurrently) per transaction. Default 100, at most 1000. */
  batchSize?: number;
  /** Pause between polls when the outbox is empty or a batch failed. Default 1000 ms. */
  intervalMs?: number;
  /** Errors of the background loop (database down, …); the loop keeps going. Default: `console.warn`. */
  onError?: (error: unknown) => void;
}

/** What one `drain()` achieved. */
export interface RelayReport {
  published: number;
  failed: number;
}

/** Publishes committed outbox rows of every tenant to the bus. */
export interface OutboxRelay {
  /** Starts polling in the background; idempotent. */
  start(): void;
  /** Stops polling and waits for the batch in progress. */
  stop(): Promise<void>;
  /**
   * Publishes everything this relay can claim now, batch after batch, and returns the totals. Stops
   * at the first batch with a failure (those rows keep their error and are retried later), so it
   * always ends. For tests and for shutdown.
   */
  drain(): Promise<RelayReport>;
}

interface ClaimedRow {
  id: string;
  tenant_id: string;
  topic: string;
  payload: unknown;
  occurred_at: string;
}

interface BatchResult extends RelayReport {
  claimed: number;
}

/**
 * The outbox relay. Each batch is one transaction as the application role with no tenant:
 * `lumay_private.outbox_claim` (SECURITY DEFINER, see migration 0002) locks the oldest unsent rows
 * of all tenants with `FOR UPDATE SKIP LOCKED`, the relay publishes them and waits for the bus's
 * confirms, then marks the published rows sent and records the failures, and commits. The row locks
 * last exactly as long as that transaction, so:
 * - two relays never publish the same row concurrently (the second skips locked rows, and re-checks
 *   `sent_at` on rows committed meanwhile);
 * - a relay that crashes or loses the database mid-batch rolls back: its rows are unsent again and
 *   another relay publishes them (a duplicate at worst, never a loss; consumers are idempotent);
 * - no lease to tune and no schema change. The price is a connection held while a batch is
 *   published, bounded by the batch size and the bus's publish timeout.
 * Rows written by a transaction that rolled back never existed, so they are never published.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, bus } = options;
  const batchSize = Math.min(Math.max(options.batchSize ?? 100, 1), 1000);
  const intervalMs = options.intervalMs ?? 1000;
  const onError = options.onError ?? ((error: unknown) => console.warn('outbox relay:', error));
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  function toEnvelope(row: ClaimedRow): EventEnvelope {
    return parseEventEnvelope({
      id: row.id,
      tenantId: row.tenant_id,
      topic: row.topic,
      payload: row.payload,
      occurredAt: row.occurred_at,
    });
  }

  async function claim(tx: Tx): Promise<ClaimedRow[]> {
    return rowsOf<ClaimedRow>(
      await tx.execute(sql`
        select id, tenant_id, topic, payload,
          to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as occurred_at
        from lumay_private.outbox_claim(${batchSize})`),
    );
  }

  function runBatch(): Promise<BatchResult> {
    return db.withoutTenant(null, async (tx) => {
      const rows = await claim(tx);
      if (rows.length === 0) return { claimed: 0, published: 0, failed: 0 };
      // A row that cannot become an envelope (unknown topic, bad payload) fails like a refused publish.
      const results = await Promise.allSettled(rows.map(async (row) => bus.publish(toEnvelope(row))));
      const sent: string[] = [];
      const failed: string[] = [];
      const errors: string[] = [];
      results.forEach((result, index) => {
        const id = rows[index]?.id;
        if (id === undefined) return;
        if (result.status === 'fulfilled') sent.push(id);
        else {
          failed.push(id);
          errors.push(result.reason instanceof Error ? result.reason.message : String(result.reason));
        }
      });
      if (sent.length > 0) {
        await tx.execute(sql`select lumay_private.outbox_mark_sent(${sql.param(sent)}::text[])`);
      }
      if (failed.length > 0) {
        await tx.execute(
          sql`select lumay_private.outbox_record_failure(${sql.param(failed)}::text[], ${sql.param(errors)}::text[])`,
        );
      }
      return { claimed: rows.length, published: sent.length, failed: failed.length };
    });
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });
  }

  async function poll(): Promise<void> {
    while (running) {
      try {
        const result = await runBatch();
        // A full, clean batch suggests a backlog: go again at once.
        if (result.claimed === batchSize && result.failed === 0) continue;
      } catch (error) {
        onError(error);
      }
      if (running) await sleep(intervalMs);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = poll();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = null;
    },
    async drain() {
      const report: RelayReport = { published: 0, failed: 0 };
      for (;;) {
        const result = await runBatch();
        report.published += result.published;
        report.failed += result.failed;
        if (result.claimed === 0 || result.failed > 0) return report;
      }
    },
  };
}
