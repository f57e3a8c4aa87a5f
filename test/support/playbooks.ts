// Compiles test playbooks (with placeholders filled in) through the real compiler.
import fs from 'node:fs';
import path from 'node:path';
import { compilePlaybook, formatDiagnostic, loadOrg } from '../../compiler';
import type { Detection } from '../../core/detection';
import type { OrgIR, PlaybookIR } from '../../core/ir';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');

export function fixtureOrg(dir = 'interpreter'): OrgIR {
  const file = path.join(FIXTURES, dir, 'nightshift.yaml');
  const { org, diagnostics } = loadOrg(file, fs.readFileSync(file, 'utf8'));
  if (!org) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  return org;
}

export function fixturePlaybook(
  name: string,
  org: OrgIR,
  replace: Record<string, string> = {},
  dir = 'interpreter',
): PlaybookIR {
  const file = path.join(FIXTURES, dir, name);
  let text = fs.readFileSync(file, 'utf8');
  for (const [k, v] of Object.entries(replace)) text = text.split(k).join(v);
  const { playbook, diagnostics } = compilePlaybook(file, text, org);
  if (!playbook) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  return playbook;
}

let n = 0;
export function detection(over: Partial<Detection> = {}): Detection {
  n++;
  return {
    id: `det-${Date.now()}-${n}`,
    source: 'generic',
    title: 'Ransomware behavior detected',
    severity: 'high',
    status: 'confirmed',
    mitre: ['T1486'],
    incident_id: `inc-${Date.now()}-${n}`,
    alert_ids: [`alert-${n}`],
    detected_at: '2026-11-22T03:01:07Z',
    devices: [{ id: `dev-${n}`, name: `wks-${n}.corp.example`, tags: [] }],
    users: [],
    evidence: { files: [], processes: [], ips: [], urls: [] },
    ...over,
  };
}
