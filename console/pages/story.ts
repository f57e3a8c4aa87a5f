// The story of a run (as a Defender incident story reads): what started it, what the playbook did,
// who decided where and when, the devices, users, alerts, evidence and techniques, Defender's actions.
import { html, type Html } from '../html';
import { badge, needs, page, postForm, time } from '../layout';
import { can, type Story, type Viewer } from '../model';
import { interactionAnchor, PATHS } from '../paths';
import { devicesList, waitingCard } from './waiting';

/** MITRE ATT&CK technique ids (T1059, T1059.001) link to their page; anything else is shown as text. */
export function mitreLink(t: string): Html {
  const m = /^T(\d{4})(?:\.(\d{3}))?$/.exec(t);
  if (!m) return html`<span class="tag">${t}</span>`;
  const href = `https://attack.mitre.org/techniques/T${m[1]}${m[2] ? `/${m[2]}` : ''}/`;
  return html`<a class="tag" href="${href}" rel="noopener noreferrer" target="_blank">${t}</a>`;
}

function external(href: string | undefined, label: string): Html {
  if (!href) return html`${label}`;
  return html`<a href="${href}" rel="noopener noreferrer" target="_blank">${label}</a>`;
}

function summary(s: Story): Html {
  const status = s.status === 'completed' && s.outcome ? s.outcome : s.status.toLowerCase();
  return html`<dl class="summary">
    <div>
      <dt>Status</dt>
      <dd>
        ${badge(status)}${s.currentStep ? html` <span class="muted">at step ${s.currentStep}</span>` : ''}
      </dd>
    </div>
    <div>
      <dt>Playbook</dt>
      <dd>${s.playbook}${s.version !== undefined ? html` <span class="muted">v${s.version}</span>` : ''}</dd>
    </div>
    ${
      s.hash
        ? html`<div>
            <dt>Hash</dt>
            <dd class="mono" title="${s.hash}">${s.hash.slice(0, 12)}</dd>
          </div>`
        : ''
    }
    <div>
      <dt>Started</dt>
      <dd>${time(s.startedAt)}</dd>
    </div>
    <div>
      <dt>Ended</dt>
      <dd>${time(s.closedAt)}</dd>
    </div>
    ${
      s.groupKey
        ? html`<div>
            <dt>Group</dt>
            <dd class="mono">${s.groupKey}</dd>
          </div>`
        : ''
    }
    <div>
      <dt>Run id</dt>
      <dd class="mono small">${s.workflowId}</dd>
    </div>
  </dl>`;
}

