// What runs of the same org share inside a worker: one org object and one compiled CEL environment per
// org content hash, instead of a copy of each (with its expanded holidays and its CEL programs) per cached
// run. Shared only because this module is preloaded (worker/workflow-bundle.ts SHARED_WORKFLOW_MODULES):
// the SDK gives every run its own instance of every other module of the bundle. Safe to share: the org
// hash covers its whole content (compiler/org.ts), and evaluation is synchronous and pure, so a run never
// sees another's state.
import type { OrgIR } from '../core/ir';
import { createEvaluator, type Evaluator } from '../engine/expr/runtime';

/** Orgs kept at once: the deployed one and the few that runs started before a redeploy still pin. */
const MAX_ORGS = 8;

interface Shared {
  org: OrgIR;
  ev: Evaluator;
}

const byHash = new Map<string, Shared>();

/** The worker's one copy of `org` (by content hash) and its evaluator. */
export function sharedOrg(org: OrgIR): Shared {
  let s = byHash.get(org.hash);
  if (s) {
    // Most recently used last: the oldest org goes first when the map is full.
    byHash.delete(org.hash);
  } else {
    s = { org, ev: createEvaluator(org) };
    if (byHash.size >= MAX_ORGS) byHash.delete(byHash.keys().next().value as string);
  }
  byHash.set(org.hash, s);
  return s;
}
