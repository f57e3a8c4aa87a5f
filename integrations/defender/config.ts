// Defender configuration from the environment: cloud selection (hosts, authority, scopes), credentials,
// limits. Every problem is one line naming the variable; secret values never appear in messages.
import crypto from 'node:crypto';
import fs from 'node:fs';
import util from 'node:util';
import { ConfigError } from '../../platform/config/settings';
import { readVar, type Env, type VariableName } from '../../platform/config/variables';
import { DOCUMENTED_CALLS_PER_HOUR, DOCUMENTED_CALLS_PER_MINUTE, defenderQuotas, type Quota } from './quota';

/** A secret string that prints as [REDACTED] in logs, JSON and util.inspect. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[REDACTED]';
  }
  toJSON(): string {
    return '[REDACTED]';
  }
  [util.inspect.custom](): string {
    return '[REDACTED]';
  }
}

export type DefenderCloud = 'commercial' | 'gcc' | 'gcc-high' | 'dod';
export const DEFENDER_CLOUDS: readonly DefenderCloud[] = ['commercial', 'gcc', 'gcc-high', 'dod'];
export type DefenderGeo = 'us' | 'eu' | 'uk' | 'au' | 'swa' | 'ina';
export const DEFENDER_GEOS: readonly DefenderGeo[] = ['us', 'eu', 'uk', 'au', 'swa', 'ina'];

export interface CloudEndpoints {
  /** MDE API base (paths under /api). */
  apiUrl: string;
  /** Login host; the authority is `${authorityHost}/${tenantId}`. */
  authorityHost: string;
  /** Scope for MDE calls (resource WindowsDefenderATP). */
  scope: string;
  /** Defender XDR API (incidents), a different resource with its own token. */
  xdrApiUrl: string;
  xdrScope: string;
  /** Microsoft Graph (advanced hunting, reference §15.7), a third resource with its own token. */
  graphUrl: string;
  graphScope: string;
  /** Portal for alert links; only where the reference documents it. */
  portalUrl?: string;
}

/**
 * Hosts and scopes per cloud (reference/defender-api.md §1, §2.2). The gov scopes are INFERRED in the
 * reference (Splunk/msticpy use the API URL as resource); override with DEFENDER_SCOPE if a tenant differs.
 */
export function cloudEndpoints(cloud: DefenderCloud, geo?: DefenderGeo): CloudEndpoints {
  switch (cloud) {
    case 'commercial': {
      const xdrGeo = geo === 'us' || geo === 'eu' || geo === 'uk' ? `api-${geo}` : 'api';
      return {
        apiUrl: geo ? `https://${geo}.api.security.microsoft.com` : 'https://api.security.microsoft.com',
        authorityHost: 'https://login.microsoftonline.com',
        scope: 'https://api.securitycenter.microsoft.com/.default',
        xdrApiUrl: `https://${xdrGeo}.security.microsoft.com`,
        xdrScope: 'https://api.security.microsoft.com/.default',
        graphUrl: 'https://graph.microsoft.com',
        graphScope: 'https://graph.microsoft.com/.default',
        portalUrl: 'https://security.microsoft.com',
      };
    }
    case 'gcc':
      return {
        apiUrl: 'https://api-gcc.securitycenter.microsoft.us',
        authorityHost: 'https://login.microsoftonline.com',
        scope: 'https://api-gcc.securitycenter.microsoft.us/.default',
        xdrApiUrl: 'https://api-gcc.security.microsoft.us',
        xdrScope: 'https://api-gcc.security.microsoft.us/.default',
        // GCC keeps the worldwide Graph (learn.microsoft.com/graph/deployments; not in the reference).
        graphUrl: 'https://graph.microsoft.com',
        graphScope: 'https://graph.microsoft.com/.default',
      };
    case 'gcc-high':
    case 'dod': {
      // GCC High uses graph.microsoft.us, DoD dod-graph.microsoft.us (learn.microsoft.com/graph/deployments).
      const graphUrl = cloud === 'dod' ? 'https://dod-graph.microsoft.us' : 'https://graph.microsoft.us';
      return {
        apiUrl: 'https://api-gov.securitycenter.microsoft.us',
        authorityHost: 'https://login.microsoftonline.us',
        scope: 'https://api-gov.securitycenter.microsoft.us/.default',
        xdrApiUrl: 'https://api-gov.security.microsoft.us',
        xdrScope: 'https://api-gov.security.microsoft.us/.default',
        graphUrl,
        graphScope: `${graphUrl}/.default`,
      };
    }
  }
}

