// Every patch id the workflows take with patched(), each with the history in test/replay/ recorded WITH
// it: replaying that history proves the new path deterministic, while the histories recorded before the
// patch keep proving the old one.
// A test (test/unit/workflows/patches.test.ts) checks that every patched('…') in the code is listed
// here, that its history exists and that the history carries the patch's marker. A new patch: an
// entry here, and a history recorded with it (README "Tests").
import { CONCURRENT_DEVICES_PATCH } from '../engine/concurrency';
import { INCIDENT_READ_PATCH, MACHINE_RESOLUTION_PATCH } from '../engine/mde';

export const PATCHES = {
  /** Per-device Defender steps act on their devices concurrently (before: one by one). The engine asks. */
  concurrentDevices: { id: CONCURRENT_DEVICES_PATCH, history: 'concurrent-devices.json' },
  /** The blast-radius reservation as a local activity (before: a normal activity). */
  blastRadiusLocalActivity: {
    id: 'blast-radius-local-activity',
    history: 'night-ack-local-reservation.json',
  },
  /** Runs ask the blast-radius entity by signal and are answered by signal (before: Updates via an activity). */
  blastRadiusSignals: { id: 'blast-radius-signals', history: 'night-ack-signal-reservation.json' },
  /** NightshiftPendingCodes also lists answered codes as `answered:CODE`. */
  answeredCodesAttribute: { id: 'answered-codes-attribute', history: 'answered-code.json' },
  /** Per-device Defender steps act on the machine the lookup found (before: the detection's id). The engine asks. */
  machineResolution: { id: MACHINE_RESOLUTION_PATCH, history: 'hash-sweep.json' },
  /** The run reads its Defender incidents into its state (before: not read). The engine asks. */
  incidentRead: { id: INCIDENT_READ_PATCH, history: 'hash-sweep.json' },
  /** NightshiftOutcome is set when the run finishes. */
  outcomeSearchAttribute: { id: 'outcome-search-attribute', history: 'attach-update.json' },
} as const;

export type PatchId = (typeof PATCHES)[keyof typeof PATCHES]['id'];
