import { execSync } from 'node:child_process';

/** The machine's own Redis start command (as in .ci/run). */
export const START_REDIS =
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no ' +
  '--dir /var/lib/redis --logfile /var/log/redis/ci.log';

export function redisUp(): boolean {
  try {
    return execSync('redis-cli ping', { stdio: 'pipe', timeout: 2_000 }).toString().trim() === 'PONG';
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(50);
  }
  return condition();
}

/** Starts the shared Redis if it is down; tests that stop it call this in `finally`/afterAll. */
export async function startRedis(): Promise<void> {
  if (redisUp()) return;
  execSync(START_REDIS, { stdio: 'pipe' });
  if (!(await waitFor(redisUp, 10_000))) throw new Error('Redis did not come back');
}

export function stopRedis(): void {
  try {
    execSync('redis-cli shutdown nosave', { stdio: 'pipe', timeout: 5_000 });
  } catch {
    // redis-cli reports the dropped connection of a successful shutdown as an error.
  }
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] as number;
}

/** calls, p50, p99 and max of a list of latencies in milliseconds. */
export function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    calls: sorted.length,
    p50: round(percentile(sorted, 0.5)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}
