// The fake's live response and library (reference §15.2-15.5, §15.10 items 2-8): runliveresponse with its
// validation, one session per device, 10 calls a minute and a tenant-wide session cap; the command state
// machine (Pending → InProgress → commands run in order, fail-fast; an offline device queues until online
// or the queue TTL); result download links to a SAS-style blob that needs no auth and expires; the
// library (multipart upload named by the part's filename, OverrideIfExists, delete).
//
// Scripts "run" on the fake's device model (FakeMachine.processes/files): the shipped Nightshift scripts
// are emulated by their documented contract (integrations/defender/scripts/*: arguments, one
// `nightshift-result:` line, exit codes 0/1/2); other scripts answer what a test sets in `scripts`.
import crypto from 'node:crypto';
import type { FakeMachine } from './machines';
import { iso7 } from './machines';

export interface LrCommand {
  index: number;
  type: 'PutFile' | 'RunScript' | 'GetFile';
  params: Array<{ key: string; value: string }>;
  status: 'Created' | 'Completed' | 'Failed';
  startMs?: number;
  endMs?: number;
  errors: string[];
  result?: { script_name: string; exit_code: number; script_output: string; script_errors: string };
}

export interface LrState {
  commands: LrCommand[];
  executed: boolean;
  final?: 'Succeeded' | 'Failed' | 'TimeOut';
  finalMs?: number;
}

/** What a script does on a device; `durationMs` beyond the RunScript timeout ends in TimeOut. */
export type ScriptBehaviour = (
  machine: FakeMachine,
  args: string[],
) => { exit_code: number; output: string; errors?: string; durationMs?: number };

export interface LibraryFile {
  fileName: string;
  content: Buffer;
  sha256: string;
  description: string | null;
  parametersDescription: string;
  hasParameters: boolean;
  createdBy: string;
  creationMs: number;
  updatedMs: number;
}

export type Answer = {
  status: number;
  body?: unknown;
  error?: { code: string; message: string };
  headers?: Record<string, string>;
};

const TYPES = ['PutFile', 'RunScript', 'GetFile'] as const;
const REQUIRED: Record<string, string> = { PutFile: 'FileName', RunScript: 'ScriptName', GetFile: 'Path' };
const BANNER =
  'Transcript started, output file is C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Temp\\PSScriptOutputs\\PSScript_Transcript_{ID}.txt';

