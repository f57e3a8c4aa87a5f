// The console's actions (POST, each with the session's anti-CSRF token): decide an approval, acknowledge
// a page, cancel a run, release a device, simulate a playbook. Deciding goes through the run's Update
// validator with channel `console`, exactly as every other channel: the role only opens the door.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Detection } from '../../core/detection';
import { parseDuration } from '../../core/duration';
import { confirmPage, messagePage } from '../../console/pages/misc';
import { playbooksPage, type SimulationForm, type SimulationResult } from '../../console/pages/playbooks';
import type { Viewer } from '../../console/model';
import { PATHS, storyUrl } from '../../console/paths';
import { simulate } from '../../simulator/simulate';
import { workflowIdOf } from '../../core/messages';
import {
  DEVICE_RELEASE_WORKFLOW,
  RELEASE_OF,
  releaseWorkflowId,
  type ReleaseInput,
} from '../../workflows/device-release';
import { parseAnyDetection } from '../../intake/formats';
import { submitAck, submitDecision, type SubmitResult } from '../interactions/submit';
import { containedDevices } from './ledger';
import { emptySimulationForm, playbooksModel } from './pages';
import { consoleRoute, sendPage, type Authenticate, type ConsoleContext, type Flash } from './context';
import { safeReturnTo } from './session';
import { CANCEL_IDENTITY_PREFIX } from './story';

