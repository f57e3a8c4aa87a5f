// Adaptive Cards (v1.4, no Action.Submit: webhooks cannot receive it — reference/channels.md §3.4).
// Approvals therefore carry Action.OpenUrl signed links, one pair per approver.
import type { Decision, RunRef } from '../contracts';
import type { Card } from './adapter';

function card(body: unknown[], actions?: unknown[]): Card {
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(actions && actions.length ? { actions } : {}),
  };
}

function facts(run: RunRef, extra: Array<[string, string]> = []): unknown {
  return {
    type: 'FactSet',
    facts: [
      { title: 'Playbook', value: `${run.playbook} v${run.playbookVersion}` },
      { title: 'Step', value: run.stepId },
      { title: 'Detection', value: run.detectionId },
      ...extra.map(([title, value]) => ({ title, value })),
    ],
  };
}

const heading = (text: string) => ({ type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, text });
const para = (text: string) => ({ type: 'TextBlock', wrap: true, text });

export function notifyCard(run: RunRef, message: string, title?: string): Card {
  return card([heading(title ?? 'Nightshift'), para(message), facts(run)]);
}

export interface ApproverLinks {
  name: string;
  approve: string;
  deny: string;
}

export function approvalCard(opts: {
  run: RunRef;
  question: string;
  code: string;
  expiresAt: string;
  links: ApproverLinks[];
}): Card {
  const body: unknown[] = [
    heading('Approval needed'),
    para(opts.question),
    facts(opts.run, [
      ['Expires', opts.expiresAt],
      ['By SMS', `YES ${opts.code} / NO ${opts.code}`],
    ]),
  ];
  for (const l of opts.links) {
    body.push(para(`Answer as **${l.name}** (the link is yours alone):`), {
      type: 'ActionSet',
      actions: [
        { type: 'Action.OpenUrl', title: `Approve (${l.name})`, url: l.approve, style: 'positive' },
        { type: 'Action.OpenUrl', title: `Deny (${l.name})`, url: l.deny, style: 'destructive' },
      ],
    });
  }
  return card(body);
}

export function resolvedCard(question: string, decision: Decision, text: string): Card {
  return card([
    heading(decision.outcome === 'approved' ? 'Approved' : 'Denied'),
    para(question),
    para(`${text} at ${decision.decidedAt}`),
  ]);
}
