// Child-process entry: one production role (`worker` or `server`) exactly as `nightshift worker|server`
// runs it (cli/start.ts), configured by the environment the stack passes. SIGTERM stops it cleanly,
// which also lets `node --cpu-prof` write its profile.
import { runRoles } from '../../cli/start';

const role = process.argv[2];
if (role !== 'worker' && role !== 'server') {
  console.error('usage: role.js worker|server');
  process.exit(2);
}
runRoles(role, [], { out: (s) => console.log(s), err: (s) => console.error(s), cwd: process.cwd() }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
