// The console's pages (GET): each gathers its model from Temporal and the registry, and renders.
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatDiagnostic } from '../../compiler';
import type { Device } from '../../core/detection';
import type { OrgIR } from '../../core/ir';
import type { RunFilters, WaitingItem } from '../../console/model';
import { auditPage } from '../../console/pages/audit';
import { devicesPage } from '../../console/pages/devices';
import { inboxPage } from '../../console/pages/inbox';
import { messagePage } from '../../console/pages/misc';
import { oncallPage } from '../../console/pages/oncall';
import { playbooksPage, type PlaybooksModel, type SimulationForm } from '../../console/pages/playbooks';
import { runsPage } from '../../console/pages/runs';
import { storyPage, storyTopic } from '../../console/pages/story';
import { PATHS } from '../../console/paths';
import { parseDuration } from '../../core/duration';
import { PLAYBOOK_RUN_WORKFLOW } from '../../core/messages';
import { DEVICE_RELEASE_WORKFLOW } from '../../workflows/device-release';
import { SA_PENDING_CODES, SA_WAITING_FOR_APPROVAL, SA_OUTCOME } from '../../core/search-attributes';
import { listRuns, RunFilterError } from '../runs';
import { protectedCheck } from './data';
import type { Topic } from './events';
import { auditCsv, auditEntries, containedDevices, type DigestedRun } from './ledger';
import { onCallView } from './oncall';
import { consoleRoute, sendPage, type Authenticate, type ConsoleContext, type Flash } from './context';
import { buildStory, waitingItems, type RunView } from './story';

interface Helpers {
  authed: Authenticate;
  flashOf: (req: FastifyRequest, reply: FastifyReply) => Flash | undefined;
  /** A live topic's fingerprint, taken before a page reads its data (server/console/events.ts). */
  liveSeen: (topic: string) => Promise<string | undefined>;
}

const RUNS_LIMIT = 200;

function nameOf(org: OrgIR) {
  return (id: string) => org.people[id]?.name ?? id;
}

/** The pinned org of a run (its input), for policy.protected_devices as the run applies it. */
function pinnedOrg(run: { digest: { input?: unknown } }): OrgIR | undefined {
  return (run.digest.input as { org?: OrgIR } | undefined)?.org;
}

export async function inboxItems(ctx: ConsoleContext, org: OrgIR, personId: string) {
  const [{ runs, truncated }, budget] = await Promise.all([ctx.data.runningRuns(), ctx.data.budget(org)]);
  const items: WaitingItem[] = runs.flatMap((run) =>
    waitingItems(run, { org, viewerPersonId: personId, isProtected: protectedCheck(pinnedOrg(run)), budget }),
  );
  // Mine first, then by deadline (soonest first).
  items.sort(
    (a, b) => Number(b.mine) - Number(a.mine) || (a.deadline ?? '~').localeCompare(b.deadline ?? '~'),
  );
  // Running runs whose worker did not answer: what they wait for is unknown, not "nothing".
  const unanswered = runs.filter((r) => r.temporalStatus === 'running' && !r.state).length;
  return { items, truncated, unanswered };
}

function runsFilters(q: Record<string, string>): RunFilters {
  const f: RunFilters = {};
  for (const k of ['status', 'playbook', 'device', 'incident', 'detection', 'waiting', 'since'] as const) {
    const v = typeof q[k] === 'string' ? q[k].trim() : '';
    if (v) f[k] = v.slice(0, 300);
  }
  return f;
}

/** Device names, tags and protection, from the runs' detections (latest first). */
function deviceInfo(runs: DigestedRun[]) {
  const info = new Map<string, { name?: string; tags: string[]; protected?: boolean }>();
  for (const r of runs) {
    const isProtected = protectedCheck(pinnedOrg(r));
    for (const { detection } of r.digest.detections)
      for (const d of detection.devices ?? [])
        if (!info.has(d.id))
          info.set(d.id, { name: d.name, tags: d.tags ?? [], protected: isProtected(d as Device) });
  }
  return (id: string) => info.get(id);
}

function auditFilter(q: Record<string, string>) {
  const kind = typeof q.kind === 'string' ? q.kind.slice(0, 20) : '';
  const since = typeof q.since === 'string' ? q.since.slice(0, 10) : '';
  const person = typeof q.person === 'string' ? q.person.trim().slice(0, 100) : '';
  const ms = since ? parseDuration(since) : null;
  const clause = ms
    ? ` AND (CloseTime > '${new Date(Date.now() - ms).toISOString()}' OR ExecutionStatus = 'Running')`
    : '';
  return { kind, since, person, ms, clause };
}

