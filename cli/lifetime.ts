// Why a running `nightshift start | worker | server` stops: a signal (Ctrl-C, SIGTERM from a service
// manager, SIGHUP from a closed terminal), its output closed under it (`nightshift start | head -1`:
// EPIPE), an uncaught error, or a worker that failed. Every one of them leads to the same orderly stop
// (HTTP server, workers, Temporal), so nothing started here outlives the process; a second signal
// while stopping exits at once (the embedded Temporal's watchdog still stops it).

export type StopReason =
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'output-closed'; stream: string }
  | { kind: 'crash'; error: unknown }
  | { kind: 'worker'; error: unknown };

export interface Lifetime {
  /** Resolves with the first reason to stop. */
  readonly stopped: Promise<StopReason>;
  request(reason: StopReason): void;
  /** Removes the signal and crash handlers (the output handlers stay: a late EPIPE must not crash). */
  dispose(): void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const SIGNAL_NUMBER: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** Exit status of a stop: 0 for a requested stop, 1 otherwise. */
export function exitCode(reason: StopReason): number {
  return reason.kind === 'signal' ? 0 : 1;
}

/** Exit status of a start-up cut short: 128 + the signal's number, as a shell reports it; 1 otherwise. */
export function abortedExitCode(reason: StopReason): number {
  return reason.kind === 'signal' ? 128 + (SIGNAL_NUMBER[reason.signal] ?? 1) : 1;
}

/** Describes a reason in one line for people. */
export function describe(reason: StopReason): string {
  switch (reason.kind) {
    case 'signal':
      return reason.signal;
    case 'output-closed':
      return `${reason.stream} was closed (EPIPE)`;
    case 'crash':
      return `uncaught error: ${String((reason.error as Error)?.message ?? reason.error).split('\n')[0]}`;
    case 'worker':
      return `a worker stopped: ${String((reason.error as Error)?.message ?? reason.error).split('\n')[0]}`;
  }
}

/**
 * Watches the process. `outputs` are the streams whose closing (EPIPE) means nobody reads this
 * process any more; their other errors are ignored (a log line lost is not a reason to stop).
 */
export function watchLifetime(outputs: Array<{ name: string; stream: NodeJS.EventEmitter }>): Lifetime {
  let resolve!: (r: StopReason) => void;
  let first: StopReason | undefined;
  const stopped = new Promise<StopReason>((r) => (resolve = r));
  const request = (reason: StopReason) => {
    if (first) return;
    first = reason;
    resolve(reason);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (first) process.exit(128 + (SIGNAL_NUMBER[signal] ?? 1)); // impatient: stop now
    request({ kind: 'signal', signal });
  };
  const onCrash = (error: unknown) => request({ kind: 'crash', error });
  const onOutputError = (name: string) => (err: NodeJS.ErrnoException) => {
    if (err?.code === 'EPIPE') request({ kind: 'output-closed', stream: name });
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  for (const { name, stream } of outputs) stream.on('error', onOutputError(name));
  return {
    stopped,
    request,
    dispose() {
      for (const s of SIGNALS) process.off(s, onSignal);
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
    },
  };
}
