// Helpers for integration tests: a client and a worker on the shared dev server of this test run.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  DefaultLogger,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { bundleOptions } from '../../worker/workflow-bundle';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createMetrics } from '../../platform/metrics';
import { metricsSinks } from '../../worker/sinks';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by another helper in this process.
  }
}

export function temporalAddress(): string {
  const address = process.env.NIGHTSHIFT_TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('no test Temporal server: run integration tests through jest (global setup starts it).');
  return address;
}

export async function testClient(): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: temporalAddress() });
  return { client: new Client({ connection }), connection };
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test file (bundling takes seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  // The product's bundler options (shared modules included), so tests run the workflows as workers do.
  bundle ??= bundleWorkflowCode(bundleOptions(require.resolve('../../workflows'), new DefaultLogger('WARN')));
  return bundle;
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

export async function createTestWorker(
  opts: Omit<WorkerOptions, 'connection' | 'workflowsPath' | 'workflowBundle'>,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  quietRuntime();
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  // The workflows report metrics through sinks; give them a registry of their own.
  const sinks = opts.sinks ?? metricsSinks(createMetrics());
  const worker = await Worker.create({ ...opts, sinks, connection, workflowBundle: await workflowBundle() });
  return { worker, connection };
}
