// Connections to Temporal (client and worker), with one-line errors that name the fix.
import fs from 'node:fs';
import {
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
} from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError, type TemporalSettings } from '../config/settings';
import { SetupError } from './dev-server';

function readFile(what: string, file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file);
  } catch {
    throw new ConfigError(`${what} file ${file} cannot be read: check the path.`);
  }
}

function tlsOptions(s: TemporalSettings): ConnectionOptions['tls'] {
  if (!s.tls) return undefined;
  const crt = readFile('TEMPORAL_TLS_CERT', s.tls.certPath);
  const key = readFile('TEMPORAL_TLS_KEY', s.tls.keyPath);
  return {
    serverNameOverride: s.tls.serverName,
    serverRootCACertificate: readFile('TEMPORAL_TLS_CA', s.tls.caPath),
    clientCertPair: crt && key ? { crt, key } : undefined,
  };
}

function unreachable(address: string, err: unknown): SetupError {
  const why = String((err as Error)?.message ?? err).split('\n')[0];
  return new SetupError(
    `cannot reach Temporal at ${address} (${why}): check TEMPORAL_ADDRESS (and TLS/API key settings), or unset it to use the embedded dev server.`,
  );
}

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * The client's retries of unavailable calls (backoff up to 5 s between attempts, ~20 s in all), made to
 * respect a call's deadline: no retry is scheduled past it, and the last one waits only until it. With
 * the default policy a 2.5 s deadline could be answered after 3.3 s, because a retry sleeping through
 * the deadline only fails once it wakes.
 */
export function deadlineAwareRetry(): Interceptor {
  const defaults = defaultGrpcRetryOptions();
  return (options, nextCall) => {
    const d = options.deadline;
    const end = d === undefined ? Infinity : d instanceof Date ? d.getTime() : Number(d);
    return makeGrpcRetryInterceptor({
      retryableDecider: (attempt, status) => defaults.retryableDecider(attempt, status) && Date.now() < end,
      delayFunction: (attempt, status) =>
        Math.max(0, Math.min(defaults.delayFunction(attempt, status), end - Date.now())),
    })(options, nextCall);
  };
}

/** Options of the client connection (the server, the CLI and activities calling Temporal). */
function clientConnectionOptions(s: TemporalSettings & { address: string }): ConnectionOptions {
  return {
    address: s.address,
    tls: tlsOptions(s),
    apiKey: s.apiKey,
    connectTimeout: 5000,
    interceptors: [deadlineAwareRetry()],
  };
}

export async function connectClient(s: TemporalSettings & { address: string }): Promise<Connection> {
  try {
    const connection = await Connection.connect(clientConnectionOptions(s));
    await connection.workflowService.getSystemInfo({});
    return connection;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw unreachable(s.address, err);
  }
}

export async function connectWorker(s: TemporalSettings & { address: string }): Promise<NativeConnection> {
  const opts: NativeConnectionOptions = {
    address: s.address,
    tls: tlsOptions(s) as NativeConnectionOptions['tls'],
    apiKey: s.apiKey,
  };
  try {
    return await NativeConnection.connect(opts);
  } catch (err) {
    throw unreachable(s.address, err);
  }
}
