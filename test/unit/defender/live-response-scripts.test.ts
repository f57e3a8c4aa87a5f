// The shipped live response scripts (issue 15 §4). The bash scripts run for real here on processes and
// files the test makes: idempotent, one machine-readable result line, the documented exit codes. The
// PowerShell scripts cannot run on this machine (no PowerShell): their parameters are checked against
// the arguments Nightshift sends, and their result contract against the bash twins'.
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  libraryScript,
  parseScriptResult,
  scriptArgs,
  scriptsDir,
} from '../../../integrations/defender/live-response';
import type { LiveResponseAction } from '../../../core/defender-effects';

function run(
  file: string,
  args: string,
): Promise<{ code: number; result: Record<string, unknown>; stdout: string }> {
  return new Promise((resolve) => {
    // Live response passes Args as one command-line string; the tokens are simple by construction.
    execFile(
      'bash',
      [path.join(scriptsDir(), file), ...args.split(' ')],
      { timeout: 30_000 },
      (err, stdout) => {
        const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
        const lines = stdout.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^nightshift-result: /);
        resolve({ code, result: JSON.parse(lines[0].slice('nightshift-result: '.length)), stdout });
      },
    );
  });
}

describe('nightshift-kill-process.sh', () => {
  it('stops the process, then reports it not running (idempotent)', async () => {
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    const pid = child.pid!;
    const exited = new Promise((r) => child.on('exit', r));
    const args = scriptArgs('kill_process', { process_id: String(pid), process_name: 'sleep' }, 'unix');
    const first = await run('nightshift-kill-process.sh', args);
    expect(first).toMatchObject({
      code: 0,
      result: { action: 'kill_process', outcome: 'killed', process_id: pid },
    });
    await exited;
    const again = await run('nightshift-kill-process.sh', args);
    expect(again).toMatchObject({ code: 0, result: { outcome: 'not_running', process_id: pid } });
  });

  it('refuses a process whose name differs (a reused id), leaving it running', async () => {
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      const r = await run(
        'nightshift-kill-process.sh',
        scriptArgs('kill_process', { process_id: String(child.pid), process_name: 'evil.bin' }, 'unix'),
      );
      expect(r).toMatchObject({ code: 2, result: { outcome: 'refused', reason: 'name mismatch' } });
      expect(() => process.kill(child.pid!, 0)).not.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses init and its own id', async () => {
    expect(await run('nightshift-kill-process.sh', '-ProcessId 1')).toMatchObject({
      code: 2,
      result: { outcome: 'refused', reason: 'protected process id' },
    });
    expect(await run('nightshift-kill-process.sh', '-ProcessId x;id')).toMatchObject({
      code: 2,
      result: { outcome: 'refused' },
    });
  });
});