export type DefenderCredential =
  | { kind: 'secret'; secret: Secret }
  | { kind: 'certificate'; privateKey: Secret; thumbprintSha256: string; x5c?: string };

export interface DefenderLimits {
  /**
   * The quota to stay under, in API calls per sliding window: DEFENDER_CALLS_PER_MINUTE and
   * DEFENDER_CALLS_PER_HOUR (documented: 100 and 1,500, reference §10).
   */
  quotas: Quota[];
  /** Delay between status polls of a machine action. */
  pollIntervalMs: number;
}

export interface DefenderLiveConfig extends DefenderLimits {
  dryRun: false;
  mode: 'live';
  tenantId: string;
  clientId: string;
  credential: DefenderCredential;
  cloud: DefenderCloud;
  geo?: DefenderGeo;
  apiUrl: string;
  xdrApiUrl: string;
  /** Full authority URL, `${host}/${tenantId}`. */
  authority: string;
  /** Set when DEFENDER_AUTHORITY_URL overrides the cloud: msal then trusts this host as given. */
  customAuthorityHost?: string;
  scope: string;
  xdrScope: string;
  /** Microsoft Graph base and scope (advanced hunting). */
  graphUrl: string;
  graphScope: string;
  portalUrl?: string;
  /** Extra trusted CA (PEM) for the API and login hosts: TLS-inspecting proxies, the test fake. */
  caPem?: string;
  timeouts: { connectMs: number; headersMs: number; bodyMs: number };
  userAgent: string;
}

export interface DefenderDryRunConfig extends DefenderLimits {
  dryRun: true;
  mode: 'dry-run';
  cloud: DefenderCloud;
  portalUrl?: string;
}

export type DefenderConfig = DefenderLiveConfig | DefenderDryRunConfig;

/** A configuration problem: one line, naming the variable. */
export class DefenderConfigError extends ConfigError {
  override name = 'DefenderConfigError';
}

/** Default delay between status polls of a machine action (DEFENDER_POLL_INTERVAL_MS overrides it). */
export const DEFENDER_POLL_INTERVAL_MS = 10_000;

export const DEFAULT_LIMITS: DefenderLimits = {
  quotas: defenderQuotas(DOCUMENTED_CALLS_PER_MINUTE, DOCUMENTED_CALLS_PER_HOUR),
  pollIntervalMs: DEFENDER_POLL_INTERVAL_MS,
};
const VERSION = '0.1.0';

function str(env: Env, name: VariableName, max = 4096): string | undefined {
  const v = readVar(env, name)?.trim();
  if (v === undefined || v === '') return undefined;
  if (v.length > max) throw new DefenderConfigError(`${name} is too long (over ${max} characters).`);
  return v;
}

function int(env: Env, name: VariableName, dflt: number, min: number, max: number): number {
  const v = str(env, name, 20);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new DefenderConfigError(`${name} must be a whole number from ${min} to ${max} (got "${v}").`);
  }
  return Number(v);
}

function httpsUrl(env: Env, name: VariableName): string | undefined {
  const v = str(env, name, 2048);
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new DefenderConfigError(`${name} is not a URL (got "${v}").`);
  }
  if (u.protocol !== 'https:') throw new DefenderConfigError(`${name} must be an https:// URL (got "${v}").`);
  if (u.search || u.hash || u.username) {
    throw new DefenderConfigError(`${name} must be a plain https://host[:port][/path] URL.`);
  }
  return v.replace(/\/+$/, '');
}

