// What every interaction route is given (resolved from InteractionDeps by index.ts), and the raw form
// body they verify signatures over.
import type { Client } from '@temporalio/client';
import type { OrgIR } from '../../core/ir';
import type { ChannelConfig } from '../../integrations/channels-config';
import type { Logger } from '../../platform/log';
import type { Metrics } from '../../platform/metrics';
import type { SmsLockout } from './sms-lockout';

export interface ResolvedDeps {
  client: Client;
  org: () => OrgIR;
  cfg: ChannelConfig;
  metrics: Metrics;
  log: Logger;
  nowSec: () => number;
  smsLockout: SmsLockout;
}

/** Slack interaction payloads echo the message's blocks; 256 KB is ample. */
export const SLACK_BODY_LIMIT = 256 * 1024;
export const TWILIO_BODY_LIMIT = 64 * 1024;
export const LINK_BODY_LIMIT = 4 * 1024;

export const FORM = 'application/x-www-form-urlencoded';

/**
 * The raw body of a form post, or undefined when the request is not
 * `application/x-www-form-urlencoded` (Slack and Twilio post nothing else). Fastify's default text/plain
 * parser also yields a string, so the media type itself is checked: anything else is a 415.
 */
export function rawForm(req: { body: unknown; headers: Record<string, unknown> }): string | undefined {
  const header = req.headers['content-type'];
  const type = (typeof header === 'string' ? header : '').split(';')[0].trim().toLowerCase();
  return type === FORM && typeof req.body === 'string' ? req.body : undefined;
}