interface Helpers {
  authed: Authenticate;
  csrf: (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;
  redirectWithFlash: (reply: FastifyReply, to: string, flash: Flash) => FastifyReply;
}

const UPDATE_DEADLINE_MS = 5000;
type Body = Record<string, string | undefined>;

function field(b: Body | undefined, k: string, max = 1000): string {
  const v = b?.[k];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

/** A free-text reason as recorded: one line, at most 500 characters. */
function reasonOf(b: Body | undefined): string {
  return field(b, 'reason', 500).replace(/\s+/g, ' ').trim();
}

/** A form that could not be acted on: 400, what was not done and why. */
function refuse(reply: FastifyReply, viewer: Viewer, title: string, text: string): FastifyReply {
  return sendPage(reply, 400, messagePage(title, text, { viewer }));
}

/** Every action is confirmed on a page of its own first: that page, unless the form was confirmed. */
function unconfirmed(
  reply: FastifyReply,
  body: Body | undefined,
  viewer: Viewer,
  action: string,
  question: string,
  fields: Record<string, string>,
): FastifyReply | undefined {
  if (field(body, 'confirmed') === '1') return undefined;
  return sendPage(reply, 200, confirmPage(viewer, action, question, fields));
}

function resultText(r: SubmitResult, what: string): Flash {
  if (r.kind === 'ok')
    return { ok: true, text: `Recorded: ${r.outcome}. Every channel now shows the ${what}.` };
  if (r.kind === 'timeout') return { ok: false, text: `Not recorded yet: ${r.reason}.` };
  return { ok: false, text: `Not recorded: ${r.reason}. Nothing was changed.` };
}

/** An instant with its zone, as `nightshift simulate --at` takes it. */
function instant(s: string): Date | null {
  const ok =
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) &&
    !Number.isNaN(Date.parse(s));
  return ok ? new Date(s) : null;
}

export async function actionRoutes(app: FastifyInstance, ctx: ConsoleContext, h: Helpers): Promise<void> {
  const post = (summary: string) => ({ preHandler: h.csrf, ...consoleRoute(summary) });

  app.post<{ Body: Body }>(
    PATHS.decide,
    post('Decide an approval (form: id, outcome; the run decides who may)'),
    async (req, reply) => {
      const a = await h.authed(req, reply, 'answer');
      if (!a) return reply;
      const id = field(req.body, 'id', 600);
      const outcome = field(req.body, 'outcome');
      const wf = workflowIdOf(id);
      const back = safeReturnTo(field(req.body, 'back'), PATHS.inbox);
      if (!wf || (outcome !== 'approved' && outcome !== 'denied'))
        return refuse(reply, a.viewer, 'Not recorded', 'The approval or the answer is malformed.');
      const question = `${outcome === 'approved' ? 'Approve' : 'Deny'} this request?`;
      const confirm = unconfirmed(reply, req.body, a.viewer, PATHS.decide, question, { id, outcome, back });
      if (confirm) return confirm;
      const r = await submitDecision(
        ctx.client,
        { approvalId: id, personId: a.viewer.personId, outcome, channel: 'console' },
        `console:${randomUUID()}`,
        UPDATE_DEADLINE_MS,
      );
      req.log.info({ person: a.viewer.personId, id, outcome, result: r.kind }, 'console decision');
      return h.redirectWithFlash(reply, back, resultText(r, 'decision'));
    },
  );

  app.post<{ Body: Body }>(PATHS.ack, post('Acknowledge a page (form: id)'), async (req, reply) => {
    const a = await h.authed(req, reply, 'answer');
    if (!a) return reply;
    const id = field(req.body, 'id', 600);
    const back = safeReturnTo(field(req.body, 'back'), PATHS.inbox);
    if (!workflowIdOf(id)) return refuse(reply, a.viewer, 'Not recorded', 'The page id is malformed.');
    const confirm = unconfirmed(reply, req.body, a.viewer, PATHS.ack, 'Acknowledge this page?', { id, back });
    if (confirm) return confirm;
    const r = await submitAck(
      ctx.client,
      { pageId: id, personId: a.viewer.personId, channel: 'console' },
      `console:${randomUUID()}`,
      UPDATE_DEADLINE_MS,
    );
    req.log.info({ person: a.viewer.personId, id, result: r.kind }, 'console acknowledgement');
    return h.redirectWithFlash(reply, back, resultText(r, 'acknowledgement'));
  });

  app.post<{ Body: Body }>(PATHS.cancel, post('Cancel a run, with a reason (admins)'), async (req, reply) => {
    const a = await h.authed(req, reply, 'cancel');
    if (!a) return reply;
    const id = field(req.body, 'id');
    const reason = reasonOf(req.body);
    if (!id || reason.length < 3)
      return refuse(reply, a.viewer, 'Not cancelled', 'Give the run and a reason (3 characters or more).');
    const question = `Cancel this run? (${reason})`;
    const confirm = unconfirmed(reply, req.body, a.viewer, PATHS.cancel, question, { id, reason });
    if (confirm) return confirm;
    const run = await ctx.data.run(id);
    if (!run || run.temporalStatus !== 'running')
      return h.redirectWithFlash(reply, storyUrl('', id), {
        ok: false,
        text: 'This run is not running: nothing to cancel.',
      });
    // The identity and reason are recorded in the run's history (WorkflowExecutionCancelRequested).
    await ctx.client.workflowService.requestCancelWorkflowExecution({
      namespace: ctx.namespace,
      workflowExecution: { workflowId: id },
      identity: `${CANCEL_IDENTITY_PREFIX}${a.viewer.personId}`,
      requestId: randomUUID(),
      reason,
    });
    req.log.info({ person: a.viewer.personId, workflowId: id }, 'console cancel');
    return h.redirectWithFlash(reply, storyUrl('', id), {
      ok: true,
      text: 'Cancel asked: the run stops at its next step.',
    });
  });

  app.post<{ Body: Body }>(
    PATHS.release,
    post('Release or unrestrict a device Nightshift contained, with a reason'),
    async (req, reply) => {
      const a = await h.authed(req, reply, 'release');
      if (!a) return reply;
      const device = field(req.body, 'device', 200);
      const containment = field(req.body, 'action', 40);
      const reason = reasonOf(req.body);
      const action = RELEASE_OF[containment];
      if (!device || !action || reason.length < 3)
        return refuse(
          reply,
          a.viewer,
          'Not released',
          'Give the device, what to undo and a reason (3 characters or more).',
        );
      const question = `${action === 'release' ? 'Release' : 'Unrestrict'} ${device}? (${reason})`;
      const fields = { device, action: containment, reason };
      const confirm = unconfirmed(reply, req.body, a.viewer, PATHS.release, question, fields);
      if (confirm) return confirm;
      // Only what Nightshift contained and has not released (the same reading as the Devices page).
      const { runs } = await ctx.client.withDeadline(Date.now() + 60_000, () => ctx.data.scan());
      const contained = containedDevices(
        runs,
        () => undefined,
        (x) => x,
      ).find((d) => d.deviceId === device && d.action === containment);
      if (!contained)
        return h.redirectWithFlash(reply, PATHS.devices, {
          ok: false,
          text: `${device} is not ${containment === 'isolate' ? 'isolated' : 'restricted'} by Nightshift: nothing to release.`,
        });
      const input: ReleaseInput = {
        deviceId: device,
        action,
        personId: a.viewer.personId,
        personName: a.viewer.name,
        reason,
        channel: 'console',
        containedBy: { workflowId: contained.runId, actionId: contained.actionId },
      };
      try {
        await ctx.client.workflow.start(DEVICE_RELEASE_WORKFLOW, {
          workflowId: releaseWorkflowId(device, action, contained.actionId),
          taskQueue: ctx.taskQueue,
          args: [input],
          // One at a time per containment: a second click while it runs finds the first. Once it has
          // finished, the device is still listed only if Defender did not release it (failed, timed
          // out), and asking again must then be possible.
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError)
          return h.redirectWithFlash(reply, PATHS.devices, {
            ok: false,
            text: `A release of ${device} is already in progress.`,
          });
        throw err;
      }
      req.log.info({ person: a.viewer.personId, device, action }, 'console release');
      return h.redirectWithFlash(reply, PATHS.devices, {
        ok: true,
        text: `Release of ${device} asked: Defender acts within Nightshift's quota; it shows in the audit.`,
      });
    },
  );

  app.post<{ Body: Body }>(
    PATHS.simulate,
    post('Simulate a playbook on a virtual clock'),
    async (req, reply) => {
      const a = await h.authed(req, reply, 'simulate');
      if (!a) return reply;
      const b = req.body;
      const form: SimulationForm = {
        ...emptySimulationForm(ctx),
        playbook: field(b, 'playbook', 200),
        detectionJson: field(b, 'detection', 262_144),
        pastRun: field(b, 'pastRun', 1000),
        at: field(b, 'at', 40).trim(),
        approval: field(b, 'approval', 20),
        approvalAfter: field(b, 'approvalAfter', 20).trim(),
        approver: field(b, 'approver', 100),
        ack: field(b, 'ack', 20).trim(),
      };
      const errors: string[] = [];
      const ir = ctx.current().playbooks.find((p) => p.name === form.playbook);
      if (!ir) errors.push(`playbook: no playbook "${form.playbook}" is served`);
      const at = instant(form.at);
      if (!at)
        errors.push(
          `instant: "${form.at}" is not an ISO-8601 instant with a zone, e.g. 2026-11-22T03:00:00Z`,
        );
      const approval = form.approval as 'approved' | 'denied' | 'none';
      if (!['approved', 'denied', 'none'].includes(approval))
        errors.push('approvals: approved, denied or never answered');
      const approvalAfterMs = parseDuration(form.approvalAfter || '1m');
      if (approvalAfterMs === null)
        errors.push(`answered after: "${form.approvalAfter}" is not a duration such as 30s or 15m`);
      const ackAfterMs = form.ack && form.ack !== 'none' ? parseDuration(form.ack) : null;
      if (form.ack && form.ack !== 'none' && ackAfterMs === null)
        errors.push(`pages acknowledged after: "${form.ack}" is not a duration such as 4m`);
      if (form.approver && !a.org.people[form.approver])
        errors.push(`answered by: "${form.approver}" is not a person`);
      let detection: Detection | undefined;
      if (form.pastRun) {
        const run = await ctx.data.run(form.pastRun);
        detection = run?.digest.detections[0]?.detection;
        if (!detection) errors.push(`past detection: run ${form.pastRun} has no detection`);
      } else if (!form.detectionJson.trim()) {
        errors.push('detection: paste one (JSON) or pick a past one');
      } else {
        let raw: unknown;
        try {
          raw = JSON.parse(form.detectionJson);
        } catch (err) {
          errors.push(`detection: not valid JSON: ${(err as Error).message}`);
        }
        if (raw !== undefined) {
          const parsed = parseAnyDetection(raw, undefined, { now: at ?? ctx.now() });
          if (parsed.detection) detection = parsed.detection;
          else errors.push(...parsed.errors.map((e) => `detection: ${e.path}: ${e.message}`));
        }
      }
      const model = await playbooksModel(ctx, a.viewer, a.org, form);
      if (errors.length || !ir || !at || !detection || approvalAfterMs === null)
        return sendPage(reply, 400, playbooksPage({ ...model, errors }));
      const report = await simulate(ir, a.org, detection, {
        at,
        approval,
        approvalAfterMs,
        approver: form.approver || undefined,
        ackAfterMs,
      });
      const result: SimulationResult = {
        outcome: report.outcome,
        startedAt: report.started_at,
        finishedAt: report.finished_at,
        steps: report.steps.map((s) => ({
          id: s.id,
          status: s.status,
          detail: Object.entries(s)
            .filter(
              ([k, v]) =>
                !['id', 'status', 'started_at', 'finished_at'].includes(k) && v !== '' && v !== false,
            )
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' '),
        })),
        effects: report.effects.map((e) => ({ at: e.at, kind: e.kind, target: e.target ?? e.device ?? '' })),
        refused: report.refused,
      };
      return sendPage(reply, 200, playbooksPage({ ...model, result }));
    },
  );
}
