// Audit: every decision, acknowledgement, release and cancel — who, what, when, which channel —
// exportable as CSV and JSON with the same filters.
import { html, query, type Html } from '../html';
import { badge, page, time } from '../layout';
import { AUDIT_KINDS, type AuditEntry, type Viewer } from '../model';
import { interactionAnchor, PATHS, storyUrl } from '../paths';
import { SINCE_FILTERS } from './runs';

export interface AuditModel {
  viewer: Viewer;
  entries: AuditEntry[];
  filters: { kind?: string; since?: string; person?: string };
  scanned: { runs: number; truncated: boolean };
  liveSeen?: string;
}

/**
 * An approval or page (`<run>|<step>|<n>`) reads as its step, linked to it on the run's story, a device
 * as its id; the raw ids stay in the exports.
 */
function subjectCell(e: AuditEntry): Html {
  const parts = e.subject.split('|');
  if (e.kind === 'release' || e.kind === 'unrestrict') {
    // A release has no story of its own: it links to the run that contained the device.
    return e.containedBy
      ? html`<a href="${storyUrl('', e.containedBy)}" class="mono small">${e.subject}</a>`
      : html`<span class="mono small">${e.subject}</span>`;
  }
  if (parts.length < 3) return html`<a href="${storyUrl('', e.runId)}" class="mono small">${e.subject}</a>`;
  return html`<a href="${storyUrl('', e.runId, interactionAnchor(e.subject))}">${parts[parts.length - 2]}</a>
    <span class="mono small muted run-id">${e.runId}</span>`;
}

export function auditBody(m: AuditModel): Html {
  const f = m.filters;
  const q = query({ kind: f.kind, since: f.since, person: f.person });
  return html`<h1>Audit</h1>
    <form method="get" action="${PATHS.audit}" class="filters" role="search">
      <span class="filter"
        ><label for="a-kind">What</label
        ><select id="a-kind" name="kind">
          <option value="">everything</option>
          ${AUDIT_KINDS.map(
            (k) => html`<option value="${k}" ${k === f.kind ? html` selected` : ''}>${k}</option>`,
          )}
        </select></span
      >
      <span class="filter"
        ><label for="a-since">When</label
        ><select id="a-since" name="since">
          ${SINCE_FILTERS.map(
            ([v, l]) =>
              html`<option value="${v}" ${v === (f.since ?? '') ? html` selected` : ''}>${l}</option>`,
          )}
        </select></span
      >
      <span class="filter"
        ><label for="a-person">Person id</label
        ><input id="a-person" name="person" value="${f.person ?? ''}" maxlength="100"
      /></span>
      <button type="submit">Filter</button>
    </form>
    <p class="exports">
      Export: <a href="${PATHS.auditCsv}${q}" download>CSV</a> ·
      <a href="${PATHS.auditJson}${q}" download>JSON</a>
    </p>
    <div data-live-region>
      ${
        m.entries.length === 0
          ? html`<p class="empty">Nothing recorded.</p>`
          : html`<table class="audit">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">What</th>
                  <th scope="col">Who</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                ${m.entries.map(
                  (e) =>
                    html`<tr>
                      <td data-label="When">${time(e.at)}</td>
                      <td data-label="What">${e.kind} ${badge(e.outcome)}</td>
                      <td data-label="Who">
                        ${e.person || html`<span class="muted">nobody (timeout)</span>`}
                      </td>
                      <td data-label="Channel">${e.channel}</td>
                      <td data-label="Subject">${subjectCell(e)}</td>
                      <td data-label="Detail">${e.detail}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <p class="muted small">
        From the ${m.scanned.runs} most recent runs and releases kept by
        Temporal${m.scanned.truncated ? ' (older ones not read)' : ''}; export to keep them longer.
      </p>
    </div>`;
}

export function auditPage(m: AuditModel): Html {
  return page(
    { title: 'Audit', current: PATHS.audit, viewer: m.viewer, live: 'audit', liveSeen: m.liveSeen },
    auditBody(m),
  );
}
