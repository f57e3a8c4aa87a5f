// The step kinds the interpreter runs, by kind: one handler each (engine/steps/types.ts says what a
// handler is). A new kind is one file and one entry here.
import { approval } from './approval';
import { defender } from './defender';
import { defenderHunt } from './defender-hunt';
import { defenderLiveResponse } from './defender-live-response';
import { defenderLookup } from './defender-lookup';
import { defenderUpdateIncident } from './defender-update-incident';
import { notify } from './notify';
import { page } from './page';
import type { StepHandlers } from './types';
import { wait } from './wait';
import { webhook } from './webhook';

export const STEP_HANDLERS: StepHandlers = {
  notify,
  approval,
  page,
  wait,
  defender,
  webhook,
  defender_lookup: defenderLookup,
  defender_hunt: defenderHunt,
  defender_live_response: defenderLiveResponse,
  defender_update_incident: defenderUpdateIncident,
};
