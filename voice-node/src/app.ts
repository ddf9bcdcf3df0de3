import { Hono } from 'hono';

/** Live state the voice node reports for health checks and autoscaling. */
export interface VoiceNodeState {
  activeCalls(): number;
  draining(): boolean;
}

/**
 * The voice node's HTTP surface for operations: liveness, readiness (false while draining, so load
 * balancers stop sending calls) and Prometheus metrics with the active-calls gauge.
 */
export function buildVoiceApp(state: VoiceNodeState): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) =>
    state.draining() ? c.json({ status: 'draining' }, 503) : c.json({ status: 'ready' }),
  );
  app.get('/metrics', (c) => {
    const body = [
      '# HELP lumay_voice_active_calls Calls currently connected to this node.',
      '# TYPE lumay_voice_active_calls gauge',
      `lumay_voice_active_calls ${state.activeCalls()}`,
      '# HELP lumay_voice_draining 1 while the node drains before shutdown.',
      '# TYPE lumay_voice_draining gauge',
      `lumay_voice_draining ${state.draining() ? 1 : 0}`,
      '',
    ].join('\n');
    return c.text(body, 200, { 'Content-Type': 'text/plain; version=0.0.4' });
  });
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` } }, 404),
  );
  return app;
}
