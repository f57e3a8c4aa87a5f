// The ChannelActivities the interpreter calls (core/effects.ts), routing each Recipient to the Slack,
// Teams, email or Twilio adapter (integrations/). A channel without credentials gets a dry-run delivery
// that records and logs "DRY RUN" and returns `dryRun: true`.
//
// Idempotency (design principle 3): every delivery is a named step of a Progress record heartbeated
// right after it succeeds (progress.ts), so a retried attempt never posts twice. Slack messages also
// carry the key as message metadata (found again if the heartbeat was lost) and email Message-IDs are
// derived from the key.
import type { ChannelActivities, RunRef } from '../../core/effects';
import type { ChannelConfig } from '../../integrations/channels-config';
import { approvalResolved } from './approval-resolved';
import { askApproval } from './ask-approval';
import { createDeliveries, type ChannelDeps } from './deliveries';
import { notify } from './notify';
import { page } from './page';

export type { ChannelDeps, DryRunRecord } from './deliveries';
export { withoutAckHint } from './page';

export function createChannelActivities(cfg: ChannelConfig, deps: ChannelDeps = {}): ChannelActivities {
  const d = createDeliveries(cfg, deps);
  return {
    notify: (req) => notify(d, req),
    askApproval: (req) => askApproval(d, req),
    approvalResolved: (req) => approvalResolved(d, req),
    page: (req) => page(d, req),
  };
}

/** Exposed for messages built outside the activities (e.g. the interactions server). */
export function describeRun(run: RunRef): string {
  return `${run.playbook} v${run.playbookVersion} / ${run.stepId}`;
}
