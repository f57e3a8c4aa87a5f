// Test harness: a fake Defender, the real client/activities configured from env against it, and two
// workers on the shared test Temporal server (workflows; the rate-limited Defender queue).
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { AllDefenderActivities } from '../../../core/defender-effects';
import { createDefenderActivities, type DefenderLogger } from '../../../activities/defender';
import { DefenderClient } from '../../../integrations/defender/client';
import {
  defenderConfigFromEnv,
  type DefenderConfig,
  type DefenderLiveConfig,
} from '../../../integrations/defender/config';
import { defenderWorkerOptions } from '../../../integrations/defender/worker-options';
import { QuotaGate } from '../../../integrations/defender/quota';
import { processQuota } from '../../../activities/defender-quota';
import { withKeepAlive } from '../../../activities/keep-alive';
import { temporalAddress, testClient, uniqueTaskQueue } from '../../support/temporal';
import { FakeDefender, type FakeDefenderOptions } from './fake-defender';

export const TENANT = '11111111-2222-3333-4444-555555555555';
export const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
export const SECRET = 'fake-client-secret-value-0123456789';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function defenderTestBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed in this process
  }
}

export async function startFake(opts: Partial<FakeDefenderOptions> = {}): Promise<FakeDefender> {
  return new FakeDefender({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, ...opts }).start();
}

export function liveConfig(fake: FakeDefender, env: Record<string, string> = {}): DefenderLiveConfig {
  const cfg = defenderConfigFromEnv(
    fake.env({
      DEFENDER_POLL_INTERVAL_MS: '100',
      DEFENDER_CALLS_PER_MINUTE: '6000',
      DEFENDER_CALLS_PER_HOUR: '360000',
      ...env,
    }),
  );
  if (cfg.dryRun) throw new Error('expected a live config');
  return cfg;
}

export interface Workers {
  taskQueue: string;
  defenderQueue: string;
  /** The live client (a dry-run config has none). */
  client: DefenderClient | undefined;
  activities: AllDefenderActivities;
  /** When each Defender activity task started (ms), for rate assertions. */
  taskStarts: number[];
  /** This harness's share of the quota (one "process" of the deployment). */
  gate: QuotaGate;
  stop(): Promise<void>;
}

/** Starts a workflow worker and a Defender activity worker; `extraActivities` go on the workflow queue. */
export async function startWorkers(
  cfg: DefenderConfig,
  opts: {
    taskQueue?: string;
    extraActivities?: object;
    client?: DefenderClient;
    /** Receives the activities' log lines (default: the activity logger). */
    logger?: DefenderLogger;
  } = {},
): Promise<Workers> {
  quietRuntime();
  const taskQueue = opts.taskQueue ?? uniqueTaskQueue('defender');
  const defenderQueue = `${taskQueue}-defender`;
  const client = cfg.dryRun ? undefined : (opts.client ?? new DefenderClient(cfg));
  const identity = `harness-${Math.random().toString(36).slice(2)}`;
  const temporal = await testClient();
  // As the worker does (worker/activities.ts), each harness being a "process" of its own; a dry run's
  // gate limits nothing.
  const quota = client
    ? processQuota({
        quotas: cfg.quotas,
        client,
        temporal: temporal.client,
        taskQueue: defenderQueue,
        identity,
        everyMs: 1_000,
      })
    : undefined;
  const gate = quota?.gate ?? new QuotaGate([]);
  const stopSharing = quota?.share() ?? (() => undefined);
  const taskStarts: number[] = [];
  const real = createDefenderActivities(cfg, { client, logger: opts.logger });
  const activities = Object.fromEntries(
    Object.entries(real).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        taskStarts.push(Date.now());
        return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  ) as unknown as AllDefenderActivities;
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const wfWorker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: await defenderTestBundle(),
    activities: opts.extraActivities ?? {},
  });
  const actWorker = await Worker.create({
    connection,
    ...defenderWorkerOptions({ taskQueue: defenderQueue, activities: withKeepAlive(activities) }),
    identity,
  });
  const runs = [wfWorker.run(), actWorker.run()];
  return {
    taskQueue,
    defenderQueue,
    client,
    activities,
    taskStarts,
    gate,
    async stop() {
      stopSharing();
      wfWorker.shutdown();
      actWorker.shutdown();
      await Promise.allSettled(runs);
      await connection.close();
      await temporal.connection.close();
    },
  };
}
