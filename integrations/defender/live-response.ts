// Live response (issue 15 §4; reference §15.2-15.6): no Defender API takes a process id or a path, so
// Nightshift ships library scripts (scripts/), installs them into the tenant's library when their
// content differs (compared by SHA-256), runs them with RunScript, and reads the script's exit code and
// its one result line back from the transcript. Pure: the script registry, the request bodies, argument
// checking and the transcript parser.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LiveResponseAction, ScriptOutcome, ScriptPlatform } from '../../core/defender-effects';
import { platformOf } from '../../core/defender-effects';
import type { Budget, DefenderCaller } from './caller';

/** A script as shipped: its library file name, content and SHA-256 (what the library reports). */
export interface LibraryScript {
  fileName: string;
  content: Buffer;
  sha256: string;
  description: string;
  parametersDescription: string;
}

const FILES: Record<LiveResponseAction, Record<ScriptPlatform, string>> = {
  kill_process: { windows: 'nightshift-kill-process.ps1', unix: 'nightshift-kill-process.sh' },
  delete_file: { windows: 'nightshift-delete-file.ps1', unix: 'nightshift-delete-file.sh' },
};
const DESCRIPTIONS: Record<LiveResponseAction, [string, string]> = {
  kill_process: [
    'Nightshift: stop one process by id (idempotent; one nightshift-result line)',
    '-ProcessId <n> [-ProcessNameBase64 <base64 image name>]',
  ],
  delete_file: [
    'Nightshift: delete one file by path (idempotent; one nightshift-result line)',
    '-PathBase64 <base64 path> [-Sha256 <hex>]',
  ],
};

/** The scripts folder, next to this module in the source tree, or under the package root when built. */
export function scriptsDir(): string {
  const candidates = [
    path.join(__dirname, 'scripts'),
    path.resolve(__dirname, '..', '..', '..', 'integrations', 'defender', 'scripts'),
  ];
  const found = candidates.find((d) => fs.existsSync(path.join(d, FILES.kill_process.windows)));
  if (!found) throw new Error(`the live response scripts are missing (looked in ${candidates.join(', ')})`);
  return found;
}

const cache = new Map<string, LibraryScript>();

export function libraryScript(action: LiveResponseAction, platform: ScriptPlatform): LibraryScript {
  const fileName = FILES[action][platform];
  let s = cache.get(fileName);
  if (!s) {
    const content = fs.readFileSync(path.join(scriptsDir(), fileName));
    s = {
      fileName,
      content,
      sha256: crypto.createHash('sha256').update(content).digest('hex'),
      description: DESCRIPTIONS[action][0],
      parametersDescription: DESCRIPTIONS[action][1],
    };
    cache.set(fileName, s);
  }
  return s;
}

export { platformOf };

