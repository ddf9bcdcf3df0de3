export { billingSpecialistFlow, DEMO_INTENTS, demoSupportFlow } from './demo-flow.ts';
export type { DemoSeedDeps, DemoSeedReport } from './seed-demo.ts';
export { seedDemoFlows } from './seed-demo.ts';
