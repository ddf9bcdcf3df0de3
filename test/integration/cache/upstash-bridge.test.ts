import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashBridge, type UpstashBridge } from '../../support/upstash-bridge.ts';

/**
 * The bridge is what the Upstash adapter is tested against, so its protocol is pinned here with
 * plain `fetch`, in the shapes @upstash/redis sends and parses.
 */
const PREFIX = `test:upstash-bridge:${randomUUID()}:`;
let bridge: UpstashBridge;

beforeAll(async () => {
  bridge = await startUpstashBridge();
});
afterAll(async () => {
  await post('/', ['DEL', `${PREFIX}a`, `${PREFIX}n`, `${PREFIX}t`, `${PREFIX}u`]);
  await bridge?.close();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${bridge.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

const BASE64 = { 'Upstash-Encoding': 'base64' };
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('Upstash REST bridge', () => {
  it('rejects a missing or wrong bearer token with 401', async () => {
    const missing = await fetch(bridge.url, { method: 'POST', body: JSON.stringify(['PING']) });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: 'Unauthorized' });
    expect((await post('/', ['PING'], { authorization: 'Bearer wrong' })).status).toBe(401);
  });

  it('runs one command and answers { result }, plain or base64-encoded', async () => {
    expect(await post('/', ['SET', `${PREFIX}a`, 'héllo ✓', 'EX', 60])).toEqual({
      status: 200,
      body: { result: 'OK' },
    });
    expect(await post('/', ['GET', `${PREFIX}a`])).toEqual({ status: 200, body: { result: 'héllo ✓' } });
    expect(await post('/', ['GET', `${PREFIX}a`], BASE64)).toEqual({
      status: 200,
      body: { result: b64('héllo ✓') },
    });
    expect(await post('/', ['SET', `${PREFIX}a`, 'v'], BASE64)).toEqual({
      status: 200,
      body: { result: 'OK' },
    });
    expect(await post('/', ['PING'], BASE64)).toEqual({ status: 200, body: { result: b64('PONG') } });
    expect(await post('/', ['INCR', `${PREFIX}n`], BASE64)).toEqual({ status: 200, body: { result: 1 } });
    expect(await post('/', ['GET', `${PREFIX}missing`], BASE64)).toEqual({
      status: 200,
      body: { result: null },
    });
  });

  it('encodes bulk strings inside array replies', async () => {
    await post('/', ['SET', `${PREFIX}u`, 'ü']);
    expect(await post('/', ['MGET', `${PREFIX}u`, `${PREFIX}missing`], BASE64)).toEqual({
      status: 200,
      body: { result: [b64('ü'), null] },
    });
  });

  it('answers a Redis error with 400 { error }', async () => {
    const response = await post('/', ['INCR', `${PREFIX}u`]);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: expect.stringMatching(/not an integer/) });
    expect((await post('/', { not: 'a command' })).status).toBe(400);
  });

  it('runs a pipeline, reporting each command’s result or error', async () => {
    const response = await post(
      '/pipeline',
      [
        ['SET', `${PREFIX}t`, 'x'],
        ['INCR', `${PREFIX}t`],
        ['GET', `${PREFIX}t`],
      ],
      BASE64,
    );
    expect(response).toEqual({
      status: 200,
      body: [{ result: 'OK' }, { error: expect.stringMatching(/not an integer/) }, { result: b64('x') }],
    });
  });

  it('runs multi-exec atomically and aborts it on a queueing error', async () => {
    expect(
      await post('/multi-exec', [
        ['SET', `${PREFIX}t`, '5'],
        ['INCR', `${PREFIX}t`],
      ]),
    ).toEqual({ status: 200, body: [{ result: 'OK' }, { result: 6 }] });

    const aborted = await post('/multi-exec', [['SET', `${PREFIX}t`, '100'], ['SET']]);
    expect(aborted.status).toBe(400);
    expect(aborted.body).toEqual({ error: expect.stringMatching(/EXECABORT/) });
    expect(await post('/', ['GET', `${PREFIX}t`])).toEqual({ status: 200, body: { result: '6' } });
  });

  it('answers unknown paths with 404', async () => {
    expect((await post('/nope', ['PING'])).status).toBe(404);
  });
});