/** A bad step parameter, caught before any call. */
export class LiveResponseParamError extends Error {
  override name = 'LiveResponseParamError';
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/**
 * The `Args` string of a RunScript: simple tokens only, every text base64-encoded, so no quoting rule of
 * PowerShell, bash or the live response command line matters (reference §15.6 script guidance).
 */
export function scriptArgs(
  action: LiveResponseAction,
  params: Record<string, string>,
  platform: ScriptPlatform,
): string {
  if (action === 'kill_process') {
    const raw = (params.process_id ?? '').trim();
    if (!/^\d{1,10}$/.test(raw) || Number(raw) > 4_294_967_295) {
      throw new LiveResponseParamError(
        `kill_process needs process_id, a whole number (got "${raw.slice(0, 40)}")`,
      );
    }
    const pid = Number(raw);
    if (pid === 0 || pid === 4 || (platform === 'unix' && pid === 1)) {
      throw new LiveResponseParamError(`kill_process refuses process id ${pid} (a system process)`);
    }
    const name = (params.process_name ?? '').trim();
    if (name.length > 260)
      throw new LiveResponseParamError('kill_process process_name is longer than 260 characters');
    return name ? `-ProcessId ${pid} -ProcessNameBase64 ${b64(name)}` : `-ProcessId ${pid}`;
  }
  const p = params.path ?? '';
  if (p.length === 0 || p.length > 32_767 || p.includes('\u0000')) {
    throw new LiveResponseParamError('delete_file needs path, a file path of at most 32,767 characters');
  }
  const absolute = platform === 'windows' ? /^[A-Za-z]:\\/.test(p) : p.startsWith('/');
  if (!absolute) {
    throw new LiveResponseParamError(
      `delete_file path must be a local absolute ${platform === 'windows' ? 'Windows path (C:\\…)' : 'path (/…)'} (got "${p.slice(0, 100)}")`,
    );
  }
  if (/^[A-Za-z]:\\?$/.test(p) || p === '/')
    throw new LiveResponseParamError('delete_file refuses a drive or root');
  const sha256 = (params.sha256 ?? '').trim().toLowerCase();
  if (sha256 && !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new LiveResponseParamError(
      `delete_file sha256 must be 64 hex digits (got "${sha256.slice(0, 80)}")`,
    );
  }
  return sha256 ? `-PathBase64 ${b64(p)} -Sha256 ${sha256}` : `-PathBase64 ${b64(p)}`;
}

/** The runliveresponse body: one RunScript (reference §15.2; key names are case-sensitive, §15.9). */
export function runScriptBody(scriptName: string, args: string, comment: string): Record<string, unknown> {
  return {
    Commands: [
      {
        type: 'RunScript',
        params: [
          { key: 'ScriptName', value: scriptName },
          { key: 'Args', value: args },
        ],
      },
    ],
    Comment: comment,
  };
}

export const MAX_SCRIPT_OUTPUT = 4_000;

function clip(s: string, max = MAX_SCRIPT_OUTPUT): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Reads a RunScript transcript (reference §15.4: `{script_name, exit_code, script_output, script_errors}`,
 * `script_error` in some copies; the output starts with a transcript banner and may hold NULs).
 */
export function parseScriptResult(body: string): ScriptOutcome {
  let t: Record<string, unknown>;
  try {
    t = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new Error('the live response result is not JSON');
  }
  if (!t || typeof t !== 'object') throw new Error('the live response result is not a JSON object');
  const exit = Number(t.exit_code);
  const out = typeof t.script_output === 'string' ? t.script_output : '';
  const err =
    typeof t.script_errors === 'string'
      ? t.script_errors
      : typeof t.script_error === 'string'
        ? t.script_error
        : '';
  const lines = out
    .replaceAll('\u0000', '')
    .split(/\r?\n/)
    .filter((l) => !/^Transcript started, output file is /.test(l));
  let outcome = '';
  const detail: ScriptOutcome['detail'] = {};
  const resultLine = [...lines].reverse().find((l) => l.startsWith('nightshift-result: '));
  if (resultLine) {
    try {
      const r = JSON.parse(resultLine.slice('nightshift-result: '.length)) as Record<string, unknown>;
      if (typeof r.outcome === 'string') outcome = r.outcome.slice(0, 40);
      for (const [k, v] of Object.entries(r)) {
        if (k === 'outcome' || k === 'action') continue;
        if (typeof v === 'string') detail[k.slice(0, 40)] = v.slice(0, 500);
        else if (typeof v === 'number' || typeof v === 'boolean') detail[k.slice(0, 40)] = v;
        if (Object.keys(detail).length >= 10) break;
      }
    } catch {
      // A malformed result line leaves outcome empty; the exit code still decides.
    }
  }
  return {
    script_name: typeof t.script_name === 'string' ? t.script_name.slice(0, 200) : '',
    exit_code: Number.isInteger(exit) ? exit : -1,
    outcome,
    detail,
    output: clip(lines.join('\n').trim()),
    errors: clip(err.replaceAll('\u0000', '').trim()),
  };
}

/** Exit codes of the shipped scripts (their headers): 0 done, 2 refused, 1 failed; 323 is SenseIR's hash check. */
export function exitMeaning(code: number): string {
  switch (code) {
    case 0:
      return 'done';
    case 1:
      return 'the script failed';
    case 2:
      return 'the script refused';
    case 323:
      return 'the script was not run: its hash did not match the library (reference §15.4, low confidence)';
    default:
      return `exit code ${code}`;
  }
}

// --- the calls (one API call each) -------------------------------------------------------------

/** A library entry as GET /api/libraryfiles lists it (reference §15.5). */
export interface LibraryFileEntry {
  fileName: string;
  sha256?: string | null;
  description?: string | null;
  hasParameters?: boolean;
  parametersDescription?: string | null;
  lastUpdatedTime?: string | null;
  createdBy?: string | null;
}

/** The live response part of a MachineAction (reference §15.2, §15.3). */
export interface LiveResponseCommand {
  index: number;
  commandStatus?: string | null;
  errors?: unknown[] | null;
  command?: { type?: string } | null;
}

/** GET /api/libraryfiles (Library.Manage). */
export async function listLibrary(c: DefenderCaller, budget?: Budget): Promise<LibraryFileEntry[]> {
  const res = await c.call<{ value?: LibraryFileEntry[] }>('GET', '/api/libraryfiles', { budget });
  return Array.isArray(res?.value) ? res.value : [];
}

/** Whether the library holds exactly this script (same name, same SHA-256). */
export function isInstalled(entries: LibraryFileEntry[], s: LibraryScript): boolean {
  return entries.some(
    (e) =>
      e.fileName?.toLowerCase() === s.fileName.toLowerCase() && (e.sha256 ?? '').toLowerCase() === s.sha256,
  );
}

/** POST /api/libraryfiles (multipart; Library.Manage), replacing a file of the same name. */
export function uploadScript(
  c: DefenderCaller,
  s: LibraryScript,
  budget?: Budget,
): Promise<LibraryFileEntry> {
  return c.upload<LibraryFileEntry>(
    '/api/libraryfiles',
    {
      file: { name: s.fileName, content: s.content, type: 'text/plain' },
      fields: {
        Description: s.description,
        ParametersDescription: s.parametersDescription,
        HasParameters: 'true',
        OverrideIfExists: 'true',
      },
    },
    budget,
  );
}

/** POST /api/machines/{id}/runliveresponse (Machine.LiveResponse): 201 + the LiveResponse MachineAction. */
export function runLiveResponse<A>(
  c: DefenderCaller,
  machineId: string,
  body: Record<string, unknown>,
  budget?: Budget,
): Promise<A> {
  return c.call<A>('POST', `/api/machines/${encodeURIComponent(machineId)}/runliveresponse`, {
    body,
    budget,
  });
}

/** GET …/GetLiveResponseResultDownloadLink(index=N) (Machine.ReadWrite.All): a SAS link valid 30 min. */
export async function resultLink(
  c: DefenderCaller,
  actionId: string,
  index: number,
  budget?: Budget,
): Promise<string> {
  const res = await c.call<{ value?: unknown }>(
    'GET',
    `/api/machineactions/${encodeURIComponent(actionId)}/GetLiveResponseResultDownloadLink(index=${index})`,
    { budget },
  );
  // The docs' sample of the similar getPackageUri wraps the URL in escaped quotes (reference §12.15).
  const v = typeof res?.value === 'string' ? res.value.replace(/^"|"$/g, '') : '';
  if (!v) throw new Error('the result link answer has no value');
  return v;
}
