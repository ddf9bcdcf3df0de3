/**
 * Runs an agent's test suites through the management API, for CI pipelines that gate deploys.
 *
 *   npm run test:agent -- --agent agt_… [--suite tsu_… | --file suite.json] [--target draft|published|version:3]
 *                         [--flow flw_…] [--url http://127.0.0.1:8080] [--api-key lmk_…] [--junit results.xml] [--json]
 *
 * Without --suite or --file every suite of the agent runs. --url defaults to LUMAY_API_URL (else
 * http://127.0.0.1:8080), --api-key to LUMAY_API_KEY (an API key whose role may run tests, e.g. builder).
 * Prints one line per case (and why a case failed); --json prints the runs as JSON instead; --junit also
 * writes a JUnit XML report. Exit code 0 when every case passed, 1 when any failed or errored, 2 on bad
 * usage, an unreachable API or a refused request.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatRun, type NamedRun, type RunJson, toJUnitXml } from './agent-tests-report.ts';

export interface AgentTestsCliIo {
  fetch: typeof globalThis.fetch;
  env: Readonly<Record<string, string | undefined>>;
  /** Standard output. */
  write: (text: string) => void;
  /** Standard error. */
  error: (text: string) => void;
  readFile: (path: string) => Promise<string>;
  writeFile: (path: string, content: string) => Promise<void>;
}

const USAGE = [
  'usage: npm run test:agent -- --agent agt_… [--suite tsu_… | --file suite.json]',
  '         [--target draft|published|version:<n>] [--flow flw_…] [--url <api url>] [--api-key <key>]',
  '         [--junit <file.xml>] [--json] [--timeout <seconds>]',
].join('\n');

class UsageError extends Error {}

interface Options {
  url: string;
  apiKey: string;
  agent: string;
  suite?: string;
  file?: string;
  target: Record<string, unknown>;
  junit?: string;
  json: boolean;
  timeoutMs: number;
}

function parseTarget(text: string, flow: string | undefined): Record<string, unknown> {
  const withFlow = flow ? { flowId: flow } : {};
  if (text === 'draft') return { type: 'draft', ...withFlow };
  if (text === 'published') {
    if (flow) throw new UsageError('--flow cannot be combined with --target published');
    return { type: 'published' };
  }
  const version = /^version:([1-9]\d{0,6})$/.exec(text)?.[1];
  if (version) return { type: 'version', version: Number(version), ...withFlow };
  throw new UsageError(`--target must be draft, published or version:<n>, not "${text}"`);
}

function parseOptions(argv: readonly string[], env: AgentTestsCliIo['env']): Options {
  const values = new Map<string, string>();
  let json = false;
  const valued = new Set(['url', 'api-key', 'agent', 'suite', 'file', 'target', 'flow', 'junit', 'timeout']);
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') throw new UsageError('');
    else if (arg.startsWith('--')) {
      const [name = '', inline] = arg.slice(2).split(/=(.*)/s, 2);
      if (!valued.has(name)) throw new UsageError(`unknown option --${name}`);
      const value = inline ?? argv[++index];
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else throw new UsageError(`unexpected argument "${arg}"`);
  }
  const agent = values.get('agent');
  if (!agent || !/^agt_[0-9A-HJKMNP-TV-Z]{26}$/.test(agent))
    throw new UsageError('--agent agt_… is required');
  const suite = values.get('suite');
  const file = values.get('file');
  if (suite && file) throw new UsageError('give --suite or --file, not both');
  if (suite && !/^tsu_[0-9A-HJKMNP-TV-Z]{26}$/.test(suite))
    throw new UsageError('--suite must be a test suite id (tsu_…)');
  const flow = values.get('flow');
  if (flow && !/^flw_[0-9A-HJKMNP-TV-Z]{26}$/.test(flow))
    throw new UsageError('--flow must be a flow id (flw_…)');
  const apiKey = values.get('api-key') ?? env.LUMAY_API_KEY;
  if (!apiKey) throw new UsageError('pass --api-key or set LUMAY_API_KEY');
  const url = values.get('url') ?? (env.LUMAY_API_URL || 'http://127.0.0.1:8080');
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new UsageError(`--url must be an http(s) URL, not "${url}"`);
  const timeout = Number(values.get('timeout') ?? '600');
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new UsageError('--timeout must be a positive number of seconds');
  return {
    url: url.replace(/\/+$/, ''),
    apiKey,
    agent,
    ...(suite ? { suite } : {}),
    ...(file ? { file } : {}),
    target: parseTarget(values.get('target') ?? 'draft', flow),
    ...(values.get('junit') ? { junit: values.get('junit') } : {}),
    json,
    timeoutMs: timeout * 1000,
  };
}

