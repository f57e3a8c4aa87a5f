// Nightshift's process configuration, from the environment. Organisation settings (calendars, people,
// channels, policy) live in nightshift.yaml instead; this is only where and how to run.
import path from 'node:path';
import { PROJECT_ROOT } from '../temporal/dev-server';

export interface TemporalSettings {
  /** Existing server or Temporal Cloud; unset = the embedded dev server. */
  address?: string;
  namespace: string;
  tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
  apiKey?: string;
}

export interface NightshiftConfig {
  temporal: TemporalSettings;
  devServer: { port: number; uiPort: number; dataDir: string };
  http: { host: string; port: number };
  configFile: string;
  playbooksDir: string;
  logLevel: string;
  /** Reload playbooks when their files change (NIGHTSHIFT_WATCH, default on). */
  watchPlaybooks: boolean;
}

/** A setting that cannot work: one line naming the variable, never a secret value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function port(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new ConfigError(`${name}="${raw}" is not a TCP port: use a whole number from 1 to 65535.`);
  }
  return n;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): NightshiftConfig {
  const address = env.TEMPORAL_ADDRESS?.trim() || undefined;
  if (address !== undefined && !/^[^\s:/]+:\d{1,5}$/.test(address)) {
    throw new ConfigError(
      `TEMPORAL_ADDRESS="${address}" must be host:port, e.g. 127.0.0.1:7233 or my-ns.a1b2c.tmprl.cloud:7233.`,
    );
  }
  const tlsOn = env.TEMPORAL_TLS === 'true' || !!env.TEMPORAL_TLS_CERT || !!env.TEMPORAL_API_KEY;
  if (!!env.TEMPORAL_TLS_CERT !== !!env.TEMPORAL_TLS_KEY) {
    throw new ConfigError(
      'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mTLS client certificate and its key).',
    );
  }
  const logLevel = env.NIGHTSHIFT_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`NIGHTSHIFT_LOG_LEVEL="${logLevel}" is not one of ${LOG_LEVELS.join(', ')}.`);
  }
  return {
    temporal: {
      address,
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      tls: tlsOn
        ? {
            certPath: env.TEMPORAL_TLS_CERT,
            keyPath: env.TEMPORAL_TLS_KEY,
            caPath: env.TEMPORAL_TLS_CA,
            serverName: env.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      apiKey: env.TEMPORAL_API_KEY || undefined,
    },
    devServer: {
      port: port(env, 'NIGHTSHIFT_TEMPORAL_PORT', 7233),
      uiPort: port(env, 'NIGHTSHIFT_TEMPORAL_UI_PORT', 8233),
      dataDir: path.resolve(cwd, env.NIGHTSHIFT_DATA_DIR || path.join(PROJECT_ROOT, '.nightshift', 'data')),
    },
    http: { host: env.NIGHTSHIFT_HTTP_HOST || '127.0.0.1', port: port(env, 'NIGHTSHIFT_HTTP_PORT', 8080) },
    configFile: path.resolve(cwd, env.NIGHTSHIFT_CONFIG || 'nightshift.yaml'),
    playbooksDir: path.resolve(cwd, env.NIGHTSHIFT_PLAYBOOKS || 'playbooks'),
    logLevel,
    watchPlaybooks: env.NIGHTSHIFT_WATCH !== 'false',
  };
}
