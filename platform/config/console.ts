// The web console's settings: OIDC sign-in (or, unset, one-time sign-in links) and session length.
// A partial OIDC configuration is refused at start, naming what is missing.
import fs from 'node:fs';
import { parseDuration } from '../../core/duration';
import { ConfigError } from './settings';
import { readVar, type Env } from './variables';

export interface ConsoleSettings {
  oidc?: {
    issuer: string;
    clientId: string;
    clientSecret?: string;
    clientCertificate?: { certPem: string; keyPem: string };
    claims: string[];
    scopes: string;
  };
  sessionTtlMs: number;
}

const MIN_SESSION_MS = 5 * 60_000;
const MAX_SESSION_MS = 7 * 86_400_000;

function pem(env: Env, name: 'NIGHTSHIFT_OIDC_CLIENT_CERT' | 'NIGHTSHIFT_OIDC_CLIENT_KEY'): string {
  const file = readVar(env, name) as string;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `${name}="${file}" cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`,
    );
  }
}

export function consoleSettings(env: Env): ConsoleSettings {
  const ttlRaw = readVar(env, 'NIGHTSHIFT_CONSOLE_SESSION_TTL') || '12h';
  const ttl = parseDuration(ttlRaw);
  if (ttl === null || ttl < MIN_SESSION_MS || ttl > MAX_SESSION_MS)
    throw new ConfigError(
      `NIGHTSHIFT_CONSOLE_SESSION_TTL="${ttlRaw}" must be a duration from 5m to 7d, like 12h.`,
    );
  const issuer = readVar(env, 'NIGHTSHIFT_OIDC_ISSUER')?.trim();
  const clientId = readVar(env, 'NIGHTSHIFT_OIDC_CLIENT_ID')?.trim();
  const secret = readVar(env, 'NIGHTSHIFT_OIDC_CLIENT_SECRET');
  const cert = readVar(env, 'NIGHTSHIFT_OIDC_CLIENT_CERT');
  const key = readVar(env, 'NIGHTSHIFT_OIDC_CLIENT_KEY');
  const any = issuer || clientId || secret || cert || key;
  if (!any) return { sessionTtlMs: ttl };
  const missing = [
    ...(issuer ? [] : ['NIGHTSHIFT_OIDC_ISSUER']),
    ...(clientId ? [] : ['NIGHTSHIFT_OIDC_CLIENT_ID']),
    ...(secret || cert || key
      ? []
      : ['NIGHTSHIFT_OIDC_CLIENT_SECRET (or NIGHTSHIFT_OIDC_CLIENT_CERT and _KEY)']),
    ...(!!cert !== !!key ? [cert ? 'NIGHTSHIFT_OIDC_CLIENT_KEY' : 'NIGHTSHIFT_OIDC_CLIENT_CERT'] : []),
  ];
  if (missing.length)
    throw new ConfigError(`console sign-in (OIDC) is configured in part: ${missing.join(', ')} missing.`);
  let url: URL;
  try {
    url = new URL(issuer as string);
  } catch {
    throw new ConfigError(`NIGHTSHIFT_OIDC_ISSUER="${issuer}" is not a URL.`);
  }
  const loopback = url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !loopback)
    throw new ConfigError(`NIGHTSHIFT_OIDC_ISSUER="${issuer}" must be https (http only on this machine).`);
  const claims = (readVar(env, 'NIGHTSHIFT_OIDC_CLAIMS') || 'email,preferred_username')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (!claims.every((c) => /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/.test(c)))
    throw new ConfigError('NIGHTSHIFT_OIDC_CLAIMS must be claim names separated by commas, like email,oid.');
  const scopes = readVar(env, 'NIGHTSHIFT_OIDC_SCOPES') || 'openid profile email';
  if (!scopes.split(/\s+/).includes('openid'))
    throw new ConfigError('NIGHTSHIFT_OIDC_SCOPES must include openid.');
  return {
    sessionTtlMs: ttl,
    oidc: {
      issuer: url.href.replace(/\/$/, ''),
      clientId: clientId as string,
      clientSecret: cert ? undefined : secret,
      clientCertificate: cert
        ? { certPem: pem(env, 'NIGHTSHIFT_OIDC_CLIENT_CERT'), keyPem: pem(env, 'NIGHTSHIFT_OIDC_CLIENT_KEY') }
        : undefined,
      claims,
      scopes,
    },
  };
}
