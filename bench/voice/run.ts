/**
 * bench/voice: N concurrent simulated Twilio calls on one voice node, with the speech providers
 * replaced by a local OpenAI-protocol server with realistic delays (transcription 150 ms, speech
 * first byte 120 ms, streamed at ~2.5× real time). The node runs in this process over Postgres; the
 * callers and the provider server run in a child process.
 *
 * Per step it prints: server-added latency per turn (p50/p99: response time minus end-of-turn silence,
 * STT and TTS-first-byte time), barge-in reaction (speech onset → clear) p99, outbound frame jitter
 * p99 (pacer send lateness, and caller-side inter-arrival), CPU and memory per call, and finally the
 * largest step whose added-latency p99 stayed under 20 ms. Usage: `npm run bench:voice [-- 25,50,100]`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { createCoreServices, createPostgresDatabase, createVoiceCallStore } from '@lumay/shared';
import { createPlatformVoiceBackend, startVoiceServer } from '@lumay/voice-node';
import { createAppTarget } from '../../test/support/app-target.ts';
import { client, loginDemoOwner } from '../../test/support/client.ts';
import { createOpenAISpeechToText } from '../../voice-node/src/providers/openai-stt.ts';
import { createOpenAITextToSpeech } from '../../voice-node/src/providers/openai-tts.ts';

const steps = (process.argv[2] ?? '25,50,100,200').split(',').map(Number);
const TURNS = 4;
const PUBLIC = 'https://voice.bench.lumay';

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

function benchFlow(): Record<string, unknown> {
  const nodes: Record<string, unknown>[] = [
    { id: 'greet', type: 'message', text: 'Hello, how can I help?', next: 'ask0' },
  ];
  for (let turn = 0; turn < TURNS + 2; turn += 1) {
    nodes.push({
      id: `ask${turn}`,
      type: 'collect',
      slot: `said${turn}`,
      prompt: turn === 0 ? 'Go ahead.' : 'Anything else?',
      valueType: 'string',
      maxAttempts: 3,
      next: `reply${turn}`,
      onFail: 'bye',
    });
    nodes.push({
      id: `reply${turn}`,
      type: 'message',
      text:
        'Thanks, I have noted that you said: {{slots.said' +
        turn +
        '}}. Let me check that for you right away.',
      next: turn === TURNS + 1 ? 'bye' : `ask${turn + 1}`,
    });
  }
  nodes.push({ id: 'bye', type: 'end', message: 'Goodbye.' });
  return { start: 'greet', nodes };
}

async function main(): Promise<void> {
  const app = await createAppTarget('postgres');
  const api = client(app);
  const token = await loginDemoOwner(api);
  const agent = await api.post(
    '/v1/agents',
    {
      name: 'bench voice agent',
      config: {
        llm: { provider: 'offline' },
        voice: { endOfTurnSilenceMs: 500, bargeIn: { minSpeechMs: 0 }, noInputTimeoutMs: 60_000 },
      },
    },
    { token },
  );
  const flow = await api.post(
    '/v1/flows',
    { name: 'bench voice flow', agentId: agent.body.id, definition: benchFlow() },
    { token },
  );
  if (flow.status !== 201) throw new Error(flow.text);
  await api.post(`/v1/flows/${flow.body.id}/publish`, {}, { token });
  await api.patch(
    `/v1/agents/${agent.body.id}`,
    { config: { ...agent.body.config, flow: { flowId: flow.body.id } } },
    { token },
  );
  const number = '+15550177000';
  const phone = await api.post('/v1/phone-numbers', { number, agentId: agent.body.id }, { token });
  if (phone.status !== 201) throw new Error(phone.text);

  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/voice/callers.ts'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const queue: ((value: Record<string, unknown>) => void)[] = [];
  const pending: Record<string, unknown>[] = [];
  lines.on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    const waiter = queue.shift();
    if (waiter) waiter(message);
    else pending.push(message);
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve) => {
      const ready = pending.shift();
      if (ready) resolve(ready);
      else queue.push(resolve);
    });
  const audioUrl = String((await next()).url);

  const authToken = randomBytes(16).toString('hex');
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  // The voice node's own pool, sized like a production node's (the test target's is small).
  const url = app.database?.url;
  if (!url) throw new Error('bench/voice needs the Postgres target');
  const db = createPostgresDatabase({ url, max: 20 });
  const core = createCoreServices({ ...app.deps, db });
  const store = createVoiceCallStore({ db });
  const stt = createOpenAISpeechToText({ apiKey: 'bench-key', baseURL: `${audioUrl}/v1` });
  const tts = createOpenAITextToSpeech({ apiKey: 'bench-key', baseURL: `${audioUrl}/v1` });
  const voice = await startVoiceServer({
    port: 0,
    host: '127.0.0.1',
    publicBaseUrl: PUBLIC,
    twilio: { accountSid, authToken },
    backend: createPlatformVoiceBackend(core, store),
    providers: () => ({ stt, tts }),
  });

  console.log(
    `bench/voice — Node ${process.version}, ${TURNS} turns per call (every third with a barge-in), one voice node`,
  );
  console.log(
    'calls | added p50 | added p99 | barge-in p99 | pacer jitter p99 | inter-arrival jitter p99 | CPU/call | mem/call | failures',
  );
  const summary: { calls: number; addedP99: number }[] = [];
  const breakdown: string[] = [];
  for (const count of steps) {
    global.gc?.();
    const memBefore = process.memoryUsage();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    // Memory per call: once (nearly) all calls are up, collect garbage and compare with the idle node.
    const live = (usage: NodeJS.MemoryUsage) => usage.heapUsed + usage.external;
    let peakMemory = Number.NaN;
    let sampledAt = 0;
    const sampler = setInterval(() => {
      if (voice.activeCalls() < count * 0.95 || performance.now() - sampledAt < 3000) return;
      sampledAt = performance.now();
      global.gc?.();
      const delta = live(process.memoryUsage()) - live(memBefore);
      peakMemory = Number.isNaN(peakMemory) ? delta : Math.max(peakMemory, delta);
    }, 500);
    const metricsBefore = await (await fetch(`http://127.0.0.1:${voice.port}/metrics`)).text();
    child.stdin.write(
      `${JSON.stringify({ type: 'calls', count, turns: TURNS, voiceUrl: `http://127.0.0.1:${voice.port}`, publicBaseUrl: PUBLIC, authToken, accountSid, to: number })}\n`,
    );
    const result = await next();
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpuBefore);
    const wallMs = performance.now() - wallBefore;
    // Turn records of this step's calls.
    const rows = await app.owner<{
      turns: {
        latencyMs: {
          serverAddedMs: number | null;
          sttFinalToLlmFirstToken: number | null;
          ttsFirstByteToFirstFrame: number | null;
        };
        bargeInReactionMs: number | null;
      }[];
    }>(
      `select turns from calls where to_number = '${number}' and created_at > now() - interval '${Math.ceil(wallMs / 1000) + 5} seconds'`,
    );
    const added = rows.flatMap((row) =>
      row.turns.map((turn) => turn.latencyMs.serverAddedMs).filter((v): v is number => typeof v === 'number'),
    );
    const engine = rows.flatMap((row) =>
      row.turns
        .map((turn) => turn.latencyMs.sttFinalToLlmFirstToken)
        .filter((v): v is number => typeof v === 'number'),
    );
    const framing = rows.flatMap((row) =>
      row.turns
        .map((turn) => turn.latencyMs.ttsFirstByteToFirstFrame)
        .filter((v): v is number => typeof v === 'number'),
    );
    breakdown.push(
      `  ${count} calls: flow turn (transcript → first text) p50 ${fmt(percentile(engine, 50))} / p99 ${fmt(percentile(engine, 99))} ms; ` +
        `first TTS byte → first frame sent p50 ${fmt(percentile(framing, 50))} / p99 ${fmt(percentile(framing, 99))} ms`,
    );
    const reactions = rows.flatMap((row) =>
      row.turns.map((turn) => turn.bargeInReactionMs).filter((v): v is number => typeof v === 'number'),
    );
    const metricsAfter = await (await fetch(`http://127.0.0.1:${voice.port}/metrics`)).text();
    const jitterP99 = histogramP99(metricsBefore, metricsAfter, 'lumay_voice_frame_send_jitter_seconds');
    const gaps = (result.gaps as number[]) ?? [];
    const cpuPerCallPct = ((cpu.user + cpu.system) / 1000 / wallMs / count) * 100;
    const addedP99 = percentile(added, 99);
    summary.push({ calls: count, addedP99 });
    console.log(
      [
        String(count).padStart(5),
        `${fmt(percentile(added, 50))} ms`.padStart(9),
        `${fmt(addedP99)} ms`.padStart(9),
        `${fmt(percentile(reactions, 99))} ms (n=${reactions.length})`.padStart(12),
        `≤ ${jitterP99} ms`.padStart(16),
        `${fmt(percentile(gaps, 99))} ms`.padStart(24),
        `${fmt(cpuPerCallPct, 2)}%`.padStart(8),
        `${fmt(peakMemory / count / 1024 / 1024, 2)} MB`.padStart(8),
        `${result.failureCount}`.padStart(8),
      ].join(' | '),
    );
    if ((result.failureCount as number) > 0) console.log(`  failures: ${JSON.stringify(result.failures)}`);
  }
  console.log('where the added time goes:');
  for (const line of breakdown) console.log(line);
  const within = summary.filter((step) => step.addedP99 < 20).map((step) => step.calls);
  const best = within.length ? Math.max(...within) : 0;
  console.log(
    `largest step with added latency p99 < 20 ms: ${best} concurrent calls on this node (${cpus().length} cores shared with Postgres and the callers)`,
  );
  child.stdin.write(`${JSON.stringify({ type: 'exit' })}\n`);
  await voice.close();
  await app.close();
  process.exit(0);
}

/** p99 upper bound of a Prometheus histogram over the delta between two scrapes, in ms. */
function histogramP99(before: string, after: string, name: string): string {
  const buckets = (text: string) =>
    [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm'))].map((m) => ({
      le: m[1] ?? '',
      count: Number(m[2]),
    }));
  const a = buckets(before);
  const b = buckets(after);
  const total = (b.at(-1)?.count ?? 0) - (a.at(-1)?.count ?? 0);
  if (total <= 0) return 'n/a';
  for (let i = 0; i < b.length; i += 1) {
    const count = (b[i]?.count ?? 0) - (a[i]?.count ?? 0);
    if (count >= total * 0.99) return b[i]?.le === '+Inf' ? '>80' : String(Number(b[i]?.le) * 1000);
  }
  return 'n/a';
}

void main();
