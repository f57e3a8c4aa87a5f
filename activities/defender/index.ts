// Microsoft Defender for Endpoint: config, client, activities, worker options (docs/defender.md).
export { createDefenderActivities, createDryRunActivities, type AllDefenderActivities } from './activities';
export {
  DEFAULT_CONFIRM_RULE,
  checkAlertRule,
  normalizeAlert,
  mapSeverity,
  mapStatus,
  type DefenderAlertActivities,
  type FetchAlertsRequest,
  type FetchAlertsResult,
} from './alerts';
export { DefenderClient } from './client';
export {
  defenderConfigFromEnv,
  describeDefenderConfig,
  DefenderConfigError,
  type DefenderConfig,
} from './config';
export { DEFENDER_POLL_INTERVAL_MS, DEFENDER_NON_RETRYABLE_TYPES, defenderActivityOptions } from './options';
export { defenderTaskRate, defenderWorkerOptions } from './worker';
