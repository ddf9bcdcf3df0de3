import { mkdir, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Proves that the dependency rules in .dependency-cruiser.cjs bite: small fixture files, written into
 * the real layout for the duration of this file, break each rule once; one cruise of the whole tree
 * must report every one of them (and nothing for the allowed exceptions). Also checks, by grep, that
 * tenant data is reached only through the database port.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
/** Unique per process, so two runs on one checkout never delete each other's fixtures. */
const TAG = `__depcruise_fixture_${process.pid}`;
const FIXTURE_PATTERN = /__depcruise_fixture_(\d+)/;

interface Fixture {
  /** Repository-relative path. */
  path: string;
  imports: string[];
  /** [rule name, pattern the reported `to` must match]; an empty list means "no violation at all". */
  expect: Array<[string, RegExp]>;
  /** [rule name, target pattern] pairs that must NOT be reported for this file. */
  allow?: Array<[string, RegExp]>;
}

const leaf = (layer: string): Fixture => ({
  path: `shared/src/${layer}/${TAG}_leaf.ts`,
  imports: [],
  expect: [],
});

const FIXTURES: Fixture[] = [
  // Layer folders without an index.ts yet get a leaf module to import.
  leaf('interface'),
  leaf('intelligence'),
  leaf('integration'),
  {
    path: `shared/src/orchestration/${TAG}.ts`,
    imports: [`../interface/${TAG}_leaf.ts`, '../platform/db/scoped.ts'],
    expect: [
      ['layer-order-orchestration', /^shared\/src\/interface\//],
      ['layer-through-index', /^shared\/src\/platform\/db\/scoped\.ts$/],
    ],
  },
  {
    path: `shared/src/intelligence/${TAG}.ts`,
    imports: [`../integration/${TAG}_leaf.ts`],
    expect: [['layer-order-intelligence', /^shared\/src\/integration\//]],
  },
  {
    path: `shared/src/integration/${TAG}.ts`,
    imports: [`../intelligence/${TAG}_leaf.ts`],
    expect: [['layer-order-integration', /^shared\/src\/intelligence\//]],
  },
  {
    path: `shared/src/analytics/${TAG}.ts`,
    imports: ['../orchestration/index.ts'],
    expect: [['layer-order-analytics', /^shared\/src\/orchestration\/index\.ts$/]],
  },
  {
    path: `shared/src/governance/${TAG}.ts`,
    imports: ['../orchestration/index.ts', 'node:crypto'],
    expect: [
      ['layer-order-governance', /^shared\/src\/orchestration\/index\.ts$/],
      ['shared-node-builtins-only-in-node-adapters', /crypto$/],
    ],
  },
  {
    path: `shared/src/platform/${TAG}.ts`,
    imports: ['../governance/index.ts', '../../../workers/src/permissions.ts', '@lumay/voice-node'],
    expect: [
      ['layer-order-platform', /^shared\/src\/governance\/index\.ts$/],
      ['shared-not-to-services', /^workers\/src\/permissions\.ts$/],
      ['shared-not-to-services', /^voice-node\/src\/index\.ts$/],
    ],
  },
  {
    path: `shared/src/core/${TAG}.ts`,
    imports: ['../platform/index.ts', '../index.ts'],
    expect: [
      ['layer-order-core', /^shared\/src\/platform\/index\.ts$/],
      ['layer-not-to-entry-points', /^shared\/src\/index\.ts$/],
    ],
  },
  {
    path: `shared/src/core/${TAG}_cycle_a.ts`,
    imports: [`./${TAG}_cycle_b.ts`],
    expect: [['no-circular', new RegExp(`${TAG}_cycle_b\\.ts$`)]],
  },
  { path: `shared/src/core/${TAG}_cycle_b.ts`, imports: [`./${TAG}_cycle_a.ts`], expect: [] },
  {
    path: `shared/src/platform/cache/${TAG}.ts`,
    imports: [
      'amqplib',
      'ioredis',
      '@upstash/redis',
      'postgres',
      '@electric-sql/pglite',
      'drizzle-orm/postgres-js',
      'drizzle-orm/pglite',
      'openai',
      '@anthropic-ai/sdk',
    ],
    expect: [
      ['vendor-amqplib', /node_modules\/(@types\/)?amqplib\//],
      ['vendor-ioredis', /node_modules\/ioredis\//],
      ['vendor-upstash', /node_modules\/@upstash\/redis\//],
      ['vendor-postgres', /node_modules\/postgres\//],
      ['vendor-pglite', /node_modules\/@electric-sql\/pglite\//],
      ['vendor-drizzle-postgres-js', /node_modules\/drizzle-orm\/postgres-js\//],
      ['vendor-drizzle-pglite', /node_modules\/drizzle-orm\/pglite\//],
      ['vendor-openai', /node_modules\/openai\//],
      ['vendor-anthropic', /node_modules\/@anthropic-ai\/sdk\//],
    ],
  },
  {
    // Top-level like shared/src/index.ts; the edge rule is pointed at it below.
    path: `shared/src/${TAG}_entry.ts`,
    imports: ['./platform/db/pglite.ts'],
    expect: [
      ['edge-safe-entry-points', /^shared\/src\/platform\/db\/pglite\.ts$/],
      ['edge-safe-entry-points', /^(node:)?url$/],
    ],
  },
  {
    path: `workers/src/${TAG}.ts`,
    imports: ['@lumay/voice-node', 'node:fs'],
    expect: [
      ['workers-not-to-voice-node', /^voice-node\/src\/index\.ts$/],
      ['workers-node-builtins-only-in-composition-roots', /fs$/],
    ],
  },
  {
    // Stands in for workers/src/edge.ts (the edge rule is pointed at it below).
    path: `workers/src/${TAG}_edge.ts`,
    imports: ['node:async_hooks', 'node:fs'],
    expect: [['edge-builtins-workerd-only', /fs$/]],
    allow: [['edge-builtins-workerd-only', /async_hooks$/]],
  },
  {
    path: `workers/src/routes/${TAG}.ts`,
    imports: ['@hono/node-server', '@lumay/shared/node', 'cloudflare:workers'],
    expect: [
      ['app-is-runtime-neutral', /node_modules\/@hono\/node-server\//],
      ['app-is-runtime-neutral', /^shared\/src\/node\.ts$/],
      ['app-is-runtime-neutral', /^cloudflare:workers$/],
      ['cloudflare-only-in-edge', /^cloudflare:workers$/],
    ],
  },
  {
    path: `voice-node/src/${TAG}.ts`,
    imports: ['../../workers/src/permissions.ts', `./${TAG}_missing.ts`],
    expect: [
      ['voice-node-not-to-workers', /^workers\/src\/permissions\.ts$/],
      ['not-to-unresolvable', new RegExp(`${TAG}_missing\\.ts$`)],
    ],
  },
  {
    path: `drizzle/schema/${TAG}.ts`,
    imports: ['../../shared/src/core/index.ts'],
    expect: [['schema-is-a-leaf', /^shared\/src\/core\/index\.ts$/]],
  },
  {
    // Allowed: interface may import every layer to its right, through index.ts.
    path: `shared/src/interface/${TAG}.ts`,
    imports: [
      '../orchestration/index.ts',
      '../governance/index.ts',
      '../platform/index.ts',
      '../core/index.ts',
    ],
    expect: [],
  },
];

/** Rules whose `from` names one real file, and the fixture that stands in for that file. */
const RETARGETED: Record<string, string> = {
  'edge-safe-entry-points': `shared/src/${TAG}_entry.ts`,
  'edge-builtins-workerd-only': `workers/src/${TAG}_edge.ts`,
};

/** Directories this run created (removed again if they end up empty). */
const createdDirectories: string[] = [];

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function writeFixture(fixture: Fixture): Promise<void> {
  const absolute = join(ROOT, fixture.path);
  const directory = dirname(absolute);
  if (!(await exists(directory))) {
    // Record each missing ancestor, deepest last, so cleanup removes them deepest first.
    const missing: string[] = [];
    for (let current = directory; !(await exists(current)); current = dirname(current))
      missing.unshift(current);
    await mkdir(directory, { recursive: true });
    createdDirectories.push(...missing);
  }
  const lines = fixture.imports.map((specifier) => `import '${specifier}';`);
  await writeFile(
    absolute,
    `// Temporary fixture of test/integration/architecture.test.ts\n${lines.join('\n')}\nexport {};\n`,
  );
}

async function removeFixtures(): Promise<void> {
  for (const fixture of FIXTURES) await rm(join(ROOT, fixture.path), { force: true });
  for (const directory of createdDirectories.reverse()) await rmdir(directory).catch(() => undefined);
}

async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes fixtures an earlier, killed run left behind (never those of a run still going). */
async function removeStaleFixtures(): Promise<void> {
  for (const top of ['shared', 'workers', 'voice-node', 'drizzle']) {
    for (const file of await listFiles(join(ROOT, top))) {
      const pid = Number(FIXTURE_PATTERN.exec(file)?.[1]);
      if (pid && pid !== process.pid && !isAlive(pid)) await rm(file, { force: true });
    }
  }
}

const toPosix = (path: string) => path.split(sep).join('/');
const isFixture = (path: string) => FIXTURE_PATTERN.test(path);

describe('architecture rules (dependency-cruiser)', () => {
  let result: ICruiseResult;
  let ruleNames: string[];

  beforeAll(async () => {
    await removeStaleFixtures();
    const options = await extractDepcruiseOptions(CONFIG);
    ruleNames = (options.ruleSet?.forbidden ?? []).map((rule) => rule.name ?? '');
    // Rules about one real file (the edge entry points, the edge root) are pointed at a fixture too,
    // so their `to` side is exercised without touching shared/src/index.ts or workers/src/edge.ts.
    for (const [name, fixturePath] of Object.entries(RETARGETED)) {
      const rule = options.ruleSet?.forbidden?.find((candidate) => candidate.name === name);
      if (!rule?.from) throw new Error(`rule ${name} not found`);
      rule.from.path = [...[rule.from.path ?? []].flat(), `^${fixturePath.replace(/\./g, '\\.')}$`];
    }
    try {
      for (const fixture of FIXTURES) await writeFixture(fixture);
      const previousCwd = process.cwd();
      process.chdir(ROOT);
      try {
        const output = await cruise(
          ['shared', 'workers', 'voice-node', 'drizzle'],
          { ...options, baseDir: ROOT },
          {},
          { tsConfig: extractTSConfig(join(ROOT, 'tsconfig.json')) },
        );
        if (typeof output.output === 'string') throw new Error('expected a cruise result object');
        result = output.output;
      } finally {
        process.chdir(previousCwd);
      }
    } finally {
      await removeFixtures();
    }
  }, 120_000);

  afterAll(removeFixtures);

  const violations = (): IViolation[] => result.summary.violations;

  it.each(FIXTURES.filter((fixture) => fixture.expect.length > 0))('$path breaks its rules', (fixture) => {
    const reported = violations()
      .filter((violation) => violation.from === fixture.path)
      .map((violation) => `${violation.rule.name} → ${violation.to}`);
    for (const [rule, to] of fixture.expect) {
      expect(
        reported.some((line) => line.startsWith(`${rule} → `) && to.test(line.slice(rule.length + 3))),
        `expected ${rule} → ${to} among:\n${reported.join('\n')}`,
      ).toBe(true);
    }
    for (const [rule, to] of fixture.allow ?? []) {
      expect(
        reported.filter((line) => line.startsWith(`${rule} → `) && to.test(line.slice(rule.length + 3))),
      ).toEqual([]);
    }
  });

  it('reports nothing for allowed imports (right-ward layers through index.ts)', () => {
    const allowed = FIXTURES.filter((fixture) => fixture.expect.length === 0 && fixture.imports.length > 0);
    const allowedPaths = allowed.map((fixture) => fixture.path).filter((path) => !path.includes('_cycle_'));
    expect(violations().filter((violation) => allowedPaths.includes(violation.from))).toEqual([]);
  });

  it('every forbidden rule in the configuration is proven by a fixture', () => {
    const fired = new Set(
      violations()
        .filter((violation) => isFixture(violation.from))
        .map((violation) => violation.rule.name),
    );
    expect(ruleNames.filter((name) => !fired.has(name))).toEqual([]);
  });

  it('resolves the workspaces to their sources and lets only the embedded root import the voice node', () => {
    const dependenciesOf = (source: string) =>
      result.modules.find((module) => module.source === source)?.dependencies ?? [];
    expect(dependenciesOf('workers/src/app.ts').map((dependency) => dependency.resolved)).toContain(
      'shared/src/index.ts',
    );
    const embedded = dependenciesOf('workers/src/embedded.ts');
    expect(embedded.map((dependency) => dependency.resolved)).toContain('voice-node/src/index.ts');
    expect(embedded.map((dependency) => dependency.resolved)).toContain('shared/src/node.ts');
    expect(violations().filter((violation) => violation.from === 'workers/src/embedded.ts')).toEqual([]);
  });

  it('lets each adapter import its own vendor SDK', () => {
    const pglite = result.modules.find((module) => module.source === 'shared/src/platform/db/pglite.ts');
    expect(pglite?.dependencies.map((dependency) => dependency.module)).toContain('@electric-sql/pglite');
    const adapters = violations().filter((violation) =>
      /^shared\/src\/platform\/db\/(pglite|postgres-js|postgres-migrate)\.ts$/.test(violation.from),
    );
    expect(adapters).toEqual([]);
  });
});

/** Imports of the Postgres drivers (directly or through drizzle's driver entry points). */
const DRIVER_IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](postgres|@electric-sql\/pglite(?:\/[^'"]*)?|drizzle-orm\/(?:postgres-js|pglite)(?:\/[^'"]*)?)['"]/;
/** A transaction opened on a raw drizzle handle instead of through `Database.withTenant`. */
const RAW_TRANSACTION = /\.transaction\s*\(/;

/** Lines outside shared/src/platform/db/ that bypass the database port. */
async function databasePortBypasses(): Promise<string[]> {
  const files = [
    ...(await listFiles(join(ROOT, 'shared/src'))),
    ...(await listFiles(join(ROOT, 'workers/src'))),
  ].filter((file) => /\.(ts|mts|cts|js|mjs)$/.test(file));
  const findings: string[] = [];
  for (const file of files) {
    const path = toPosix(relative(ROOT, file));
    if (path.startsWith('shared/src/platform/db/')) continue;
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, index) => {
      const code = line.trim();
      if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
      if (DRIVER_IMPORT.test(line) || RAW_TRANSACTION.test(line))
        findings.push(`${path}:${index + 1}: ${code}`);
    });
  }
  return findings;
}

describe('tenant data goes through the database port', () => {
  const probe = `workers/src/${TAG}_db.ts`;

  it('the scan finds a driver import and a raw transaction outside platform/db', async () => {
    const path = join(ROOT, probe);
    await writeFile(
      path,
      [
        "import postgres from 'postgres';",
        "const drizzle = await import('drizzle-orm/pglite');",
        'await handle.transaction(async (tx) => tx);',
        '',
      ].join('\n'),
    );
    try {
      const findings = (await databasePortBypasses()).filter((line) => line.startsWith(probe));
      expect(findings).toHaveLength(3);
    } finally {
      await rm(path, { force: true });
    }
  });

  it('no file in shared/src or workers/src outside platform/db imports a driver or opens a raw transaction', async () => {
    const findings = (await databasePortBypasses()).filter((line) => !isFixture(line));
    expect(findings).toEqual([]);
  });
});
