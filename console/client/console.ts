// The console's only script: local times and countdowns, a confirmation dialog before a decision, and
// live updates of the page from server-sent events. Everything works without it (times in UTC, a
// confirmation page instead of the dialog, a reload for fresh data); it never builds markup from text.

const RTF = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const ABS = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const CLOCK = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

function relative(ms: number): string {
  const s = Math.round(ms / 1000);
  const abs = Math.abs(s);
  if (abs < 60) return RTF.format(s, 'second');
  if (abs < 3600) return RTF.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return RTF.format(Math.round(s / 3600), 'hour');
  return RTF.format(Math.round(s / 86400), 'day');
}

function countdown(ms: number): string {
  if (ms <= 0) return 'now';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `in ${h} h ${String(m).padStart(2, '0')} min` : `in ${m}:${sec}`;
}

function renderTimes(root: ParentNode): void {
  const now = Date.now();
  for (const el of root.querySelectorAll<HTMLTimeElement>('time[data-t]')) {
    const t = Date.parse(el.dateTime);
    if (Number.isNaN(t)) continue;
    const mode = el.dataset.t;
    if (mode === 'abs') {
      el.textContent = ABS.format(t);
    } else if (mode === 'clock') {
      // Time of day; the date where it is not today.
      el.textContent =
        new Date(t).toDateString() === new Date(now).toDateString() ? CLOCK.format(t) : ABS.format(t);
      el.title = ABS.format(t);
    } else if (mode === 'rel') {
      el.textContent = relative(t - now);
      el.title = ABS.format(t);
    } else if (mode === 'countdown') {
      el.textContent = countdown(t - now);
      el.title = ABS.format(t);
      el.classList.toggle('due', t - now <= 60_000);
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Confirmation: a form with data-confirm asks in a dialog, then posts with confirmed=1.

let dialog: HTMLDialogElement | undefined;

function confirmDialog(question: string): Promise<boolean> {
  if (!dialog) {
    dialog = document.createElement('dialog');
    dialog.setAttribute('aria-labelledby', 'confirm-q');
    const p = document.createElement('p');
    p.id = 'confirm-q';
    const actions = document.createElement('div');
    actions.className = 'actions';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.value = 'cancel';
    cancel.textContent = 'Cancel';
    const ok = document.createElement('button');
    ok.type = 'button';
    ok.value = 'ok';
    ok.className = 'primary';
    ok.textContent = 'Confirm';
    actions.append(cancel, ok);
    dialog.append(p, actions);
    document.body.append(dialog);
    cancel.addEventListener('click', () => dialog?.close('cancel'));
    ok.addEventListener('click', () => dialog?.close('ok'));
  }
  const d = dialog;
  (d.querySelector('#confirm-q') as HTMLElement).textContent = question;
  d.returnValue = '';
  d.showModal();
  (d.querySelector('button[value="ok"]') as HTMLButtonElement).focus();
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
  });
}

document.addEventListener('submit', (ev) => {
  const form = ev.target as HTMLFormElement;
  const question = form.dataset.confirm;
  if (!question) return;
  const confirmed = form.querySelector<HTMLInputElement>('input[name="confirmed"]');
  if (!confirmed || confirmed.value === '1') return;
  ev.preventDefault();
  if (!form.reportValidity()) return;
  void confirmDialog(question).then((ok) => {
    if (!ok) return;
    confirmed.value = '1';
    form.submit();
  });
});

// ------------------------------------------------------------------------------------------------
// Live updates: the server says a topic changed; the page fetches itself again and swaps in its live
// region — unless the person is typing or deciding, when the swap waits for the next change.

function busy(main: HTMLElement): boolean {
  if (dialog?.open) return true;
  const active = document.activeElement;
  if (active && main.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) return true;
  for (const el of main.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>(
    'input:not([type=hidden]), textarea',
  )) {
    if (el.value !== el.defaultValue) return true;
  }
  return false;
}

/** Swaps in the page fetched again; false when the person started typing or deciding meanwhile. */
async function refresh(main: HTMLElement): Promise<boolean> {
  const res = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
  if (res.redirected || !res.ok) return true; // signed out or gone: the next navigation shows why
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  const fresh = doc.querySelector('main');
  if (!fresh) return true;
  // A confirmation opened while the page was fetched holds its form: replacing it now would detach
  // the form, and Confirm would then submit nothing.
  if (busy(main)) return false;
  const regions = main.querySelectorAll('[data-live-region]');
  const freshRegions = fresh.querySelectorAll('[data-live-region]');
  if (regions.length > 0 && regions.length === freshRegions.length) {
    regions.forEach((r, i) => r.replaceWith(document.adoptNode(freshRegions[i])));
  } else {
    // The answer to what the person just did is not in the page fetched again; keep it on screen.
    const flash = fresh.querySelector('[data-flash]') ? null : main.querySelector(':scope > [data-flash]');
    main.replaceChildren(...Array.from(fresh.childNodes).map((n) => document.adoptNode(n)));
    if (flash) main.prepend(flash);
  }
  renderTimes(main);
  return true;
}

function live(): void {
  const main = document.querySelector<HTMLElement>('main[data-live]');
  const topic = main?.dataset.live;
  if (!main || !topic || typeof EventSource === 'undefined') return;
  // With the fingerprint the page was rendered at, a change before the stream opened is told too.
  const seen = main.dataset.liveSeen;
  const events = new EventSource(
    `/console/events?topic=${encodeURIComponent(topic)}${seen ? `&seen=${encodeURIComponent(seen)}` : ''}`,
  );
  let pending = false;
  const tryRefresh = () => {
    if (busy(main)) {
      pending = true;
      return;
    }
    pending = false;
    void refresh(main)
      .then((done) => {
        if (!done) pending = true;
      })
      .catch(() => undefined);
  };
  events.addEventListener('changed', tryRefresh);
  // The browser retries a dropped stream by itself; once it gives up (signed out, the session expired,
  // too many live pages), the page says so instead of silently going stale.
  events.addEventListener('error', () => {
    if (events.readyState !== EventSource.CLOSED || main.querySelector('[data-live-stopped]')) return;
    const note = document.createElement('p');
    note.className = 'flash bad';
    note.setAttribute('role', 'status');
    note.dataset.liveStopped = '';
    note.textContent = 'Live updates stopped (signed out, or too many live pages open): reload the page.';
    main.prepend(note);
  });
  // A change that arrived while busy is applied once the person is done.
  setInterval(() => {
    if (pending) tryRefresh();
  }, 2000);
}

renderTimes(document);
setInterval(() => renderTimes(document), 1000);
live();