function flag(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a.toLowerCase() === `-${name.toLowerCase()}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function resultLine(r: Record<string, unknown>): string {
  return `nightshift-result: ${JSON.stringify(r)}`;
}

const PROTECTED = new Set([
  'system',
  'smss',
  'csrss',
  'wininit',
  'winlogon',
  'services',
  'lsass',
  'svchost',
  'msmpeng',
  'mssense',
  'init',
  'systemd',
  'launchd',
]);

/** The shipped kill script's contract (nightshift-kill-process.ps1 / .sh header). */
const killProcess: ScriptBehaviour = (m, args) => {
  const pid = Number(flag(args, 'ProcessId') ?? NaN);
  const out = (outcome: string, code: number, extra: Record<string, unknown> = {}) => ({
    exit_code: code,
    output: resultLine({
      action: 'kill_process',
      outcome,
      process_id: Number.isNaN(pid) ? 0 : pid,
      ...extra,
    }),
  });
  if (!Number.isInteger(pid) || pid <= 0 || pid === 4)
    return out('refused', 2, { reason: 'protected process id' });
  const procs = (m.processes ??= new Map());
  const name = procs.get(pid);
  if (name === undefined) return out('not_running', 0);
  const base = name.replace(/\.[^.]*$/, '');
  if (PROTECTED.has(base.toLowerCase())) return out('refused', 2, { reason: 'system process', name: base });
  const b64 = flag(args, 'ProcessNameBase64');
  if (b64) {
    const want = Buffer.from(b64, 'base64')
      .toString('utf8')
      .replace(/\.[^.]*$/, '');
    if (want.toLowerCase() !== base.toLowerCase())
      return out('refused', 2, { reason: 'name mismatch', name: base, expected: want });
  }
  procs.delete(pid);
  return out('killed', 0, { name: base });
};

/** The shipped delete script's contract (nightshift-delete-file.ps1 / .sh header). */
const deleteFile: ScriptBehaviour = (m, args) => {
  const out = (outcome: string, code: number, extra: Record<string, unknown> = {}) => ({
    exit_code: code,
    output: resultLine({ action: 'delete_file', outcome, ...extra }),
  });
  const path = Buffer.from(flag(args, 'PathBase64') ?? '', 'base64').toString('utf8');
  const want = (flag(args, 'Sha256') ?? '').toLowerCase();
  if (!/^[A-Za-z]:\\/.test(path) && !path.startsWith('/'))
    return out('refused', 2, { reason: 'not a local absolute path' });
  const files = (m.files ??= new Map());
  const key = [...files.keys()].find((k) => k.toLowerCase() === path.toLowerCase());
  if (key === undefined) return out('absent', 0);
  const sha = files.get(key)!;
  if (want && sha !== want) return out('refused', 2, { reason: 'hash mismatch', sha256: sha });
  files.delete(key);
  return out('deleted', 0, { sha256: sha });
};

export class FakeLiveResponse {
  readonly library = new Map<string, LibraryFile>();
  readonly scripts = new Map<string, ScriptBehaviour>([
    ['nightshift-kill-process.ps1', killProcess],
    ['nightshift-kill-process.sh', killProcess],
    ['nightshift-delete-file.ps1', deleteFile],
    ['nightshift-delete-file.sh', deleteFile],
  ]);
  /** Tenant setting "Live response" (off → 403 DisabledFeature, INFERRED §15.2). */
  enabled = true;
  /** Tenant setting "Live response unsigned script execution" (off → unsigned .ps1 fails, §15.2). */
  allowUnsigned = true;
  /** Concurrent sessions per tenant (25 older docs, 50 newer; Pending ones counted, INFERRED §15.2). */
  maxActive = 50;
  /** RunScript timeout (10 min, §15.2) and the offline queue TTL (2 h newer, 3 days older). */
  runScriptTimeoutMs = 600_000;
  queueTtlMs = 2 * 3_600_000;
  /** 10 calls a minute to runliveresponse (§15.2). */
  rate = { limit: 10, windowMs: 60_000 };
  /** Whether a non-zero exit code fails the command (unknown, §15.12.8): off by default. */
  failOnNonZeroExit = false;
  /** SAS link lifetime (30 min, §15.4). */
  linkTtlMs = 30 * 60_000;
  /** Blob downloads, for assertions (a bearer token must never reach the blob host). */
  readonly blobRequests: Array<{ path: string; authorization: boolean; status: number }> = [];
  private calls: number[] = [];
  private readonly secret = crypto.randomBytes(16);
  private readonly onlineSince = new Map<string, number>();

  constructor(
    private readonly baseUrl: () => string,
    private readonly clientId: string,
  ) {}

  /** Takes a machine offline or brings it online (its queued session starts then). */
  setOnline(m: FakeMachine, online: boolean): void {
    m.online = online;
    if (online) this.onlineSince.set(m.id, Date.now());
  }

  /** Adds a file to the library as a person would in the portal (tests of updates and conflicts). */
  putLibraryFile(fileName: string, content: string | Buffer, opts: Partial<LibraryFile> = {}): LibraryFile {
    const buf = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const now = Date.now();
    const f: LibraryFile = {
      fileName,
      content: buf,
      sha256: crypto.createHash('sha256').update(buf).digest('hex'),
      description: null,
      parametersDescription: '',
      hasParameters: false,
      createdBy: 'admin@contoso.com',
      creationMs: now,
      updatedMs: now,
      ...opts,
    };
    this.library.set(fileName.toLowerCase(), f);
    return f;
  }

  // --- POST /api/machines/{id}/runliveresponse --------------------------------------------------

  /** Validates a submission (§15.10 item 2); returns the commands, or the error answer. */
  submit(
    body: Record<string, unknown>,
    machine: FakeMachine,
    active: { onMachine: boolean; inTenant: number },
  ): { commands: LrCommand[] } | Answer {
    if (!this.enabled)
      return { status: 403, error: { code: 'DisabledFeature', message: "Tenant feature isn't enabled." } };
    const now = Date.now();
    this.calls = this.calls.filter((t) => now - t < this.rate.windowMs);
    if (this.calls.length >= this.rate.limit) {
      return {
        status: 429,
        error: { code: 'TooManyRequests', message: 'Rate limit is exceeded. Try again later.' },
        headers: { 'retry-after': '60' },
      };
    }
    this.calls.push(now);
    const bad: Answer = {
      status: 400,
      error: { code: 'InvalidRequestBody', message: 'Request body is incorrect' },
    };
    for (const k of Object.keys(body)) if (!['Commands', 'Comment'].includes(k)) return bad;
    const cmds = body.Commands;
    if (!Array.isArray(cmds) || cmds.length === 0) return bad;
    if (body.Comment !== undefined && typeof body.Comment !== 'string') return bad;
    const commands: LrCommand[] = [];
    let order = 0;
    for (const [i, c] of cmds.entries()) {
      const cmd = c as { type?: unknown; params?: unknown };
      const t = TYPES.indexOf(cmd?.type as (typeof TYPES)[number]);
      if (t < 0 || t < order || !Array.isArray(cmd.params)) return bad;
      order = t;
      const params = (cmd.params as Array<{ key?: unknown; value?: unknown }>).map((p) => ({
        key: String(p?.key ?? ''),
        value: String(p?.value ?? ''),
      }));
      if (!params.some((p) => p.key === REQUIRED[TYPES[t]] && p.value)) return bad;
      commands.push({ index: i, type: TYPES[t], params, status: 'Created', errors: [] });
    }
    if (active.onMachine)
      return {
        status: 400,
        error: { code: 'ActiveRequestAlreadyExists', message: 'Action is already in progress' },
      };
    if (active.inTenant >= this.maxActive) {
      return {
        status: 429,
        error: { code: 'TooManyRequests', message: 'Too many concurrent live response sessions' },
        headers: { 'retry-after': '60' },
      };
    }
    void machine;
    return { commands };
  }

  // --- the state machine --------------------------------------------------------------------

  /** Status of a LiveResponse action at `now` (§15.10 item 3), running its commands when they are due. */
  statusOf(
    a: {
      creationMs: number;
      cancelledMs?: number;
      lifecycle: { pendingMs: number; inProgressMs: number };
      liveResponse: LrState;
    },
    m: FakeMachine | undefined,
    now = Date.now(),
  ): { status: string; updatedMs: number } {
    const lr = a.liveResponse;
    if (lr.final) return { status: lr.final, updatedMs: lr.finalMs! };
    if (a.cancelledMs !== undefined) return { status: 'Cancelled', updatedMs: a.cancelledMs };
    const start = Math.max(a.creationMs, (m && this.onlineSince.get(m.id)) ?? 0);
    if (m && m.online === false) {
      if (now - a.creationMs > this.queueTtlMs)
        return this.finish(lr, 'TimeOut', a.creationMs + this.queueTtlMs);
      return { status: 'Pending', updatedMs: a.creationMs };
    }
    const t1 = start + a.lifecycle.pendingMs;
    const t2 = t1 + a.lifecycle.inProgressMs;
    if (now < t1) return { status: 'Pending', updatedMs: a.creationMs };
    if (now < t2) return { status: 'InProgress', updatedMs: t1 };
    return this.execute(lr, m, t1, t2);
  }

  private finish(
    lr: LrState,
    final: NonNullable<LrState['final']>,
    at: number,
  ): { status: string; updatedMs: number } {
    lr.final = final;
    lr.finalMs = at;
    lr.executed = true;
    return { status: final, updatedMs: at };
  }

  private execute(
    lr: LrState,
    m: FakeMachine | undefined,
    t1: number,
    t2: number,
  ): { status: string; updatedMs: number } {
    let at = t1;
    for (const c of lr.commands) {
      c.startMs = at;
      const fail = (why: string) => {
        c.status = 'Failed';
        c.errors = [why];
        c.endMs = t2;
      };
      const param = (k: string) => c.params.find((p) => p.key === k)?.value ?? '';
      if (c.type === 'PutFile') {
        if (!this.library.has(param('FileName').toLowerCase()))
          fail(`File ${param('FileName')} was not found in the library`);
        else c.status = 'Completed';
      } else if (c.type === 'RunScript') {
        const name = param('ScriptName');
        const lib = this.library.get(name.toLowerCase());
        const run = this.scripts.get(lib?.fileName ?? name);
        if (!lib) fail(`Script ${name} was not found in the library`);
        else if (
          !this.allowUnsigned &&
          /\.ps1$/i.test(name) &&
          !lib.content.toString('utf8').includes('# SIG # Begin signature block')
        ) {
          fail('Script execution failed: the script is not signed');
        } else if (!run || !m) fail(`Script ${name} has no behaviour in the fake`);
        else {
          const r = run(m, param('Args').split(/\s+/).filter(Boolean));
          if ((r.durationMs ?? 0) > this.runScriptTimeoutMs)
            return this.finish(lr, 'TimeOut', at + this.runScriptTimeoutMs);
          const banner = /\.ps1$/i.test(name) ? `${BANNER.replace('{ID}', crypto.randomUUID())}\n` : '';
          c.result = {
            script_name: lib.fileName,
            exit_code: r.exit_code,
            script_output: `${banner}${r.output}\n\u0000\u0000`,
            script_errors: r.errors ?? '',
          };
          if (r.exit_code !== 0 && this.failOnNonZeroExit) fail(`Script exited with code ${r.exit_code}`);
          else c.status = 'Completed';
        }
      } else {
        const p = param('Path');
        if (!m?.files || ![...m.files.keys()].some((k) => k.toLowerCase() === p.toLowerCase()))
          fail(`File ${p} was not found`);
        else c.status = 'Completed';
      }
      c.endMs = t2;
      at = t2;
      // Fail-fast: the commands after a failed one are not executed (§15.2).
      if (c.status === 'Failed') return this.finish(lr, 'Failed', t2);
    }
    return this.finish(lr, 'Succeeded', t2);
  }

  /** `commands` of the MachineAction entity (§15.2 response example). */
  view(lr: LrState): unknown[] {
    return lr.commands.map((c) => ({
      index: c.index,
      startTime: c.startMs !== undefined && c.status !== 'Created' ? iso7(c.startMs) : null,
      endTime: c.endMs !== undefined && c.status !== 'Created' ? iso7(c.endMs) : null,
      commandStatus: c.status,
      errors: c.errors,
      command: { type: c.type, params: c.params },
    }));
  }

  // --- results ------------------------------------------------------------------------------

  private sign(path: string, se: string): string {
    return crypto.createHmac('sha256', this.secret).update(`${path}|${se}`).digest('base64');
  }

  /** GET …/GetLiveResponseResultDownloadLink(index=N) (§15.4; the error code for a missing result is INFERRED). */
  resultLink(actionId: string, status: string, lr: LrState, index: number): Answer {
    const c = lr.commands[index];
    if (status !== 'Succeeded' || !c || c.type === 'PutFile' || !c.result) {
      return {
        status: 400,
        error: { code: 'BadRequest', message: `No result for command index ${index} of action ${actionId}` },
      };
    }
    const path = `/blob/investigation-actions-data/${actionId}/CustomPlaybookCommandOutput/${index}`;
    const se = new Date(Date.now() + this.linkTtlMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const q = new URLSearchParams({ se, sp: 'r', sv: '2019-07-07', sr: 'b', sig: this.sign(path, se) });
    return {
      status: 200,
      body: {
        '@odata.context': `${this.baseUrl()}/api/$metadata#Edm.String`,
        value: `${this.baseUrl()}${path}?${q.toString()}`,
      },
    };
  }

  /** The blob behind a link: no auth, 403 after `se` or with a bad signature (INFERRED, §15.10 item 7). */
  blob(
    url: URL,
    authorization: boolean,
    find: (actionId: string) => LrState | undefined,
  ): { status: number; body: string; contentType: string } {
    const deny = (status: number) => {
      this.blobRequests.push({ path: url.pathname, authorization, status });
      return {
        status,
        body: '<Error><Code>AuthenticationFailed</Code></Error>',
        contentType: 'application/xml',
      };
    };
    const se = url.searchParams.get('se') ?? '';
    const sig = url.searchParams.get('sig') ?? '';
    const want = this.sign(url.pathname, se);
    if (authorization) return deny(403); // the SAS is the credential; a bearer token does not belong here
    if (sig.length !== want.length || !crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(want)))
      return deny(403);
    if (Date.parse(se) < Date.now()) return deny(403);
    const m = /^\/blob\/investigation-actions-data\/([^/]+)\/CustomPlaybookCommandOutput\/(\d+)$/.exec(
      url.pathname,
    );
    const c = m ? find(m[1])?.commands[Number(m[2])] : undefined;
    if (!c?.result) return deny(404);
    this.blobRequests.push({ path: url.pathname, authorization, status: 200 });
    return { status: 200, body: JSON.stringify(c.result), contentType: 'application/octet-stream' };
  }

  // --- library ------------------------------------------------------------------------------

  private entity(f: LibraryFile): Record<string, unknown> {
    return {
      fileName: f.fileName,
      sha256: f.sha256,
      description: f.description,
      creationTime: iso7(f.creationMs),
      lastUpdatedTime: iso7(f.updatedMs),
      createdBy: f.createdBy,
      hasParameters: f.hasParameters,
      // Missing from entries without parameters (§15.5).
      ...(f.hasParameters ? { parametersDescription: f.parametersDescription } : {}),
    };
  }

  listLibrary(): Answer {
    return {
      status: 200,
      body: {
        '@odata.context': `${this.baseUrl()}/api/$metadata#LibraryFiles`,
        value: [...this.library.values()].map((f) => this.entity(f)),
      },
    };
  }

  /** POST /api/libraryfiles (multipart/form-data; the name comes from the file part's filename, §15.5). */
  async upload(raw: Buffer, contentType: string): Promise<Answer> {
    const bad = (message: string): Answer => ({ status: 400, error: { code: 'BadRequest', message } });
    if (!/^multipart\/form-data/i.test(contentType)) return bad('Content-Type must be multipart/form-data');
    if (raw.length > 20 * 1024 * 1024) return bad('File max size limitation is 20MB');
    let form: FormData;
    try {
      form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    } catch {
      return bad('Request body is incorrect');
    }
    const fields = new Map<string, string | File>();
    for (const [k, v] of form.entries()) fields.set(k.toLowerCase(), v);
    const file = fields.get('file');
    if (!file || typeof file === 'string') return bad('Parameter File is missing.');
    const fileName = file.name || 'file';
    if (!/^[A-Za-z0-9._-]{1,255}$/.test(fileName)) return bad(`Invalid file name ${fileName}`);
    const text = (k: string) => {
      const v = fields.get(k);
      return typeof v === 'string' ? v : undefined;
    };
    const existing = this.library.get(fileName.toLowerCase());
    if (existing && text('overrideifexists')?.toLowerCase() !== 'true') {
      return bad(`A file named ${fileName} already exists in the library (INFERRED: set OverrideIfExists)`);
    }
    const content = Buffer.from(await file.arrayBuffer());
    const now = Date.now();
    const f = this.putLibraryFile(fileName, content, {
      description: text('description') ?? null,
      parametersDescription: text('parametersdescription') ?? '',
      hasParameters: text('hasparameters')?.toLowerCase() === 'true',
      createdBy: this.clientId,
      creationMs: existing?.creationMs ?? now,
      updatedMs: now,
    });
    return {
      status: 200,
      body: { '@odata.context': `${this.baseUrl()}/api/$metadata#LibraryFiles/$entity`, ...this.entity(f) },
    };
  }

  deleteLibraryFile(fileName: string): Answer {
    if (!this.library.delete(fileName.toLowerCase())) {
      return { status: 404, error: { code: 'ResourceNotFound', message: `File ${fileName} was not found` } };
    }
    return { status: 204 };
  }
}
