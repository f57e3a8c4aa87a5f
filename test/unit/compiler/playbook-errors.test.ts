import { compilePlaybook } from '../../../compiler';
import type { Diagnostic } from '../../../compiler';
import { exampleOrg, posOf } from './helpers';

const org = exampleOrg();

function errors(text: string): Diagnostic[] {
  const r = compilePlaybook('pb.yaml', text, org);
  expect(r.playbook).toBeUndefined();
  return r.diagnostics.filter((d) => d.severity === 'error');
}

/** Exactly one error, at the position of `needle` (+shift), whose message matches `msg`. */
function expectOneError(text: string, needle: string, msg: RegExp, shift = 0, nth = 0): void {
  const es = errors(text);
  expect(es.map((e) => e.message)).toHaveLength(1);
  expect(es[0].message).toMatch(msg);
  expect({ line: es[0].line, col: es[0].col }).toEqual(posOf(text, needle, shift, nth));
}

const pb = (steps: string, on = "detection.status == 'confirmed'"): string => `playbook: test-pb
version: 1
on:
  detection:
    when: ${on}
steps:
${steps}`;

const notify = `  - id: first
    notify:
      to: [soc-slack]
      message: hi
`;

describe('structure', () => {
  test('unknown key with a did-you-mean', () => {
    const t = pb(`  - id: ask
    approval:
      ask: [soc-slack]
      approvers: [soc-leads]
      question: q
      timout: 15m
`);
    const es = errors(t);
    expect(es[0].message).toBe("unknown key 'timout' in step 'ask': approval (did you mean 'timeout'?)");
    expect(es[0]).toMatchObject(posOf(t, 'timout'));
    expect(es[1].message).toMatch(/missing 'timeout'/);
  });

  test('unknown top-level key', () => {
    const t = pb(notify).replace('version: 1', 'version: 1\ndescripton: x');
    expectOneError(t, 'descripton', /unknown key 'descripton' in playbook \(did you mean 'description'\?\)/);
  });

  test('duplicate keys are errors', () => {
    const t = pb(notify).replace('version: 1', 'version: 1\nversion: 2');
    expectOneError(t, 'version: 2', /duplicate key 'version'/);
  });

  test('custom tags are refused', () => {
    const t = pb(notify).replace('message: hi', 'message: !!js/function "function(){}"');
    expectOneError(t, '!!js/function', /YAML tags are not allowed \('tag:yaml.org,2002:js\/function'\)/);
    const t2 = pb(notify).replace('message: hi', 'message: !foo hi');
    expectOneError(t2, '!foo', /YAML tags are not allowed \('!foo'\)/);
  });

  test('a billion-laughs document is refused', () => {
    let y = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 8; i++)
      y += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    const r = compilePlaybook('pb.yaml', y, org);
    expect(r.diagnostics[0].message).toMatch(/alias/i);
  });

  test('oversized files are refused', () => {
    const r = compilePlaybook('pb.yaml', `# ${'x'.repeat(300 * 1024)}\n`, org);
    expect(r.diagnostics).toEqual([
      {
        file: 'pb.yaml',
        line: 1,
        col: 1,
        severity: 'error',
        message: expect.stringMatching(/limit is 262144/),
      },
    ]);
  });

  test('YAML syntax errors carry their position', () => {
    const t = pb(notify).replace('to: [soc-slack]', 'to: [soc-slack');
    const es = errors(t);
    expect(es.length).toBeGreaterThan(0);
    expect(es[0].line).toBeGreaterThanOrEqual(posOf(t, 'to: [soc-slack').line);
  });

  test('duplicate step ids', () => {
    const t = pb(notify + notify);
    expectOneError(t, 'first', /duplicate step id 'first'/, 0, 1);
  });

  test('a step with two kinds, and one with none', () => {
    const t = pb(`  - id: both
    notify: { to: [soc-slack], message: hi }
    wait: { for: 1m }
  - id: none
    name: nothing
`);
    const es = errors(t);
    expect(es).toHaveLength(2);
    expect(es[0]).toMatchObject({
      ...posOf(t, 'wait:'),
      message: expect.stringMatching(/more than one kind/),
    });
    expect(es[1]).toMatchObject({ ...posOf(t, 'id: none'), message: expect.stringMatching(/has no kind/) });
  });

  test('bad step id, bad playbook name, bad version', () => {
    const t = pb(notify.replace('id: first', 'id: First'))
      .replace('test-pb', 'Test_PB')
      .replace('version: 1', 'version: "1"');
    const es = errors(t);
    expect(es.map((e) => [e.line, e.col])).toEqual([
      [posOf(t, 'Test_PB').line, posOf(t, 'Test_PB').col],
      [posOf(t, '"1"').line, posOf(t, '"1"').col],
      [posOf(t, 'First').line, posOf(t, 'First').col],
    ]);
  });

  test('every problem is reported, not only the first', () => {
    const t = pb(`  - id: a
    notify: { to: [nobody], message: hi }
  - id: b
    wait: { for: soon }
  - id: c
    if: detection.nope
    notify: { to: [soc-slack], message: hi }
`);
    expect(errors(t).map((e) => e.line)).toEqual([
      posOf(t, 'nobody').line,
      posOf(t, 'soon').line,
      posOf(t, 'detection.nope').line,
    ]);
  });
});

