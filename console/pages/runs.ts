// Incidents and runs: a filterable list, backed by Temporal visibility, updated live.
import { html, query, type Html } from '../html';
import { badge, page, time } from '../layout';
import type { RunFilters, RunRow, Viewer } from '../model';
import { PATHS, storyUrl } from '../paths';

export const STATUS_FILTERS = ['running', 'completed', 'failed', 'terminated', 'cancelled', 'timed_out'];
export const SINCE_FILTERS: Array<[string, string]> = [
  ['', 'any time'],
  ['1h', 'last hour'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
  ['30d', 'last 30 days'],
];

export interface RunsModel {
  viewer: Viewer;
  filters: RunFilters;
  playbooks: string[];
  runs: RunRow[];
  error?: string;
  limit: number;
  liveSeen?: string;
}

function select(name: string, value: string | undefined, options: Array<[string, string]>): Html {
  return html`<select name="${name}" id="f-${name}">
    ${options.map(
      ([v, label]) =>
        html`<option value="${v}" ${v === (value ?? '') ? html` selected` : ''}>${label}</option>`,
    )}
  </select>`;
}

export function runsBody(m: RunsModel): Html {
  const f = m.filters;
  return html`<h1>Runs</h1>
    <form method="get" action="${PATHS.runs}" class="filters" role="search">
      <span class="filter"
        ><label for="f-status">Status</label
        >${select('status', f.status, [['', 'any'], ...STATUS_FILTERS.map((s): [string, string] => [s, s])])}</span
      >
      <span class="filter"
        ><label for="f-playbook">Playbook</label
        >${select('playbook', f.playbook, [['', 'any'], ...m.playbooks.map((p): [string, string] => [p, p])])}</span
      >
      <span class="filter"
        ><label for="f-device">Device id</label
        ><input id="f-device" name="device" value="${f.device ?? ''}" maxlength="300"
      /></span>
      <span class="filter"
        ><label for="f-incident">Incident</label
        ><input id="f-incident" name="incident" value="${f.incident ?? ''}" maxlength="300"
      /></span>
      <span class="filter"
        ><label for="f-waiting">Waiting</label>${select('waiting', f.waiting, [
          ['', 'any'],
          ['true', 'waiting for a person'],
          ['false', 'not waiting'],
        ])}</span
      >
      <span class="filter"
        ><label for="f-since">Started</label>${select('since', f.since, SINCE_FILTERS)}</span
      >
      <button type="submit">Filter</button> <a href="${PATHS.runs}">Clear</a>
    </form>
    ${m.error ? html`<p class="flash bad" role="alert">${m.error}</p>` : ''}
    <div data-live-region>
      ${
        m.runs.length === 0
          ? html`<p class="empty">No run matches.</p>`
          : html`<table class="runs">
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">Status</th>
                    <th scope="col">Devices</th>
                    <th scope="col">Incident / detections</th>
                    <th scope="col">Started</th>
                    <th scope="col">Ended</th>
                  </tr>
                </thead>
                <tbody>
                  ${m.runs.map(
                    (r) =>
                      html`<tr>
                        <td data-label="Run">
                          <a href="${storyUrl('', r.workflowId)}">${r.playbook ?? r.workflowId}</a><br /><span
                            class="muted mono small"
                            >${r.workflowId}</span
                          >
                        </td>
                        <td data-label="Status">
                          ${badge(r.status === 'completed' && r.outcome ? r.outcome : r.status.toLowerCase())}${r.waiting ? html` ${badge('waiting')}` : ''}
                        </td>
                        <td data-label="Devices">
                          ${r.deviceIds.map((d) => html`<a class="mono small" href="${PATHS.runs}${query({ device: d })}">${d}</a> `)}
                        </td>
                        <td data-label="Incident">
                          ${r.incidentId ? html`<a href="${PATHS.runs}${query({ incident: r.incidentId })}">${r.incidentId}</a><br />` : ''}<span
                            class="small muted"
                            >${r.detectionIds.join(', ')}</span
                          >
                        </td>
                        <td data-label="Started">${time(r.startedAt, 'rel')}</td>
                        <td data-label="Ended">${time(r.closedAt, 'rel')}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
              ${m.runs.length >= m.limit ? html`<p class="muted">Showing the ${m.limit} most recent; narrow the filters to see others.</p>` : ''}`
      }
    </div>`;
}

export function runsPage(m: RunsModel): Html {
  return page(
    { title: 'Runs', current: PATHS.runs, viewer: m.viewer, live: 'runs', liveSeen: m.liveSeen },
    runsBody(m),
  );
}
