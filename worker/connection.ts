// Connections to Temporal (client and worker), with one-line errors that name the fix.
import fs from 'node:fs';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError, type TemporalSettings } from './config';
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

export async function connectClient(s: TemporalSettings & { address: string }): Promise<Connection> {
  try {
    const connection = await Connection.connect({
      address: s.address,
      tls: tlsOptions(s),
      apiKey: s.apiKey,
      connectTimeout: 5000,
    });
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
