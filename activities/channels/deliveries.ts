// The deliveries every channel activity is made of: post to Slack, send an email or an SMS, post to a
// Teams webhook, place a call — each idempotent by its key and progress record, and each a DRY RUN line
// when its channel has no credentials. The activities (notify.ts, ask-approval.ts, approval-resolved.ts,
// page.ts) choose which deliveries a request needs.
import { ApplicationFailure } from '@temporalio/common';
import type { ChannelIR, OrgIR, PersonIR } from '../../core/ir';
import type { ApprovalAskRequest, PostedMessage, RunRef } from '../../core/effects';
import { resolveSecret, teamsVariables, type ChannelConfig } from '../../integrations/channels-config';
import { EmailAdapter, messageIdFor } from '../../integrations/email/adapter';
import { linkUrl, signLink, voiceCallbackUrl } from '../../integrations/links';
import type { Progress } from '../../integrations/progress';
import { SlackAdapter } from '../../integrations/slack/adapter';
import type { notifyBlocks } from '../../integrations/slack/blocks';
import { TeamsAdapter } from '../../integrations/teams/adapter';
import { gatherTwiml, sayTwiml } from '../../integrations/twilio/twiml';
import { TwilioAdapter } from '../../integrations/twilio/adapter';
import { logEffect, runFields } from '../../platform/effect-log';
import { silentLogger, type Logger } from '../../platform/log';

export interface DryRunRecord {
  at: string;
  op: 'notify' | 'askApproval' | 'approvalResolved' | 'page';
  channel: PostedMessage['channel'];
  target: string;
  key: string;
  text: string;
}

export interface ChannelDeps {
  log?: Logger;
  /** Where `{env}` SecretRefs (Teams webhooks) are read, at activity time: the worker passes its environment. */
  env?: NodeJS.ProcessEnv;
  /** The organisation, for names of deciders and Teams webhooks of earlier messages. */
  org?: () => OrgIR | undefined;
  /** Injected transports (tests). */
  slackFetch?: typeof fetch;
  twilioHttpClient?: unknown;
  now?: () => Date;
  /** Every dry-run delivery, besides the log line. */
  record?: (entry: DryRunRecord) => void;
  /** Test hook: called after each real delivery step (fault injection for retry tests). */
  afterDelivery?: (step: string, key: string) => void;
}

type Kind = PostedMessage['channel'];

/** One delivery of an activity: its idempotency key, progress record and run (for the effect log). */
export interface Delivery {
  key: string;
  progress: Progress;
  run: RunRef;
}

export type Deliveries = ReturnType<typeof createDeliveries>;

