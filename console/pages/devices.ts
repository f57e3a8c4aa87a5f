// Devices: every device Nightshift isolated or restricted and has not released, with the run that did
// it, and a Release (or unrestrict) that runs as a recorded Defender action through Temporal.
import { html, type Html } from '../html';
import { badge, needs, page, postForm, time } from '../layout';
import type { ContainedDevice, Viewer } from '../model';
import { PATHS, storyUrl } from '../paths';

export interface DevicesModel {
  viewer: Viewer;
  devices: ContainedDevice[];
  flash?: { ok: boolean; text: string };
  /** How far back runs were read (retention), for the note under the list. */
  scanned: { runs: number; truncated: boolean };
  liveSeen?: string;
}

const LABEL: Record<string, { state: string; undo: string; verb: string }> = {
  isolate: { state: 'isolated', undo: 'Release', verb: 'release from isolation' },
  restrict_apps: { state: 'apps restricted', undo: 'Unrestrict', verb: 'remove the app restriction of' },
};

function releaseForm(viewer: Viewer, d: ContainedDevice): Html {
  if (d.releasing)
    return html`<p>${badge('releasing')} asked by ${d.releasing.by} ${time(d.releasing.at, 'rel')}</p>`;
  const refusal = needs(viewer, 'release');
  if (refusal) return html`<p class="muted">${refusal}</p>`;
  const l = LABEL[d.action] ?? { undo: 'Release', verb: 'release' };
  const id = `reason-${d.action}-${d.deviceId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return postForm(
    viewer,
    PATHS.release,
    { device: d.deviceId, action: d.action, run: d.runId, actionId: d.actionId ?? '' },
    html`<label for="${id}">Reason</label>
      <input
        id="${id}"
        name="reason"
        required
        minlength="3"
        maxlength="500"
        placeholder="e.g. reimaged, ticket 4521"
      />
      <button type="submit" class="primary">${l.undo}</button>`,
    { confirm: `${l.undo}: ${l.verb} ${d.name ?? d.deviceId}?`, className: 'stack' },
  );
}

export function devicesBody(m: DevicesModel): Html {
  return html`<h1>Devices</h1>
    <p class="lead">Devices Nightshift isolated or restricted and has not released.</p>
    <div data-live-region>
      ${
        m.devices.length === 0
          ? html`<p class="empty">No device is isolated or restricted by Nightshift.</p>`
          : html`<ul class="cards">
              ${m.devices.map(
                (d) =>
                  html`<li class="card device">
                    <h2>
                      ${d.name ?? d.deviceId}
                      ${badge(LABEL[d.action]?.state ?? d.action)}${d.dryRun ? html` <span class="badge plain">dry run</span>` : ''}${
                        d.protected ? html` <span class="badge warn">protected</span>` : ''
                      }
                    </h2>
                    <dl class="facts">
                      <div>
                        <dt>Device id</dt>
                        <dd class="mono">${d.deviceId}</dd>
                      </div>
                      ${
                        d.tags.length
                          ? html`<div>
                              <dt>Tags</dt>
                              <dd>${d.tags.map((t) => html`<span class="tag">${t}</span> `)}</dd>
                            </div>`
                          : ''
                      }
                      <div>
                        <dt>Since</dt>
                        <dd>${time(d.since)} <span class="muted">(${time(d.since, 'rel')})</span></dd>
                      </div>
                      <div>
                        <dt>By run</dt>
                        <dd><a href="${storyUrl('', d.runId)}">${d.playbook ?? d.runId}</a></dd>
                      </div>
                      ${
                        d.actionId
                          ? html`<div>
                              <dt>Defender action</dt>
                              <dd class="mono small">${d.actionId}</dd>
                            </div>`
                          : ''
                      }
                    </dl>
                    ${releaseForm(m.viewer, d)}
                  </li>`,
              )}
            </ul>`
      }
      <p class="muted small">
        From the ${m.scanned.runs} most recent runs${m.scanned.truncated ? ' (older runs not read)' : ''} kept
        by Temporal. A device released in the Defender portal still shows here until released through
        Nightshift.
      </p>
    </div>`;
}

export function devicesPage(m: DevicesModel): Html {
  return page(
    {
      title: 'Devices',
      current: PATHS.devices,
      viewer: m.viewer,
      flash: m.flash,
      live: 'devices',
      liveSeen: m.liveSeen,
    },
    devicesBody(m),
  );
}
