import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressBar, runIngestCli } from '../../../scripts/ingest.ts';
import { minimalPdf } from '../../../shared/src/intelligence/rag/parsing/__fixtures__/minimal-pdf.ts';
import { buildApp } from '../../../workers/src/app.ts';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin } from '../../support/client.ts';
import { startIngestion } from './support.ts';

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/ingest.ts', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('ingest CLI helpers', () => {
  it('draws a progress bar', () => {
    expect(progressBar(0, 10)).toBe('[----------]   0%');
    expect(progressBar(0.456, 10)).toBe('[#####-----]  46%');
    expect(progressBar(1, 10)).toBe('[##########] 100%');
    expect(progressBar(Number.NaN, 4)).toBe('[----]   0%');
  });

  it('prints usage and exits 2 without a knowledge base or sources', async () => {
    const { code, output } = await run(['--kb'], {});
    expect(code).toBe(2);
    expect(output).toContain('usage: npm run ingest -- --kb');
  });
});

describe.each<DatabaseKind>(['postgres', 'pglite'])('ingest CLI against the API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let base: string;
  let owner: Awaited<ReturnType<typeof createTenant>>;
  let kbId: string;
  let directory: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    owner = await createTenant(api, await loginAdmin(api), 'rag-cli');
    kbId = (await api.post('/v1/knowledge-bases', { name: 'CLI' }, { token: owner.token })).body.id;
    const { stop } = await startIngestion(target);
    const app = buildApp(target.deps);
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    directory = await mkdtemp(join(tmpdir(), 'lumay-ingest-'));
    close = async () => {
      await stop();
      await new Promise((resolve) => server.close(resolve));
    };
  });
  afterAll(async () => {
    await close?.();
    await rm(directory, { recursive: true, force: true });
    await target?.close();
  });

  it('uploads Markdown and PDF files with an API key and waits for them to be ready', async () => {
    const key = await api.post('/v1/api-keys', { name: 'cli', role: 'builder' }, { token: owner.token });
    const markdown = join(directory, 'faq.md');
    const pdf = join(directory, 'manual.pdf');
    await writeFile(markdown, '# FAQ\n\n## Opening hours\n\nThe help desk opens at eight.');
    await writeFile(pdf, minimalPdf([['The kettle descaling cycle takes twelve minutes.']], 'Kettle manual'));
    const { code, output } = await run(['--kb', kbId, markdown, pdf], {
      LUMAY_API_URL: base,
      LUMAY_API_KEY: key.body.key,
    });
    expect(output, output).toMatch(/✓ doc_\w+ "FAQ": 1 chunks/);
    expect(output).toMatch(/✓ doc_\w+ "Kettle manual": 1 chunks/);
    expect(output).toContain('[########################] 100% ready');
    expect(code).toBe(0);
    const listed = await api.get(`/v1/knowledge-bases/${kbId}/documents`, { token: owner.token });
    expect(listed.body.data.map((document: { status: string }) => document.status)).toEqual([
      'ready',
      'ready',
    ]);
  });

  it('logs in with email and password, reports duplicates, refused URLs and missing files, and exits 1', async () => {
    const markdown = join(directory, 'faq.md');
    const lines: string[] = [];
    const code = await runIngestCli(
      ['--kb', kbId, markdown, 'http://127.0.0.1:8080/x', join(directory, 'missing.txt')],
      {
        fetch: globalThis.fetch,
        env: { LUMAY_API_URL: base, LUMAY_EMAIL: owner.email, LUMAY_PASSWORD: owner.password },
        write: (text) => lines.push(text),
        interactive: false,
        readFile: async (path) =>
          new Uint8Array(await import('node:fs/promises').then((fs) => fs.readFile(path))),
        pollIntervalMs: 20,
      },
    );
    const output = lines.join('');
    expect(output).toContain('(already in the knowledge base)');
    expect(output).toMatch(/✗ http:\/\/127\.0\.0\.1:8080\/x: Refused: 127\.0\.0\.1 is a loopback address/);
    expect(output).toMatch(/✗ .*missing\.txt: ENOENT/);
    expect(code).toBe(1);
    const badLogin = await runIngestCli(['--kb', kbId, markdown], {
      fetch: globalThis.fetch,
      env: { LUMAY_API_URL: base, LUMAY_EMAIL: owner.email, LUMAY_PASSWORD: 'wrong-password-here' },
      write: (text) => lines.push(text),
      interactive: false,
      readFile: async () => new Uint8Array(),
    });
    expect(badLogin).toBe(2);
  });
});
