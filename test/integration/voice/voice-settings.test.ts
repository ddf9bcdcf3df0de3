import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget } from '../../support/app-target.ts';
import { type Client, client, loginDemoOwner } from '../../support/client.ts';

/** An agent's phone settings (`config.voice`) are validated when the agent is saved. */
describe('agent voice settings through the API', () => {
  let app: AppTarget;
  let api: Client;
  let token: string;

  beforeAll(async () => {
    app = await createAppTarget('pglite');
    api = client(app);
    token = await loginDemoOwner(api);
  });
  afterAll(() => app?.close());

  it('refuses invalid voice settings with the field named, and keeps the agent unchanged', async () => {
    const created = await api.post(
      '/v1/agents',
      { name: 'voice settings', config: { voice: { bargeIn: { minSpeechMs: 250 } } } },
      { token },
    );
    expect(created.status, created.text).toBe(201);
    for (const voice of [
      { transfer: { default: '555-1234' } },
      { bargeIn: { minSpeechMs: -5 } },
      { pipeline: 'telepathy' },
      { stt: { provider: 'whisper-in-a-box' } },
      'loud',
    ]) {
      const response = await api.patch(`/v1/agents/${created.body.id}`, { config: { voice } }, { token });
      expect(response.status, response.text).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      const paths = (response.body.error.details.issues as { path: string }[]).map((issue) => issue.path);
      expect(paths.some((path) => path.startsWith('config.voice'))).toBe(true);
    }
    const transfer = await api.patch(
      `/v1/agents/${created.body.id}`,
      { config: { voice: { transfer: { default: 'nope' } } } },
      { token },
    );
    expect(transfer.text).toContain('config.voice.transfer.default');
    const stored = await api.get(`/v1/agents/${created.body.id}`, { token });
    expect(stored.body.config).toEqual({ voice: { bargeIn: { minSpeechMs: 250 } } });
    const valid = await api.patch(
      `/v1/agents/${created.body.id}`,
      { config: { voice: { pipeline: 'realtime', transfer: { default: '+15550100999' } } } },
      { token },
    );
    expect(valid.status, valid.text).toBe(200);
  });
});
