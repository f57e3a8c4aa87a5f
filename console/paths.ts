// Every URL of the console, written once: the pages link with these and the server routes on them (a
// run's story, which channel messages link to, is in core/console-urls.ts).

import { CONSOLE_PATH, STORY_PATH } from '../core/console-urls';

export { interactionAnchor, storyUrl } from '../core/console-urls';

export const CONSOLE = CONSOLE_PATH;

export const PATHS = {
  inbox: `${CONSOLE}/inbox`,
  runs: `${CONSOLE}/runs`,
  run: STORY_PATH,
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