export function createDeliveries(cfg: ChannelConfig, deps: ChannelDeps = {}) {
  const log = deps.log ?? silentLogger;
  const env = deps.env ?? {};
  const now = deps.now ?? (() => new Date());
  const org = deps.org ?? (() => undefined);
  const slack = cfg.slack?.botToken
    ? new SlackAdapter({
        token: cfg.slack.botToken,
        apiUrl: cfg.slack.apiUrl,
        retries: cfg.slack.retries,
        fetch: deps.slackFetch,
      })
    : undefined;
  const teams = new TeamsAdapter();
  const email = cfg.email ? new EmailAdapter(cfg.email.smtpUrl, cfg.email.from) : undefined;
  const sms = cfg.twilio
    ? new TwilioAdapter({ ...cfg.twilio, httpClient: deps.twilioHttpClient })
    : undefined;
  const ttl = cfg.linkTtlSec ?? 3600;
  const nowSec = () => Math.floor(now().getTime() / 1000);
  const done = (step: string, key: string) => deps.afterDelivery?.(step, key);

  function dryRun(
    op: DryRunRecord['op'],
    channel: Kind,
    target: string,
    key: string,
    text: string,
  ): PostedMessage {
    const entry: DryRunRecord = { at: now().toISOString(), op, channel, target, key, text };
    log.info({ op, channel, target, key }, `DRY RUN ${channel} ${op} to ${target}: ${text.slice(0, 200)}`);
    deps.record?.(entry);
    return { channel, target, dryRun: true };
  }

  function links(): { publicUrl: string; secret: string } | undefined {
    return cfg.publicUrl && cfg.linkSecret ? { publicUrl: cfg.publicUrl, secret: cfg.linkSecret } : undefined;
  }

  function personName(id: string | null): string {
    if (!id) return 'nobody';
    return org()?.people[id]?.name ?? id;
  }

  /** Which of a person's own addresses a notification or question reaches: configured channels first. */
  function personKind(p: PersonIR): 'slack' | 'email' | 'sms' {
    const have: Array<['slack' | 'email' | 'sms', boolean, boolean]> = [
      ['slack', !!p.slack, !!slack],
      ['email', !!p.email, !!email],
      ['sms', !!p.phone, !!sms],
    ];
    const live = have.find(([, addr, conf]) => addr && conf);
    const any = have.find(([, addr]) => addr);
    if (!live && !any)
      throw ApplicationFailure.nonRetryable(`person ${p.id} has no slack, email or phone`, 'NoAddress');
    return (live ?? any)![0];
  }

  function teamsUrl(channelId: string, ch: Extract<ChannelIR, { kind: 'teams' }>): string | undefined {
    return resolveSecret(ch.webhook, env);
  }

  function need<T>(value: T | undefined, what: string): T {
    if (!value) throw ApplicationFailure.nonRetryable(what, 'NoAddress');
    return value;
  }

  // -- deliveries -------------------------------------------------------------------------------

  async function slackPost(
    op: DryRunRecord['op'],
    { key, progress, run }: Delivery,
    dest: { channel?: string; user?: string },
    text: string,
    blocks: ReturnType<typeof notifyBlocks>,
  ): Promise<PostedMessage> {
    const target = dest.channel ?? dest.user!;
    if (!slack) return dryRun(op, 'slack', target, key, text);
    const channel = dest.channel ?? (await slack.dmChannel(dest.user!));
    const posted = await slack.post(key, progress, `slack:${channel}`, channel, text, blocks);
    if (posted.fresh)
      logEffect(log, { kind: 'slack.post', ...runFields(run), op, channel: posted.channel, ts: posted.ts });
    done(`slack:${channel}`, key);
    return { channel: 'slack', target: posted.channel, ref: posted.ts, dryRun: false };
  }

  async function emailSend(
    op: DryRunRecord['op'],
    { key, progress, run }: Delivery,
    addresses: string[],
    render: (address: string) => { subject: string; text: string; html: string },
    inReplyToKey?: string,
  ): Promise<PostedMessage> {
    const target = addresses.join(',');
    if (!email) return dryRun(op, 'email', target, key, render(addresses[0] ?? '').subject);
    for (const address of addresses) {
      const step = `email:${address}`;
      if (progress.get(step)) continue;
      const r = render(address);
      const messageId = messageIdFor(key, address, email.from);
      await email.send({
        to: address,
        ...r,
        messageId,
        inReplyTo: inReplyToKey ? messageIdFor(inReplyToKey, address, email.from) : undefined,
      });
      logEffect(log, { kind: 'email.send', ...runFields(run), op, to: address, messageId });
      progress.set(step, true);
      done(step, key);
    }
    // The key lets approvalResolved thread its follow-up under each original Message-ID.
    return { channel: 'email', target, ref: key, dryRun: false };
  }

  async function smsSend(op: DryRunRecord['op'], { key, progress, run }: Delivery, to: string, body: string) {
    if (!sms) return dryRun(op, 'sms', to, key, body);
    const step = `sms:${to}`;
    let sid = progress.get<string>(step);
    if (!sid) {
      sid = await sms.sms(to, body);
      logEffect(log, { kind: 'sms.send', ...runFields(run), op, to, sid });
      progress.set(step, sid);
      done(step, key);
    }
    return { channel: 'sms', target: to, ref: sid, dryRun: false } satisfies PostedMessage;
  }

  async function teamsPost(
    op: DryRunRecord['op'],
    { key, progress, run }: Delivery,
    channelId: string,
    ch: Extract<ChannelIR, { kind: 'teams' }>,
    card: Record<string, unknown>,
    summary: string,
  ): Promise<PostedMessage> {
    const url = teamsUrl(channelId, ch);
    // The ref names the env var (never the URL) so approvalResolved can post to the same channel.
    const ref = 'env' in ch.webhook ? `env:${ch.webhook.env}` : undefined;
    if (!url) {
      // Teams is live once any Teams webhook is set (teamsMode): then a missing one is an error.
      if ('env' in ch.webhook && teamsVariables(org()).some(([, name]) => env[name]))
        throw ApplicationFailure.nonRetryable(
          `${ch.webhook.env} is not set (the webhook of Teams channel '${channelId}')`,
          'TeamsConfig',
        );
      return { ...dryRun(op, 'teams', channelId, key, summary), ref };
    }
    const step = `teams:${channelId}`;
    if (!progress.get(step)) {
      await teams.post(url, card, channelId);
      // The channel id, never the webhook URL (its sig= is a credential).
      logEffect(log, { kind: 'teams.post', ...runFields(run), op, channel: channelId });
      progress.set(step, true);
      done(step, key);
    }
    return { channel: 'teams', target: channelId, ref, dryRun: false };
  }

  // -- approvals: per-person signed links ---------------------------------------------------------

  function decideLinks(
    req: ApprovalAskRequest,
    person: PersonIR,
    ch: 'email' | 'teams',
  ): { approve: string; deny: string } | undefined {
    const l = links();
    if (!l) return undefined;
    const expires = Math.floor(Date.parse(req.expiresAt) / 1000);
    // Valid until the approval expires (plus a little skew), never more than a week.
    const exp = Math.min(Number.isFinite(expires) ? expires + 300 : nowSec() + ttl, nowSec() + 7 * 86400);
    const mk = (out: 'approved' | 'denied') =>
      linkUrl(
        l.publicUrl,
        signLink(l.secret, { k: 'decide', id: req.approvalId, sub: person.id, out, exp, ch }),
      );
    return { approve: mk('approved'), deny: mk('denied') };
  }

  function approverFor(req: ApprovalAskRequest, address: string): PersonIR | undefined {
    const a = address.trim().toLowerCase();
    return req.approvers.find((p) => p.email && p.email.trim().toLowerCase() === a);
  }

  function smsQuestion(req: ApprovalAskRequest): string {
    return `Nightshift approval: ${req.question} Reply YES ${req.code} to approve or NO ${req.code} to deny.`;
  }

  function warnNoLinks(what: string): void {
    if (!links())
      log.warn(
        { what },
        `${what}: NIGHTSHIFT_PUBLIC_URL and NIGHTSHIFT_LINK_SECRET are needed for signed links`,
      );
  }

  /**
   * A call that reads `say` and gathers one keypress; the callback URL carries a signed token naming the
   * approval or page and the callee, so only that person's keypress on that call counts.
   */
  async function voiceCall(
    op: 'askApproval' | 'page',
    { key, progress, run }: Delivery,
    p: PersonIR,
    o: { id: string; q: 'approval' | 'page'; say: string; prompt: string; fallback: string; exp: number },
  ): Promise<PostedMessage> {
    const to = need(p.phone, `person ${p.id} has no phone for a call`);
    const l = links();
    let twiml: string;
    if (l) {
      const token = signLink(l.secret, { k: 'voice', id: o.id, sub: p.id, q: o.q, tel: to, exp: o.exp });
      twiml = gatherTwiml({ say: o.say, action: voiceCallbackUrl(l.publicUrl, token), prompt: o.prompt });
    } else {
      warnNoLinks(`voice ${o.q} ${o.id}`);
      twiml = sayTwiml(`${o.say} ${o.fallback}`);
    }
    if (!sms) return dryRun(op, 'voice', to, key, o.say);
    const step = `voice:${to}`;
    let sid = progress.get<string>(step);
    if (!sid) {
      sid = await sms.call(to, twiml);
      logEffect(log, { kind: 'voice.call', ...runFields(run), op, to, sid });
      progress.set(step, sid);
      done(step, key);
    }
    return { channel: 'voice', target: to, ref: sid, dryRun: false };
  }

  return {
    cfg,
    log,
    env,
    now,
    org,
    slack,
    teams,
    email,
    sms,
    ttl,
    nowSec,
    done,
    dryRun,
    links,
    personName,
    personKind,
    teamsUrl,
    need,
    slackPost,
    emailSend,
    smsSend,
    teamsPost,
    decideLinks,
    approverFor,
    smsQuestion,
    warnNoLinks,
    voiceCall,
  };
}
