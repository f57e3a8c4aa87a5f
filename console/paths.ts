// Every URL of the console, written once: the pages link with these, the server routes on them, and
// the channel messages link to a run's story with `storyUrl`.

export const CONSOLE = '/console';

export const PATHS = {
  inbox: `${CONSOLE}/inbox`,
  runs: `${CONSOLE}/runs`,
  run: `${CONSOLE}/run`,
  devices: `${CONSOLE}/devices`,
  playbooks: `${CONSOLE}/playbooks`,
  simulate: `${CONSOLE}/simulate`,
  oncall: `${CONSOLE}/oncall`,
  audit: `${CONSOLE}/audit`,
  auditCsv: `${CONSOLE}/audit.csv`,
  auditJson: `${CONSOLE}/audit.json`,
  events: `${CONSOLE}/events`,
  decide: `${CONSOLE}/decide`,
  ack: `${CONSOLE}/ack`,
  cancel: `${CONSOLE}/cancel`,
  release: `${CONSOLE}/release`,
  signIn: `${CONSOLE}/sign-in`,
  oidcLogin: `${CONSOLE}/auth/login`,
  oidcCallback: `${CONSOLE}/auth/callback`,
  signOut: `${CONSOLE}/sign-out`,
  assets: `${CONSOLE}/assets`,
} as const;

/** The story of a run, on the console at `base` (a public URL) or relative when base is empty. */
export function storyUrl(base: string, workflowId: string, anchor?: string): string {
  const path = `${PATHS.run}?id=${encodeURIComponent(workflowId)}`;
  return `${base.replace(/\/+$/, '')}${path}${anchor ? `#${anchor}` : ''}`;
}

/** The anchor of an approval or page on its run's story: `i-<step>-<n>` from `<workflowId>|<step>|<n>`. */
export function interactionAnchor(interactionId: string): string {
  const parts = interactionId.split('|');
  const n = parts.pop() ?? '0';
  const step = parts.pop() ?? '';
  return `i-${step.replace(/[^A-Za-z0-9_-]/g, '_')}-${n.replace(/\D/g, '')}`;
}
