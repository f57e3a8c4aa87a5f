// `nightshift <command>`: validate | simulate | start | version.
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../platform/temporal/dev-server';
import { runSignIn } from './sign-in';
import { runSimulate } from './simulate';
import { runRoles, runStart } from './start';
import { runSchema } from './schema';
import { runTest } from './test';
import { runValidate } from './validate';

const HELP = `nightshift — SOAR playbooks on Temporal

usage:
  nightshift start                       start Temporal (embedded dev server unless TEMPORAL_ADDRESS),
                                         the worker and the HTTP server; Ctrl-C stops all three
  nightshift worker | server             one role only, against TEMPORAL_ADDRESS (production)
  nightshift validate [PATH…] [--config FILE] [--json]
                                         check nightshift.yaml and playbooks (default: playbooks/)
  nightshift simulate PLAYBOOK --detection FILE --at INSTANT [--config FILE]
                    [--approval approved|denied|none] [--approval-after DURATION]
                    [--approver PERSON] [--ack none|DURATION] [--json]
                                         run a playbook on a virtual clock, with no side effects
  nightshift sign-in [--as PERSON]       print a new one-time sign-in link of the web console
  nightshift test [PATH…] [--config FILE] [--junit FILE] [--update]
                                         run playbook test files (default: playbooks/tests/)
  nightshift schema playbook|org         print the JSON Schema of playbooks or of nightshift.yaml
  nightshift version
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const io = {
    out: (s: string) => process.stdout.write(`${s}\n`),
    err: (s: string) => process.stderr.write(`${s}\n`),
    cwd: process.cwd(),
  };
  switch (cmd) {
    case 'validate':
      return runValidate(rest, io);
    case 'simulate':
      return runSimulate(rest, io);
    case 'test':
      return runTest(rest, io);
    case 'schema':
      return runSchema(rest, io);
    case 'start':
      return runStart(rest, io);
    case 'worker':
    case 'server':
      return runRoles(cmd, rest, io);
    case 'sign-in':
      // The one place besides start that reads the process environment (settings and the link key).
      return runSignIn(rest, io, process.env);
    case 'version':
    case '--version':
      io.out(
        `nightshift ${JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version}`,
      );
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.out(HELP);
      return cmd === undefined ? 2 : 0;
    default:
      io.err(`nightshift: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}