describe('nightshift-delete-file.sh', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-delete-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('deletes the file, then reports it absent (idempotent); the path may hold any character', async () => {
    const file = path.join(dir, `evil "quoted" $(id) ;|& ü.exe`);
    fs.writeFileSync(file, 'payload');
    const sha = crypto.createHash('sha256').update('payload').digest('hex');
    const args = scriptArgs('delete_file', { path: file, sha256: sha.toUpperCase() }, 'unix');
    expect(args).not.toMatch(/["$;|&]/);
    expect(await run('nightshift-delete-file.sh', args)).toMatchObject({
      code: 0,
      result: { action: 'delete_file', outcome: 'deleted', sha256: sha },
    });
    expect(fs.existsSync(file)).toBe(false);
    expect(await run('nightshift-delete-file.sh', args)).toMatchObject({
      code: 0,
      result: { outcome: 'absent' },
    });
  });

  it('refuses another file at the path (hash mismatch) and directories', async () => {
    const file = path.join(dir, 'legit.txt');
    fs.writeFileSync(file, 'legit');
    const r = await run(
      'nightshift-delete-file.sh',
      scriptArgs('delete_file', { path: file, sha256: 'a'.repeat(64) }, 'unix'),
    );
    expect(r).toMatchObject({ code: 2, result: { outcome: 'refused', reason: 'hash mismatch' } });
    expect(fs.existsSync(file)).toBe(true);
    const d = await run('nightshift-delete-file.sh', scriptArgs('delete_file', { path: dir }, 'unix'));
    expect(d).toMatchObject({ code: 2, result: { outcome: 'refused', reason: 'a directory, not a file' } });
  });
});

describe('the PowerShell scripts take the arguments Nightshift sends', () => {
  const cases: Array<[LiveResponseAction, string[]]> = [
    ['kill_process', ['ProcessId', 'ProcessNameBase64']],
    ['delete_file', ['PathBase64', 'Sha256']],
  ];
  it.each(cases)('%s', (action, params) => {
    const text = libraryScript(action, 'windows').content.toString('utf8');
    const block = /param\(([\s\S]*?)\n\)/.exec(text)?.[1] ?? '';
    const declared = [...block.matchAll(/\]\s*\$([A-Za-z0-9]+)/g)].map((m) => m[1]);
    expect(declared).toEqual(params);
    // $PID is PowerShell's own (read-only) variable: a parameter of that name would fail (reference §15.6).
    expect(declared).not.toContain('PID');
    expect(text).toContain("Write-Output ('nightshift-result: ' + ($result | ConvertTo-Json -Compress))");
    expect(text).toMatch(/-LiteralPath|Stop-Process -Id/);
    // Every argument Nightshift builds names only declared parameters.
    const sample: Record<string, string> =
      action === 'kill_process'
        ? { process_id: '4242', process_name: 'x.exe' }
        : { path: 'C:\\x.exe', sha256: 'b'.repeat(64) };
    const used = scriptArgs(action, sample, 'windows')
      .split(' ')
      .filter((t) => t.startsWith('-'))
      .map((t) => t.slice(1));
    expect(used).toEqual(params);
  });
});

describe('scriptArgs refuses bad parameters before any call', () => {
  it.each([
    [{ process_id: '0' }, /refuses process id 0/],
    [{ process_id: '4' }, /refuses process id 4/],
    [{ process_id: '12a' }, /whole number/],
    [{ process_id: '99999999999' }, /whole number/],
  ])('kill_process %j', (params, msg) =>
    expect(() => scriptArgs('kill_process', params, 'windows')).toThrow(msg),
  );

  it.each([
    [{ path: 'relative\\x.exe' }, /local absolute Windows path/],
    [{ path: '\\\\server\\share\\x.exe' }, /local absolute Windows path/],
    [{ path: 'C:\\' }, /refuses a drive or root/],
    [{ path: 'C:\\x.exe', sha256: 'zz' }, /64 hex digits/],
    [{ path: '' }, /needs path/],
  ])('delete_file %j', (params, msg) =>
    expect(() => scriptArgs('delete_file', params, 'windows')).toThrow(msg),
  );
});

describe('parseScriptResult', () => {
  it('reads the documented transcript, its banner and NULs removed, and our result line', () => {
    const r = parseScriptResult(
      JSON.stringify({
        script_name: 'nightshift-kill-process.ps1',
        exit_code: 0,
        script_output:
          'Transcript started, output file is C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Temp\\PSScriptOutputs\\PSScript_Transcript_1.txt\nnightshift-result: {"action":"kill_process","outcome":"killed","process_id":4242,"name":"evil"}\n\u0000\u0000',
        script_errors: '',
      }),
    );
    expect(r).toEqual({
      script_name: 'nightshift-kill-process.ps1',
      exit_code: 0,
      outcome: 'killed',
      detail: { process_id: 4242, name: 'evil' },
      output:
        'nightshift-result: {"action":"kill_process","outcome":"killed","process_id":4242,"name":"evil"}',
      errors: '',
    });
  });

  it('accepts script_error (singular) and bounds the output', () => {
    const r = parseScriptResult(
      JSON.stringify({
        script_name: 'x',
        exit_code: 1,
        script_output: 'y'.repeat(10_000),
        script_error: 'boom',
      }),
    );
    expect(r.errors).toBe('boom');
    expect(r.output.length).toBe(4_001);
    expect(r.outcome).toBe('');
  });
});
