// Secrets Nightshift generates for the embedded default, kept under .nightshift/ (0600): the API token,
// and the key of signed links.
//
// The key and public base URL of signed links (approval and acknowledgement links in email and Teams,
// voice keypress callbacks). Without them an approver's email carries no way to answer, so:
// - the embedded default (`nightshift start` without TEMPORAL_ADDRESS) generates a secret once and keeps
//   it in .nightshift/link-secret (0600), like the API token, and links to its own HTTP address;
// - production roles (`nightshift worker|server`, or any TEMPORAL_ADDRESS) refuse to start without them.
// Their values are checked by channelConfigFromEnv (length of the secret, shape of the URL).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config/settings';
import { readVar, type Env } from './config/variables';

export interface LinkSettings {
  /** Variables to lay over the environment: only the defaults that were filled in. */
  env: { NIGHTSHIFT_LINK_SECRET?: string; NIGHTSHIFT_PUBLIC_URL?: string };
  /** Where the generated secret is kept, when it was generated. */
  secretFile?: string;
  /** One line for the start-up banner. */
  banner: string;
}

/** An address links can reach: a wildcard listen address means this machine. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function linkSettings(opts: {
  env: Env;
  /** The embedded default: one process with its own dev server, on this machine. */
  embedded: boolean;
  http: { host: string; port: number };
  /** Where the generated secret is kept (.nightshift/). */
  stateDir: string;
}): LinkSettings {
  const { env } = opts;
  const secret = readVar(env, 'NIGHTSHIFT_LINK_SECRET')?.trim();
  const publicUrl = readVar(env, 'NIGHTSHIFT_PUBLIC_URL')?.trim();
  if (!opts.embedded) {
    const unset = [
      ...(secret ? [] : ['NIGHTSHIFT_LINK_SECRET']),
      ...(publicUrl ? [] : ['NIGHTSHIFT_PUBLIC_URL']),
    ];
    if (unset.length)
      throw new ConfigError(
        `${unset.join(' and ')} ${unset.length > 1 ? 'are' : 'is'} not set: with TEMPORAL_ADDRESS (worker, server, production) ` +
          'signed approval links need the key (openssl rand -base64 48, the same on every worker and server) ' +
          'and the public https:// URL of the HTTP server.',
      );
    return { env: {}, banner: `Links        ${publicUrl}` };
  }
  const out: LinkSettings = { env: {}, banner: '' };
  if (!secret) {
    const file = path.join(opts.stateDir, 'link-secret');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(opts.stateDir, { recursive: true });
      fs.writeFileSync(file, crypto.randomBytes(48).toString('base64url') + '\n', { mode: 0o600 });
    }
    out.env.NIGHTSHIFT_LINK_SECRET = fs.readFileSync(file, 'utf8').trim();
    out.secretFile = file;
  }
  const url = publicUrl || `http://${reachableHost(opts.http.host)}:${opts.http.port}`;
  if (!publicUrl) out.env.NIGHTSHIFT_PUBLIC_URL = url;
  out.banner = `Links        ${url}${out.secretFile ? ` (key in ${path.basename(opts.stateDir)}/link-secret)` : ''}`;
  return out;
}

/** API tokens: NIGHTSHIFT_API_TOKENS (comma-separated), else one generated and kept in `<stateDir>/api-token`. */
export function apiTokens(env: Env, stateDir: string): { tokens: string[]; file?: string } {
  const fromEnv = (readVar(env, 'NIGHTSHIFT_API_TOKENS') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (fromEnv.length) return { tokens: fromEnv };
  const file = path.join(stateDir, 'api-token');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(24).toString('base64url') + '\n', { mode: 0o600 });
  }
  return { tokens: [fs.readFileSync(file, 'utf8').trim()], file };
}
