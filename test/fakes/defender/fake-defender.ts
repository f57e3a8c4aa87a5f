// A protocol-faithful fake of Microsoft Defender for Endpoint and its Entra token endpoint, for tests
// (reference/defender-api.md §13). One HTTPS server on 127.0.0.1 (port 0) with a throwaway self-signed
// certificate; clients trust it through DEFENDER_CA_CERT_PATH / caPem, so the real client code runs.
// Every call is recorded for assertions.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generate } from 'selfsigned';
import { FakeHunting } from './hunting';
import { FakeIncidents } from './incidents';
import { FakeLiveResponse, type LrState } from './live-response';
import { FakeMachines, iso7, type FakeMachine } from './machines';
import { normIso, ODataError, parseFilter } from './odata';
import { missingRoles, resourceOf, rolesFor, type Resource } from './roles';

export { iso7, type FakeMachine };

export type FinalStatus = 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled';

export interface Lifecycle {
  /** Time in Pending after creation. */
  pendingMs: number;
  /** Then time in InProgress. */
  inProgressMs: number;
  final: FinalStatus;
}

export interface FakeDefenderOptions {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  /** PEM certificate whose key signs client assertions (certificate credentials). */
  clientCertPem?: string;
  /** The audience MDE tokens must carry; a token for another resource gets 403 (reference §2.2). */
  mdeScope?: string;
  /** expires_in reported to the client (seconds). */
  tokenExpiresInS?: number;
  /** How long a token is really accepted (ms); shorter than expires_in simulates revocation. */
  tokenValidityMs?: number;
  /** How a duplicate request for an action pending on the same machine is answered (reference §5.3). */
  duplicateMode?: 'error' | 'existing';
  /**
   * Accepted API calls in any sliding window of `windowMs`; beyond it 429 TooManyRequests with
   * Retry-After (reference §3.2): `retryAfterS`, or the seconds until the oldest call leaves the window.
   */
  rateLimit?: { limit: number; windowMs: number; retryAfterS?: number };
  /** GET of a new action answers 404 for this long (reference §5.2 "not yet visible"). */
  notVisibleMs?: number;
  lifecycle?: Lifecycle;
  /**
   * Application roles of the tokens, per resource (reference §2.4, §15.2-15.8); a call needing a role
   * the token lacks gets 403 "Missing application roles". Absent: every role is granted.
   */
  roles?: Partial<Record<Resource, string[]>>;
  /** Audience of XDR (incidents) and Microsoft Graph (hunting) tokens (reference §2.2, §15.7). */
  xdrScope?: string;
  graphScope?: string;
}

export interface RecordedCall {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  body?: unknown;
}

interface StoredAction {
  id: string;
  type: string;
  scope: string | null;
  requestor: string;
  requestorComment: string;
  machineId: string;
  computerDnsName: string;
  creationMs: number;
  lifecycle: Lifecycle;
  cancelledMs?: number;
  relatedFileInfo: { fileIdentifier: string; fileIdentifierType: string } | null;
  /** LiveResponse actions: their commands and how they ran. */
  liveResponse?: LrState;
}

export type FakeAlert = Record<string, unknown> & { id: string; lastUpdateTime: string };

const ACTIONS: Record<string, { type: string; scopeKey?: string; scopes?: string[]; needs?: string }> = {
  isolate: { type: 'Isolate', scopeKey: 'IsolationType', scopes: ['Full', 'Selective', 'UnManagedDevice'] },
  unisolate: { type: 'Unisolate' },
  runantivirusscan: { type: 'RunAntiVirusScan', scopeKey: 'ScanType', scopes: ['Quick', 'Full'] },
  collectinvestigationpackage: { type: 'CollectInvestigationPackage' },
  restrictcodeexecution: { type: 'RestrictCodeExecution' },
  unrestrictcodeexecution: { type: 'UnrestrictCodeExecution' },
  stopandquarantinefile: { type: 'StopAndQuarantineFile', needs: 'Sha1' },
  offboard: { type: 'Offboard' },
};

const ALERT_FIELDS = [
  'alertCreationTime',
  'lastUpdateTime',
  'incidentId',
  'InvestigationId',
  'id',
  'assignedTo',
  'detectionSource',
  'lastEventTime',
  'status',
  'severity',
  'category',
];
const ACTION_FIELDS = ['id', 'status', 'machineId', 'type', 'requestor', 'creationDateTimeUtc'];
const FINAL = ['Succeeded', 'Failed', 'TimeOut', 'Cancelled'];

function b64url(buf: Buffer | string): string {
  return Buffer.from(buf).toString('base64url');
}

export class FakeDefender {
  readonly opts: Required<
    Omit<FakeDefenderOptions, 'clientSecret' | 'clientCertPem' | 'rateLimit' | 'roles'>
  > &
    Pick<FakeDefenderOptions, 'clientSecret' | 'clientCertPem' | 'rateLimit' | 'roles'>;
  private server?: https.Server;
  private port = 0;
  caPem = '';
  caFile = '';

