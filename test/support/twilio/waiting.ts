/**
 * Condition waiting for the simulated Twilio: a test waits until a predicate over recorded state
 * holds. Predicates are re-checked whenever the recorder reports an event and on a short poll
 * (playback progresses with the clock, not with events), and a timeout names what was awaited.
 */

/** Something that can be waited on. */
export interface Waiters {
  /** Re-checks every pending predicate (call after recording an event). */
  notify(): void;
  /** Resolves once `predicate()` is true; rejects after `timeoutMs` with `description`. */
  waitFor(predicate: () => boolean, timeoutMs: number, description: string): Promise<void>;
}

interface Waiter {
  check(): void;
}

/** A set of pending waits sharing one poll timer. */
export function createWaiters(pollMs = 5): Waiters {
  const waiters = new Set<Waiter>();
  let poll: ReturnType<typeof setInterval> | undefined;

  const notify = () => {
    for (const waiter of [...waiters]) waiter.check();
    if (waiters.size === 0 && poll !== undefined) {
      clearInterval(poll);
      poll = undefined;
    }
  };

  const waitFor = (predicate: () => boolean, timeoutMs: number, description: string) =>
    new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        check() {
          let done: boolean;
          try {
            done = predicate();
          } catch (error) {
            waiters.delete(waiter);
            clearTimeout(timer);
            reject(error);
            return;
          }
          if (done) {
            waiters.delete(waiter);
            clearTimeout(timer);
            resolve();
          }
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}`));
      }, timeoutMs);
      waiters.add(waiter);
      waiter.check();
      if (waiters.has(waiter) && poll === undefined) poll = setInterval(notify, pollMs);
    });

  return { notify, waitFor };
}
