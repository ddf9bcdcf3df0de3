import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeXml, type NamedRun, toJUnitXml } from '../../../scripts/agent-tests-report.ts';
import { buildApp } from '../../../workers/src/app.ts';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, loginDemoOwner } from '../../support/client.ts';
import { freePort } from '../../support/spawned-server.ts';

function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/agent-tests.ts', ...args], {
      env: { ...process.env, LUMAY_API_KEY: '', LUMAY_API_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const AGENT = `agt_${'0'.repeat(26)}`;

describe('agent tests CLI without a server', () => {
  it('prints usage and exits 2 on bad arguments', async () => {
    const missing = await cli(['--api-key', 'lmk_x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--agent agt_… is required');
    expect(missing.stderr).toContain('usage: npm run test:agent');
    const badTarget = await cli(['--agent', AGENT, '--api-key', 'lmk_x', '--target', 'tomorrow']);
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('--target must be draft, published or version:<n>');
    const noKey = await cli(['--agent', AGENT]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('pass --api-key or set LUMAY_API_KEY');
  });

  it('exits 2 with a clear message when the API cannot be reached', async () => {
    const port = await freePort();
    const result = await cli(['--agent', AGENT, '--url', `http://127.0.0.1:${port}`, '--api-key', 'lmk_x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`agent tests: cannot reach http://127.0.0.1:${port}`);
  });

  it('escapes XML and keeps the JUnit report well-formed', () => {
    expect(escapeXml(`a<b>&"c'\u0001\u0007d\uD800`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;\uFFFD\uFFFDd\uFFFD');
    const run: NamedRun = {
      name: 'Suite <1>',
      run: {
        id: 'trn_1',
        agentId: AGENT,
        suiteId: null,
        target: { type: 'draft', flowId: 'flw_1', version: 0, draftRevision: 3 },
        status: 'error',
        counts: { total: 3, passed: 1, failed: 1, errored: 1 },
        createdAt: '2026-01-01T00:00:00.000Z',
        durationMs: 1500,
        results: [
          { case: 'ok', status: 'passed', durationMs: 10, turns: [] },
          {
            case: 'bad "quotes"',
            status: 'failed',
            durationMs: 20,
            turns: [
              {
                index: 1,
                user: 'x & y',
                expectations: [
                  {
                    expectation: { type: 'text_contains' },
                    passed: false,
                    message: 'the reply does not contain "<b>"',
                  },
                ],
              },
            ],
          },
          {
            case: 'broken',
            status: 'error',
            durationMs: 0,
            turns: [],
            error: { code: 'invalid_case', message: "turn 1: node 'x' is not a node" },
          },
        ],
      },
    };
    expect(toJUnitXml([run])).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="LuMay agent tests" tests="3" failures="1" errors="1" time="1.500">',
        `  <testsuite name="Suite &lt;1&gt;" id="trn_1" tests="3" failures="1" errors="1" time="1.500" timestamp="2026-01-01T00:00:00.000Z">`,
        '    <properties>',
        `      <property name="agentId" value="${AGENT}"/>`,
        '      <property name="target" value="draft of flw_1 (revision 3)"/>',
        '    </properties>',
        '    <testcase name="ok" classname="Suite &lt;1&gt;" time="0.010"/>',
        '    <testcase name="bad &quot;quotes&quot;" classname="Suite &lt;1&gt;" time="0.020">',
        '      <failure message="turn 2 (&quot;x &amp; y&quot;): text_contains: the reply does not contain &quot;&lt;b&gt;&quot;" type="expectation">turn 2 (&quot;x &amp; y&quot;): text_contains: the reply does not contain &quot;&lt;b&gt;&quot;</failure>',
        '    </testcase>',
        '    <testcase name="broken" classname="Suite &lt;1&gt;" time="0.000">',
        '      <error message="invalid_case: turn 1: node &apos;x&apos; is not a node" type="invalid_case">invalid_case: turn 1: node &apos;x&apos; is not a node</error>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });
});

describe.each<DatabaseKind>(['postgres', 'pglite'])('agent tests CLI against the API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let base: string;
  let key: string;
  let viewerKey: string;
  let agentId: string;
  let suiteId: string;
  let directory: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    const token = await loginDemoOwner(api);
    agentId = (await api.get('/v1/agents?q=Demo%20support', { token })).body.data[0].id;
    suiteId = (await api.get(`/v1/agents/${agentId}/test-suites`, { token })).body.data[0].id;
    key = (await api.post('/v1/api-keys', { name: 'ci', role: 'builder' }, { token })).body.key;
    viewerKey = (await api.post('/v1/api-keys', { name: 'read only', role: 'viewer' }, { token })).body.key;
    const app = buildApp(target.deps);
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    directory = await mkdtemp(join(tmpdir(), 'lumay-agent-tests-'));
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close?.();
    await rm(directory, { recursive: true, force: true });
    await target?.close();
  });

  it('runs the seeded demo suite, prints a table, writes JUnit and exits 0', async () => {
    const junit = join(directory, 'passing.xml');
    const result = await cli(
      ['--url', base, '--agent', agentId, '--suite', suiteId, '--target', 'published', '--junit', junit],
      { LUMAY_API_KEY: key },
    );
    expect(result.stderr).toBe('');
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain(
      `Demo support smoke tests · agent ${agentId} · published version 1 of flw_`,
    );
    expect(result.stdout).toMatch(/ {2}✓ passed {2}order status of a shipped order +\d+ ms/);
    expect(result.stdout).toMatch(/Run trn_\w+: passed — 4 cases: 4 passed, 0 failed, 0 errors/);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="LuMay agent tests" tests="4" failures="0" errors="0"/,
    );
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).not.toContain('<failure');
    expect(xml).toContain(
      '<testcase name="does not repeat contact details" classname="Demo support smoke tests"',
    );
  });

  it('runs inline cases from a file, exits 1 when a case fails, and reports it in JUnit and JSON', async () => {
    const file = join(directory, 'suite.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'Inline <checks>',
        cases: [
          { name: 'greets', turns: [{ expect: [{ type: 'text_contains', value: 'demo assistant' }] }] },
          {
            name: 'expects "nonsense" & more',
            turns: [{ user: 'Let me talk to a human', expect: [{ type: 'status', equals: 'ended' }] }],
          },
        ],
      }),
    );
    const junit = join(directory, 'failing.xml');
    const table = await cli(['--url', base, '--agent', agentId, '--file', file, '--junit', junit], {
      LUMAY_API_KEY: key,
    });
    expect(table.code, table.stdout + table.stderr).toBe(1);
    expect(table.stdout).toContain('Inline <checks> · agent');
    expect(table.stdout).toMatch(/✓ passed {2}greets/);
    expect(table.stdout).toMatch(/✗ failed {2}expects "nonsense" & more/);
    expect(table.stdout).toContain(
      '      turn 1 ("Let me talk to a human"): status: the conversation is handed_off, expected ended',
    );
    const xml = await readFile(junit, 'utf8');
    expect(xml).toContain('<testsuite name="Inline &lt;checks&gt;"');
    expect(xml).toContain('tests="2" failures="1" errors="0"');
    expect(xml).toContain(
      '<testcase name="expects &quot;nonsense&quot; &amp; more" classname="Inline &lt;checks&gt;"',
    );
    expect(xml).toContain(
      '<failure message="turn 1 (&quot;Let me talk to a human&quot;): status: the conversation is handed_off, expected ended" type="expectation">',
    );

    const json = await cli(['--url', base, '--agent', agentId, '--file', file, '--json', '--api-key', key]);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.passed).toBe(false);
    expect(parsed.runs[0].run).toMatchObject({
      status: 'failed',
      counts: { total: 2, passed: 1, failed: 1 },
    });
  });

  it('runs every suite of the agent without --suite, and exits 2 when the API refuses', async () => {
    const all = await cli(['--url', base, '--agent', agentId, '--api-key', key]);
    expect(all.code, all.stdout + all.stderr).toBe(0);
    expect(all.stdout).toContain('Demo support smoke tests');
    const refused = await cli([
      '--url',
      base,
      '--agent',
      agentId,
      '--suite',
      suiteId,
      '--api-key',
      viewerKey,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /agent tests: POST \/v1\/agents\/agt_\w+\/test-runs answered 403 forbidden: .*tests:run/,
    );
    const wrongVersion = await cli([
      '--url',
      base,
      '--agent',
      agentId,
      '--target',
      'version:9',
      '--api-key',
      key,
    ]);
    expect(wrongVersion.code).toBe(2);
    expect(wrongVersion.stderr).toContain('answered 404 not_found: Flow version 9 not found');
  });
});
