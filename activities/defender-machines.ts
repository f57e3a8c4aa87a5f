// defenderLookupMachine: the machine a detection's device is, and what Defender knows about it (issue 15
// §1-2). The lookup plan (integrations/defender/machines.ts: MDE id, else host name, else IP at the
// detection's time) is walked one API call per task; a merged record is followed to the machine it was
// merged into. Exactly one live, onboarded, unmerged match is `found`; none or several are answered as
// such, naming the candidates — never a guess. An API error fails the activity (the engine then marks
// the device `failed`: protected for automatic isolation).
import type { MachineLookupRequest, MachineLookupResult } from '../core/defender-effects';
import { emptyEnrichment } from '../core/defender-effects';
import {
  describeCandidates,
  enrichment,
  getMachine,
  listMachines,
  findMachinesByIp,
  lookupPlan,
  pickMachine,
  type Candidate,
  type MdeMachine,
} from '../integrations/defender/machines';
import { CallBudget, type DefenderClient } from '../integrations/defender/client';
import { toDefenderFailure } from '../integrations/defender/errors';
import { continueWith, isStatus, previousProgress } from './defender-task';

interface LookupProgress {
  /** The plan step to run. */
  step: number;
  /** A merged record's successor, to read next. */
  follow: string;
  hops: number;
  /** What earlier steps saw, for the failure message. */
  seen: Candidate[];
}

/** Merged records followed at most this far (a merge of a merge…). */
const MAX_HOPS = 3;

function notFound(who: string, how: string, seen: Candidate[]): MachineLookupResult {
  const detail = seen.length ? `; seen: ${describeCandidates(seen)}` : '';
  return {
    mde: {
      ...emptyEnrichment('not_found'),
      error: `no live, onboarded Defender machine matches ${who} (${how})${detail}`,
      candidates: seen.slice(0, 10),
    },
    dryRun: false,
  };
}

export function createMachineLookup(client: DefenderClient) {
  return async function defenderLookupMachine(req: MachineLookupRequest): Promise<MachineLookupResult> {
    const budget = new CallBudget();
    const who = req.device.name || req.device.id;
    const plan = lookupPlan(req.device, req.detectedAt, Date.now());
    if (plan.length === 0) return notFound(who, 'no MDE id, host name or recent IP to look it up by', []);
    const p = previousProgress<LookupProgress>();
    const i = Math.min(p.step ?? 0, plan.length - 1);
    const step = plan[i];
    const seen = p.seen ?? [];
    const tried = plan
      .slice(0, i + 1)
      .map((s) => s.by)
      .join(', then ');
    const orNext = (more: Candidate[]): MachineLookupResult => {
      const all = [...seen, ...more].slice(0, 10);
      if (i + 1 < plan.length) {
        throw continueWith({ step: i + 1, seen: all }, `${who} not found by ${step.by}`);
      }
      return notFound(who, `looked up by ${tried}`, all);
    };
    try {
      if (p.follow || step.by === 'id') {
        const id = p.follow ?? (step.by === 'id' ? step.id : '');
        let m: MdeMachine;
        try {
          m = await getMachine(client, id, budget);
        } catch (err) {
          if (isStatus(err, 404)) return orNext([]);
          throw err;
        }
        const hops = p.hops ?? 0;
        if (m.mergedIntoMachineId && hops < MAX_HOPS) {
          throw continueWith(
            { step: i, follow: m.mergedIntoMachineId, hops: hops + 1, seen },
            `machine ${id} was merged into ${m.mergedIntoMachineId}`,
          );
        }
        // A machine named by its id is the detection's own word (reference §15.8 rule 1): taken as it
        // is, its health and onboarding shown in device.mde.
        return { mde: enrichment(m, p.follow ? 'id' : step.by), dryRun: false };
      }
      let records: MdeMachine[];
      try {
        records =
          step.by === 'name'
            ? await listMachines(client, step.filter, budget)
            : await findMachinesByIp(client, step.ip, step.timestamp, budget);
      } catch (err) {
        // "If there are no recent machines, you see 404" (reference §15.8): no match.
        if (step.by === 'name' && isStatus(err, 404)) records = [];
        else throw err;
      }
      const r = pickMachine(records, step.by === 'name' ? step.name : undefined);
      if (r.outcome === 'found') return { mde: enrichment(r.machine, step.by), dryRun: false };
      if (r.outcome === 'ambiguous') {
        return {
          mde: {
            ...emptyEnrichment('ambiguous'),
            error: `${who} matches ${r.candidates.length} live Defender machines (by ${step.by}): ${describeCandidates(r.candidates)} — name the machine by its id`,
            candidates: r.candidates.slice(0, 10),
          },
          dryRun: false,
        };
      }
      return orNext(r.candidates);
    } catch (err) {
      throw toDefenderFailure(err, `device ${who}`, 'machine lookup');
    }
  };
}
