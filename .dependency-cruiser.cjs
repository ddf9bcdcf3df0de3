const { builtinModules } = require('node:module');

/**
 * Dependency rules from ARCHITECTURE.md, enforced by `npm run depcheck` (part of `npm test`) and
 * proven to bite by test/integration/architecture.test.ts. When a rule fires, move the code to the
 * right place; don't widen the rule. Paths are relative to the repository root.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */

/**
 * Layer order inside shared/src: a folder imports only folders to its right.
 * Intelligence and integration share a rank: siblings, neither imports the other.
 */
const LAYER_RANK = {
  interface: 0,
  orchestration: 1,
  intelligence: 2,
  integration: 2,
  analytics: 3,
  governance: 4,
  platform: 5,
  core: 6,
};

const layerRules = Object.entries(LAYER_RANK).flatMap(([layer, rank]) => {
  const forbidden = Object.entries(LAYER_RANK)
    .filter(([other, otherRank]) => other !== layer && otherRank <= rank)
    .map(([other]) => other);
  if (forbidden.length === 0) return [];
  return [
    {
      name: `layer-order-${layer}`,
      comment:
        `shared/src/${layer} may import only layers to its right in ` +
        'interface → orchestration → intelligence | integration → analytics → governance → platform → core ' +
        `(not ${forbidden.join(', ')}). Events travel over the bus, not imports.`,
      severity: 'error',
      from: { path: `^shared/src/${layer}/` },
      to: { path: `^shared/src/(${forbidden.join('|')})/` },
    },
  ];
});

/**
 * A vendor SDK (or driver) is imported only by its adapter (regexes over repository paths); rules
 * may name adapters that do not exist yet.
 */
const VENDOR_ADAPTERS = [
  { name: 'vendor-amqplib', package: 'amqplib', adapters: ['^shared/src/platform/bus/rabbitmq\\.ts$'] },
  { name: 'vendor-ioredis', package: 'ioredis', adapters: ['^shared/src/platform/cache/redis-tcp\\.ts$'] },
  {
    name: 'vendor-upstash',
    package: '@upstash/redis',
    adapters: ['^shared/src/platform/cache/upstash\\.ts$'],
  },
  {
    name: 'vendor-postgres',
    package: 'postgres',
    adapters: ['^shared/src/platform/db/(postgres-js|postgres-migrate)\\.ts$'],
  },
  {
    name: 'vendor-pglite',
    package: '@electric-sql/pglite',
    adapters: ['^shared/src/platform/db/pglite\\.ts$'],
  },
  {
    name: 'vendor-drizzle-postgres-js',
    package: 'drizzle-orm/postgres-js',
    adapters: ['^shared/src/platform/db/(postgres-js|postgres-migrate)\\.ts$'],
  },
  {
    name: 'vendor-drizzle-pglite',
    package: 'drizzle-orm/pglite',
    adapters: ['^shared/src/platform/db/pglite\\.ts$'],
  },
  // The LLM adapters arrive with the Intelligence layer: one file or one folder each under llm/.
  {
    name: 'vendor-openai',
    package: 'openai',
    // The LLM adapter, and the voice node's speech adapters (transcription, speech, Realtime types).
    adapters: [
      '^shared/src/intelligence/llm/openai(\\.ts$|/)',
      '^voice-node/src/providers/openai-[^/]+\\.ts$',
    ],
  },
  {
    name: 'vendor-anthropic',
    package: '@anthropic-ai/sdk',
    adapters: ['^shared/src/intelligence/llm/anthropic(\\.ts$|/)'],
  },
];

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Matches a package's resolved files, including its `@types/` twin. */
const packagePath = (name) => {
  const typesName = name.startsWith('@') ? name.slice(1).replace('/', '__') : name;
  return `(^|/)node_modules/(${escapeRegExp(name)}|@types/${escapeRegExp(typesName)})/`;
};

const vendorRules = VENDOR_ADAPTERS.map((vendor) => ({
  name: vendor.name,
  comment: `${vendor.package} is imported only by its adapter (${vendor.adapters.join(', ')}); the rest uses the port.`,
  severity: 'error',
  from: { pathNot: vendor.adapters },
  to: { path: packagePath(vendor.package) },
}));

/** Node builtins as dependency-cruiser names them (without the `node:` prefix). */
const NODE_BUILTINS = `^(node:)?(${builtinModules.map(escapeRegExp).join('|')})$`;

