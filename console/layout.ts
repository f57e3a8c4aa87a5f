// The frame of every page: navigation, who is signed in, sign-out, flash message, and the assets. No
// inline script or style anywhere (the CSP forbids them): behaviour comes from /console/assets.
import { exact, html, type Html } from './html';
import { can, type Viewer } from './model';
import { PATHS } from './paths';

export const ASSET_VERSION = '1';

const NAV: Array<{ path: string; label: string }> = [
  { path: PATHS.inbox, label: 'Inbox' },
  { path: PATHS.runs, label: 'Runs' },
  { path: PATHS.devices, label: 'Devices' },
  { path: PATHS.playbooks, label: 'Playbooks' },
  { path: PATHS.oncall, label: 'On call' },
  { path: PATHS.audit, label: 'Audit' },
];

export interface PageOptions {
  title: string;
  /** The nav entry to mark as current. */
  current?: string;
  viewer?: Viewer;
  /** A result to show once at the top (after a decision, a release…). */
  flash?: { ok: boolean; text: string };
  /** Server-sent-event topic whose changes reload the live region of this page. */
  live?: string;
  /** The topic's fingerprint taken before the page's data was read (server/console/events.ts). */
  liveSeen?: string;
}

export function page(opts: PageOptions, body: Html): Html {
  const v = opts.viewer;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <meta name="color-scheme" content="light dark" />
        ${v ? html`<meta name="csrf-token" content="${v.csrf}" />` : ''}
        <title>${opts.title} · Nightshift</title>
        <link rel="stylesheet" href="${PATHS.assets}/console.css?v=${ASSET_VERSION}" />
        <script type="module" src="${PATHS.assets}/console.js?v=${ASSET_VERSION}"></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="${PATHS.inbox}">Nightshift</a>
          ${
            v
              ? html`<nav aria-label="Console">
                    <ul>
                      ${NAV.map(
                        (n) =>
                          html`<li>
                            <a href="${n.path}" ${n.path === opts.current ? html` aria-current="page"` : ''}
                              >${n.label}</a
                            >
                          </li>`,
                      )}
                    </ul>
                  </nav>
                  <div class="who">
                    <span class="person">${v.name}</span> <span class="role role-${v.role}">${v.role}</span>
                    <form method="post" action="${PATHS.signOut}" class="inline">
                      <input type="hidden" name="_csrf" value="${v.csrf}" />
                      <button type="submit" class="link">Sign out</button>
                    </form>
                  </div>`
              : ''
          }
        </header>
        <main
          id="main"
          tabindex="-1"
          ${opts.live ? html` data-live="${opts.live}"` : ''}
          ${opts.liveSeen ? html` data-live-seen="${opts.liveSeen}"` : ''}
        >
          ${opts.flash ? html`<p class="flash ${opts.flash.ok ? 'ok' : 'bad'}" role="status" data-flash>${opts.flash.text}</p>` : ''}
          ${body}
        </main>
      </body>
    </html>`;
}

/** A time: the ISO instant in `datetime`, shown in UTC until the script shows it in local time. */
export function time(
  iso: string | null | undefined,
  mode: 'abs' | 'clock' | 'rel' | 'countdown' = 'abs',
): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  const d = new Date(iso);
  const text = Number.isNaN(d.getTime())
    ? iso
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
  return html`<time datetime="${iso}" data-t="${mode}">${text}</time>`;
}

/** A status word as a badge, coloured by meaning. */
export function badge(text: string | undefined): Html {
  const t = (text ?? 'unknown').toLowerCase();
  const tone = /^(completed|succeeded|approved|acknowledged|ok|open|released)$/.test(t)
    ? 'good'
    : /^(failed|denied|timed_out|timedout|terminated|canceled|cancelled|refused|closed|error)$/.test(t)
      ? 'bad'
      : /^(running|pending|waiting|inprogress|requested|releasing)$/.test(t)
        ? 'busy'
        : 'plain';
  return html`<span class="badge ${tone}">${text ?? 'unknown'}</span>`;
}

/**
 * A form that posts to the console with the session's anti-CSRF token. With `confirm`, the script asks
 * in a dialog first and sends `confirmed=1`; without the script the server answers with a confirmation
 * page, so nothing is done on one stray click either way.
 */
export function postForm(
  viewer: Viewer,
  action: string,
  fields: Record<string, string>,
  button: Html,
  opts: { confirm?: string; className?: string } = {},
): Html {
  return html`<form
    method="post"
    action="${action}"
    class="${opts.className ?? 'inline'}"
    ${opts.confirm ? html` data-confirm="${opts.confirm}"` : ''}
  >
    <input type="hidden" name="_csrf" value="${viewer.csrf}" />
    ${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${exact(v)}" />`)}
    ${opts.confirm ? html`<input type="hidden" name="confirmed" value="0" />` : ''} ${button}
  </form>`;
}

/** Whether the viewer may do it, as a sentence for a disabled control. */
export function needs(viewer: Viewer, what: 'answer' | 'release' | 'cancel' | 'simulate'): string | null {
  if (can(viewer.role, what)) return null;
  const min = what === 'cancel' ? 'admin' : 'responder';
  return `Your role (${viewer.role}) may not do this: it needs ${min}.`;
}
