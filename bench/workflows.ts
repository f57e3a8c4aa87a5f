// The benchmark's workflow bundle: every product workflow, plus the hand-written containment workflow
// that prices the interpreter. The bench writes it to bench/out/build/workflow-bundle.js, where the
// worker's own start-up code (worker/worker.ts) finds a prebuilt bundle, so the worker is the product's.
export * from '../workflows';
export { handContainment } from './hand-containment';
export { floorIsolation } from './floor-isolation';