  readonly calls: RecordedCall[] = [];
  /** Called as each request arrives, before it is processed (fault injection: kill a worker mid-call). */
  onRequest?: (call: RecordedCall) => void;
  readonly tokenRequests: Array<{ at: number; scope: string; credential: 'secret' | 'assertion' }> = [];
  /** Machines (lists, lookups, findbyip), live response and its library, hunting, XDR incidents. */
  readonly machinesApi = new FakeMachines(() => this.url);
  readonly liveResponse: FakeLiveResponse;
  readonly hunting = new FakeHunting();
  readonly incidents: FakeIncidents;
  readonly actions: StoredAction[] = [];
  readonly alerts: FakeAlert[] = [];
  readonly indicators: Array<Record<string, unknown>> = [];
  private readonly scripts = new Map<string, Lifecycle>();
  private readonly tokens = new Map<string, { aud: string; validUntil: number }>();
  private readonly failures: Array<{
    match: (m: string, p: string) => boolean;
    status: number;
    body: unknown;
    headers?: Record<string, string>;
  }> = [];
  private readonly lostResponses: Array<(m: string, p: string) => boolean> = [];
  private readonly tokenFailures: Array<{
    status: number;
    body: unknown;
    headers?: Record<string, string>;
  }> = [];
  /** Times of the API calls the rate limit accepted (sliding window). */
  private accepted: number[] = [];
  private alertSeq = 0;
  private indicatorSeq = 990;

  constructor(opts: FakeDefenderOptions) {
    this.opts = {
      mdeScope: 'https://api.securitycenter.microsoft.com/.default',
      xdrScope: 'https://api.security.microsoft.com/.default',
      graphScope: 'https://graph.microsoft.com/.default',
      tokenExpiresInS: 3599,
      tokenValidityMs: 3_599_000,
      duplicateMode: 'error',
      notVisibleMs: 0,
      lifecycle: { pendingMs: 100, inProgressMs: 100, final: 'Succeeded' },
      ...opts,
    };
    this.liveResponse = new FakeLiveResponse(() => this.url, opts.clientId);
    this.incidents = new FakeIncidents(
      () => this.alerts,
      () => this.machines,
      opts.clientId,
    );
  }

