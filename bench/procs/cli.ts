// Child-process entry: the `nightshift` CLI from this build (bin/nightshift.js runs the one in dist/).
import { main } from '../../cli/main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
