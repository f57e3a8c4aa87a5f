// The step-kind table is the language's one description of step kinds: every kind it compiles has a
// handler in the engine, and every key says what it is.
import { STEP_KINDS, KINDS } from '../../../compiler/step-kinds';
import { STEP_HANDLERS } from '../../../engine/steps';

describe('step-kind table', () => {
  it('every kind the compiler accepts runs on a handler of the engine, and every handler has kinds', () => {
    const irKinds = new Set(KINDS.map((k) => STEP_KINDS[k].ir));
    expect([...irKinds].sort()).toEqual(Object.keys(STEP_HANDLERS).sort());
  });

  it('documents every kind and key; enums list their values; required keys have no default', () => {
    for (const [kind, spec] of Object.entries(STEP_KINDS)) {
      expect([kind, spec.doc.length > 5]).toEqual([kind, true]);
      for (const [key, ks] of Object.entries(spec.keys)) {
        expect([kind, key, ks.doc.length > 3]).toEqual([kind, key, true]);
        if (ks.type === 'enum') expect([kind, key, (ks.enum ?? []).length > 0]).toEqual([kind, key, true]);
        if (ks.required) expect([kind, key, ks.default]).toEqual([kind, key, undefined]);
      }
    }
  });
});