/** A request the API refused, or an API that could not be reached: exit code 2. */
class ApiError extends Error {}

async function call<Body>(
  io: AgentTestsCliIo,
  options: Options,
  method: string,
  path: string,
  body?: unknown,
) {
  let response: Response;
  try {
    response = await io.fetch(`${options.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const reason =
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error);
    throw new ApiError(`cannot reach ${options.url}: ${reason}`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(`${method} ${path} answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
      ?.error;
    const issues =
      (error?.details as { issues?: { path: string; message: string }[] } | undefined)?.issues ?? [];
    const detail =
      issues.length > 0 ? `\n${issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n')}` : '';
    throw new ApiError(
      `${method} ${path} answered ${response.status} ${error?.code ?? ''}: ${error?.message ?? text}${detail}`,
    );
  }
  return parsed as Body;
}

/** The suites to run: the one named, or every suite of the agent. */
async function suitesToRun(io: AgentTestsCliIo, options: Options): Promise<{ id: string; name: string }[]> {
  if (options.suite) {
    const suite = await call<{ id: string; name: string }>(
      io,
      options,
      'GET',
      `/v1/test-suites/${options.suite}`,
    );
    return [{ id: suite.id, name: suite.name }];
  }
  const suites: { id: string; name: string }[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const listed: { data: { id: string; name: string }[]; nextCursor: string | null } = await call(
      io,
      options,
      'GET',
      `/v1/agents/${options.agent}/test-suites${query}`,
    );
    suites.push(...listed.data);
    cursor = listed.nextCursor;
  } while (cursor);
  if (suites.length === 0)
    throw new UsageError(`agent ${options.agent} has no test suites; pass --suite or --file`);
  return suites.reverse();
}

async function inlineCases(io: AgentTestsCliIo, file: string): Promise<{ name: string; cases: unknown[] }> {
  let content: unknown;
  try {
    content = JSON.parse(await io.readFile(file));
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (Array.isArray(content)) return { name: basename(file), cases: content };
  const record = content as { name?: unknown; cases?: unknown } | null;
  if (record && Array.isArray(record.cases)) {
    return { name: typeof record.name === 'string' ? record.name : basename(file), cases: record.cases };
  }
  throw new UsageError(`${file} must hold an array of cases or an object with "cases"`);
}

/** Runs the command; resolves to the exit code. */
export async function runAgentTestsCli(argv: readonly string[], io: AgentTestsCliIo): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.error(`${error.message ? `${error.message}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const runs: NamedRun[] = [];
  try {
    const runPath = `/v1/agents/${options.agent}/test-runs`;
    if (options.file) {
      const { name, cases } = await inlineCases(io, options.file);
      runs.push({
        name,
        run: await call<RunJson>(io, options, 'POST', runPath, { cases, target: options.target }),
      });
    } else {
      for (const suite of await suitesToRun(io, options)) {
        const run = await call<RunJson>(io, options, 'POST', runPath, {
          suiteId: suite.id,
          target: options.target,
        });
        runs.push({ name: suite.name, run });
      }
    }
  } catch (error) {
    if (!(error instanceof ApiError || error instanceof UsageError)) throw error;
    io.error(`agent tests: ${error.message}\n`);
    return 2;
  }
  if (options.json)
    io.write(
      `${JSON.stringify({ passed: runs.every(({ run }) => run.status === 'passed'), runs }, null, 2)}\n`,
    );
  else for (const named of runs) io.write(formatRun(named));
  if (options.junit) {
    try {
      await io.writeFile(options.junit, toJUnitXml(runs));
    } catch (error) {
      io.error(
        `agent tests: cannot write ${options.junit}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      return 2;
    }
  }
  return runs.every(({ run }) => run.status === 'passed') ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runAgentTestsCli(process.argv.slice(2), {
    fetch: globalThis.fetch,
    env: process.env,
    write: (text) => process.stdout.write(text),
    error: (text) => process.stderr.write(text),
    readFile: (path) => readFile(path, 'utf8'),
    writeFile: (path, content) => writeFile(path, content, 'utf8'),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`agent tests: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
