// Walks a parsed CEL AST for what the checker must resolve by name: `steps.<id>` / `steps['id']`, and the
// literal names given to calendar() and oncall(). Ranges are offsets into the expression source.
import type { ASTNode } from '@marcbachmann/cel-js';

export interface StepRef {
  id: string;
  start: number;
}
export interface NameRef {
  fn: 'calendar' | 'oncall';
  /** The literal name, or null when the argument is not a string literal. */
  name: string | null;
  start: number;
}
export interface ExprRefs {
  steps: StepRef[];
  names: NameRef[];
  /** Uses of `steps` not followed by a literal id (`steps[x]`, `steps` alone). */
  bareSteps: number[];
}

function isNode(x: unknown): x is ASTNode {
  return typeof x === 'object' && x !== null && 'op' in x && 'args' in x;
}

export function collectRefs(root: ASTNode): ExprRefs {
  const refs: ExprRefs = { steps: [], names: [], bareSteps: [] };
  const seen = new Set<unknown>();
  const claimed = new Set<ASTNode>();
  const visit = (n: ASTNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.op === '.' || n.op === '.?') {
      const [obj, field] = n.args;
      if (obj.op === 'id' && obj.args === 'steps') {
        refs.steps.push({ id: field, start: n.range.end - field.length });
        claimed.add(obj);
      }
    } else if (n.op === '[]' || n.op === '[?]') {
      const [obj, key] = n.args;
      if (obj.op === 'id' && obj.args === 'steps' && key.op === 'value' && typeof key.args === 'string') {
        refs.steps.push({ id: key.args, start: key.range.start });
        claimed.add(obj);
      }
    } else if (n.op === 'call') {
      const [fn, args] = n.args;
      if (fn === 'calendar' || fn === 'oncall') {
        const a = args[0];
        const name = a && a.op === 'value' && typeof a.args === 'string' ? a.args : null;
        refs.names.push({ fn, name, start: a ? a.range.start : n.range.start });
      }
    } else if (n.op === 'id' && n.args === 'steps' && !claimed.has(n)) {
      refs.bareSteps.push(n.range.start);
    }
    walkChildren(n.args);
  };
  const walkChildren = (x: unknown): void => {
    if (isNode(x)) visit(x);
    else if (Array.isArray(x)) for (const y of x) walkChildren(y);
  };
  visit(root);
  return refs;
}
