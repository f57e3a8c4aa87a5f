// Assembles the activities of both task queues from the environment. Without credentials, each
// system gets its dry-run adapter (clearly labelled in logs), so `nightshift start` works anywhere.
import os from 'node:os';
import type { Client } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import { createBlastRadiusActivities } from '../activities/blast-radius';
import { channelConfigFromEnv, channelModes, type ChannelConfig } from '../integrations/channels-config';
import { createChannelActivities } from '../activities/channels';
import { type Logger } from '../platform/log';
import { TASK_QUEUE, defenderTaskQueue } from '../core/queues';
import { createDefenderActivities } from '../activities/defender';
import { DefenderClient } from '../integrations/defender/client';
import { processQuota } from '../activities/defender-quota';
import { defenderConfigFromEnv } from '../integrations/defender/config';
import { defenderWorkerOptions } from '../integrations/defender/worker-options';
import { createIntakeActivities } from '../activities/intake';
import * as smoke from '../activities/smoke';
import { withKeepAlive } from '../activities/keep-alive';
import { webhook } from '../activities/webhook';
import { instrumentDefender, type Metrics } from '../platform/metrics';
import type { PlaybookRegistry } from '../intake/registry';

export interface ActivitySets {
  main: object;
  defender: object;
  defenderOptions: Partial<WorkerOptions>;
  /** One line per system: live or dry run. */
  modes: string[];
  channelConfig: ChannelConfig;
  /** Defender credentials are configured (not a dry run). */
  defenderLive: boolean;
  /**
   * Live only: shares this process's quota gate with the other processes polling the Defender queue
   * (call once the workers run; returns the stop function).
   */
  shareDefenderQuota?: () => () => void;
}

export function buildActivities(opts: {
  env: NodeJS.ProcessEnv;
  client: Client;
  registry: PlaybookRegistry;
  logger: Logger;
  metrics: Metrics;
  taskQueue?: string;
  /** The live Defender client (its login checked at start); one is created when absent. */
  defenderClient?: DefenderClient;
  /** The banner line of that check (integrations/defender/auth-check.ts), e.g. `Defender: live (token ok)`. */
  defenderLogin?: string;
}): ActivitySets {
  const taskQueue = opts.taskQueue ?? TASK_QUEUE;
  const channelCfg = channelConfigFromEnv(opts.env);
  const defenderCfg = defenderConfigFromEnv(opts.env);
  const defenderQueue = defenderTaskQueue(taskQueue);
  // Live: every API call takes a slot of this process's share of the quota (integrations/defender/quota.ts).
  const defenderClient = defenderCfg.dryRun
    ? undefined
    : (opts.defenderClient ?? new DefenderClient(defenderCfg));
  // The SDK's default identity, stated so that this process finds itself among the queue's pollers.
  const identity = `${process.pid}@${os.hostname()}`;
  const quota =
    defenderClient && !defenderCfg.dryRun
      ? processQuota({
          quotas: defenderCfg.quotas,
          client: defenderClient,
          temporal: opts.client,
          taskQueue: defenderQueue,
          identity,
          onError: (err) =>
            opts.logger.warn({ err }, 'could not count the Defender queue pollers; the quota share stays'),
        })
      : undefined;
  // Every activity heartbeats while it runs (where its options ask for heartbeats): a worker killed
  // mid-activity is replaced within the heartbeat timeout.
  return {
    main: withKeepAlive({
      ...createChannelActivities(channelCfg, {
        log: opts.logger,
        env: opts.env,
        org: () => opts.registry.current.org,
      }),
      webhook,
      ...createBlastRadiusActivities(opts.client, taskQueue),
      ...createIntakeActivities(opts.client, opts.registry, taskQueue),
      ...smoke,
    }),
    defender: withKeepAlive(
      instrumentDefender(
        createDefenderActivities(defenderCfg, { logger: opts.logger, client: defenderClient }),
        opts.metrics,
      ),
    ),
    defenderOptions: { ...defenderWorkerOptions({ taskQueue: defenderQueue }), identity },
    defenderLive: defenderCfg.mode === 'live',
    ...(quota ? { shareDefenderQuota: quota.share } : {}),
    channelConfig: channelCfg,
    modes: [
      defenderCfg.mode === 'live'
        ? (opts.defenderLogin ?? 'Defender: live')
        : 'Defender: DRY RUN (no DEFENDER_* credentials)',
      ...channelModes(channelCfg, opts.registry.current.org, opts.env),
    ],
  };
}
