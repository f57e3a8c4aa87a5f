// Nightshift's process configuration, from the environment. Organisation settings (calendars, people,
// channels, policy) live in nightshift.yaml instead; this is only where and how to run.
import path from 'node:path';
import { PROJECT_ROOT, TEMPORAL_BINARY } from '../temporal/dev-server';
import { readVar, type Env, type VariableName } from './variables';

export interface TemporalSettings {
  /** Existing server or Temporal Cloud; unset = the embedded dev server. */
  address?: string;
  namespace: string;
  tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
  apiKey?: string;
}

export interface NightshiftConfig {
  temporal: TemporalSettings;
  devServer: { port: number; uiPort: number; dataDir: string; binary: string };
  http: { host: string; port: number };
  configFile: string;
  playbooksDir: string;
  logLevel: string;
  /** Reload playbooks when their files change (NIGHTSHIFT_WATCH, default on). */
  watchPlaybooks: boolean;
  /** Secrets of signed detection webhooks (NIGHTSHIFT_WEBHOOK_SECRETS, comma-separated for rotation). */
  webhookSecrets: string[];
  /** A standalone worker's own /metrics port, as given (NIGHTSHIFT_METRICS_PORT; checked by metricsPort()). */
  metricsPort?: string;
  /** Memory a worker process gives to its cached runs (NIGHTSHIFT_WORKER_CACHE_MIB). */
  workerCacheMiB: number;
}

/** A setting that cannot work: one line naming the variable, never a secret value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function port(env: Env, name: VariableName, dflt: number): number {
  const raw = readVar(env, name);
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new ConfigError(`${name}="${raw}" is not a TCP port: use a whole number from 1 to 65535.`);
  }
  return n;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env, cwd: string): NightshiftConfig {
  const address = readVar(env, 'TEMPORAL_ADDRESS')?.trim() || undefined;
  if (address !== undefined && !/^[^\s:/]+:\d{1,5}$/.test(address)) {
    throw new ConfigError(
      `TEMPORAL_ADDRESS="${address}" must be host:port, e.g. 127.0.0.1:7233 or my-ns.a1b2c.tmprl.cloud:7233.`,
    );
  }
  const tlsOn =
    readVar(env, 'TEMPORAL_TLS') === 'true' ||
    !!readVar(env, 'TEMPORAL_TLS_CERT') ||
    !!readVar(env, 'TEMPORAL_API_KEY');
  if (!!readVar(env, 'TEMPORAL_TLS_CERT') !== !!readVar(env, 'TEMPORAL_TLS_KEY')) {
    throw new ConfigError(
      'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mTLS client certificate and its key).',
    );
  }
  const logLevel = readVar(env, 'NIGHTSHIFT_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`NIGHTSHIFT_LOG_LEVEL="${logLevel}" is not one of ${LOG_LEVELS.join(', ')}.`);
  }
  return {
    temporal: {
      address,
      namespace: readVar(env, 'TEMPORAL_NAMESPACE') || 'default',
      tls: tlsOn
        ? {
            certPath: readVar(env, 'TEMPORAL_TLS_CERT'),
            keyPath: readVar(env, 'TEMPORAL_TLS_KEY'),
            caPath: readVar(env, 'TEMPORAL_TLS_CA'),
            serverName: readVar(env, 'TEMPORAL_TLS_SERVER_NAME'),
          }
        : undefined,
      apiKey: readVar(env, 'TEMPORAL_API_KEY') || undefined,
    },
    devServer: {
      port: port(env, 'NIGHTSHIFT_TEMPORAL_PORT', 7233),
      uiPort: port(env, 'NIGHTSHIFT_TEMPORAL_UI_PORT', 8233),
      dataDir: path.resolve(
        cwd,
        readVar(env, 'NIGHTSHIFT_DATA_DIR') || path.join(PROJECT_ROOT, '.nightshift', 'data'),
      ),
      binary: readVar(env, 'NIGHTSHIFT_TEMPORAL_BIN') || TEMPORAL_BINARY,
    },
    http: {
      host: readVar(env, 'NIGHTSHIFT_HTTP_HOST') || '127.0.0.1',
      port: port(env, 'NIGHTSHIFT_HTTP_PORT', 8080),
    },
    configFile: path.resolve(cwd, readVar(env, 'NIGHTSHIFT_CONFIG') || 'nightshift.yaml'),
    playbooksDir: path.resolve(cwd, readVar(env, 'NIGHTSHIFT_PLAYBOOKS') || 'playbooks'),
    logLevel,
    watchPlaybooks: readVar(env, 'NIGHTSHIFT_WATCH') !== 'false',
    webhookSecrets: webhookSecrets(env),
    metricsPort: readVar(env, 'NIGHTSHIFT_METRICS_PORT') || undefined,
    workerCacheMiB: workerCacheMiB(env),
  };
}

function workerCacheMiB(env: Env): number {
  const raw = readVar(env, 'NIGHTSHIFT_WORKER_CACHE_MIB');
  if (raw === undefined || raw === '') return 512;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 16)
    throw new ConfigError(`NIGHTSHIFT_WORKER_CACHE_MIB="${raw}" must be a whole number of MiB, at least 16.`);
  return n;
}

function webhookSecrets(env: Env): string[] {
  const secrets = (readVar(env, 'NIGHTSHIFT_WEBHOOK_SECRETS') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const s of secrets) {
    if (s.length < 32)
      throw new ConfigError(
        'each NIGHTSHIFT_WEBHOOK_SECRETS entry must be at least 32 characters (e.g. openssl rand -hex 32).',
      );
  }
  return secrets;
}

/** The standalone worker's metrics port (only a worker without the HTTP server serves one). */
export function metricsPort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConfigError(`NIGHTSHIFT_METRICS_PORT="${raw}" is not a TCP port.`);
  return port;
}
