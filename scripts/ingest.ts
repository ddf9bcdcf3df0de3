/**
 * Uploads files and URLs into a knowledge base through the management API and shows each
 * document's ingest progress until it is ready (or failed).
 *
 *   npm run ingest -- --kb kbs_… handbook.pdf faq.md https://example.com/help
 *
 * Environment: LUMAY_API_URL (default http://127.0.0.1:8080); credentials from LUMAY_API_KEY, or
 * LUMAY_EMAIL + LUMAY_PASSWORD (+ LUMAY_TENANT_ID when the user belongs to several tenants).
 * Exit code 0 when every document is ready, 1 when any failed, 2 on bad usage.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface IngestCliIo {
  fetch: typeof globalThis.fetch;
  env: Readonly<Record<string, string | undefined>>;
  /** Progress and results. */
  write: (text: string) => void;
  /** Whether the output is a terminal (progress redrawn in place) or a log (one line per change). */
  interactive: boolean;
  readFile: (path: string) => Promise<Uint8Array>;
  pollIntervalMs?: number;
  timeoutMs?: number;
}

const USAGE = 'usage: npm run ingest -- --kb <knowledge-base-id> <file|url>...';
const TYPES: Record<string, 'markdown' | 'html' | 'text' | 'pdf'> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.txt': 'text',
  '.text': 'text',
  '.pdf': 'pdf',
};

/** `[#########-----------]  45%`. */
export function progressBar(progress: number, width = 24): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(progress) ? progress : 0));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(clamped * 100)).padStart(3)}%`;
}

function parseArgs(argv: readonly string[]): { kb: string; sources: string[] } | null {
  let kb: string | undefined;
  const sources: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (arg === '--kb') kb = argv[++index];
    else if (arg.startsWith('--kb=')) kb = arg.slice('--kb='.length);
    else if (arg === '--help' || arg === '-h') return null;
    else sources.push(arg);
  }
  return kb && sources.length > 0 ? { kb, sources } : null;
}

async function authenticate(io: IngestCliIo, base: string): Promise<string> {
  if (io.env.LUMAY_API_KEY) return io.env.LUMAY_API_KEY;
  const { LUMAY_EMAIL: email, LUMAY_PASSWORD: password, LUMAY_TENANT_ID: tenantId } = io.env;
  if (!email || !password) throw new Error('set LUMAY_API_KEY, or LUMAY_EMAIL and LUMAY_PASSWORD');
  const response = await io.fetch(`${base}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, ...(tenantId ? { tenantId } : {}) }),
  });
  const body = (await response.json()) as { accessToken?: string; error?: { message: string } };
  if (!response.ok || !body.accessToken)
    throw new Error(`login failed: ${body.error?.message ?? response.status}`);
  return body.accessToken;
}

async function bodyFor(io: IngestCliIo, source: string): Promise<Record<string, string>> {
  if (/^https?:\/\//i.test(source)) return { url: source };
  const type = TYPES[extname(source).toLowerCase()] ?? 'text';
  const bytes = await io.readFile(source);
  // No title: the API takes it from the document (PDF info, first heading, <title>, first line).
  if (type === 'pdf') return { type, contentBase64: Buffer.from(bytes).toString('base64') };
  return { type, content: new TextDecoder().decode(bytes) };
}

interface DocumentState {
  id: string;
  title: string;
  status: string;
  progress: number;
  chunkCount: number;
  error: string | null;
}

/** Runs the CLI; resolves to the exit code. */
export async function runIngestCli(argv: readonly string[], io: IngestCliIo): Promise<number> {
  const args = parseArgs(argv);
  if (!args) {
    io.write(`${USAGE}\n`);
    return 2;
  }
  const base = (io.env.LUMAY_API_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  let token: string;
  try {
    token = await authenticate(io, base);
  } catch (error) {
    io.write(`error: ${(error as Error).message}\n`);
    return 2;
  }
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const documentsUrl = `${base}/v1/knowledge-bases/${encodeURIComponent(args.kb)}/documents`;
  let failures = 0;
  for (const source of args.sources) {
    const label = source.length > 48 ? `…${source.slice(-47)}` : source;
    try {
      const response = await io.fetch(documentsUrl, {
        method: 'POST',
        headers,
        body: JSON.stringify(await bodyFor(io, source)),
      });
      let state = (await response.json()) as DocumentState & { error?: unknown };
      if (!response.ok) {
        const message =
          (state.error as { message?: string } | undefined)?.message ?? `HTTP ${response.status}`;
        throw new Error(message);
      }
      const note = response.status === 200 ? ' (already in the knowledge base)' : '';
      const deadline = Date.now() + (io.timeoutMs ?? 30 * 60_000);
      let last = '';
      for (;;) {
        const line = `${progressBar(state.progress)} ${state.status.padEnd(10)} ${label}`;
        if (io.interactive) io.write(`\r${line}`);
        else if (line !== last) io.write(`${line}\n`);
        last = line;
        if (state.status === 'ready' || state.status === 'failed' || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, io.pollIntervalMs ?? 500));
        const poll = await io.fetch(`${documentsUrl}/${state.id}`, { headers });
        if (!poll.ok) throw new Error(`status check failed: HTTP ${poll.status}`);
        state = (await poll.json()) as DocumentState;
      }
      if (io.interactive) io.write('\n');
      if (state.status === 'ready') {
        io.write(`  ✓ ${state.id} "${state.title}": ${state.chunkCount} chunks${note}\n`);
      } else {
        failures += 1;
        io.write(`  ✗ ${state.id}: ${state.status === 'failed' ? state.error : 'timed out waiting'}\n`);
      }
    } catch (error) {
      failures += 1;
      io.write(`  ✗ ${label}: ${(error as Error).message}\n`);
    }
  }
  return failures > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runIngestCli(process.argv.slice(2), {
    fetch: globalThis.fetch,
    env: process.env,
    write: (text) => process.stderr.write(text),
    interactive: Boolean(process.stderr.isTTY),
    readFile: async (path) => new Uint8Array(await readFile(path)),
  }).then((code) => process.exit(code));
}
