// Adaptive Cards (v1.4, no Action.Submit: webhooks cannot receive it — reference/channels.md §3.4).
// Approvals therefore carry Action.OpenUrl signed links, one pair per approver.
import type { Decision, RunRef } from '../../core/effects';
import type { Card } from './adapter';
import { cap, plainText, teamsText } from '../escape';

function card(body: unknown[], actions?: unknown[]): Card {
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(actions && actions.length ? { actions } : {}),
  };
}

/** Longest text of one element: a hostile detection must not push a card past Teams' 28 KB. */
const MAX_TEXT = 2000;

// TextBlock text and Fact values are Markdown: everything not ours goes through teamsText.
const md = (text: string) => teamsText(cap(text, MAX_TEXT));

function facts(run: RunRef, extra: Array<[string, string]> = []): unknown {
  return {
    type: 'FactSet',
    facts: [
      { title: 'Playbook', value: md(`${run.playbook} v${run.playbookVersion}`) },
      { title: 'Step', value: md(run.stepId) },
      { title: 'Detection', value: md(run.detectionId) },
      ...extra.map(([title, value]) => ({ title, value: md(value) })),
    ],
  };
}

const heading = (text: string) => ({
  type: 'TextBlock',
  size: 'Medium',
  weight: 'Bolder',
  wrap: true,
  text: md(text),
});
const para = (text: string) => ({ type: 'TextBlock', wrap: true, text: md(text) });

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
    const name = cap(plainText(l.name), 100);
    body.push(
      { type: 'TextBlock', wrap: true, text: `Answer as **${teamsText(name)}** (the link is yours alone):` },
      {
        type: 'ActionSet',
        actions: [
          // Action titles are plain text.
          { type: 'Action.OpenUrl', title: `Approve (${name})`, url: l.approve, style: 'positive' },
          { type: 'Action.OpenUrl', title: `Deny (${name})`, url: l.deny, style: 'destructive' },
        ],
      },
    );
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
