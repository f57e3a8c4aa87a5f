// A record of the delivery steps an activity has done, kept across its retries (activities/channels/
// progress.ts keeps it in heartbeat details): an adapter that posts checks it first and records after.

export interface Progress {
  readonly attempt: number;
  get<T>(step: string): T | undefined;
  set(step: string, value: unknown): void;
}
