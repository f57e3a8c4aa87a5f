// The logger interface of code that logs a few lines (channels, interactions): pino fits it, tests pass
// their own, and silentLogger drops everything.

/** A pino-compatible subset. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
