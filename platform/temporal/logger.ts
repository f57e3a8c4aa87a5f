// The Temporal SDK's log lines (worker, activities, workflows, and the native core, forwarded) into
// pino: one JSON line each with `component: "temporal-sdk"`, instead of the SDK's multi-line console
// dumps. Task tokens are dropped (they authorize completing an activity) and an error is reduced to
// its type and message — a stack only for errors that are not expected failures.
import { ApplicationFailure, type LogLevel, type LogMetadata, type Logger } from '@temporalio/common';
import { makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import type { Logger as Pino } from 'pino';

const LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Lines that describe Nightshift's design, not a problem: the Defender queue has activities only. */
const EXPECTED = new Set(['No workflows registered, not polling for workflow tasks']);

function oneLine(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const out: Record<string, unknown> = { type: err.name, message: err.message.split('\n')[0].slice(0, 1000) };
  if (err instanceof ApplicationFailure) {
    if (err.type) out.failure = err.type;
  } else if (err.stack) {
    out.stack = err.stack
      .split('\n')
      .slice(1, 6)
      .map((l) => l.trim());
  }
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) out.cause = `${cause.name}: ${cause.message.split('\n')[0].slice(0, 500)}`;
  return out;
}

export interface TemporalLoggerOptions {
  /** Log the SDK's info lines at debug (the workflow bundler's webpack report is info). */
  infoAsDebug?: boolean;
}

export function temporalLogger(pino: Pino, opts: TemporalLoggerOptions = {}): Logger {
  const log = pino.child({ component: 'temporal-sdk' });
  const emit = (level: LogLevel, message: string, meta: LogMetadata = {}) => {
    let lvl = LEVEL[level] ?? 'info';
    if (EXPECTED.has(message) || (opts.infoAsDebug && lvl === 'info')) lvl = 'debug';
    if (!log.isLevelEnabled(lvl)) return;
    // Symbol keys (the core's timestamps) and task tokens stay out.
    const { taskToken: _token, error, err, sdkComponent, ...rest } = meta as Record<string, unknown>;
    const fields: Record<string, unknown> = { ...rest };
    if (sdkComponent) fields.sdk = sdkComponent;
    const e = error ?? err;
    // Not `err`: pino's error serializer would turn the reduced object back into a dump.
    if (e !== undefined) fields.error = oneLine(e);
    log[lvl](fields, message);
  };
  return {
    log: emit,
    trace: (m, meta) => emit('TRACE', m, meta),
    debug: (m, meta) => emit('DEBUG', m, meta),
    info: (m, meta) => emit('INFO', m, meta),
    warn: (m, meta) => emit('WARN', m, meta),
    error: (m, meta) => emit('ERROR', m, meta),
  };
}

let installed = false;

/** Routes every SDK log line, the native core's included, into `pino`. Once per process. */
export function installTemporalLogging(pino: Pino): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: temporalLogger(pino),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }), forward: {} },
    },
  });
}

const SERVER_LEVEL: Record<string, 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  dpanic: 'fatal',
  panic: 'fatal',
  fatal: 'fatal',
};

/**
 * The embedded Temporal dev server's output into pino, with `component: "temporal-server"`: its JSON
 * log lines keep their level, message and fields; its plain start-up text is debug (stderr text: warn).
 * `quiet()` turns everything into debug from then on (what it says while being stopped is expected).
 */
export function temporalServerLines(pino: Pino): {
  line: (line: string, stream: 'stdout' | 'stderr') => void;
  quiet: () => void;
} {
  const log = pino.child({ component: 'temporal-server' });
  let quiet = false;
  return {
    quiet: () => void (quiet = true),
    line(line, stream) {
      if (!line.trim()) return;
      let parsed: Record<string, unknown> | undefined;
      try {
        const v = JSON.parse(line) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, unknown>;
      } catch {
        // Plain text.
      }
      if (!parsed) {
        log[quiet || stream === 'stdout' ? 'debug' : 'warn'](line.slice(0, 2000));
        return;
      }
      const { level, msg, time: _time, ts: _ts, ...fields } = parsed;
      const lvl = quiet ? 'debug' : (SERVER_LEVEL[String(level).toLowerCase()] ?? 'info');
      log[lvl](fields, String(msg ?? ''));
    },
  };
}