describe('references to the organisation', () => {
  test('unknown channel/person/group in to', () => {
    const t = pb(notify.replace('[soc-slack]', '[soc-slak]'));
    expectOneError(
      t,
      'soc-slak',
      /unknown channel, person, group or rotation 'soc-slak' \(did you mean 'soc-slack'\?\)/,
    );
  });

  test('unknown approver', () => {
    const t = pb(`  - id: ask
    approval: { ask: [soc-slack], approvers: [soc-lead], question: q, timeout: 5m }
`);
    expectOneError(
      t,
      'soc-lead]',
      /unknown person, group or rotation 'soc-lead' \(did you mean 'soc-leads'\?\)/,
    );
  });

  test('unknown rotation in page', () => {
    const t = pb(`  - id: p
    page: { rotation: soc-secondary, via: [sms], message: m, ack_timeout: 5m }
`);
    expectOneError(t, 'soc-secondary', /unknown rotation 'soc-secondary'/);
  });

  test('unknown via and enum values', () => {
    const t = pb(`  - id: p
    page: { to: [ana], via: [pigeon], message: m, ack_timeout: 5m }
  - id: iso
    defender.isolate: { type: partial }
`);
    const es = errors(t);
    expect(es[0]).toMatchObject({
      ...posOf(t, 'pigeon'),
      message: expect.stringMatching(/'pigeon' is not one of sms, voice/),
    });
    expect(es[1]).toMatchObject({
      ...posOf(t, 'partial'),
      message: expect.stringMatching(/'partial' is not one of full, selective/),
    });
  });

  test('defender.block_indicator requires its keys and checks literal enums', () => {
    const t = pb(`  - id: blk
    defender.block_indicator:
      type: sha265
      value: abc
      action: block
`);
    const es = errors(t);
    expect(es[0]).toMatchObject({
      ...posOf(t, 'defender.block_indicator'),
      message: expect.stringMatching(/missing 'title'/),
    });
    expect(es[1]).toMatchObject({
      ...posOf(t, 'sha265'),
      message: expect.stringMatching(/did you mean 'sha256'/),
    });
  });

  test('bad durations', () => {
    const t = pb(`  - id: w
    wait: { for: 15 minutes }
`);
    expectOneError(t, '15 minutes', /'15 minutes' is not a duration/);
  });
});

