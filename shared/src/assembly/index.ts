/**
 * Assembly: wires the layers' services together for the composition roots. Not a layer of its own;
 * it sits above them (it imports their index files) so that the management API and the voice node
 * build the engine, models and flows the same way without importing each other.
 */
export { type CoreServiceDeps, type CoreServices, createCoreServices } from './core-services.ts';
export { createModelServices, type ModelDeps } from './model-services.ts';
export { createOrchestrationServices, type OrchestrationDeps } from './orchestration-services.ts';
