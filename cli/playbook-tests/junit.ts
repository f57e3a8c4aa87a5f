// `nightshift test --junit FILE`: the JUnit XML report CI systems read (one testsuite per test file).

export interface SuiteResult {
  name: string;
  /** The file could not be read or its playbook does not compile. */
  error?: string;
  cases: Array<{ name: string; ms: number; failure?: string }>;
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

export function junitXml(suites: SuiteResult[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = suites.reduce((n, s) => n + s.cases.length + (s.error ? 1 : 0), 0);
  const failures = suites.reduce((n, s) => n + s.cases.filter((c) => c.failure).length, 0);
  const errors = suites.filter((s) => s.error).length;
  out.push(`<testsuites name="nightshift test" tests="${total}" failures="${failures}" errors="${errors}">`);
  for (const s of suites) {
    const f = s.cases.filter((c) => c.failure).length;
    out.push(
      `  <testsuite name="${esc(s.name)}" tests="${s.cases.length + (s.error ? 1 : 0)}" failures="${f}" errors="${s.error ? 1 : 0}">`,
    );
    if (s.error)
      out.push(
        `    <testcase name="${esc(s.name)}" classname="${esc(s.name)}"><error message="the test file has errors">${esc(s.error)}</error></testcase>`,
      );
    for (const c of s.cases) {
      const open = `    <testcase name="${esc(c.name)}" classname="${esc(s.name)}" time="${(c.ms / 1000).toFixed(3)}"`;
      out.push(
        c.failure
          ? `${open}><failure message="${esc(c.failure.split('\n')[0])}">${esc(c.failure)}</failure></testcase>`
          : `${open}/>`,
      );
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
