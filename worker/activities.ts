// Assembles the activities of both task queues from the environment. Without credentials, each
// system gets its dry-run adapter (clearly labelled in logs), so `nightshift start` works anywhere.
import type { Client } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import { createBlastRadiusActivities } from '../activities/blast-radius';
import { channelConfigFromEnv, channelModes, type ChannelConfig } from '../integrations/channels-config';
import { createChannelActivities } from '../activities/channels';
import { type Logger } from '../platform/log';
import { TASK_QUEUE, defenderTaskQueue } from '../core/queues';
import { createDefenderActivities } from '../activities/defender';
import type { DefenderClient } from '../integrations/defender/client';
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
        createDefenderActivities(defenderCfg, { logger: opts.logger, client: opts.defenderClient }),
        opts.metrics,
      ),
    ),
    defenderOptions: defenderWorkerOptions(defenderCfg, { taskQueue: defenderTaskQueue(taskQueue) }),
    defenderLive: defenderCfg.mode === 'live',
    channelConfig: channelCfg,
    modes: [
      defenderCfg.mode === 'live'
        ? (opts.defenderLogin ?? 'Defender: live')
        : 'Defender: DRY RUN (no DEFENDER_* credentials)',
      ...channelModes(channelCfg, opts.registry.current.org, opts.env),
    ],
  };
}
