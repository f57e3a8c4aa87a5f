// Test-only workflows that behave like the interpreter's approval and page steps (the interpreter is
// written concurrently): ask through the channel activities, register decide/ack Updates with
// synchronous validators, wait, then show the decision everywhere.
import {
  condition,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ChannelActivities, Decision, PostedMessage, Recipient, RunRef } from '../../../core/effects';
import type { PersonIR } from '../../../core/ir';
import { ackUpdate, decideUpdate, stateQuery } from '../../../workflows/messages';
import { alreadyAnswered, interactionId, type RunState } from '../../../core/messages';
import { answeredCode, SA_PENDING_CODES } from '../../../core/search-attributes';

const acts = proxyActivities<ChannelActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '50 milliseconds', backoffCoefficient: 1, maximumAttempts: 5 },
});

function baseState(): RunState {
  return {
    playbook: 'contain-host',
    version: 1,
    hash: 'h',
    status: 'running',
    currentStep: null,
    detectionIds: ['det-1'],
    deviceIds: [],
    pendingApprovals: [],
    pendingPages: [],
    steps: [],
    effects: [],
  };
}

function runRef(stepId: string): RunRef {
  return {
    workflowId: workflowInfo().workflowId,
    playbook: 'contain-host',
    playbookVersion: 1,
    stepId,
    detectionId: 'det-1',
  };
}

export interface ApprovalTestInput {
  code: string;
  question: string;
  asks: Recipient[];
  approvers: PersonIR[];
  /** How people in `asks` are reached (the approval step's `via`). */
  via?: 'sms' | 'voice' | 'slack' | 'email';
  /** Keep running this long after the decision is shown (late answers find a running run). */
  holdMs?: number;
}

const names = (people: PersonIR[]) => (id: string) => people.find((p) => p.id === id)?.name ?? id;

export async function channelsApprovalTest(
  input: ApprovalTestInput,
): Promise<{ decision: Decision; messages: PostedMessage[] }> {
  const approvalId = interactionId(workflowInfo().workflowId, 'approval', 1);
  const state = baseState();
  let decision: Decision | undefined;
  setHandler(stateQuery, () => state);
  setHandler(
    decideUpdate,
    (d) => {
      decision = {
        outcome: d.outcome,
        decidedBy: d.personId,
        decidedAt: new Date().toISOString(),
        channel: d.channel,
        timedOut: false,
      };
      state.answered = [
        {
          kind: 'approval',
          id: approvalId,
          code: input.code,
          people: input.approvers.map((p) => p.id),
          outcome: decision.outcome,
          by: decision.decidedBy,
          channel: decision.channel,
          at: decision.decidedAt,
        },
      ];
      state.pendingApprovals = [];
      return decision;
    },
    {
      validator: (d) => {
        if (d.approvalId !== approvalId) throw new Error('unknown approval');
        if (decision)
          throw new Error(
            alreadyAnswered(
              { outcome: decision.outcome, by: decision.decidedBy, channel: decision.channel },
              names(input.approvers),
            ),
          );
        if (!input.approvers.some((p) => p.id === d.personId))
          throw new Error(`${d.personId} is not an approver of this request`);
      },
    },
  );
  const expiresAt = new Date(Date.now() + 15 * 60_000).toISOString();
  state.pendingApprovals = [
    {
      approvalId,
      stepId: 'approval',
      code: input.code,
      question: input.question,
      approvers: input.approvers.map((p) => p.id),
      askedAt: new Date().toISOString(),
      expiresAt,
    },
  ];
  upsertSearchAttributes([{ key: SA_PENDING_CODES, value: [input.code] }]);
  const messages = await Promise.all(
    input.asks.map((to, i) =>
      acts.askApproval({
        key: `${approvalId}|ask|${i}`,
        run: runRef('approval'),
        approvalId,
        code: input.code,
        to,
        question: input.question,
        approvers: input.approvers,
        expiresAt,
        ...(input.via ? { via: input.via } : {}),
      }),
    ),
  );
  await condition(() => decision !== undefined, '50 seconds');
  // As the playbook run does: the code moves from pending to answered.
  upsertSearchAttributes([{ key: SA_PENDING_CODES, value: [answeredCode(input.code)] }]);
  if (!decision) throw new Error('no decision');
  await acts.approvalResolved({
    key: `${approvalId}|resolved`,
    run: runRef('approval'),
    approvalId,
    question: input.question,
    decision,
    messages,
  });
  if (input.holdMs) await sleep(input.holdMs);
  return { decision, messages };
}

export interface PageTestInput {
  code: string;
  person: PersonIR;
  via: Array<'sms' | 'voice' | 'slack' | 'email'>;
  message: string;
}

export async function channelsPageTest(input: PageTestInput): Promise<{ ackedBy: string; channel: string }> {
  const pageId = interactionId(workflowInfo().workflowId, 'page', 1);
  const state = baseState();
  let ack: { ackedBy: string; ackedAt: string; channel: string } | undefined;
  setHandler(stateQuery, () => state);
  setHandler(
    ackUpdate,
    (a) => {
      ack = { ackedBy: a.personId, ackedAt: new Date().toISOString(), channel: a.channel };
      state.pendingPages = [];
      return ack;
    },
    {
      validator: (a) => {
        if (a.pageId !== pageId) throw new Error('unknown page');
        if (ack)
          throw new Error(
            alreadyAnswered(
              { outcome: 'acknowledged', by: ack.ackedBy, channel: ack.channel },
              names([input.person]),
            ),
          );
        if (a.personId !== input.person.id) throw new Error(`${a.personId} was not paged`);
      },
    },
  );
  state.pendingPages = [
    { pageId, stepId: 'page', code: input.code, paged: [input.person.id], pagedAt: new Date().toISOString() },
  ];
  upsertSearchAttributes([{ key: SA_PENDING_CODES, value: [input.code] }]);
  await Promise.all(
    input.via.map((via) =>
      acts.page({
        key: `${pageId}|${via}`,
        run: runRef('page'),
        pageId,
        code: input.code,
        person: input.person,
        via,
        message: input.message,
      }),
    ),
  );
  await condition(() => ack !== undefined, '50 seconds');
  upsertSearchAttributes([{ key: SA_PENDING_CODES, value: [] }]);
  return { ackedBy: ack!.ackedBy, channel: ack!.channel };
}