/** Node-only files of the library (also the only ones re-exported from `@lumay/shared/node`). */
const SHARED_NODE_ONLY = [
  '^shared/src/node\\.ts$',
  '^shared/src/platform/db/(pglite|postgres-migrate|migrations-folder)\\.ts$',
  '^shared/src/platform/cache/redis-tcp\\.ts$',
  '^shared/src/platform/bus/rabbitmq\\.ts$',
  '^shared/src/intelligence/rag/sources/node-url-fetcher\\.ts$',
];
/** The management API's Node composition roots. */
const WORKERS_NODE_ROOTS = ['^workers/src/(node|node-runtime|embedded)\\.ts$'];
/** The node:* modules workerd provides (nodejs_compat) that the edge root may use. */
const EDGE_NODE_BUILTINS = '^(node:)?async_hooks$';
/** Runtime-specific modules the Web-standard app must never touch. */
const RUNTIME_SPECIFIC = ['(^|/)node_modules/@hono/node-server/', '^shared/src/node\\.ts$', '^cloudflare:'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles make layers inseparable; break the cycle (move the shared piece down a layer).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve would also hide from every other rule here.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },

    // Services: workers and voice-node → shared, never back, never to each other.
    {
      name: 'shared-not-to-services',
      comment: 'The library never imports the services built on it.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(workers|voice-node)/' },
    },
    {
      name: 'workers-not-to-voice-node',
      comment:
        'The management API does not import the voice node. Sole exception: workers/src/embedded.ts, the ' +
        'embedded composition root that runs both services in one process (docs/decisions/0010).',
      severity: 'error',
      from: { path: '^workers/', pathNot: '^workers/src/embedded\\.ts$' },
      to: { path: '^voice-node/' },
    },
    {
      name: 'voice-node-not-to-workers',
      comment: 'The voice node does not import the management API; both depend on shared only.',
      severity: 'error',
      from: { path: '^voice-node/' },
      to: { path: '^workers/' },
    },
    {
      name: 'schema-is-a-leaf',
      comment: 'drizzle/schema is the bottom of the graph: tables import only drizzle-orm and each other.',
      severity: 'error',
      from: { path: '^drizzle/schema/' },
      to: { path: '^(shared|workers|voice-node)/' },
    },

    // Layers inside shared/src.
    ...layerRules,
    {
      name: 'layer-through-index',
      comment:
        "A layer reaches another layer only through that folder's index.ts (its contract), never its internals.",
      severity: 'error',
      from: { path: '^shared/src/([^/]+)/' },
      to: { path: '^shared/src/[^/]+/.', pathNot: ['^shared/src/$1/', '^shared/src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'layer-not-to-entry-points',
      comment:
        'Layers never import the package entry points (shared/src/index.ts, node.ts); those import them.',
      severity: 'error',
      from: { path: '^shared/src/[^/]+/' },
      to: { path: '^shared/src/(index|node)\\.ts$' },
    },

    // Vendor SDKs and drivers: exactly one adapter each.
    ...vendorRules,

    // Runtimes.
    {
      name: 'shared-node-builtins-only-in-node-adapters',
      comment:
        'shared/src is runtime-neutral (it runs in Workers): node:* only in the Node-only adapters ' +
        're-exported from shared/src/node.ts.',
      severity: 'error',
      from: { path: '^shared/src/', pathNot: SHARED_NODE_ONLY },
      to: { dependencyTypes: ['core'], pathNot: '^cloudflare:' },
    },
    {
      name: 'workers-node-builtins-only-in-composition-roots',
      comment:
        'node:* in workers/src only in the Node composition roots (node.ts, node-runtime.ts, embedded.ts).',
      severity: 'error',
      from: { path: '^workers/src/', pathNot: [...WORKERS_NODE_ROOTS, '^workers/src/edge\\.ts$'] },
      to: { dependencyTypes: ['core'], pathNot: '^cloudflare:' },
    },
    {
      name: 'edge-builtins-workerd-only',
      comment:
        'The edge root workers/src/edge.ts may use only the node:* modules workerd implements and we rely on ' +
        '(async_hooks for AsyncLocalStorage, under the nodejs_compat flag in wrangler.toml).',
      severity: 'error',
      from: { path: '^workers/src/edge\\.ts$' },
      to: { dependencyTypes: ['core'], pathNot: ['^cloudflare:', EDGE_NODE_BUILTINS] },
    },
    {
      name: 'cloudflare-only-in-edge',
      comment: 'cloudflare:* modules only in the edge composition root workers/src/edge.ts.',
      severity: 'error',
      from: { pathNot: '^workers/src/edge\\.ts$' },
      to: { path: '^cloudflare:' },
    },
    {
      name: 'app-is-runtime-neutral',
      comment:
        'workers/src/app.ts, routes/ and middleware/ are Web-standard only: no @hono/node-server, no ' +
        '@lumay/shared/node, no cloudflare:* (the same buildApp runs on the edge, Node and embedded).',
      severity: 'error',
      from: { path: '^workers/src/(app\\.ts$|routes/|middleware/)' },
      to: { path: RUNTIME_SPECIFIC },
    },
    {
      name: 'edge-safe-entry-points',
      comment:
        'The edge bundle imports @lumay/shared (shared/src/index.ts) and workers/src/app.ts: neither may ' +
        'reach, even indirectly, a Node builtin, a Node-only adapter or a Node runtime module.',
      severity: 'error',
      from: { path: ['^shared/src/index\\.ts$', '^workers/src/app\\.ts$'] },
      to: {
        reachable: true,
        path: [...SHARED_NODE_ONLY, '(^|/)node_modules/(@hono/node-server|ioredis|amqplib)/', NODE_BUILTINS],
      },
    },
  ],
  options: {
    // Product code only: node_modules are recorded (for the vendor rules) but not followed; tests
    // beside the code may reach internals and use Node freely, so they are not cruised.
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: ['\\.test\\.ts$', '(^|/)__fixtures__/'] },
    moduleSystems: ['es6', 'cjs'],
    // Type-only imports are dependencies too: a layer that needs another's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Workers runtime modules: known, so they resolve (and the rules above can place them).
    builtInModules: { add: ['cloudflare:workers', 'cloudflare:sockets', 'cloudflare:email'] },
    enhancedResolveOptions: {
      // Resolves `./x.ts` imports and the source-linked workspaces (@lumay/shared, @lumay/shared/node,
      // @lumay/voice-node) through their package.json "exports" to the real files under shared/ etc.
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
