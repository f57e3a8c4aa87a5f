// Inbox: the approvals and pages waiting for the signed-in person first, then the others waiting.
import { html, type Html } from '../html';
import { page } from '../layout';
import type { Viewer, WaitingItem } from '../model';
import { PATHS } from '../paths';
import { waitingCard } from './waiting';

export interface InboxModel {
  viewer: Viewer;
  items: WaitingItem[];
  flash?: { ok: boolean; text: string };
  /** More runs wait than the inbox reads at once. */
  truncated?: boolean;
  /** Running runs no worker answered for in time: what they wait for is not known. */
  unanswered?: number;
  liveSeen?: string;
}

export function inboxBody(m: InboxModel): Html {
  const mine = m.items.filter((i) => i.mine);
  const others = m.items.filter((i) => !i.mine);
  const n = m.unanswered ?? 0;
  return html`<h1>Inbox</h1>
    ${
      n
        ? html`<p class="flash bad" role="status">
            No worker answered for ${n} running run${n === 1 ? '' : 's'}: what
            ${n === 1 ? 'it waits' : 'they wait'} for is not shown here.
            <a href="${PATHS.runs}?status=running&amp;waiting=true">Runs waiting for an approval</a>
            (from their search attributes) — and check that a worker is running.
          </p>`
        : ''
    }
    <section aria-labelledby="h-mine">
      <h2 id="h-mine">Waiting for you <span class="count">${mine.length}</span></h2>
      ${mine.length ? mine.map((w) => waitingCard(m.viewer, w, { showRun: true })) : html`<p class="empty">Nothing waits for you${n ? ' among the runs that answered' : ''}.</p>`}
    </section>
    ${
      others.length
        ? html`<section aria-labelledby="h-others">
            <h2 id="h-others">Waiting for others <span class="count">${others.length}</span></h2>
            ${others.map((w) => waitingCard(m.viewer, w, { showRun: true }))}
          </section>`
        : ''
    }
    ${m.truncated ? html`<p class="muted">Only the most recent waiting runs are shown.</p>` : ''}`;
}

export function inboxPage(m: InboxModel): Html {
  return page(
    {
      title: 'Inbox',
      current: PATHS.inbox,
      viewer: m.viewer,
      flash: m.flash,
      live: 'inbox',
      liveSeen: m.liveSeen,
    },
    inboxBody(m),
  );
}
