// Where a run's story lives on the web console: the console links to it, and every channel message
// (Slack, Teams, email, SMS) carries it, so a phone opens the console where the question is.

/** The console's path on the Nightshift server. */
export const CONSOLE_PATH = '/console';
/** The story of one run: `?id=<workflow id>`. */
export const STORY_PATH = `${CONSOLE_PATH}/run`;

/** The story of a run, on the console at `base` (a public URL), or relative when base is empty. */
export function storyUrl(base: string, workflowId: string, anchor?: string): string {
  const path = `${STORY_PATH}?id=${encodeURIComponent(workflowId)}`;
  return `${base.replace(/\/+$/, '')}${path}${anchor ? `#${anchor}` : ''}`;
}

/** The anchor of an approval or page on its run's story: `i-<step>-<n>` from `<workflowId>|<step>|<n>`. */
export function interactionAnchor(interactionId: string): string {
  const parts = interactionId.split('|');
  const n = parts.pop() ?? '0';
  const step = parts.pop() ?? '';
  return `i-${step.replace(/[^A-Za-z0-9_-]/g, '_')}-${n.replace(/\D/g, '')}`;
}