function timeline(s: Story): Html {
  if (s.timeline.length === 0) return html`<p class="empty">Nothing has happened yet.</p>`;
  return html`<ol class="timeline">
    ${s.timeline.map(
      (e) =>
        html`<li class="tl-${e.kind}${e.bad ? ' bad' : ''}">
          <span class="tl-time">${time(e.at, 'clock')}</span>
          <span class="tl-text"
            >${e.anchor ? html`<a href="#${e.anchor}">${e.text}</a>` : e.text}${
              e.who ? html` <span class="tl-who">— ${e.who}</span>` : ''
            }${e.channel ? html` <span class="muted">via ${e.channel}</span>` : ''}</span
          >
        </li>`,
    )}
  </ol>`;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function steps(s: Story): Html {
  return html`<table class="steps">
    <thead>
      <tr>
        <th scope="col">Step</th>
        <th scope="col">Kind</th>
        <th scope="col">Status</th>
        <th scope="col">Result</th>
        <th scope="col">Started</th>
        <th scope="col">Finished</th>
      </tr>
    </thead>
    <tbody>
      ${s.steps.map(
        (st) =>
          html`<tr>
            <td data-label="Step">
              <span class="mono">${st.id}</span
              >${st.name ? html`<br /><span class="small">${st.name}</span>` : ''}
            </td>
            <td data-label="Kind">${st.kind}</td>
            <td data-label="Status">
              ${badge(st.status)}${st.reason ? html`<br /><span class="small">${st.reason}</span>` : ''}
            </td>
            <td data-label="Result">
              ${
                st.detail.length
                  ? html`<dl class="kv">
                      ${st.detail.map(
                        ([k, v]) =>
                          html`<div>
                            <dt>${k}</dt>
                            <dd>${ISO.test(v) ? time(v, 'clock') : v}</dd>
                          </div>`,
                      )}
                    </dl>`
                  : ''
              }
            </td>
            <td data-label="Started">${time(st.startedAt, 'clock')}</td>
            <td data-label="Finished">${time(st.finishedAt, 'clock')}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function answered(s: Story): Html {
  if (s.answered.length === 0) return html``;
  return html`<section aria-labelledby="h-answered">
    <h2 id="h-answered">Decisions</h2>
    <ul class="answered">
      ${s.answered.map(
        (a) =>
          html`<li id="${interactionAnchor(a.id)}">
            ${badge(a.outcome)} <strong>${a.text}</strong><br />
            <span class="muted"
              >${a.by ? html`by ${a.by} via ${a.channel}` : html`automatically: nobody answered in time`} ·
              ${time(a.at)}</span
            >
          </li>`,
      )}
    </ul>
  </section>`;
}

function detections(s: Story): Html {
  return html`<ul class="detections">
    ${s.detections.map(
      (d) =>
        html`<li>
          <strong>${d.title}</strong> <span class="sev sev-${d.severity}">${d.severity}</span> <br /><span
            class="muted small"
            >${d.source} · ${d.status}${d.category ? html` · ${d.category}` : ''} · detected
            ${time(d.detectedAt)}</span
          >
          <br /><span class="mono small">${d.id}</span>
          ${d.incident ? html`<br />Incident ${external(d.incident.portal, d.incident.id)}` : ''}
          ${d.alerts.length ? html`<br />Alerts ${d.alerts.map((a) => html`${external(a.portal, a.id)} `)}` : ''}
          ${d.url ? html`<br /><span class="small muted">Sender's link (not opened by Nightshift): <span class="mono">${d.url}</span></span>` : ''}
        </li>`,
    )}
  </ul>`;
}

function evidence(s: Story): Html {
  const ev = s.evidence;
  const rows = (items: Array<Record<string, string>>) =>
    html`<ul class="evidence">
      ${items.map(
        (f) =>
          html`<li>
            ${Object.entries(f).map(([k, v]) => html`<span class="kvi"><span class="muted">${k}</span> <span class="mono">${v}</span></span> `)}
          </li>`,
      )}
    </ul>`;
  const none = !ev.files.length && !ev.processes.length && !ev.ips.length && !ev.urls.length;
  if (none) return html`<p class="empty">No evidence in the detections.</p>`;
  return html`${
    ev.files.length
      ? html`<h3>Files</h3>
          ${rows(ev.files)}`
      : ''
  }
  ${
    ev.processes.length
      ? html`<h3>Processes</h3>
          ${rows(ev.processes)}`
      : ''
  }
  ${
    ev.ips.length
      ? html`<h3>IP addresses</h3>
          <ul class="evidence">
            ${ev.ips.map((i) => html`<li class="mono">${i}</li>`)}
          </ul>`
      : ''
  }
  ${
    ev.urls.length
      ? html`<h3>URLs</h3>
          <ul class="evidence">
            ${ev.urls.map((u) => html`<li class="mono">${u}</li>`)}
          </ul>`
      : ''
  }`;
}

function defenderActions(s: Story): Html {
  if (s.defender.length === 0) return html`<p class="empty">No Defender action.</p>`;
  return html`<table class="defender">
    <thead>
      <tr>
        <th scope="col">Action</th>
        <th scope="col">Device</th>
        <th scope="col">Action id</th>
        <th scope="col">State</th>
        <th scope="col">At</th>
      </tr>
    </thead>
    <tbody>
      ${s.defender.map(
        (a) =>
          html`<tr>
            <td data-label="Action">${a.action} <span class="muted small">(${a.stepId})</span></td>
            <td data-label="Device" class="mono nowrap">${a.device ?? '—'}</td>
            <td data-label="Action id" class="mono small break">
              ${a.actionId ?? '—'}${a.attached ? html` <span class="muted">(reused a pending one)</span>` : ''}
            </td>
            <td data-label="State">
              ${badge(a.status)}${a.dryRun ? html` <span class="badge plain">dry run</span>` : ''}
            </td>
            <td data-label="At">${time(a.at, 'clock')}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function cancelForm(viewer: Viewer, s: Story): Html {
  if (s.status !== 'running' || !can(viewer.role, 'cancel')) return html``;
  const refusal = needs(viewer, 'cancel');
  if (refusal) return html``;
  return html`<section aria-labelledby="h-cancel" class="card danger-zone">
    <h2 id="h-cancel">Cancel this run</h2>
    <p class="muted">
      The run stops at once: steps not yet done are not done. Actions already taken stay (release devices from
      the Devices page).
    </p>
    ${postForm(
      viewer,
      PATHS.cancel,
      { id: s.workflowId },
      html`<label for="cancel-reason">Reason</label>
        <input id="cancel-reason" name="reason" required minlength="3" maxlength="500" />
        <button type="submit" class="danger">Cancel run</button>`,
      { confirm: `Cancel this run of ${s.playbook}?`, className: 'stack' },
    )}
  </section>`;
}

export function storyBody(viewer: Viewer, s: Story): Html {
  return html`<h1>${s.playbook} <span class="muted small mono">${s.groupKey ?? ''}</span></h1>
    ${s.partial ? html`<p class="flash bad" role="status">${s.partial}</p>` : ''}
    ${s.cancelled ? html`<p class="flash bad">Cancelled by ${s.cancelled.by} at ${time(s.cancelled.at)}: ${s.cancelled.reason}</p>` : ''}
    <div class="story">
      <div class="story-main">
        ${summary(s)}
        ${
          s.waiting.length
            ? html`<section aria-labelledby="h-waiting">
                <h2 id="h-waiting">Waiting</h2>
                ${s.waiting.map((w) => waitingCard(viewer, w, { showRun: false }))}
              </section>`
            : ''
        }
        ${answered(s)}
        <section aria-labelledby="h-timeline">
          <h2 id="h-timeline">Timeline</h2>
          ${timeline(s)}
        </section>
        <section aria-labelledby="h-steps">
          <h2 id="h-steps">Steps</h2>
          ${steps(s)}
        </section>
        <section aria-labelledby="h-defender">
          <h2 id="h-defender">Defender actions</h2>
          ${defenderActions(s)}
        </section>
        ${cancelForm(viewer, s)}
      </div>
      <aside class="story-side">
        <section aria-labelledby="h-devices">
          <h2 id="h-devices">Devices</h2>
          ${devicesList(s.devices)}
        </section>
        <section aria-labelledby="h-users">
          <h2 id="h-users">Users</h2>
          ${
            s.users.length
              ? html`<ul class="users">
                  ${s.users.map((u) => html`<li>${u.name}${u.domain ? html` <span class="muted">(${u.domain})</span>` : ''}${u.upn ? html` <span class="mono small">${u.upn}</span>` : ''}</li>`)}
                </ul>`
              : html`<p class="empty">No user.</p>`
          }
        </section>
        <section aria-labelledby="h-detections">
          <h2 id="h-detections">Detections and alerts</h2>
          ${detections(s)}
        </section>
        <section aria-labelledby="h-mitre">
          <h2 id="h-mitre">MITRE ATT&amp;CK</h2>
          ${
            s.mitre.length
              ? html`<p class="tags">${s.mitre.map(mitreLink)}</p>`
              : html`<p class="empty">None given.</p>`
          }
        </section>
        <section aria-labelledby="h-evidence">
          <h2 id="h-evidence">Evidence</h2>
          ${evidence(s)}
        </section>
      </aside>
    </div>`;
}

/** The live-update topic of a run's story. */
export function storyTopic(workflowId: string): string {
  return `run:${workflowId}`;
}

export function storyPage(
  viewer: Viewer,
  s: Story,
  flash?: { ok: boolean; text: string },
  liveSeen?: string,
): Html {
  return page(
    {
      title: `${s.playbook} run`,
      current: PATHS.runs,
      viewer,
      flash,
      live: storyTopic(s.workflowId),
      liveSeen,
    },
    storyBody(viewer, s),
  );
}
