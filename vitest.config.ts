import { defineConfig } from 'vitest/config';

/**
 * Three kinds of tests, one project each:
 * - unit: beside the code, no services;
 * - integration: real Postgres (RLS on), PGlite, Redis and RabbitMQ; the HTTP app in-process;
 * - faults: stop and restart real Redis/RabbitMQ, serially;
 * - conformance: one HTTP suite against the Node server, the edge build in workerd and the embedded target.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shared/src/**/*.test.ts', 'workers/src/**/*.test.ts', 'voice-node/src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        // Tests that stop and restart the shared Redis or RabbitMQ: one file at a time, after the rest.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        // The same HTTP suite against the Node server, the edge build in workerd and the embedded target.
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