async function audit(ctx: ConsoleContext, org: OrgIR, q: Record<string, string>) {
  const f = auditFilter(q);
  // Reading many histories takes longer than one request's usual bound on a cold cache.
  const { runs, truncated } = await ctx.client.withDeadline(Date.now() + 60_000, () =>
    ctx.data.scan(f.clause),
  );
  const cutoff = f.ms ? new Date(Date.now() - f.ms).toISOString() : '';
  const entries = auditEntries(runs, nameOf(org)).filter(
    (e) =>
      (!f.kind || e.kind === f.kind) && (!f.person || e.personId === f.person) && (!cutoff || e.at >= cutoff),
  );
  return {
    entries,
    truncated,
    runs: runs.length,
    filters: { kind: f.kind, since: f.since, person: f.person },
  };
}

export function emptySimulationForm(ctx: ConsoleContext): SimulationForm {
  return {
    playbook: ctx.current().playbooks[0]?.name ?? '',
    detectionJson: '',
    pastRun: '',
    at: ctx
      .now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z'),
    approval: 'approved',
    approvalAfter: '1m',
    approver: '',
    ack: '',
  };
}

export async function playbooksModel(
  ctx: ConsoleContext,
  viewer: PlaybooksModel['viewer'],
  org: OrgIR,
  form: SimulationForm,
): Promise<PlaybooksModel> {
  const cur = ctx.current();
  const last = ctx.lastLoad();
  const diags = last?.diagnostics ?? [];
  const refused = new Map<string, string[]>();
  for (const d of diags.filter((x) => x.severity === 'error')) {
    const list = refused.get(d.file) ?? [];
    list.push(formatDiagnostic(d));
    refused.set(d.file, list);
  }
  let pastRuns: PlaybooksModel['pastRuns'] = [];
  try {
    const list = await ctx.data.list(`WorkflowType = '${PLAYBOOK_RUN_WORKFLOW}'`, 30);
    pastRuns = list.map((w) => ({
      id: w.workflowId,
      label: `${w.workflowId} (${w.startTime.toISOString().slice(0, 16)})`,
    }));
  } catch {
    // The simulator works with a pasted detection too.
  }
  return {
    viewer,
    playbooks: cur.playbooks.map((p) => ({
      name: p.name,
      version: p.version,
      hash: p.hash,
      enabled: p.enabled,
      // As people find it: relative to where Nightshift runs, when it is below.
      file: path.relative(process.cwd(), p.file).startsWith('..')
        ? p.file
        : path.relative(process.cwd(), p.file),
      description: p.description,
    })),
    reload: last
      ? {
          at: last.at.toISOString(),
          ok: refused.size === 0,
          refused: [...refused].map(([file, diagnostics]) => ({ file, diagnostics })),
          warnings: diags.filter((x) => x.severity !== 'error').map(formatDiagnostic),
        }
      : null,
    people: Object.values(org.people).map((p) => ({ id: p.id, name: p.name })),
    pastRuns,
    form,
  };
}

