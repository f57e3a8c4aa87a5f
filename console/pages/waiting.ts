// One approval or page waiting for an answer: the card of the inbox and of a run's story.
import { html, type Html } from '../html';
import { badge, needs, postForm, time } from '../layout';
import type { DeviceView, StageView, Viewer, WaitingItem } from '../model';
import { interactionAnchor, PATHS, storyUrl } from '../paths';

export function devicesList(devices: DeviceView[]): Html {
  if (devices.length === 0) return html`<p class="muted">No device.</p>`;
  return html`<ul class="devices">
    ${devices.map(
      (d) =>
        html`<li>
          <span class="device-name">${d.name}</span>
          ${d.protected ? html`<span class="badge warn" title="policy.protected_devices: never isolated automatically">protected</span>` : ''}
          <span class="muted mono">${d.id}</span>
          ${d.tags.length ? html`<span class="tags">${d.tags.map((t) => html`<span class="tag">${t}</span>`)}</span>` : ''}
        </li>`,
    )}
  </ul>`;
}

function answerButtons(viewer: Viewer, w: WaitingItem, back: string): Html {
  const refusal = needs(viewer, 'answer');
  if (refusal) return html`<p class="muted">${refusal}</p>`;
  if (!w.mine)
    return html`<p class="muted">
      You are not among the people who may answer this${w.kind === 'page' ? ' page' : ''}.
    </p>`;
  const what = w.devices.map((d) => d.name).join(', ');
  if (w.kind === 'page') {
    return html`<div class="actions">
      ${postForm(
        viewer,
        PATHS.ack,
        { id: w.id, back },
        html`<button type="submit" class="primary">Acknowledge</button>`,
        { confirm: `Acknowledge this page${what ? ` about ${what}` : ''}?` },
      )}
    </div>`;
  }
  return html`<div class="actions">
    ${postForm(
      viewer,
      PATHS.decide,
      { id: w.id, outcome: 'approved', back },
      html`<button type="submit" class="primary">Approve</button>`,
      {
        confirm: `Approve: ${w.text}`,
      },
    )}
    ${postForm(
      viewer,
      PATHS.decide,
      { id: w.id, outcome: 'denied', back },
      html`<button type="submit" class="danger">Deny</button>`,
      {
        confirm: `Deny: ${w.text}`,
      },
    )}
  </div>`;
}

/** An escalating approval's stages: who each asked (or will ask), how, and when. */
function stagesFact(stages: StageView[]): Html {
  const said = { asked: 'asked', skipped: 'skipped (its condition was false)', pending: 'due' } as const;
  return html`<div>
    <dt>Escalation</dt>
    <dd>
      <ol class="stages">
        ${stages.map(
          (st) =>
            html`<li class="stage-${st.status}">
              <strong>${st.stage === 0 ? 'First ask' : `Stage ${st.stage}`}</strong>
              <span class="muted"
                >${said[st.status]} ${st.status === 'pending' ? time(st.at, 'countdown') : ''}
                (${time(st.at)})</span
              >
              —
              ${st.people.join(', ') || html`<span class="muted">nobody</span>`}${
                st.via?.length ? html` <span class="muted">via ${st.via.join(', ')}</span>` : ''
              }
            </li>`,
        )}
      </ol>
    </dd>
  </div>`;
}

export function waitingCard(viewer: Viewer, w: WaitingItem, opts: { showRun: boolean }): Html {
  return html`<article
    class="card waiting ${w.mine ? 'mine' : ''}"
    id="${interactionAnchor(w.id)}"
    aria-labelledby="q-${interactionAnchor(w.id)}"
  >
    <header>
      <span class="kind">${w.kind === 'approval' ? 'Approval' : 'Page'}</span>
      ${w.severity ? html`<span class="sev sev-${w.severity}">${w.severity}</span>` : ''}
      <span class="code" title="Code for SMS replies">code ${w.code}</span>
    </header>
    <h3 id="q-${interactionAnchor(w.id)}">${w.text}</h3>
    ${w.detectionTitle ? html`<p class="detection">${w.detectionTitle}</p>` : ''} ${devicesList(w.devices)}
    <p class="deadline">
      <strong>${w.kind === 'approval' ? 'Times out' : 'Escalates'}</strong>
      ${
        w.deadline
          ? html`${time(w.deadline, 'countdown')} <span class="muted">(${time(w.deadline)})</span>`
          : html`<span class="muted">no deadline</span>`
      }
      — <span class="then">then ${w.onDeadline}</span>
    </p>
    ${answerButtons(viewer, w, opts.showRun ? PATHS.inbox : storyUrl('', w.runId, interactionAnchor(w.id)))}
    <dl class="facts">
      ${
        w.budget
          ? html`<div>
              <dt>Blast radius</dt>
              <dd>${w.budget.left} of ${w.budget.limit} automatic isolations left (per ${w.budget.per})</dd>
            </div>`
          : ''
      }
      ${w.stages ? stagesFact(w.stages) : ''}
      <div>
        <dt>May answer</dt>
        <dd>${w.answerers.join(', ') || html`<span class="muted">nobody</span>`}</dd>
      </div>
      <div>
        <dt>Asked</dt>
        <dd>
          ${
            w.asked.length
              ? html`<ul class="asked">
                  ${w.asked.map(
                    (a) =>
                      html`<li>
                        ${a.who}
                        <span class="muted">via ${a.channel}</span
                        >${a.dryRun ? html` <span class="badge plain">dry run</span>` : ''}${
                          a.delivered
                            ? ''
                            : html` ${badge('failed')}${a.error ? html` <span class="muted">${a.error}</span>` : ''}`
                        }
                      </li>`,
                  )}
                </ul>`
              : html`<span class="muted">not yet</span>`
          } <span class="muted">at ${time(w.askedAt)}</span>
        </dd>
      </div>
      ${
        opts.showRun
          ? html`<div>
              <dt>Run</dt>
              <dd>
                <a href="${storyUrl('', w.runId, interactionAnchor(w.id))}">${w.playbook}</a>
                <span class="muted mono">${w.runId}</span>
              </dd>
            </div>`
          : ''
      }
    </dl>
  </article>`;
}