  get machines(): Map<string, FakeMachine> {
    return this.machinesApi.byId;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Environment for defenderConfigFromEnv pointing at this fake. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DEFENDER_TENANT_ID: this.opts.tenantId,
      DEFENDER_CLIENT_ID: this.opts.clientId,
      ...(this.opts.clientSecret ? { DEFENDER_CLIENT_SECRET: this.opts.clientSecret } : {}),
      DEFENDER_API_URL: this.url,
      DEFENDER_XDR_API_URL: this.url,
      DEFENDER_GRAPH_URL: this.url,
      DEFENDER_AUTHORITY_URL: this.url,
      DEFENDER_CA_CERT_PATH: this.caFile,
      ...extra,
    };
  }

  async start(): Promise<this> {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec',
      curve: 'P-256',
      extensions: [
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: '127.0.0.1' },
            { type: 2, value: 'localhost' },
          ],
        },
      ],
    });
    this.caPem = pems.cert;
    this.caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fake-defender-')), 'ca.pem');
    fs.writeFileSync(this.caFile, pems.cert);
    this.server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(
          JSON.stringify({
            error: { code: 'InternalServerError', message: String(err), target: this.target() },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    if (this.caFile) fs.rmSync(path.dirname(this.caFile), { recursive: true, force: true });
  }

  // --- test hooks --------------------------------------------------------------------------------

  addMachine(
    id: string,
    computerDnsName = `${id.slice(0, 6)}.corp.example`,
    osPlatform = 'Windows11',
    extra: Partial<FakeMachine> = {},
  ): FakeMachine {
    return this.machinesApi.add({ id, computerDnsName, osPlatform, ...extra });
  }

  /** Lifecycle of the next actions of `type` on `machineId`. */
  script(machineId: string, type: string, lifecycle: Lifecycle): void {
    this.scripts.set(`${machineId}|${type}`, lifecycle);
  }

  /** The next matching request fails with this status/body (then the rule is consumed). */
  failNext(
    match: (method: string, path: string) => boolean,
    status: number,
    body: unknown,
    headers?: Record<string, string>,
  ): void {
    this.failures.push({ match, status, body, headers });
  }

  /**
   * The next token request is answered with this status and body (`undefined` = an empty body), then the
   * rule is consumed: a login host that is briefly unavailable (500/503/429, AADSTS90033 "try again").
   */
  failNextToken(status: number, body?: unknown, headers?: Record<string, string>): void {
    this.tokenFailures.push({ status, body, headers });
  }

  /** Token requests that reached the token endpoint, answered or not (tokenRequests counts only issued ones). */
  tokenAttempts(): RecordedCall[] {
    return this.calls.filter((c) => c.path === `/${this.opts.tenantId}/oauth2/v2.0/token`);
  }

  /** The next matching request is processed, but its answer is lost (the connection is reset). */
  loseNextResponse(match: (method: string, path: string) => boolean): void {
    this.lostResponses.push(match);
  }

  setRateLimit(rl: FakeDefenderOptions['rateLimit']): void {
    this.opts.rateLimit = rl;
    this.accepted = [];
  }

  /** Forget every issued token (the next API call with one gets 401). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  addAlert(a: Partial<FakeAlert> & { machineId?: string }): FakeAlert {
    const now = Date.now();
    this.alertSeq += 1;
    const alert: FakeAlert = {
      id: `da${String(638_000_000_000_000_000n + BigInt(this.alertSeq))}_${1_000_000 + this.alertSeq}`,
      incidentId: 1_126_000 + this.alertSeq,
      investigationId: null,
      assignedTo: null,
      severity: 'Medium',
      status: 'New',
      classification: null,
      determination: null,
      investigationState: 'Queued',
      detectionSource: 'WindowsDefenderAtp',
      detectorId: '17e10bbc-3a68-474a-8aad-faef14d43952',
      category: 'Execution',
      threatFamilyName: null,
      title: `Test alert ${this.alertSeq}`,
      description: 'fake',
      alertCreationTime: iso7(now),
      firstEventTime: iso7(now - 60_000),
      lastEventTime: iso7(now - 30_000),
      lastUpdateTime: iso7(now, this.alertSeq),
      resolvedTime: null,
      machineId: '111e6dd8c833c8a052ea231ec1b19adaf497b625',
      computerDnsName: 'temp123.corp.example',
      rbacGroupName: 'A',
      aadTenantId: this.opts.tenantId,
      threatName: null,
      mitreTechniques: ['T1064'],
      relatedUser: { userName: 'temp123', domainName: 'DOMAIN' },
      comments: [],
      evidence: [],
      // Observed extra fields the docs do not list: clients must ignore them (reference §6.2).
      loggedOnUsers: [{ accountName: 'temp123', domainName: 'DOMAIN' }],
      domains: [],
      ...a,
    } as FakeAlert;
    this.alerts.push(alert);
    return alert;
  }

  /** Changes an alert as the portal would: fields plus a new lastUpdateTime. */
  touchAlert(
    id: string,
    patch: Record<string, unknown>,
    lastUpdateTime = iso7(Date.now(), ++this.alertSeq),
  ): FakeAlert {
    const a = this.alerts.find((x) => x.id === id);
    if (!a) throw new Error(`no alert ${id}`);
    Object.assign(a, patch, { lastUpdateTime });
    return a;
  }

  apiCalls(filter?: (c: RecordedCall) => boolean): RecordedCall[] {
    return this.calls.filter((c) => c.path.startsWith('/api/') && (!filter || filter(c)));
  }

  // --- HTTP ----------------------------------------------------------------------------------------

  private target(): string {
    return `|${crypto.randomBytes(4).toString('hex')}-${crypto.randomBytes(6).toString('hex')}.`;
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): number {
    const ok = status < 300;
    res.writeHead(status, {
      'content-type': ok
        ? 'application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8'
        : 'application/json; charset=utf-8',
      ...(ok ? { 'odata-version': '4.0' } : {}),
      ...headers,
    });
    res.end(body === undefined ? '' : JSON.stringify(body));
    return status;
  }

  private error(
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    headers?: Record<string, string>,
  ): number {
    return this.send(res, status, { error: { code, message, target: this.target() } }, headers);
  }

  /** Microsoft Graph's error body (Graph routes answer in its shape, not MDE's). */
  private graphError(
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    headers?: Record<string, string>,
  ): number {
    const innerError = {
      date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
      'request-id': crypto.randomUUID(),
      'client-request-id': crypto.randomUUID(),
    };
    return this.send(res, status, { error: { code, message, innerError } }, headers);
  }

  /** Writes an answer of one of the endpoint modules. */
  private answer(
    res: ServerResponse,
    a: {
      status: number;
      body?: unknown;
      error?: { code: string; message: string };
      headers?: Record<string, string>;
    },
    graph = false,
  ): number {
    if (a.error) {
      return graph
        ? this.graphError(res, a.status, a.error.code, a.error.message, a.headers)
        : this.error(res, a.status, a.error.code, a.error.message, a.headers);
    }
    if (a.status === 204) {
      res.writeHead(204);
      res.end();
      return 204;
    }
    return this.send(res, a.status, a.body, a.headers);
  }

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const bytes = await this.readBody(req);
    // Multipart uploads are recorded by their size; everything else is JSON or a form.
    const multipart = /^multipart\//i.test(req.headers['content-type'] ?? '');
    const raw = multipart ? '' : bytes.toString('utf8');
    const query = Object.fromEntries(url.searchParams.entries());
    const call: RecordedCall = { at: Date.now(), method, path: url.pathname, query, status: 0 };
    this.calls.push(call);
    this.onRequest?.(call);
    try {
      call.body = multipart ? { multipartBytes: bytes.length } : raw ? JSON.parse(raw) : undefined;
    } catch {
      call.body = raw;
    }
    const li = this.lostResponses.findIndex((m) => m(method, url.pathname));
    if (li >= 0) {
      this.lostResponses.splice(li, 1);
      // Process for real, then drop the answer on the floor.
      const sink = {
        writeHead: () => sink,
        end: () => undefined,
        setHeader: () => undefined,
      } as unknown as ServerResponse;
      call.status = await this.route(method, url, raw, req, sink, bytes);
      req.socket.destroy();
      return;
    }
    call.status = await this.route(method, url, raw, req, res, bytes);
  }

  private async route(
    method: string,
    url: URL,
    raw: string,
    req: IncomingMessage,
    res: ServerResponse,
    bytes: Buffer = Buffer.from(raw),
  ): Promise<number> {
    const p = url.pathname;
    const tenant = this.opts.tenantId;
    const other = /^\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\//i.exec(p);
    if (other && other[1] !== tenant) {
      // Entra's answer for a tenant that does not exist, on its metadata and token endpoints alike.
      return this.send(res, 400, {
        error: 'invalid_tenant',
        error_description: `AADSTS90002: Tenant '${other[1]}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        error_codes: [90002],
        timestamp: new Date().toISOString(),
        trace_id: crypto.randomUUID(),
        correlation_id: crypto.randomUUID(),
      });
    }
    if (
      p === `/${tenant}/v2.0/.well-known/openid-configuration` ||
      p === `/${tenant}/.well-known/openid-configuration`
    ) {
      return this.send(res, 200, {
        token_endpoint: `${this.url}/${tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${this.url}/${tenant}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${this.url}/${tenant}/oauth2/v2.0/logout`,
        jwks_uri: `${this.url}/${tenant}/discovery/v2.0/keys`,
        issuer: `${this.url}/${tenant}/v2.0`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
      });
    }
    if (p === `/${tenant}/oauth2/v2.0/token` && method === 'POST') {
      const f = this.tokenFailures.shift();
      if (f) return this.send(res, f.status, f.body, f.headers);
      return this.token(raw, res);
    }
    if (p.startsWith('/blob/')) {
      // The SAS blob of a live response result: no bearer token (its signature is the credential).
      const b = this.liveResponse.blob(
        url,
        req.headers.authorization !== undefined,
        (id) => this.actions.find((a) => a.id === id)?.liveResponse,
      );
      res.writeHead(b.status, { 'content-type': b.contentType });
      res.end(b.body);
      return b.status;
    }
    const graph = p.startsWith('/v1.0/');
    if (!p.startsWith('/api/') && !graph) return this.error(res, 404, 'NotFound', `No route ${p}`);
    const resource = resourceOf(p);
    const fail = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      graph
        ? this.graphError(res, status, code, message, headers)
        : this.error(res, status, code, message, headers);

    // Authorization first, then throttling, as the real service (a bad token is 401 whatever the rate).
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const tok = auth ? this.tokens.get(auth[1]) : undefined;
    if (!tok || tok.validUntil < Date.now()) {
      return graph
        ? fail(401, 'InvalidAuthenticationToken', 'Access token validation failure.')
        : fail(401, 'Unauthorized', 'Authorization failed. Token is missing, invalid or expired.');
    }
    const scope = { mde: this.opts.mdeScope, xdr: this.opts.xdrScope, graph: this.opts.graphScope }[resource];
    if (`${tok.aud}/.default` !== scope) {
      // A token of another resource: MDE answers 403 (reference §2.2); Graph rejects the audience (401).
      return graph
        ? fail(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.')
        : fail(
            403,
            'Forbidden',
            'Missing application roles. API required roles: Machine.Read.All,Machine.ReadWrite.All.',
          );
    }
    const api = graph ? p.replace(/^\/v1\.0/, '') : p.replace(/^\/api\/(v1\.0\/)?/, '/');
    const granted = this.opts.roles?.[resource];
    const rule = rolesFor(method, api, resource);
    if (granted && rule) {
      const missing = missingRoles(rule, granted);
      if (missing) return fail(403, 'Forbidden', missing);
    }
    const rl = this.opts.rateLimit;
    if (rl) {
      const now = Date.now();
      this.accepted = this.accepted.filter((t) => now - t < rl.windowMs);
      if (this.accepted.length >= rl.limit) {
        const retryAfterS = rl.retryAfterS ?? Math.ceil((this.accepted[0] + rl.windowMs - now) / 1000);
        return fail(429, 'TooManyRequests', 'Rate limit is exceeded. Try again later.', {
          'retry-after': String(retryAfterS),
        });
      }
      this.accepted.push(now);
    }
    const fi = this.failures.findIndex((f) => f.match(method, p));
    if (fi >= 0) {
      const [f] = this.failures.splice(fi, 1);
      return this.send(res, f.status, f.body, f.headers);
    }
    let body: Record<string, unknown> = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return fail(400, 'InvalidRequestBody', 'Request body is incorrect');
      }
    }
    try {
      let m: RegExpExecArray | null;
      if (graph) {
        if (/^\/security\/runHuntingQuery$/i.test(api) && method === 'POST')
          return this.answer(res, this.hunting.run('graph', body, this.url), true);
        return fail(400, 'BadRequest', `Resource not found for the segment '${api.split('/').pop()}'.`);
      }
      if (/^\/machines$/i.test(api) && method === 'GET')
        return this.answer(
          res,
          this.machinesApi.list(url, (u, max) => this.paging(u, max)),
        );
      if ((m = /^\/machines\/findbyip\((.*)\)$/i.exec(api)) && method === 'GET')
        return this.answer(res, this.machinesApi.findByIp(decodeURIComponent(m[1])));
      if ((m = /^\/machines\/([^/]+)$/i.exec(api)) && method === 'GET')
        return this.answer(res, this.machinesApi.getOne(decodeURIComponent(m[1])));
      if ((m = /^\/machines\/([^/]+)\/([^/]+)$/.exec(api))) {
        if (method !== 'POST') {
          res.writeHead(405, { allow: 'POST', 'content-length': '0' });
          res.end();
          return 405;
        }
        if (m[2].toLowerCase() === 'runliveresponse')
          return this.runLiveResponse(decodeURIComponent(m[1]), body, res);
        return this.machineAction(decodeURIComponent(m[1]), m[2], body, res);
      }
      if (
        (m = /^\/machineactions\/([^/]+)\/GetLiveResponseResultDownloadLink\(index=(\d+)\)$/i.exec(api)) &&
        method === 'GET'
      ) {
        const a = this.actions.find((x) => x.id === decodeURIComponent(m![1]));
        if (!a?.liveResponse)
          return this.error(res, 404, 'ResourceNotFound', `Machine action ${m[1]} was not found`);
        return this.answer(
          res,
          this.liveResponse.resultLink(a.id, this.statusOf(a).status, a.liveResponse, Number(m[2])),
        );
      }
      if (/^\/libraryfiles$/i.test(api) && method === 'GET')
        return this.answer(res, this.liveResponse.listLibrary());
      if (/^\/libraryfiles$/i.test(api) && method === 'POST')
        return this.answer(res, await this.liveResponse.upload(bytes, req.headers['content-type'] ?? ''));
      if ((m = /^\/libraryfiles\/([^/]+)$/i.exec(api)) && method === 'DELETE')
        return this.answer(res, this.liveResponse.deleteLibraryFile(decodeURIComponent(m[1])));
      if (/^\/advancedqueries\/run$/i.test(api) && method === 'POST')
        return this.answer(res, this.hunting.run('mde', body, this.url));
      if (/^\/incidents$/i.test(api) && method === 'GET')
        return this.answer(
          res,
          this.incidents.list(url, (u, max) => this.paging(u, max), this.url),
        );
      if ((m = /^\/incidents\/([^/]+)$/i.exec(api))) {
        if (method === 'GET') return this.answer(res, this.incidents.get(decodeURIComponent(m[1]), this.url));
        if (method === 'PATCH')
          return this.answer(res, this.incidents.patch(decodeURIComponent(m[1]), body, this.url));
      }
      if ((m = /^\/machineactions\/([^/]+)$/.exec(api)) && method === 'GET')
        return this.getAction(decodeURIComponent(m[1]), res);
      if (api === '/machineactions' && method === 'GET') return this.listActions(url, res);
      if ((m = /^\/machineactions\/([^/]+)\/cancel$/.exec(api)) && method === 'POST')
        return this.cancel(decodeURIComponent(m[1]), body, res);
      if (api === '/alerts' && method === 'GET') return this.listAlerts(url, res);
      if ((m = /^\/alerts\/([^/]+)$/.exec(api))) {
        const a = this.alerts.find((x) => x.id === decodeURIComponent(m![1]));
        if (!a)
          return this.error(res, 404, 'ResourceNotFound', `Alert ${decodeURIComponent(m[1])} was not found`);
        if (method === 'GET') return this.send(res, 200, a);
        if (method === 'PATCH') return this.patchAlert(a, body, res);
      }
      if (api === '/indicators' && method === 'POST') return this.postIndicator(body, res);
      if (api === '/indicators' && method === 'GET')
        return this.send(res, 200, {
          '@odata.context': `${this.url}/api/$metadata#Indicators`,
          value: this.indicators,
        });
      return this.error(res, 404, 'NotFound', `Resource ${api} wasn't found.`);
    } catch (err) {
      if (err instanceof ODataError)
        return this.error(res, 400, 'ODataError', `Invalid ODATA query filter: ${err.message}`);
      throw err;
    }
  }

  private token(raw: string, res: ServerResponse): number {
    const form = new URLSearchParams(raw);
    const scope = form.get('scope') ?? '';
    const bad = (code: string, desc: string, status = 400) =>
      this.send(res, status, {
        error: code,
        error_description: desc,
        error_codes: [Number(/AADSTS(\d+)/.exec(desc)?.[1] ?? 0)],
        timestamp: new Date().toISOString(),
        trace_id: crypto.randomUUID(),
        correlation_id: crypto.randomUUID(),
      });
    if (form.get('grant_type') !== 'client_credentials')
      return bad('unsupported_grant_type', 'AADSTS70003: unsupported grant type');
    if (form.get('client_id') !== this.opts.clientId)
      return bad(
        'unauthorized_client',
        `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`,
      );
    let credential: 'secret' | 'assertion';
    if (form.get('client_secret') !== null) {
      if (form.get('client_secret') !== this.opts.clientSecret)
        return bad(
          'invalid_client',
          'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
          401,
        );
      credential = 'secret';
    } else if (form.get('client_assertion')) {
      if (!this.verifyAssertion(form.get('client_assertion')!))
        return bad('invalid_client', 'AADSTS700027: Client assertion contains an invalid signature.', 401);
      credential = 'assertion';
    } else {
      return bad(
        'invalid_client',
        'AADSTS7000216: client_assertion, client_secret or request is required.',
        401,
      );
    }
    const resourceScope = scope.split(' ').find((s) => s.endsWith('/.default'));
    if (!resourceScope)
      return bad('invalid_scope', 'AADSTS1002012: The provided value for scope is not valid.');
    const token = `fake.${crypto.randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, {
      aud: resourceScope.replace(/\/\.default$/, ''),
      validUntil: Date.now() + this.opts.tokenValidityMs,
    });
    this.tokenRequests.push({ at: Date.now(), scope: resourceScope, credential });
    return this.send(res, 200, {
      token_type: 'Bearer',
      expires_in: this.opts.tokenExpiresInS,
      ext_expires_in: 0,
      access_token: token,
    });
  }

  private verifyAssertion(jwt: string): boolean {
    if (!this.opts.clientCertPem) return false;
    const [h, p, sig] = jwt.split('.');
    if (!h || !p || !sig) return false;
    try {
      const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as {
        alg?: string;
        'x5t#S256'?: string;
      };
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as {
        aud?: string;
        iss?: string;
        exp?: number;
      };
      const cert = new crypto.X509Certificate(this.opts.clientCertPem);
      const thumb = b64url(Buffer.from(cert.fingerprint256.replace(/:/g, ''), 'hex'));
      if (header['x5t#S256'] !== undefined && header['x5t#S256'] !== thumb) return false;
      if (payload.iss !== this.opts.clientId || (payload.exp ?? 0) * 1000 < Date.now()) return false;
      const key = cert.publicKey;
      const data = Buffer.from(`${h}.${p}`);
      const signature = Buffer.from(sig, 'base64url');
      if (header.alg === 'PS256') {
        return crypto.verify(
          'sha256',
          data,
          { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          signature,
        );
      }
      if (header.alg === 'RS256') return crypto.verify('sha256', data, key, signature);
      return false;
    } catch {
      return false;
    }
  }

  private statusOf(a: StoredAction, now = Date.now()): { status: string; updatedMs: number } {
    if (a.liveResponse) {
      return this.liveResponse.statusOf(
        { ...a, liveResponse: a.liveResponse },
        this.machines.get(a.machineId),
        now,
      );
    }
    if (a.cancelledMs !== undefined) return { status: 'Cancelled', updatedMs: a.cancelledMs };
    const t1 = a.creationMs + a.lifecycle.pendingMs;
    const t2 = t1 + a.lifecycle.inProgressMs;
    if (now < t1) return { status: 'Pending', updatedMs: a.creationMs };
    if (now < t2) return { status: 'InProgress', updatedMs: t1 };
    return { status: a.lifecycle.final, updatedMs: t2 };
  }

  /** The MachineAction entity as the API returns it (reference §5.1, §11.3). */
  view(a: StoredAction): Record<string, unknown> {
    const { status, updatedMs } = this.statusOf(a);
    return {
      '@odata.context': `${this.url}/api/$metadata#MachineActions/$entity`,
      id: a.id,
      type: a.type,
      title: null,
      requestor: a.requestor,
      requestorComment: a.requestorComment,
      status,
      machineId: a.machineId,
      computerDnsName: a.computerDnsName,
      creationDateTimeUtc: iso7(a.creationMs),
      lastUpdateDateTimeUtc: iso7(updatedMs),
      cancellationRequestor: null,
      cancellationComment: null,
      cancellationDateTimeUtc: a.cancelledMs ? iso7(a.cancelledMs) : null,
      errorHResult: 0,
      scope: a.scope,
      externalId: null,
      requestSource: 'PublicApi',
      relatedFileInfo: a.relatedFileInfo,
      commands: a.liveResponse ? this.liveResponse.view(a.liveResponse) : [],
      troubleshootInfo: null,
    };
  }

  private machineAction(
    machineId: string,
    segment: string,
    body: Record<string, unknown>,
    res: ServerResponse,
  ): number {
    const spec = ACTIONS[segment.toLowerCase()];
    if (!spec) return this.error(res, 404, 'NotFound', `Resource ${segment} wasn't found.`);
    const machine = this.machines.get(machineId);
    if (!machine) return this.error(res, 404, 'ResourceNotFound', `Machine ${machineId} was not found`);
    // Body parameter names are case-sensitive (reference §3).
    if (typeof body.Comment !== 'string' || body.Comment === '')
      return this.error(res, 400, 'MissingRequiredParameter', 'Parameter Comment is missing.');
    let scope: string | null = null;
    if (spec.scopeKey) {
      const v = body[spec.scopeKey];
      if (v !== undefined && (typeof v !== 'string' || !spec.scopes!.includes(v)))
        return this.error(res, 400, 'InvalidRequestBody', 'Request body is incorrect');
      scope = (v as string | undefined) ?? (spec.type === 'Isolate' ? 'Full' : null);
      if (spec.type === 'RunAntiVirusScan' && v === undefined)
        return this.error(res, 400, 'MissingRequiredParameter', 'Parameter ScanType is missing.');
    }
    let relatedFileInfo = null;
    if (spec.needs === 'Sha1') {
      if (typeof body.Sha1 !== 'string')
        return this.error(res, 400, 'MissingRequiredParameter', 'Parameter Sha1 is missing.');
      if (!/^[0-9a-f]{40}$/i.test(body.Sha1))
        return this.error(res, 400, 'InvalidHashValue', `Invalid hash value ${body.Sha1}`);
      relatedFileInfo = { fileIdentifier: body.Sha1.toLowerCase(), fileIdentifierType: 'Sha1' };
      // Windows only (reference §15.6; the error code for other platforms is INFERRED from §15.1).
      if (!/^windows/i.test(machine.osPlatform)) {
        return this.error(
          res,
          400,
          'OsPlatformNotSupported',
          `OS Platform ${machine.osPlatform} isn't supported for this action.`,
        );
      }
    }
    const pending = this.actions.find(
      (a) => a.machineId === machineId && a.type === spec.type && !FINAL.includes(this.statusOf(a).status),
    );
    if (pending) {
      if (this.opts.duplicateMode === 'existing') return this.send(res, 201, this.view(pending));
      return this.error(res, 400, 'ActiveRequestAlreadyExists', 'Action is already in progress');
    }
    const action: StoredAction = {
      id: crypto.randomUUID(),
      type: spec.type,
      scope,
      requestor: this.opts.clientId,
      requestorComment: body.Comment,
      machineId,
      computerDnsName: machine.computerDnsName,
      creationMs: Date.now(),
      lifecycle: this.scripts.get(`${machineId}|${spec.type}`) ?? this.opts.lifecycle,
      relatedFileInfo,
    };
    this.actions.push(action);
    return this.send(res, 201, this.view(action));
  }

  /** POST /api/machines/{id}/runliveresponse (reference §15.2, §15.10 item 2). */
  private runLiveResponse(machineId: string, body: Record<string, unknown>, res: ServerResponse): number {
    const machine = this.machines.get(machineId);
    if (!machine) return this.error(res, 404, 'ResourceNotFound', `Machine ${machineId} was not found`);
    const active = this.actions.filter((a) => a.liveResponse && !FINAL.includes(this.statusOf(a).status));
    const r = this.liveResponse.submit(body, machine, {
      onMachine: active.some((a) => a.machineId === machineId),
      inTenant: active.length,
    });
    if ('status' in r) return this.answer(res, r);
    const action: StoredAction = {
      id: crypto.randomUUID(),
      type: 'LiveResponse',
      scope: null,
      requestor: this.opts.clientId,
      requestorComment: typeof body.Comment === 'string' ? body.Comment : '',
      machineId,
      computerDnsName: machine.computerDnsName,
      creationMs: Date.now(),
      lifecycle: this.scripts.get(`${machineId}|LiveResponse`) ?? this.opts.lifecycle,
      relatedFileInfo: null,
      liveResponse: { commands: r.commands, executed: false },
    };
    this.actions.push(action);
    return this.send(res, 201, this.view(action));
  }

  private getAction(id: string, res: ServerResponse): number {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
      return this.error(
        res,
        400,
        'BadRequest',
        `The key value (${id}) from request is not valid. The key value should be format of type 'Edm.Guid'.`,
      );
    }
    const a = this.actions.find((x) => x.id === id);
    if (!a || Date.now() - a.creationMs < this.opts.notVisibleMs)
      return this.error(res, 404, 'ResourceNotFound', `Machine action ${id} was not found`);
    return this.send(res, 200, this.view(a));
  }

  private listActions(url: URL, res: ServerResponse): number {
    const views = this.actions.map((a) => this.view(a));
    const filter = url.searchParams.get('$filter');
    const pred = filter ? parseFilter(filter, ACTION_FIELDS) : () => true;
    const { top, skip } = this.paging(url, 10_000);
    const value = views
      .filter(pred)
      .slice(skip, skip + top)
      .map(({ ['@odata.context']: _c, ...v }) => v);
    return this.send(res, 200, { '@odata.context': `${this.url}/api/$metadata#MachineActions`, value });
  }

  private cancel(id: string, body: Record<string, unknown>, res: ServerResponse): number {
    const a = this.actions.find((x) => x.id === id);
    if (!a) return this.error(res, 404, 'ResourceNotFound', `Machine action ${id} was not found`);
    if (!FINAL.includes(this.statusOf(a).status)) a.cancelledMs = Date.now();
    void body;
    return this.send(res, 200, this.view(a));
  }

  private paging(url: URL, max: number): { top: number; skip: number } {
    const t = url.searchParams.get('$top');
    const s = url.searchParams.get('$skip');
    if ((t !== null && !/^\d+$/.test(t)) || (s !== null && !/^\d+$/.test(s)))
      throw new ODataError('$top and $skip must be integers');
    const top = t === null ? max : Number(t);
    if (top > max) throw new ODataError(`The limit of '${max}' for Top query has been exceeded.`);
    return { top, skip: s === null ? 0 : Number(s) };
  }

  private listAlerts(url: URL, res: ServerResponse): number {
    const filter = url.searchParams.get('$filter');
    const pred = filter ? parseFilter(filter, ALERT_FIELDS) : () => true;
    const expand = url.searchParams.get('$expand');
    if (expand !== null && expand.toLowerCase() !== 'evidence')
      throw new ODataError(`Could not find a property named '${expand}'`);
    const { top, skip } = this.paging(url, 10_000);
    // Stable order (creation), no @odata.nextLink: clients page with $skip (reference §3.3).
    const value = this.alerts
      .filter(pred)
      .slice(skip, skip + top)
      .map((a) => {
        const copy = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
        if (expand === null) delete copy.evidence;
        return copy;
      });
    return this.send(res, 200, { '@odata.context': `${this.url}/api/$metadata#Alerts`, value });
  }

  private patchAlert(a: FakeAlert, body: Record<string, unknown>, res: ServerResponse): number {
    const allowed: Record<string, string[] | null> = {
      status: ['New', 'InProgress', 'Resolved'],
      classification: ['TruePositive', 'InformationalExpectedActivity', 'FalsePositive'],
      determination: null,
      assignedTo: null,
      comment: null,
    };
    for (const [k, v] of Object.entries(body)) {
      if (!(k in allowed)) return this.error(res, 400, 'InvalidRequestBody', 'Request body is incorrect');
      const values = allowed[k];
      if (typeof v !== 'string' || (values && !values.includes(v)))
        return this.error(res, 400, 'InvalidRequestBody', 'Request body is incorrect');
    }
    const { comment, ...fields } = body as Record<string, string>;
    const now = Date.now();
    if (comment)
      (a.comments as unknown[]).push({ comment, createdBy: this.opts.clientId, createdTime: iso7(now) });
    Object.assign(a, fields, { lastUpdateTime: iso7(now, ++this.alertSeq) });
    if (fields.status === 'Resolved') a.resolvedTime = iso7(now);
    return this.send(res, 200, a);
  }

  private postIndicator(body: Record<string, unknown>, res: ServerResponse): number {
    for (const k of ['indicatorValue', 'indicatorType', 'action', 'title', 'description']) {
      if (typeof body[k] !== 'string' || body[k] === '')
        return this.error(res, 400, 'MissingRequiredParameter', `Parameter ${k} is missing.`);
    }
    if (
      ![
        'FileSha1',
        'FileMd5',
        'CertificateThumbprint',
        'FileSha256',
        'IpAddress',
        'DomainName',
        'Url',
      ].includes(body.indicatorType as string)
    ) {
      return this.error(res, 400, 'InvalidRequestBody', 'Request body is incorrect');
    }
    if (
      !['Alert', 'Warn', 'Block', 'Audit', 'BlockAndRemediate', 'AlertAndBlock', 'Allowed'].includes(
        body.action as string,
      )
    ) {
      return this.error(res, 400, 'InvalidRequestBody', 'Request body is incorrect');
    }
    if (body.action === 'Audit' && body.generateAlert !== true)
      return this.error(res, 400, 'InvalidRequestBody', 'Audit requires generateAlert');
    // "Submits or Updates": the same value and type update the existing indicator (reference §9).
    const existing = this.indicators.find(
      (i) => i.indicatorValue === body.indicatorValue && i.indicatorType === body.indicatorType,
    );
    const now = iso7(Date.now());
    if (existing) {
      Object.assign(existing, body, { lastUpdateTime: now, lastUpdatedBy: this.opts.clientId });
      return this.send(res, 200, existing);
    }
    const ind = {
      id: String(++this.indicatorSeq),
      ...body,
      source: 'Nightshift',
      sourceType: 'AadApp',
      createdBy: this.opts.clientId,
      creationTimeDateTimeUtc: now,
      lastUpdateTime: now,
      lastUpdatedBy: this.opts.clientId,
      rbacGroupNames: [],
      rbacGroupIds: [],
    };
    this.indicators.push(ind);
    return this.send(res, 200, ind);
  }
}

export { normIso };