export async function pageRoutes(app: FastifyInstance, ctx: ConsoleContext, h: Helpers): Promise<void> {
  app.get(PATHS.inbox, consoleRoute('Console: approvals and pages waiting (HTML)'), async (req, reply) => {
    const a = await h.authed(req, reply);
    if (!a) return reply;
    const liveSeen = await h.liveSeen('inbox');
    const { items, truncated, unanswered } = await inboxItems(ctx, a.org, a.viewer.personId);
    return sendPage(
      reply,
      200,
      inboxPage({ viewer: a.viewer, items, truncated, unanswered, flash: h.flashOf(req, reply), liveSeen }),
    );
  });

  app.get<{ Querystring: Record<string, string> }>(
    PATHS.runs,
    consoleRoute('Console: runs (HTML)'),
    async (req, reply) => {
      const a = await h.authed(req, reply);
      if (!a) return reply;
      const filters = runsFilters(req.query);
      const liveSeen = await h.liveSeen('runs');
      let runs: Awaited<ReturnType<typeof listRuns>>['runs'] = [];
      let error: string | undefined;
      try {
        runs = (await listRuns(ctx.client, { ...filters, limit: String(RUNS_LIMIT) })).runs;
      } catch (err) {
        if (!(err instanceof RunFilterError)) throw err;
        error = err.message;
      }
      return sendPage(
        reply,
        error ? 400 : 200,
        runsPage({
          viewer: a.viewer,
          filters,
          playbooks: ctx.current().playbooks.map((p) => p.name),
          runs: runs.map((r) => ({ ...r, status: r.status.toLowerCase(), waiting: r.waitingForApproval })),
          error,
          limit: RUNS_LIMIT,
          liveSeen,
        }),
      );
    },
  );

  app.get<{ Querystring: { id?: string } }>(
    PATHS.run,
    consoleRoute('Console: the story of a run (HTML)'),
    async (req, reply) => {
      const a = await h.authed(req, reply);
      if (!a) return reply;
      const id = String(req.query.id ?? '').slice(0, 1000);
      const liveSeen = id ? await h.liveSeen(storyTopic(id)) : undefined;
      const run = id ? await ctx.data.run(id) : null;
      if (!run)
        return sendPage(reply, 404, messagePage('Not found', `No playbook run ${id}.`, { viewer: a.viewer }));
      const budget = await ctx.data.budget(a.org);
      const story = buildStory(run, {
        org: a.org,
        viewerPersonId: a.viewer.personId,
        isProtected: protectedCheck(pinnedOrg(run)),
        budget,
        portalUrl: ctx.portalUrl,
      });
      return sendPage(reply, 200, storyPage(a.viewer, story, h.flashOf(req, reply), liveSeen));
    },
  );

  app.get(PATHS.devices, consoleRoute('Console: devices Nightshift contained (HTML)'), async (req, reply) => {
    const a = await h.authed(req, reply);
    if (!a) return reply;
    const liveSeen = await h.liveSeen('devices');
    const { runs, truncated } = await ctx.client.withDeadline(Date.now() + 60_000, () => ctx.data.scan());
    const devices = containedDevices(runs, deviceInfo(runs), nameOf(a.org));
    return sendPage(
      reply,
      200,
      devicesPage({
        viewer: a.viewer,
        devices,
        flash: h.flashOf(req, reply),
        scanned: { runs: runs.length, truncated },
        liveSeen,
      }),
    );
  });

  app.get(
    PATHS.playbooks,
    consoleRoute('Console: playbooks, refused files, the simulator (HTML)'),
    async (req, reply) => {
      const a = await h.authed(req, reply);
      if (!a) return reply;
      return sendPage(
        reply,
        200,
        playbooksPage(await playbooksModel(ctx, a.viewer, a.org, emptySimulationForm(ctx))),
      );
    },
  );

  app.get(PATHS.oncall, consoleRoute('Console: on call and calendars (HTML)'), async (req, reply) => {
    const a = await h.authed(req, reply);
    if (!a) return reply;
    return sendPage(reply, 200, oncallPage(a.viewer, onCallView(a.org, ctx.now())));
  });

  app.get<{ Querystring: Record<string, string> }>(
    PATHS.audit,
    consoleRoute('Console: the audit (HTML)'),
    async (req, reply) => {
      const a = await h.authed(req, reply);
      if (!a) return reply;
      const liveSeen = await h.liveSeen('audit');
      const r = await audit(ctx, a.org, req.query);
      return sendPage(
        reply,
        200,
        auditPage({
          viewer: a.viewer,
          entries: r.entries,
          filters: r.filters,
          scanned: { runs: r.runs, truncated: r.truncated },
          liveSeen,
        }),
      );
    },
  );

  for (const [path, format] of [
    [PATHS.auditCsv, 'csv'],
    [PATHS.auditJson, 'json'],
  ] as const) {
    app.get<{ Querystring: Record<string, string> }>(
      path,
      consoleRoute(`Console: the audit as ${format.toUpperCase()}`),
      async (req, reply) => {
        const a = await h.authed(req, reply);
        if (!a) return reply;
        const r = await audit(ctx, a.org, req.query);
        const stamp = ctx.now().toISOString().replace(/[:.]/g, '-');
        reply.header('content-disposition', `attachment; filename="nightshift-audit-${stamp}.${format}"`);
        if (format === 'csv')
          return reply.header('content-type', 'text/csv; charset=utf-8').send(auditCsv(r.entries));
        return reply.header('content-type', 'application/json; charset=utf-8').send({
          exportedAt: ctx.now().toISOString(),
          exportedBy: a.viewer.personId,
          filters: r.filters,
          truncated: r.truncated,
          entries: r.entries,
        });
      },
    );
  }
}

/** Live-update topics: a fingerprint per page that changes when what it shows may have. */
export function topics(ctx: ConsoleContext, name: string): Topic | undefined {
  const listing = (query: string, limit: number) => ({
    fingerprint: async () =>
      JSON.stringify(
        (await ctx.data.list(query, limit)).map((w) => [
          w.workflowId,
          w.status.name,
          w.closeTime?.getTime(),
          w.typedSearchAttributes.get(SA_PENDING_CODES),
          w.typedSearchAttributes.get(SA_WAITING_FOR_APPROVAL),
          w.typedSearchAttributes.get(SA_OUTCOME),
        ]),
      ),
  });
  switch (name) {
    case 'inbox':
      return listing(`WorkflowType = '${PLAYBOOK_RUN_WORKFLOW}' AND ExecutionStatus = 'Running'`, 1000);
    case 'runs':
      return listing(`WorkflowType = '${PLAYBOOK_RUN_WORKFLOW}'`, RUNS_LIMIT);
    case 'devices':
    case 'audit':
      return listing(
        `(WorkflowType = '${PLAYBOOK_RUN_WORKFLOW}' OR WorkflowType = '${DEVICE_RELEASE_WORKFLOW}')`,
        RUNS_LIMIT,
      );
  }
  if (name.startsWith('run:')) {
    const id = name.slice(4);
    return {
      fingerprint: async () => {
        const d = await ctx.client.workflow.getHandle(id).describe();
        return `${d.status.name}/${d.historyLength}`;
      },
    };
  }
  return undefined;
}

export type { RunView };
