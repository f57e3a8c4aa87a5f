// On call and calendars: who is on call now for each rotation and until when; each calendar open or
// closed now and its next change.
import { html, type Html } from '../html';
import { badge, page, time } from '../layout';
import type { OnCallView, Viewer } from '../model';
import { PATHS } from '../paths';

export function oncallBody(v: OnCallView): Html {
  return html`<h1>On call and calendars</h1>
    <p class="muted">As of ${time(v.now)}.</p>
    <section aria-labelledby="h-rot">
      <h2 id="h-rot">Rotations</h2>
      ${
        v.rotations.length
          ? html`<table>
              <thead>
                <tr>
                  <th scope="col">Rotation</th>
                  <th scope="col">On call now</th>
                  <th scope="col">Until</th>
                  <th scope="col">Then</th>
                </tr>
              </thead>
              <tbody>
                ${v.rotations.map(
                  (r) =>
                    html`<tr>
                      <td data-label="Rotation" class="mono">${r.name}</td>
                      <td data-label="On call now"><strong>${r.person}</strong></td>
                      <td data-label="Until">
                        ${r.until ? html`${time(r.until)} <span class="muted">(${time(r.until, 'rel')})</span>` : html`<span class="muted">no change ahead</span>`}
                      </td>
                      <td data-label="Then">${r.next ?? ''}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="empty">No rotation in nightshift.yaml.</p>`
      }
    </section>
    <section aria-labelledby="h-cal">
      <h2 id="h-cal">Calendars</h2>
      ${
        v.calendars.length
          ? html`<table>
              <thead>
                <tr>
                  <th scope="col">Calendar</th>
                  <th scope="col">Now</th>
                  <th scope="col">Next change</th>
                  <th scope="col">Time zone</th>
                </tr>
              </thead>
              <tbody>
                ${v.calendars.map(
                  (c) =>
                    html`<tr>
                      <td data-label="Calendar" class="mono">${c.name}</td>
                      <td data-label="Now">${badge(c.open ? 'open' : 'closed')}</td>
                      <td data-label="Next change">
                        ${c.nextChange ? html`${c.open ? 'closes' : 'opens'} ${time(c.nextChange)} <span class="muted">(${time(c.nextChange, 'rel')})</span>` : html`<span class="muted">none within a year</span>`}
                      </td>
                      <td data-label="Time zone">${c.timezone}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="empty">No calendar in nightshift.yaml.</p>`
      }
    </section>`;
}

export function oncallPage(viewer: Viewer, v: OnCallView): Html {
  return page({ title: 'On call', current: PATHS.oncall, viewer }, oncallBody(v));
}
