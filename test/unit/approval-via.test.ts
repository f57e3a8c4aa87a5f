// The approval `via` extension: people named in `ask` are reached each listed way (e.g. a phone call).
import { compilePlaybook } from '../../compiler';
import { simulate } from '../../simulator/simulate';
import { detection, fixtureOrg } from '../support/playbooks';

const org = fixtureOrg();
const playbook = (via: string) =>
  [
    'playbook: dc-approval',
    'version: 1',
    'on:',
    '  detection:',
    "    when: detection.status == 'confirmed'",
    'steps:',
    '  - id: approval',
    '    approval:',
    '      ask: [ana, soc-slack]',
    '      approvers: [ana]',
    "      question: 'Isolate ${{ device.name }}?'",
    '      timeout: 10m',
    `      via: ${via}`,
    '',
  ].join('\n');

describe('approval via (extension)', () => {
  it('asks a person on every way listed, and a channel once', async () => {
    const { playbook: ir, diagnostics } = compilePlaybook('dc.yaml', playbook('[sms, voice]'), org);
    expect(diagnostics).toEqual([]);
    const r = await simulate(ir!, org, detection(), {
      at: new Date('2026-11-23T15:00:00Z'),
      approval: 'approved',
      approvalAfterMs: 60_000,
      ackAfterMs: null,
    });
    expect(r.effects.map((e) => `${e.kind}:${e.target}`)).toEqual([
      'approval.ask.sms:ana',
      'approval.ask.voice:ana',
      'approval.ask:soc-slack',
    ]);
    expect(r.steps[0]).toMatchObject({ outcome: 'approved', decided_by: 'ana' });
  });

  it('refuses an unknown way with its line and column', () => {
    const { playbook: ir, diagnostics } = compilePlaybook('dc.yaml', playbook('[sms, fax]'), org);
    expect(ir).toBeUndefined();
    expect(diagnostics).toEqual([
      expect.objectContaining({
        line: 13,
        col: 18,
        message: expect.stringMatching(/'fax' is not one of sms, voice, slack, email/),
      }),
    ]);
  });
});
