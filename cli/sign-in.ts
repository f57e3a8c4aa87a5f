// `nightshift sign-in [--as PERSON]`: prints a new one-time console sign-in link (the embedded default,
// without OIDC). It needs no running server: the link is signed with the link key the server uses.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadProject } from '../compiler';
import { consoleSettings } from '../platform/config/console';
import { ConfigError, loadConfig } from '../platform/config/settings';
import { readVar } from '../platform/config/variables';
import { linkSettings } from '../platform/secrets';
import { PROJECT_ROOT } from '../platform/temporal/dev-server';
import { PATHS } from '../console/paths';
import { signInLink } from '../server/console/sign-in-link';
import { roleOf } from '../server/console/roles';
import type { CliIO } from './simulate';

const USAGE = 'usage: nightshift sign-in [--as PERSON]';

export async function runSignIn(argv: string[], io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  let person: string | undefined;
  try {
    person = parseArgs({ args: argv, options: { as: { type: 'string' } } }).values.as;
  } catch (err) {
    io.err(`nightshift sign-in: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  try {
    const cfg = loadConfig(env, io.cwd);
    const console = consoleSettings(env);
    const links = linkSettings({
      env,
      embedded: !cfg.temporal.address,
      http: cfg.http,
      stateDir: path.join(PROJECT_ROOT, '.nightshift'),
    });
    const publicUrl = (readVar(env, 'NIGHTSHIFT_PUBLIC_URL') || links.env.NIGHTSHIFT_PUBLIC_URL) as string;
    if (console.oidc) {
      io.err(
        `nightshift sign-in: the console signs in with ${console.oidc.issuer}: open ${publicUrl}${PATHS.inbox}`,
      );
      return 1;
    }
    if (person) {
      const org = loadProject({ config: cfg.configFile, paths: [] }).org;
      if (!org || !roleOf(org, person)) {
        io.err(`nightshift sign-in: "${person}" is not a person of nightshift.yaml with a console role.`);
        return 2;
      }
    }
    const secret = (readVar(env, 'NIGHTSHIFT_LINK_SECRET') || links.env.NIGHTSHIFT_LINK_SECRET) as string;
    io.out(signInLink(publicUrl, secret, { person, nowSec: Math.floor(Date.now() / 1000) }));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || (err as Error).name === 'ChannelConfigError') {
      io.err(`nightshift sign-in: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
}
