import type { ApprovalService } from './approval-service.ts';

/**
 * Runs `approvals.sweep` on a timer: expires due approvals (resuming their conversations on the
 * `onExpire` branch) and finishes abandoned turns. The composition root says which tenants exist.
 *
 * @example
 * const sweeper = createApprovalSweeper({ approvals, tenantIds: () => listTenants(), intervalMs: 30_000 });
 * sweeper.start();
 */
export function createApprovalSweeper(options: {
  approvals: ApprovalService;
  tenantIds: () => Promise<readonly string[]>;
  intervalMs: number;
}) {
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<unknown> | undefined;
  const tick = async () => {
    if (running) return;
    running = options
      .tenantIds()
      .then((ids) => options.approvals.sweep(ids))
      .catch((error: unknown) =>
        console.error(
          JSON.stringify({ level: 'error', message: 'approval sweeper failed', error: String(error) }),
        ),
      )
      .finally(() => {
        running = undefined;
      });
    await running;
  };
  return {
    start(): void {
      timer ??= setInterval(() => void tick(), options.intervalMs);
    },
    /** One sweep now (also what the timer runs). */
    tick,
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
