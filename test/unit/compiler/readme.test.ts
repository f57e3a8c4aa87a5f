import { compilePlaybook } from '../../../compiler/index';
import { exampleOrg, exampleText } from './helpers';

test('every step example in playbooks/README.md compiles', () => {
  const readme = exampleText('playbooks/README.md');
  const blocks = [...readme.slice(readme.indexOf('## Step kinds')).matchAll(/```yaml\n([\s\S]*?)```/g)].map(
    (m) => m[1],
  );
  const stepBlocks = blocks.filter((b) => b.startsWith('- id:'));
  expect(stepBlocks.length).toBeGreaterThanOrEqual(6);
  const steps = stepBlocks.join('').replace(/^/gm, '  ');
  const text = `playbook: readme\nversion: 1\non:\n  detection:\n    when: "true"\nsteps:\n${steps}`;
  const r = compilePlaybook('readme.yaml', text, exampleOrg());
  expect(r.diagnostics).toEqual([]);
  expect(r.playbook?.steps.map((s) => s.id)).toContain('block-hash');
});
