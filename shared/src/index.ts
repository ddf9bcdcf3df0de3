/**
 * @lumay/shared: the six layers and the infrastructure ports, shared by the management API and the
 * voice node. Runtime-neutral (Web-standard APIs only); Node-only adapters live in `./node.ts`.
 */
export * from './analytics/index.ts';
export * from './assembly/index.ts';
export * from './core/index.ts';
export * from './governance/index.ts';
export * from './intelligence/index.ts';
export * from './interface/index.ts';
export * from './orchestration/index.ts';
export * from './platform/index.ts';
