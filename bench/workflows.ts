// The benchmark's workflow bundle: every product workflow, plus the hand-written containment workflow
// that prices the interpreter and the floor of scenario 1. The bench writes it to
// bench/out/build/workflow-bundle.js (with its SDK stamp), where the worker's own start-up code
// (worker/workflow-bundle.ts) finds a fresh prebuilt bundle, so the worker is the product's.
export * from '../workflows';
export { handContainment } from './hand-containment';
export { floorIsolation } from './floor-isolation';
