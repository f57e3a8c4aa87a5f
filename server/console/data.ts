// The console's reads from Temporal: runs by visibility, each run's history (cached once the run has
// closed: a closed history never changes) and its live state by query, the blast-radius budget. The
// histories are the durable source of stories, devices and the audit (see history.ts).
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Device } from '../../core/detection';
import type { OrgIR } from '../../core/ir';
import { createEvaluator } from '../../engine/expr/runtime';
import type { RunRow } from '../../console/model';
import { blastRadiusWorkflowId, reservationsQuery } from '../../workflows/blast-radius';
import { DEVICE_RELEASE_WORKFLOW } from '../../workflows/device-release';
import { PLAYBOOK_RUN_WORKFLOW, type RunState } from '../../core/messages';
import { stateQuery } from '../../workflows/messages';
import { runSummary } from '../runs';
import { SA_PLAYBOOK } from '../../core/search-attributes';
import { digestHistory, type RunDigest } from './history';
import type { DigestedRun } from './ledger';
import type { RunView } from './story';

/** Runs read at most per page of the inbox, devices and audit (the most recent first). */
export const MAX_SCAN = 1000;
/** Histories of closed runs kept in memory. */
const CACHE_SIZE = 5000;
/** Parallel history reads: enough to be quick, few enough not to crowd Temporal. */
const PARALLEL = 8;
const QUERY_DEADLINE_MS = 3000;

export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function runRow(w: WorkflowExecutionInfo): RunRow {
  const { status, waitingForApproval, ...rest } = runSummary(w);
  return { ...rest, status: status.toLowerCase(), waiting: waitingForApproval };
}

export class ConsoleData {
  private readonly closed = new Map<string, RunDigest>();

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** Executions matching a visibility query, newest first. */
  async list(query: string, limit: number): Promise<WorkflowExecutionInfo[]> {
    const out: WorkflowExecutionInfo[] = [];
    for await (const w of this.client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
      out.push(w);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** A run's history digest; closed runs' digests are kept (bounded). */
  async digest(workflowId: string, runId?: string): Promise<RunDigest> {
    const key = `${workflowId}\u0000${runId ?? ''}`;
    const hit = this.closed.get(key);
    if (hit) {
      // Most recently used last: the oldest entry is the first to go.
      this.closed.delete(key);
      this.closed.set(key, hit);
      return hit;
    }
    const history = await this.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const d = digestHistory(history);
    if (d.closedAt && runId) {
      this.closed.set(key, d);
      if (this.closed.size > CACHE_SIZE) this.closed.delete(this.closed.keys().next().value as string);
    }
    return d;
  }

  /** The run's live state, or null when no worker answers in time. */
  async state(workflowId: string): Promise<RunState | null> {
    try {
      return await this.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
        this.client.workflow.getHandle(workflowId).query(stateQuery),
      );
    } catch {
      return null;
    }
  }

  async run(workflowId: string): Promise<RunView | null> {
    let desc;
    try {
      desc = await this.client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') return null;
      throw err;
    }
    if (desc.type !== PLAYBOOK_RUN_WORKFLOW) return null;
    const [digest, state] = await Promise.all([
      this.digest(workflowId, desc.runId),
      desc.status.name === 'RUNNING' ? this.state(workflowId) : Promise.resolve(null),
    ]);
    // A closed run's steps come from its result; the query would need a worker to replay it.
    return {
      workflowId,
      digest,
      state,
      temporalStatus: desc.status.name.toLowerCase(),
      closedAt: desc.closeTime?.toISOString() ?? null,
    };
  }

  /** Running playbook runs, each with its state and history (the inbox). */
  async runningRuns(): Promise<{ runs: RunView[]; truncated: boolean }> {
    const list = await this.list(
      `WorkflowType = '${PLAYBOOK_RUN_WORKFLOW}' AND ExecutionStatus = 'Running'`,
      MAX_SCAN,
    );
    const runs = await mapLimit(list, PARALLEL, async (w) => {
      const [digest, state] = await Promise.all([
        this.digest(w.workflowId, w.runId),
        this.state(w.workflowId),
      ]);
      return {
        workflowId: w.workflowId,
        digest,
        state,
        temporalStatus: w.status.name.toLowerCase(),
        closedAt: null,
      };
    });
    return { runs, truncated: list.length >= MAX_SCAN };
  }

  /** Playbook runs and device releases, digested: the source of the Devices page and the audit. */
  async scan(extra = ''): Promise<{ runs: DigestedRun[]; truncated: boolean }> {
    const list = await this.list(
      `(WorkflowType = '${PLAYBOOK_RUN_WORKFLOW}' OR WorkflowType = '${DEVICE_RELEASE_WORKFLOW}')${extra}`,
      MAX_SCAN,
    );
    const runs = await mapLimit(list, PARALLEL, async (w) => ({
      workflowId: w.workflowId,
      playbook: w.typedSearchAttributes.get(SA_PLAYBOOK),
      digest: await this.digest(w.workflowId, w.runId),
    }));
    return { runs, truncated: list.length >= MAX_SCAN };
  }

  /** Automatic isolations left under policy.max_auto_isolations (undefined without the policy). */
  async budget(org: OrgIR): Promise<{ left: number; limit: number; per: string } | undefined> {
    const policy = org.policy.maxAutoIsolations;
    if (!policy) return undefined;
    let used = 0;
    try {
      const reservations = await this.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
        this.client.workflow.getHandle(blastRadiusWorkflowId(this.taskQueue)).query(reservationsQuery),
      );
      const since = Date.now() - policy.perMs;
      used = reservations.filter((r) => r.at > since).length;
    } catch {
      // No entity yet (no automatic isolation so far), or no worker answered: nothing counted.
    }
    return { left: Math.max(0, policy.count - used), limit: policy.count, per: humanDuration(policy.perMs) };
  }
}

export function humanDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [u, name] of units) if (ms % u === 0 && ms >= u) return `${ms / u} ${name}`;
  return `${ms} ms`;
}

/** policy.protected_devices of an org, never throwing (a device it cannot judge reads as protected). */
export function protectedCheck(org: OrgIR | undefined): (d: Device) => boolean {
  if (!org) return () => false;
  const ev = createEvaluator(org);
  return (d) => {
    try {
      return ev.isProtected(d);
    } catch {
      return true;
    }
  };
}
