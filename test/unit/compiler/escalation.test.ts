// The `escalate` extension of approvals and rotations in `ask`/`approvers`: the IR they compile to,
// existing approvals unchanged, and every mistake reported at its file:line:col.
import { compilePlaybook } from '../../../compiler';
import { exampleOrg, posOf } from './helpers';

const org = exampleOrg();

const pb = (approval: string) => `playbook: esc
version: 1
on:
  detection:
    when: detection.status == 'confirmed'
steps:
  - id: ask
    approval:
${approval}`;

const BASE = `      ask: [soc-slack]
      approvers: [soc-primary, cho]
      question: 'Isolate?'
      timeout: 30m
`;

function compile(text: string) {
  const r = compilePlaybook('pb.yaml', text, org);
  return { ir: r.playbook, errors: r.diagnostics.filter((d) => d.severity === 'error') };
}

describe('escalating approvals: compiling', () => {
  it('compiles stages, rotations in approvers and ask, and a stage condition', () => {
    const { ir, errors } = compile(
      pb(`${BASE.replace('[soc-slack]', '[soc-slack, soc-primary]')}      escalate:
        - { after: 5m, via: [sms, voice] }
        - after: 15m
          to: [soc-leads, infra-oncall]
          via: [voice]
          if: detection.severity == 'critical' || calendar('working-days').open
`),
    );
    expect(errors).toEqual([]);
    expect(ir!.steps[0].run).toMatchObject({
      kind: 'approval',
      ask: [
        { type: 'channel', id: 'soc-slack' },
        { type: 'rotation', id: 'soc-primary' },
      ],
      approvers: ['cho'],
      approverRotations: ['soc-primary'],
      escalate: [
        { afterMs: 300_000, via: ['sms', 'voice'] },
        {
          afterMs: 900_000,
          to: [
            { type: 'group', id: 'soc-leads' },
            { type: 'rotation', id: 'infra-oncall' },
          ],
          via: ['voice'],
          if: { src: "detection.severity == 'critical' || calendar('working-days').open" },
        },
      ],
    });
  });

  it('an approval without the extension compiles to exactly the IR it always did', () => {
    const { ir } = compile(pb(BASE.replace('soc-primary, cho', 'soc-leads')));
    expect(Object.keys(ir!.steps[0].run).sort()).toEqual(
      ['approvers', 'ask', 'kind', 'onTimeout', 'question', 'timeoutMs'].sort(),
    );
  });

  it.each([
    [
      'a stage not later than the one before',
      `      escalate:\n        - { after: 10m }\n        - { after: 5m }\n`,
      '5m',
      "step 'ask': approval.escalate[1].after must be later than the item before",
    ],
    [
      'a stage at or after the timeout',
      `      escalate:\n        - { after: 30m }\n`,
      '30m }',
      "step 'ask': approval.escalate[0].after must be less than 'timeout'",
    ],
    [
      'a stage without after',
      `      escalate:\n        - { via: [sms] }\n`,
      '{ via',
      "step 'ask': approval.escalate[0] is missing 'after'",
    ],
    [
      'an unknown key in a stage',
      `      escalate:\n        - { after: 5m, too: [ana] }\n`,
      'too',
      "unknown key 'too' in step 'ask': approval.escalate[0] (did you mean 'to'?)",
    ],
    [
      'an unknown person in a stage',
      `      escalate:\n        - { after: 5m, to: [anna] }\n`,
      'anna',
      "step 'ask': approval.escalate[0].to: unknown person, group or rotation 'anna' (did you mean 'ana'?)",
    ],
    [
      'a channel in a stage',
      `      escalate:\n        - { after: 5m, to: [soc-slack] }\n`,
      'soc-slack] }',
      "step 'ask': approval.escalate[0].to: unknown person, group or rotation 'soc-slack'",
    ],
    [
      'a stage condition that is not a bool',
      `      escalate:\n        - { after: 5m, if: detection.severity }\n`,
      'detection.severity }',
      "step 'ask': approval.escalate[0].if must be a bool, but 'detection.severity' is a string",
    ],
    [
      'escalate that is not a list',
      `      escalate: { after: 5m }\n`,
      '{ after',
      "step 'ask': approval.escalate must be a list",
    ],
  ])('%s is an error at its position', (_what, escalate, needle, message) => {
    const text = pb(BASE + escalate);
    const { ir, errors } = compile(text);
    expect(ir).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining(message)]);
    expect({ line: errors[0].line, col: errors[0].col }).toEqual(posOf(text, needle, 0, 0));
  });
});
