// The step kinds the interpreter runs, by kind: one handler each (engine/steps/types.ts says what a
// handler is). A new kind is one file and one entry here.
import { approval } from './approval';
import { defender } from './defender';
import { notify } from './notify';
import { page } from './page';
import type { StepHandlers } from './types';
import { wait } from './wait';
import { webhook } from './webhook';

export const STEP_HANDLERS: StepHandlers = { notify, approval, page, wait, defender, webhook };
