/**
 * The reports of `npm run test:agent` (scripts/agent-tests.ts): a readable table per run and a JUnit XML
 * file for CI systems. Pure functions over the API's run JSON.
 */

/** What the API answers for a run (the fields this command reads). */
export interface ExpectationReport {
  expectation: { type: string } & Record<string, unknown>;
  passed: boolean;
  message: string;
}
export interface TurnReportJson {
  index: number;
  user: string | null;
  digits?: string;
  expectations: ExpectationReport[];
  error?: { code: string; message: string };
}
export interface CaseReportJson {
  case: string;
  status: 'passed' | 'failed' | 'error';
  durationMs: number;
  turns: TurnReportJson[];
  error?: { code: string; message: string };
}
export interface RunJson {
  id: string;
  agentId: string;
  suiteId: string | null;
  target: { type: string; flowId: string | null; version: number | null; draftRevision?: number };
  status: 'running' | 'passed' | 'failed' | 'error';
  counts: { total: number; passed: number; failed: number; errored: number };
  results: CaseReportJson[];
  createdAt: string;
  durationMs: number | null;
}

/** A run with the name of what ran (the suite, or the file of inline cases). */
export interface NamedRun {
  name: string;
  run: RunJson;
}

const seconds = (ms: number | null) => `${((ms ?? 0) / 1000).toFixed(3)}`;

/** Why a case did not pass, one line per failed expectation or error. */
export function failureLines(result: CaseReportJson): string[] {
  const lines: string[] = [];
  if (result.error) lines.push(`${result.error.code}: ${result.error.message}`);
  for (const turn of result.turns) {
    const said = turn.user ?? turn.digits;
    const where = `turn ${turn.index + 1}${said ? ` ("${said.length > 60 ? `${said.slice(0, 60)}…` : said}")` : ' (opening)'}`;
    if (turn.error) lines.push(`${where}: ${turn.error.code}: ${turn.error.message}`);
    for (const expectation of turn.expectations) {
      if (!expectation.passed)
        lines.push(`${where}: ${expectation.expectation.type}: ${expectation.message}`);
    }
  }
  return lines;
}

function describeTarget(target: RunJson['target']): string {
  if (target.flowId === null) return `${target.type} (plain chat flow)`;
  if (target.type === 'draft') return `draft of ${target.flowId} (revision ${target.draftRevision ?? '?'})`;
  return `${target.type === 'published' ? 'published ' : ''}version ${target.version} of ${target.flowId}`;
}

/** The human-readable report of a run. */
export function formatRun(named: NamedRun): string {
  const { run } = named;
  const width = Math.min(60, Math.max(10, ...run.results.map((result) => result.case.length)));
  const marks = { passed: '✓', failed: '✗', error: '!' } as const;
  const lines = [`${named.name} · agent ${run.agentId} · ${describeTarget(run.target)}`];
  for (const result of run.results) {
    const name =
      result.case.length > width ? `${result.case.slice(0, width - 1)}…` : result.case.padEnd(width);
    lines.push(
      `  ${marks[result.status]} ${result.status.padEnd(7)} ${name} ${String(result.durationMs).padStart(6)} ms`,
    );
    if (result.status !== 'passed') for (const line of failureLines(result)) lines.push(`      ${line}`);
  }
  const { counts } = run;
  lines.push(
    `Run ${run.id}: ${run.status} — ${counts.total} cases: ${counts.passed} passed, ${counts.failed} failed, ${counts.errored} errors (${seconds(run.durationMs)} s)`,
  );
  return `${lines.join('\n')}\n`;
}

/** Whether XML 1.0 allows a code point (tab, new lines and most of Unicode; not other control characters). */
function xmlAllowed(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    codePoint >= 0x10000
  );
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text safe inside XML attributes and elements: entities escaped, forbidden characters replaced by U+FFFD. */
export function escapeXml(text: string): string {
  let out = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    out += xmlAllowed(codePoint) ? (XML_ENTITIES[char] ?? char) : '\uFFFD';
  }
  return out;
}

/** A JUnit XML report: one <testsuite> per run, one <testcase> per case (failure or error inside). */
export function toJUnitXml(runs: readonly NamedRun[]): string {
  const attribute = (name: string, value: string | number) => `${name}="${escapeXml(String(value))}"`;
  const total = (pick: (run: RunJson) => number) => runs.reduce((sum, named) => sum + pick(named.run), 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${[
      attribute('name', 'LuMay agent tests'),
      attribute(
        'tests',
        total((run) => run.counts.total),
      ),
      attribute(
        'failures',
        total((run) => run.counts.failed),
      ),
      attribute(
        'errors',
        total((run) => run.counts.errored),
      ),
      attribute('time', seconds(total((run) => run.durationMs ?? 0))),
    ].join(' ')}>`,
  ];
  for (const { name, run } of runs) {
    lines.push(
      `  <testsuite ${[
        attribute('name', name),
        attribute('id', run.id),
        attribute('tests', run.counts.total),
        attribute('failures', run.counts.failed),
        attribute('errors', run.counts.errored),
        attribute('time', seconds(run.durationMs)),
        attribute('timestamp', run.createdAt),
      ].join(' ')}>`,
      '    <properties>',
      `      <property ${attribute('name', 'agentId')} ${attribute('value', run.agentId)}/>`,
      `      <property ${attribute('name', 'target')} ${attribute('value', describeTarget(run.target))}/>`,
      '    </properties>',
    );
    for (const result of run.results) {
      const head = `    <testcase ${attribute('name', result.case)} ${attribute('classname', name)} ${attribute('time', seconds(result.durationMs))}`;
      if (result.status === 'passed') {
        lines.push(`${head}/>`);
        continue;
      }
      const details = failureLines(result);
      const element = result.status === 'error' ? 'error' : 'failure';
      const type = result.status === 'error' ? (result.error?.code ?? 'error') : 'expectation';
      lines.push(
        `${head}>`,
        `      <${element} ${attribute('message', details[0] ?? result.status)} ${attribute('type', type)}>${escapeXml(details.join('\n'))}</${element}>`,
        '    </testcase>',
      );
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
