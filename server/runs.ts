// GET /v1/runs: playbook runs found through Temporal visibility by their typed search attributes.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import {
  SA_DETECTION_IDS,
  SA_DEVICE_IDS,
  SA_INCIDENT_ID,
  SA_OUTCOME,
  SA_PLAYBOOK,
  SA_WAITING_FOR_APPROVAL,
} from '../core/search-attributes';
import { PLAYBOOK_RUN_WORKFLOW } from '../core/messages';
import { parseDuration } from '../core/duration';

export class RunFilterError extends Error {}

export const RUN_FILTERS = [
  'playbook',
  'detection',
  'incident',
  'device',
  'status',
  'waiting',
  'since',
  'limit',
] as const;
const STATUSES = ['running', 'completed', 'failed', 'terminated', 'cancelled', 'timed_out'] as const;
const MAX_LIMIT = 500;

/** A visibility-query string literal: the value is bounded and may not break out of its quotes. */
function literal(name: string, v: string): string {
  if (v.length === 0 || v.length > 300 || /['"\\\n\r]/.test(v)) {
    throw new RunFilterError(`${name} must be 1–300 characters without quotes or backslashes`);
  }
  return `'${v}'`;
}

export function runQuery(q: Record<string, string>): { query: string; limit: number } {
  for (const k of Object.keys(q)) {
    if (!(RUN_FILTERS as readonly string[]).includes(k)) {
      throw new RunFilterError(`unknown filter "${k}": use ${RUN_FILTERS.join(', ')}`);
    }
  }
  const parts = [`WorkflowType = '${PLAYBOOK_RUN_WORKFLOW}'`];
  if (q.playbook) parts.push(`${SA_PLAYBOOK.name} = ${literal('playbook', q.playbook)}`);
  if (q.detection) parts.push(`${SA_DETECTION_IDS.name} = ${literal('detection', q.detection)}`);
  if (q.incident) parts.push(`${SA_INCIDENT_ID.name} = ${literal('incident', q.incident)}`);
  if (q.device) parts.push(`${SA_DEVICE_IDS.name} = ${literal('device', q.device)}`);
  if (q.waiting !== undefined) {
    if (q.waiting !== 'true' && q.waiting !== 'false')
      throw new RunFilterError('waiting must be true or false');
    parts.push(`${SA_WAITING_FOR_APPROVAL.name} = ${q.waiting}`);
  }
  if (q.since) {
    // A duration back from now (1h, 7d): runs started since then.
    const ms = parseDuration(q.since);
    if (ms === null || ms <= 0) throw new RunFilterError('since must be a duration, like 1h or 7d');
    parts.push(`StartTime > '${new Date(Date.now() - ms).toISOString()}'`);
  }
  if (q.status !== undefined) {
    const st = q.status as (typeof STATUSES)[number];
    if (!STATUSES.includes(st)) throw new RunFilterError(`status must be one of ${STATUSES.join(', ')}`);
    // A playbook whose step failed completes its workflow with outcome `failed`.
    const clause = {
      running: `ExecutionStatus = 'Running'`,
      completed: `ExecutionStatus = 'Completed' AND ${SA_OUTCOME.name} = 'completed'`,
      failed: `(ExecutionStatus = 'Failed' OR ${SA_OUTCOME.name} = 'failed')`,
      terminated: `ExecutionStatus = 'Terminated'`,
      cancelled: `ExecutionStatus = 'Canceled'`,
      timed_out: `ExecutionStatus = 'TimedOut'`,
    }[st];
    parts.push(clause);
  }
  let limit = 100;
  if (q.limit !== undefined) {
    limit = Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw new RunFilterError(`limit must be 1–${MAX_LIMIT}`);
  }
  return { query: parts.join(' AND '), limit };
}

export interface RunSummary {
  workflowId: string;
  playbook?: string;
  status: string;
  outcome?: string;
  detectionIds: string[];
  incidentId?: string;
  deviceIds: string[];
  waitingForApproval: boolean;
  startedAt: string;
  closedAt: string | null;
}

/** A run as its search attributes describe it (the API's list, and the console's rows). */
export function runSummary(w: WorkflowExecutionInfo): RunSummary {
  const sa = w.typedSearchAttributes;
  return {
    workflowId: w.workflowId,
    playbook: sa.get(SA_PLAYBOOK),
    status: w.status.name,
    outcome: sa.get(SA_OUTCOME),
    detectionIds: sa.get(SA_DETECTION_IDS) ?? [],
    incidentId: sa.get(SA_INCIDENT_ID),
    deviceIds: sa.get(SA_DEVICE_IDS) ?? [],
    waitingForApproval: sa.get(SA_WAITING_FOR_APPROVAL) ?? false,
    startedAt: w.startTime.toISOString(),
    closedAt: w.closeTime?.toISOString() ?? null,
  };
}

export async function listRuns(client: Client, q: Record<string, string>): Promise<{ runs: RunSummary[] }> {
  const { query, limit } = runQuery(q);
  const runs: RunSummary[] = [];
  for await (const w of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
    runs.push(runSummary(w));
    if (runs.length >= limit) break;
  }
  return { runs };
}
