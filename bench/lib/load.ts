// Detections as a SIEM would post them, and the HTTP client that posts them to the real server.
import crypto from 'node:crypto';
import type { Stack } from './stack';
import { API_TOKEN } from './stack';

/** A Defender machine id (40 hex digits) derived from a label, registered with the fake. */
export function machine(stack: Stack, label: string): string {
  const id = crypto.createHash('sha1').update(label).digest('hex');
  if (!stack.defender.machines.has(id)) stack.defender.addMachine(id, `${label}.corp.example`);
  return id;
}

export function detection(opts: {
  id: string;
  incident: string;
  devices: Array<{ id: string; name: string }>;
}): Record<string, unknown> {
  return {
    id: opts.id,
    source: 'generic',
    title: 'Ransomware behavior detected',
    severity: 'high',
    status: 'confirmed',
    mitre: ['T1486'],
    incident_id: opts.incident,
    alert_ids: [`alert-${opts.id}`],
    detected_at: new Date().toISOString(),
    devices: opts.devices.map((d) => ({ id: d.id, name: d.name, os: 'Windows11', tags: [] })),
    users: [{ name: 'jdoe', domain: 'CORP' }],
    evidence: { files: [], processes: [], ips: [], urls: [] },
  };
}

export interface Posted {
  status: number;
  /** When the request was handed to the client and when the response was complete (epoch ms). */
  sentAt: number;
  doneAt: number;
  body: { runs?: Array<{ workflowId: string; result: string }>; message?: string };
}

export async function postDetection(stack: Stack, body: Record<string, unknown>): Promise<Posted> {
  const sentAt = Date.now();
  const res = await stack.http.request({
    path: '/v1/detections',
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const parsed = (await res.body.json()) as Posted['body'];
  return { status: res.statusCode, sentAt, doneAt: Date.now(), body: parsed };
}
