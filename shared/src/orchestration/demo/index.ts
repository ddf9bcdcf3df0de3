export { billingSpecialistFlow } from './billing-flow.ts';
export { demoSupportFlow } from './demo-flow.ts';
export { DEMO_INTENTS } from './demo-intents.ts';
export type { DemoTestSuiteDeps } from './demo-test-suite.ts';
export { DEMO_TEST_SUITE_NAME, demoTestCases, seedDemoTestSuite } from './demo-test-suite.ts';
export type { DemoSeedDeps, DemoSeedReport } from './seed-demo.ts';
export { seedDemoFlows } from './seed-demo.ts';
