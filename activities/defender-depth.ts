// The Defender activities of issue 15 (core/defender-effects.ts DefenderDepthActivities): machine lookup,
// hunting, live response, incidents — registered on the rate-limited Defender queue beside
// defenderSubmit/defenderPoll. Without a tenant (dry run) nothing is called: lookups answer `dry_run`
// (the device as the detection gives it, not a failure), hunts no rows, scripts "succeed" with exit 0.
import { log } from '@temporalio/activity';
import type {
  DefenderDepthActivities,
  EnsureScriptRequest,
  HuntRequest,
  IncidentReadRequest,
  IncidentUpdateRequest,
  MachineLookupRequest,
  RunScriptRequest,
  ScriptResultRequest,
} from '../core/defender-effects';
import { emptyEnrichment } from '../core/defender-effects';
import { libraryScript } from '../integrations/defender/live-response';
import type { EffectLogger } from '../platform/effect-log';
import { idempotencyTag } from '../integrations/defender/actions';
import type { DefenderClient } from '../integrations/defender/client';
import type { DefenderConfig } from '../integrations/defender/config';
import { createHunting } from './defender-hunting';
import { createIncidents } from './defender-incidents';
import { createLiveResponse } from './defender-live-response';
import { createMachineLookup } from './defender-machines';

export function createDefenderDepthActivities(
  cfg: DefenderConfig,
  deps: { client?: DefenderClient; logger?: EffectLogger },
): DefenderDepthActivities {
  const logger: EffectLogger = deps.logger ?? { info: (obj, msg) => log.info(msg ?? '', { ...obj }) };
  if (cfg.dryRun || !deps.client) return createDryRunDepthActivities(logger);
  const client = deps.client;
  return {
    defenderLookupMachine: createMachineLookup(client),
    defenderHunt: createHunting(client),
    ...createLiveResponse(client, logger, cfg.pollIntervalMs),
    ...createIncidents(client, logger, cfg.portalUrl),
  };
}

export function createDryRunDepthActivities(logger: EffectLogger): DefenderDepthActivities {
  const dry = (what: string, fields: Record<string, unknown>) =>
    logger.info(
      { dryRun: true, ...fields },
      `DRY RUN: Defender ${what} not performed (no Defender tenant configured)`,
    );
  return {
    async defenderLookupMachine(_req: MachineLookupRequest) {
      return { mde: emptyEnrichment('dry_run'), dryRun: true };
    },
    async defenderHunt(req: HuntRequest) {
      dry('hunt', { workflowId: req.run?.workflowId, stepId: req.run?.stepId });
      return {
        columns: Object.entries(req.columns ?? {}).map(([name, type]) => ({ name, type })),
        rows: [],
        row_count: 0,
        truncated: false,
        dryRun: true,
      };
    },
    async defenderEnsureScript(req: EnsureScriptRequest) {
      const s = libraryScript(req.action, req.platform);
      return { fileName: s.fileName, sha256: s.sha256, uploaded: false, dryRun: true };
    },
    async defenderRunScript(req: RunScriptRequest) {
      dry(`${req.action} on machine ${req.machineId}`, {
        workflowId: req.run?.workflowId,
        stepId: req.run?.stepId,
        machineId: req.machineId,
      });
      return { actionId: `dry-run-${idempotencyTag(String(req.key))}`, status: 'Succeeded', dryRun: true };
    },
    async defenderScriptResult(_req: ScriptResultRequest) {
      return { script_name: '', exit_code: 0, outcome: 'dry_run', detail: {}, output: '', errors: '' };
    },
    async defenderReadIncident(_req: IncidentReadRequest) {
      return { dryRun: true };
    },
    async defenderUpdateIncident(req: IncidentUpdateRequest) {
      dry(`update_incident ${req.incidentIds.join(', ')}`, {
        workflowId: req.run?.workflowId,
        stepId: req.run?.stepId,
      });
      return { updated: [], dryRun: true };
    },
  };
}
