// Playbooks: what is served (version, hash, enabled), what the last reload refused and why, and the
// simulator — the same interpreter as `nightshift simulate`, on a virtual clock, with no effect.
import { html, type Html } from '../html';
import { badge, needs, page, time } from '../layout';
import type { PlaybookRow, ReloadView, Viewer } from '../model';
import { PATHS } from '../paths';

export interface SimulationForm {
  playbook: string;
  detectionJson: string;
  /** A detection of a past run: `<workflowId>` (its first detection). */
  pastRun: string;
  at: string;
  approval: string;
  approvalAfter: string;
  approver: string;
  ack: string;
}

export interface SimulationResult {
  outcome: string;
  startedAt: string;
  finishedAt: string;
  steps: Array<{ id: string; status: string; detail: string }>;
  effects: Array<{ at: string; kind: string; target: string }>;
  refused: Array<{ at: string; kind: string; person: string; reason: string }>;
}

export interface PlaybooksModel {
  viewer: Viewer;
  playbooks: PlaybookRow[];
  reload: ReloadView | null;
  people: Array<{ id: string; name: string }>;
  pastRuns: Array<{ id: string; label: string }>;
  form: SimulationForm;
  result?: SimulationResult;
  /** What was wrong with the simulation form (a field and why). */
  errors?: string[];
}

function reloadSection(r: ReloadView | null): Html {
  if (!r) return html`<p class="muted">Not loaded yet.</p>`;
  return html`<p>
      Last load ${time(r.at)}:
      ${r.ok ? badge('ok') : html`${badge('refused')} some files were refused; the previous version of each keeps serving.`}
    </p>
    ${r.refused.map(
      (f) =>
        html`<div class="card refused">
          <h3 class="mono">${f.file}</h3>
          <pre class="diagnostics">${f.diagnostics.join('\n')}</pre>
        </div>`,
    )}
    ${
      r.warnings.length
        ? html`<details>
            <summary>Warnings (${r.warnings.length})</summary>
            <pre class="diagnostics">${r.warnings.join('\n')}</pre>
          </details>`
        : ''
    }`;
}

function opt(value: string, label: string, current: string): Html {
  return html`<option value="${value}" ${value === current ? html` selected` : ''}>${label}</option>`;
}

function simulateForm(m: PlaybooksModel): Html {
  const f = m.form;
  const refusal = needs(m.viewer, 'simulate');
  if (refusal) return html`<p class="muted">${refusal}</p>`;
  return html`<form method="post" action="${PATHS.simulate}" class="simulate">
    <input type="hidden" name="_csrf" value="${m.viewer.csrf}" />
    <div class="field">
      <label for="s-playbook">Playbook</label>
      <select id="s-playbook" name="playbook">
        ${m.playbooks.map((p) => opt(p.name, `${p.name} v${p.version}`, f.playbook))}
      </select>
    </div>
    <div class="field">
      <label for="s-past">A past detection</label>
      <select id="s-past" name="pastRun">
        ${opt('', '— paste one below —', f.pastRun)}${m.pastRuns.map((r) => opt(r.id, r.label, f.pastRun))}
      </select>
    </div>
    <div class="field wide">
      <label for="s-detection">…or a detection (JSON, any accepted format)</label>
      <textarea id="s-detection" name="detection" rows="8" spellcheck="false" maxlength="262144">
${f.detectionJson}</textarea>
    </div>
    <div class="field">
      <label for="s-at">Instant (ISO 8601)</label
      ><input id="s-at" name="at" value="${f.at}" required maxlength="40" />
    </div>
    <div class="field">
      <label for="s-approval">Approvals are</label>
      <select id="s-approval" name="approval">
        ${opt('approved', 'approved', f.approval)}${opt('denied', 'denied', f.approval)}${opt('none', 'never answered', f.approval)}
      </select>
    </div>
    <div class="field">
      <label for="s-after">…after</label
      ><input id="s-after" name="approvalAfter" value="${f.approvalAfter}" maxlength="20" />
    </div>
    <div class="field">
      <label for="s-approver">…by</label>
      <select id="s-approver" name="approver">
        ${opt('', 'the first approver', f.approver)}${m.people.map((p) => opt(p.id, p.name, f.approver))}
      </select>
    </div>
    <div class="field">
      <label for="s-ack">Pages acknowledged after</label
      ><input id="s-ack" name="ack" value="${f.ack}" placeholder="none" maxlength="20" />
    </div>
    <div class="field"><button type="submit" class="primary">Simulate</button></div>
  </form>`;
}

function resultSection(r: SimulationResult): Html {
  return html`<section aria-labelledby="h-result" class="card" id="result">
    <h2 id="h-result">Simulated: ${badge(r.outcome)}</h2>
    <p class="muted">${time(r.startedAt)} → ${time(r.finishedAt)} (virtual clock; nothing was sent)</p>
    <table class="steps">
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Status</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        ${r.steps.map(
          (s) =>
            html`<tr>
              <td data-label="Step" class="mono">${s.id}</td>
              <td data-label="Status">${badge(s.status)}</td>
              <td data-label="Result" class="small">${s.detail}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>Effects</h3>
    ${
      r.effects.length
        ? html`<ol class="timeline">
            ${r.effects.map(
              (e) =>
                html`<li>
                  <span class="tl-time">${time(e.at)}</span>
                  <span class="tl-text">${e.kind} <span class="mono">${e.target}</span></span>
                </li>`,
            )}
          </ol>`
        : html`<p class="empty">No effect.</p>`
    }
    ${
      r.refused.length
        ? html`<h3>Refused answers</h3>
            <ul>
              ${r.refused.map((x) => html`<li>${time(x.at)} ${x.kind} by ${x.person}: ${x.reason}</li>`)}
            </ul>`
        : ''
    }
  </section>`;
}

export function playbooksBody(m: PlaybooksModel): Html {
  return html`<h1>Playbooks</h1>
    <table class="playbooks">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Version</th>
          <th scope="col">Hash</th>
          <th scope="col">Enabled</th>
          <th scope="col">File</th>
        </tr>
      </thead>
      <tbody>
        ${m.playbooks.map(
          (p) =>
            html`<tr>
              <td data-label="Name">
                <strong>${p.name}</strong
                >${p.description ? html`<br /><span class="small muted">${p.description}</span>` : ''}
              </td>
              <td data-label="Version">${p.version}</td>
              <td data-label="Hash" class="mono small nowrap" title="${p.hash}">${p.hash.slice(0, 12)}</td>
              <td data-label="Enabled">${badge(p.enabled ? 'enabled' : 'disabled')}</td>
              <td data-label="File" class="mono small break">${p.file}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <section aria-labelledby="h-reload">
      <h2 id="h-reload">Last reload</h2>
      ${reloadSection(m.reload)}
    </section>
    <section aria-labelledby="h-simulate">
      <h2 id="h-simulate">Simulate</h2>
      <p class="muted">
        The same interpreter as <code>nightshift simulate</code> on a virtual clock: nothing is sent, nothing
        is isolated.
      </p>
      ${
        m.errors?.length
          ? html`<div class="flash bad" role="alert">
              <ul>
                ${m.errors.map((e) => html`<li>${e}</li>`)}
              </ul>
            </div>`
          : ''
      }
      ${simulateForm(m)} ${m.result ? resultSection(m.result) : ''}
    </section>`;
}

export function playbooksPage(m: PlaybooksModel): Html {
  return page({ title: 'Playbooks', current: PATHS.playbooks, viewer: m.viewer }, playbooksBody(m));
}
