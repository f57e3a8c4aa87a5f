// Inbound interactions: Slack button clicks, Twilio SMS replies and keypresses, signed approval links.
// Every request is authenticated on its raw bytes first (Slack signing secret, X-Twilio-Signature,
// link HMAC), the actor is mapped to a person of nightshift.yaml, and the answer is submitted as the
// run's Update, whose validator decides. Refusals change nothing and say why.
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { OrgIR } from '../../core/ir';
import { silentLogger, type Logger } from '../../platform/log';
import { type ChannelConfig } from '../../integrations/channels-config';
import { slackRoutes } from './slack';
import { twilioRoutes } from './twilio';
import { linkRoutes } from './links';
import { createMetrics, type Metrics } from '../../platform/metrics';
import { SmsLockout, type SmsLockoutOptions } from './sms-lockout';
import { FORM, SLACK_BODY_LIMIT, type ResolvedDeps } from './deps';

export { rawForm, SLACK_BODY_LIMIT, TWILIO_BODY_LIMIT, LINK_BODY_LIMIT } from './deps';

export interface InteractionDeps {
  client: Client;
  org: () => OrgIR;
  cfg: ChannelConfig;
  log?: Logger;
  /** Clock for signature windows and link expiry (tests). */
  now?: () => Date;
  /** Counters of wrong SMS codes and lockouts (a registry of its own when absent). */
  metrics?: Metrics;
  /** Limits of wrong SMS codes per number (defaults: 5 in 15 minutes, locked 15 minutes). */
  smsLockout?: SmsLockoutOptions;
}

export async function interactionRoutes(app: FastifyInstance, deps: InteractionDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const d: ResolvedDeps = {
    client: deps.client,
    org: deps.org,
    cfg: deps.cfg,
    log: deps.log ?? silentLogger,
    nowSec: () => Math.floor(now().getTime() / 1000),
    metrics: deps.metrics ?? createMetrics(),
    // One per server process: the limit holds across its requests (per replica; sms-lockout.ts).
    smsLockout: new SmsLockout(deps.smsLockout),
  };
  // Signatures are computed over the exact bytes received: keep form bodies as raw strings here
  // (encapsulated: the rest of the server keeps its own parsers).
  if (app.hasContentTypeParser(FORM)) app.removeContentTypeParser(FORM);
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: SLACK_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );
  await slackRoutes(app, d);
  await twilioRoutes(app, d);
  await linkRoutes(app, d);
}
