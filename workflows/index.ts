// Every workflow type the worker registers. The worker bundles this file (webpack) for the sandbox.
export { smokeTest } from './smoke';
export { playbookRun } from './playbook-run';
export { blastRadius } from './blast-radius';
export { defenderAlertPoller } from './defender-intake';
export { deviceRelease } from './device-release';
