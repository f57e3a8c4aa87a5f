// What a step kind is to the interpreter: a handler that runs one element of a step (a device, a
// for_each item, or the step once) against the run's context and returns its result. A new step kind
// is a new file here and one entry in the map of engine/steps/index.ts (and one in the compiler's table).
import type { StepIR, StepKindIR } from '../../core/ir';
import type { StepResult } from '../../core/run';
import type { RunContext } from '../context';
import type { Element } from '../keys';

export type StepKind = StepKindIR['kind'];
export type StepOf<K extends StepKind> = Extract<StepKindIR, { kind: K }>;

export interface StepKindHandler<K extends StepKind> {
  /** Runs element `el` (numbered `n`: its interaction ids and keys) of `step`. */
  run(ctx: RunContext, step: StepIR, run: StepOf<K>, el: Element, n: number): Promise<StepResult>;
  /** Acts on each device of the run (joining devices too), not once per step. */
  perDevice?(run: StepOf<K>): boolean;
  /** Kind-specific fields of the aggregate result of several elements. */
  aggregate?(result: StepResult, outcomes: StepResult[]): void;
}

export type StepHandlers = { [K in StepKind]: StepKindHandler<K> };
