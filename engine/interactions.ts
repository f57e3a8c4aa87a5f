// The approvals and pages of a run, and the answers people give them. The run's Update validators call
// validateDecision/validateAck (a refusal throws InteractionRefused and leaves nothing in history); the
// handlers decide/ack apply a validated answer. First valid answer wins.
import type { Decision } from '../core/effects';
import type {
  Ack,
  AckInput,
  AnsweredInteraction,
  DecideInput,
  PendingApproval,
  PendingPage,
} from '../core/messages';
import { alreadyAnswered } from '../core/messages';

/** A refused approval or acknowledgement: the validator throws it, nothing is recorded. */
export class InteractionRefused extends Error {
  override name = 'InteractionRefused';
}

export interface ApprovalState extends PendingApproval {
  decision?: Decision;
  /** Errors of every ask, when no channel could be reached. */
  unreachable?: string[];
}

export interface PageState extends PendingPage {
  ack?: Ack;
}

export class Interactions {
  readonly approvals = new Map<string, ApprovalState>();
  readonly pages = new Map<string, PageState>();
  private readonly usedCodes = new Set<string>();

  constructor(
    private readonly personName: (id: string) => string,
    private readonly now: () => Date,
    private readonly random: () => number,
  ) {}

  /** Four digits people can type in an SMS reply; unique within the run. */
  newCode(): string {
    for (;;) {
      const code = String(1000 + Math.floor(this.random() * 9000));
      if (!this.usedCodes.has(code)) {
        this.usedCodes.add(code);
        return code;
      }
    }
  }

  /** Synchronous validation of a decision: throws InteractionRefused, leaving no trace. */
  validateDecision(input: DecideInput): void {
    const a = this.approvals.get(input.approvalId);
    if (!a) throw new InteractionRefused(`approval ${input.approvalId} is not part of this run`);
    if (a.decision) {
      const d = a.decision;
      throw new InteractionRefused(
        alreadyAnswered({ outcome: d.outcome, by: d.decidedBy, channel: d.channel }, this.personName),
      );
    }
    if (input.outcome !== 'approved' && input.outcome !== 'denied') {
      throw new InteractionRefused(`outcome must be approved or denied, not ${String(input.outcome)}`);
    }
    if (!a.approvers.includes(input.personId)) {
      // Someone of a later escalation stage answering early is told when they may decide.
      const later = a.stages?.find((s) => s.status === 'pending' && s.people.includes(input.personId));
      if (later) {
        throw new InteractionRefused(
          `${input.personId} may not decide yet: escalation stage ${later.stage} asks them from ${later.at}`,
        );
      }
      throw new InteractionRefused(`${input.personId} may not decide this approval`);
    }
  }

  /** Applies a validated decision. First valid answer wins: a later one returns the decision in force. */
  decide(input: DecideInput): Decision {
    const a = this.approvals.get(input.approvalId);
    if (!a) throw new InteractionRefused(`approval ${input.approvalId} is not part of this run`);
    if (!a.decision) {
      a.decision = {
        outcome: input.outcome,
        decidedBy: input.personId,
        decidedAt: this.now().toISOString(),
        channel: input.channel,
        timedOut: false,
      };
    }
    return a.decision;
  }

  validateAck(input: AckInput): void {
    const p = this.pages.get(input.pageId);
    if (!p) throw new InteractionRefused(`page ${input.pageId} is not part of this run`);
    if (p.ack)
      throw new InteractionRefused(
        alreadyAnswered(
          { outcome: 'acknowledged', by: p.ack.ackedBy, channel: p.ack.channel },
          this.personName,
        ),
      );
    if (!p.paged.includes(input.personId)) throw new InteractionRefused(`${input.personId} was not paged`);
  }

  ack(input: AckInput): Ack {
    const p = this.pages.get(input.pageId);
    if (!p) throw new InteractionRefused(`page ${input.pageId} is not part of this run`);
    p.ack ??= { ackedBy: input.personId, ackedAt: this.now().toISOString(), channel: input.channel };
    return p.ack;
  }

  pendingApprovals(): PendingApproval[] {
    return [...this.approvals.values()]
      .filter((a) => !a.decision)
      .map(({ decision: _d, ...a }) => ({
        ...a,
        approvers: [...a.approvers],
        ...(a.stages ? { stages: a.stages.map((s) => ({ ...s })) } : {}),
      }));
  }

  pendingPages(): PendingPage[] {
    return [...this.pages.values()].filter((p) => !p.ack).map(({ ack: _a, ...p }) => p);
  }

  /** Approvals decided and pages acknowledged, with their codes (RunState.answered). */
  answered(): AnsweredInteraction[] {
    const out: AnsweredInteraction[] = [];
    for (const a of this.approvals.values()) {
      if (!a.decision) continue;
      const d = a.decision;
      out.push({
        kind: 'approval',
        id: a.approvalId,
        code: a.code,
        people: a.approvers,
        outcome: d.outcome,
        by: d.decidedBy,
        channel: d.channel,
        at: d.decidedAt,
      });
    }
    for (const p of this.pages.values()) {
      if (!p.ack) continue;
      out.push({
        kind: 'page',
        id: p.pageId,
        code: p.code,
        people: p.paged,
        outcome: 'acknowledged',
        by: p.ack.ackedBy,
        channel: p.ack.channel,
        at: p.ack.ackedAt,
      });
    }
    return out;
  }
}