describe('expressions', () => {
  test('unknown variable, at the column of the variable', () => {
    const t = pb(notify, "detection.status == 'confirmed' && severity == 'high'");
    expectOneError(t, 'severity ==', /unknown variable 'severity'/);
  });

  test('unknown field of detection', () => {
    const t = pb(notify, 'detection.severty == "high"');
    expectOneError(t, 'severty', /no field 'severty'/);
  });

  test('type error: if must be bool', () => {
    const t = pb(`  - id: a
    if: detection.severity
    notify: { to: [soc-slack], message: hi }
`);
    expectOneError(t, 'detection.severity', /if must be a bool, but 'detection.severity' is a string/);
  });

  test('type error inside an expression: string compared with int', () => {
    const t = pb(notify, 'detection.severity == 3');
    expectOneError(t, 'detection.severity == 3', /no such overload: string == int/);
  });

  test('for_each must be a list', () => {
    const t = pb(`  - id: a
    for_each: detection.title
    notify: { to: [soc-slack], message: hi }
`);
    expectOneError(t, 'detection.title', /for_each must be a list/);
  });

  test('unknown step', () => {
    const t = pb(`${notify}  - id: second
    if: steps.frist.status == 'succeeded'
    notify: { to: [soc-slack], message: hi }
`);
    expectOneError(t, 'frist', /unknown step 'frist' \(did you mean 'first'\?\)/);
  });

  test('a step that is not before the referring step', () => {
    const t = pb(`  - id: early
    if: steps.late.status == 'succeeded'
    notify: { to: [soc-slack], message: hi }
  - id: late
    notify: { to: [soc-slack], message: hi }
`);
    expectOneError(t, 'late.status', /step 'early' reads step 'late', which is not before it/);
  });

  test('a step reading its own result', () => {
    const t = pb(`  - id: self
    if: steps.self.status == 'skipped'
    notify: { to: [soc-slack], message: hi }
`);
    expectOneError(t, 'self.status', /reads its own result/);
  });

  test('result fields are typed per step kind', () => {
    const t = pb(`${notify}  - id: second
    if: steps.first.outcome == 'approved'
    notify: { to: [soc-slack], message: hi }
`);
    expectOneError(t, 'outcome', /no field 'outcome'/);
  });

  test("step ids with '-' are read with steps['id']", () => {
    const ok = compilePlaybook(
      'pb.yaml',
      pb(`  - id: my-step
    notify: { to: [soc-slack], message: hi }
  - id: next
    if: steps['my-step'].status == 'succeeded'
    notify: { to: [soc-slack], message: hi }
`),
      org,
    );
    expect(ok.diagnostics).toEqual([]);
    expect(ok.playbook?.steps[1].if?.src).toBe("steps['my-step'].status == 'succeeded'");
  });

  test('steps indexed by a non-literal is refused', () => {
    const t = pb(`${notify}  - id: second
    if: steps[detection.id].status == 'x'
    notify: { to: [soc-slack], message: hi }
`);
    expectOneError(t, 'steps[detection', /'steps' must be followed by a step id/);
  });

  test('unknown calendar and rotation names, and non-literal names', () => {
    const t = pb(`  - id: a
    if: calendar('soc-hour').open
    notify: { to: [soc-slack], message: "\${{ oncall('soc-primery').name }}" }
  - id: b
    if: calendar(detection.id).open
    notify: { to: [soc-slack], message: hi }
`);
    const es = errors(t);
    expect(es).toHaveLength(3);
    expect(es[0]).toMatchObject({
      ...posOf(t, "'soc-hour'"),
      message: expect.stringMatching(/unknown calendar 'soc-hour' \(did you mean 'soc-hours'\?\)/),
    });
    expect(es[1]).toMatchObject({
      ...posOf(t, "'soc-primery'"),
      message: expect.stringMatching(/unknown rotation 'soc-primery'/),
    });
    expect(es[2]).toMatchObject({
      ...posOf(t, 'detection.id).open'),
      message: expect.stringMatching(/string literal/),
    });
  });

  test('errors inside templates point into the template', () => {
    const t = pb(notify.replace('message: hi', "message: 'Device ${{ device.nam }} is bad'"));
    expectOneError(t, 'nam }}', /no field 'nam'/);
  });

  test('errors in block scalars point at the right line', () => {
    const t = pb(`  - id: a
    notify:
      to: [soc-slack]
      message: |
        first line
        second \${{ detection.nope }}
`);
    expectOneError(t, 'nope', /no field 'nope'/);
  });

  test('unclosed template', () => {
    const t = pb(notify.replace('message: hi', "message: 'Device ${{ device.name'"));
    expectOneError(t, '${{', /unclosed/);
  });

  test('CEL syntax errors', () => {
    const t = pb(notify, "detection.status == 'confirmed' &&");
    const es = errors(t);
    expect(es).toHaveLength(1);
    expect(es[0].line).toBe(posOf(t, 'detection.status').line);
  });

  test('expression length and cost limits', () => {
    const long = Array(500).fill("detection.id == 'x'").join(' || ');
    const t = pb(notify, long);
    expectOneError(t, 'detection.id', /limit is 2000/);
    const costly = Array(200).fill('1').join(' + ') + ' > 0';
    expectOneError(pb(notify, costly), '1 + 1', /maxAstNodes/);
  });

  test('until must be a timestamp', () => {
    const t = pb(`  - id: w
    wait: { until: calendar('soc-hours').open }
`);
    expectOneError(t, "calendar('soc-hours').open", /must be a timestamp/);
    const ok = compilePlaybook(
      'pb.yaml',
      pb(`  - id: w
    wait: { until: "calendar('soc-hours').next_open" }
`),
      org,
    );
    expect(ok.diagnostics).toEqual([]);
  });
});