function readFile(env: Env, name: VariableName): string {
  const file = str(env, name, 4096)!;
  try {
    const text = fs.readFileSync(file, 'utf8');
    if (text.length > 1_000_000) throw new DefenderConfigError(`${name}: ${file} is larger than 1 MB.`);
    return text;
  } catch (e) {
    if (e instanceof DefenderConfigError) throw e;
    throw new DefenderConfigError(
      `${name}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
}

function certificateCredential(env: Env): DefenderCredential {
  const pem = readFile(env, 'DEFENDER_CERT_PATH');
  const keyPem = str(env, 'DEFENDER_CERT_KEY_PATH') ? readFile(env, 'DEFENDER_CERT_KEY_PATH') : pem;
  const passphrase = str(env, 'DEFENDER_CERT_PASSPHRASE', 1024);
  let privateKey: string;
  try {
    // msal signs the client assertion with an unencrypted PKCS#8 PEM; decrypt here so operators can
    // keep the key encrypted at rest.
    privateKey = crypto
      .createPrivateKey({ key: keyPem, format: 'pem', passphrase })
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
  } catch {
    throw new DefenderConfigError(
      `DEFENDER_CERT_PATH${str(env, 'DEFENDER_CERT_KEY_PATH') ? '/DEFENDER_CERT_KEY_PATH' : ''} holds no usable private key (wrong DEFENDER_CERT_PASSPHRASE?).`,
    );
  }
  const certMatch = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  let thumbprintSha256 = str(env, 'DEFENDER_CERT_THUMBPRINT', 200)?.replace(/:/g, '').toLowerCase();
  let x5c: string | undefined;
  if (certMatch) {
    const cert = new crypto.X509Certificate(certMatch[0]);
    thumbprintSha256 ??= cert.fingerprint256.replace(/:/g, '').toLowerCase();
    x5c = certMatch[0];
  }
  if (!thumbprintSha256) {
    throw new DefenderConfigError(
      'DEFENDER_CERT_THUMBPRINT is required when DEFENDER_CERT_PATH holds no certificate (SHA-256 thumbprint, hex).',
    );
  }
  if (!/^[0-9a-f]{64}$/.test(thumbprintSha256)) {
    throw new DefenderConfigError('DEFENDER_CERT_THUMBPRINT must be a SHA-256 thumbprint (64 hex digits).');
  }
  return { kind: 'certificate', privateKey: new Secret(privateKey), thumbprintSha256, x5c };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads DEFENDER_* variables. With no tenant, client or credential set at all, returns a dry-run config
 * (nothing is called). Anything half-configured is an error, so a typo never silently means "dry run".
 */
export function defenderConfigFromEnv(env: Env): DefenderConfig {
  const cloudName = (str(env, 'DEFENDER_CLOUD', 40) ?? 'commercial').toLowerCase();
  if (!(DEFENDER_CLOUDS as readonly string[]).includes(cloudName)) {
    throw new DefenderConfigError(
      `DEFENDER_CLOUD must be one of ${DEFENDER_CLOUDS.join(', ')} (got "${cloudName}").`,
    );
  }
  const cloud = cloudName as DefenderCloud;
  const geoName = str(env, 'DEFENDER_GEO', 10)?.toLowerCase();
  if (geoName !== undefined) {
    if (!(DEFENDER_GEOS as readonly string[]).includes(geoName)) {
      throw new DefenderConfigError(
        `DEFENDER_GEO must be one of ${DEFENDER_GEOS.join(', ')} (got "${geoName}").`,
      );
    }
    if (cloud !== 'commercial')
      throw new DefenderConfigError('DEFENDER_GEO applies only to DEFENDER_CLOUD=commercial.');
  }
  const geo = geoName as DefenderGeo | undefined;
  const limits: DefenderLimits = {
    quotas: defenderQuotas(
      int(env, 'DEFENDER_CALLS_PER_MINUTE', DOCUMENTED_CALLS_PER_MINUTE, 1, 100_000),
      int(env, 'DEFENDER_CALLS_PER_HOUR', DOCUMENTED_CALLS_PER_HOUR, 1, 6_000_000),
    ),
    pollIntervalMs: int(env, 'DEFENDER_POLL_INTERVAL_MS', DEFAULT_LIMITS.pollIntervalMs, 10, 3_600_000),
  };
  const endpoints = cloudEndpoints(cloud, geo);

  const tenantId = str(env, 'DEFENDER_TENANT_ID', 200);
  const clientId = str(env, 'DEFENDER_CLIENT_ID', 200);
  const secret = str(env, 'DEFENDER_CLIENT_SECRET', 1024);
  const certPath = str(env, 'DEFENDER_CERT_PATH');
  if (!tenantId && !clientId && !secret && !certPath) {
    return { dryRun: true, mode: 'dry-run', cloud, portalUrl: endpoints.portalUrl, ...limits };
  }
  if (!tenantId)
    throw new DefenderConfigError(
      'DEFENDER_TENANT_ID is not set (the Entra tenant id of the Defender tenant).',
    );
  if (!GUID.test(tenantId) && !/^[a-z0-9][a-z0-9.-]{0,250}\.[a-z]{2,}$/i.test(tenantId)) {
    throw new DefenderConfigError(
      'DEFENDER_TENANT_ID must be a tenant GUID or a domain like contoso.onmicrosoft.com.',
    );
  }
  if (!clientId)
    throw new DefenderConfigError(
      'DEFENDER_CLIENT_ID is not set (the application (client) id of the Entra app).',
    );
  if (!GUID.test(clientId)) throw new DefenderConfigError('DEFENDER_CLIENT_ID must be a GUID.');
  if (secret && certPath) {
    throw new DefenderConfigError('set either DEFENDER_CLIENT_SECRET or DEFENDER_CERT_PATH, not both.');
  }
  if (!secret && !certPath) {
    throw new DefenderConfigError(
      'DEFENDER_CLIENT_SECRET or DEFENDER_CERT_PATH must be set (the app credential).',
    );
  }
  const credential: DefenderCredential = secret
    ? { kind: 'secret', secret: new Secret(secret) }
    : certificateCredential(env);

  const authorityOverride = httpsUrl(env, 'DEFENDER_AUTHORITY_URL');
  const authorityHost = authorityOverride ?? endpoints.authorityHost;
  const caPath = str(env, 'DEFENDER_CA_CERT_PATH');
  const caPem = caPath ? readFile(env, 'DEFENDER_CA_CERT_PATH') : undefined;
  if (caPem !== undefined && !caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new DefenderConfigError('DEFENDER_CA_CERT_PATH holds no PEM certificate.');
  }
  return {
    dryRun: false,
    mode: 'live',
    tenantId,
    clientId,
    credential,
    cloud,
    geo,
    apiUrl: httpsUrl(env, 'DEFENDER_API_URL') ?? endpoints.apiUrl,
    xdrApiUrl: httpsUrl(env, 'DEFENDER_XDR_API_URL') ?? endpoints.xdrApiUrl,
    authority: `${authorityHost}/${tenantId}`,
    customAuthorityHost: authorityOverride ? new URL(authorityOverride).host : undefined,
    scope: str(env, 'DEFENDER_SCOPE', 500) ?? endpoints.scope,
    xdrScope: str(env, 'DEFENDER_XDR_SCOPE', 500) ?? endpoints.xdrScope,
    graphUrl: httpsUrl(env, 'DEFENDER_GRAPH_URL') ?? endpoints.graphUrl,
    graphScope: str(env, 'DEFENDER_GRAPH_SCOPE', 500) ?? endpoints.graphScope,
    portalUrl: endpoints.portalUrl,
    caPem,
    timeouts: {
      connectMs: int(env, 'DEFENDER_CONNECT_TIMEOUT_MS', 10_000, 100, 120_000),
      headersMs: int(env, 'DEFENDER_HEADERS_TIMEOUT_MS', 30_000, 100, 600_000),
      bodyMs: int(env, 'DEFENDER_BODY_TIMEOUT_MS', 60_000, 100, 600_000),
    },
    userAgent: `MdePartner-Nightshift-Nightshift/${VERSION}`,
    ...limits,
  };
}

/** What is safe to log about a config: hosts and ids, never credentials. */
export function describeDefenderConfig(cfg: DefenderConfig): string {
  if (cfg.dryRun)
    return `Defender: DRY RUN (no DEFENDER_TENANT_ID/DEFENDER_CLIENT_ID/credential set), cloud ${cfg.cloud}`;
  return `Defender: cloud ${cfg.cloud}${cfg.geo ? `/${cfg.geo}` : ''}, API ${cfg.apiUrl}, authority ${cfg.authority}, client ${cfg.clientId}, credential ${cfg.credential.kind}`;
}
