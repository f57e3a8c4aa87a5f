// The ChannelActivities the interpreter calls (activities/contracts.ts), routing each Recipient to the
// Slack, Teams, email or Twilio adapter. A channel without credentials gets a dry-run adapter that
// records and logs "DRY RUN" and returns `dryRun: true`.
//
// Idempotency (design principle 3): every delivery of an activity is a named step in a Progress record
// that is heartbeated right after the step succeeds. A retried attempt reads the last heartbeat
// (activityInfo().heartbeatDetails) and skips what is already done, so a retry never posts twice.
// Slack messages also carry the key as message metadata (found again if the heartbeat was lost) and
// email Message-IDs are derived from the key.
import { activityInfo, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ChannelIR, OrgIR, PersonIR, SecretRef } from '../compiler/ir';
import type {
  ApprovalAskRequest,
  ApprovalResolvedRequest,
  ChannelActivities,
  NotifyRequest,
  PageRequest,
  PostedMessage,
  Recipient,
  RunRef,
} from './contracts';
import { signLink, linkUrl, voiceCallbackUrl } from '../server/links';
import { SlackAdapter } from './slack/adapter';
import { approvalBlocks, decisionText, esc, notifyBlocks, pageBlocks, resolvedBlocks } from './slack/blocks';
import { TeamsAdapter } from './teams/adapter';
import { approvalCard, notifyCard, resolvedCard, type ApproverLinks } from './teams/cards';
import { EmailAdapter, messageIdFor } from './email/adapter';
import { approvalEmail, notifyEmail, pageEmail, resolvedEmail } from './email/render';
import { TwilioAdapter, type TwilioAdapterOptions } from './twilio/adapter';
import { gatherTwiml, sayTwiml } from './twilio/twiml';
import { logEffect, runFields } from './effect-log';

/** pino-compatible subset. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export interface ChannelConfig {
  /** Public base URL of this server: signed links and Twilio callbacks (NIGHTSHIFT_PUBLIC_URL). */
  publicUrl?: string;
  /** HMAC key of signed links and voice tokens (NIGHTSHIFT_LINK_SECRET), ≥ 32 random bytes. */
  linkSecret?: string;
  slack?: { botToken?: string; signingSecret?: string; apiUrl?: string; retries?: number };
  twilio?: Omit<TwilioAdapterOptions, 'httpClient'> & {
    /** Key of X-Twilio-Signature: the auth token unless Twilio signs with a key you manage. */
    webhookKey?: string;
  };

  email?: { smtpUrl: string; from: string };
  /** Lifetime of page acknowledgement links and voice tokens (seconds). */
  linkTtlSec?: number;
}

/** A channel setting that cannot work: one line naming the variable (and the channel), never a value. */
export class ChannelConfigError extends Error {
  override name = 'ChannelConfigError';
}

/** Signed links and voice tokens need at least this many bytes of key (reference/channels.md §4.3). */
export const MIN_LINK_SECRET_BYTES = 32;

const TWILIO_VARS = [
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_API_KEY',
  'TWILIO_API_SECRET',
  'TWILIO_FROM',
  'TWILIO_WEBHOOK_KEY',
] as const;

function missing(names: string[], what: string): ChannelConfigError {
  const list = names.length === 1 ? `${names[0]} is` : `${names.join(', ')} are`;
  return new ChannelConfigError(`${list} not set: ${what}.`);
}

/**
 * The channels of this process, from the environment. A channel fully unset runs dry; one set only in
 * part would fail later (buttons whose clicks get 503, texts never sent), so it is refused here, at
 * start, naming what is missing.
 */
export function channelConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ChannelConfig {
  const get = (name: string) => env[name]?.trim() || undefined;
  const cfg: ChannelConfig = {};

  const publicUrl = get('NIGHTSHIFT_PUBLIC_URL');
  if (publicUrl) {
    let u: URL | undefined;
    try {
      u = new URL(publicUrl);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || u.search || u.hash || u.username)
      throw new ChannelConfigError(
        'NIGHTSHIFT_PUBLIC_URL must be the http(s) base URL people and Twilio reach this server at, like https://soar.example (no query, no credentials).',
      );
    cfg.publicUrl = publicUrl.replace(/\/+$/, '');
  }
  const linkSecret = get('NIGHTSHIFT_LINK_SECRET');
  if (linkSecret) {
    const bytes = Buffer.byteLength(linkSecret);
    if (bytes < MIN_LINK_SECRET_BYTES)
      throw new ChannelConfigError(
        `NIGHTSHIFT_LINK_SECRET is ${bytes} bytes; at least ${MIN_LINK_SECRET_BYTES} are needed, or signed links could be forged by guessing (openssl rand -base64 48).`,
      );
    cfg.linkSecret = linkSecret;
  }
  const ttl = get('NIGHTSHIFT_LINK_TTL');
  if (ttl) {
    const n = Number(ttl);
    if (!Number.isInteger(n) || n < 60 || n > 7 * 86400)
      throw new ChannelConfigError(
        `NIGHTSHIFT_LINK_TTL="${ttl}" must be whole seconds from 60 to 604800 (7 days).`,
      );
    cfg.linkTtlSec = n;
  }

  const botToken = get('SLACK_BOT_TOKEN');
  const signingSecret = get('SLACK_SIGNING_SECRET');
  if (botToken && !signingSecret)
    throw missing(
      ['SLACK_SIGNING_SECRET'],
      'SLACK_BOT_TOKEN is set, and without the signing secret every click on an Approve button would be refused (503)',
    );
  if (signingSecret && !botToken)
    throw missing(
      ['SLACK_BOT_TOKEN'],
      'SLACK_SIGNING_SECRET is set, and without the bot token nothing can be posted to Slack',
    );
  if (botToken && signingSecret) cfg.slack = { botToken, signingSecret, apiUrl: get('SLACK_API_URL') };

  if (TWILIO_VARS.some((n) => get(n))) {
    const sid = get('TWILIO_ACCOUNT_SID');
    const authToken = get('TWILIO_AUTH_TOKEN');
    const apiKey = get('TWILIO_API_KEY');
    const apiSecret = get('TWILIO_API_SECRET');
    const from = get('TWILIO_FROM');
    const webhookKey = get('TWILIO_WEBHOOK_KEY') ?? authToken;
    const need: string[] = [];
    if (!sid) need.push('TWILIO_ACCOUNT_SID');
    if (!from) need.push('TWILIO_FROM');
    if (!authToken && !apiKey) need.push('TWILIO_AUTH_TOKEN');
    if (apiKey && !apiSecret) need.push('TWILIO_API_SECRET');
    if (apiSecret && !apiKey) need.push('TWILIO_API_KEY');
    if (!webhookKey && !need.includes('TWILIO_AUTH_TOKEN'))
      need.push('TWILIO_AUTH_TOKEN or TWILIO_WEBHOOK_KEY');
    if (need.length)
      throw missing(
        need,
        'Twilio is configured in part; SMS and calls need the account, a credential, the sending number and the key Twilio signs webhooks with',
      );
    if (!/^AC[0-9a-f]{32}$/i.test(sid!))
      throw new ChannelConfigError(
        'TWILIO_ACCOUNT_SID must be an account SID: AC followed by 32 hex digits.',
      );
    if (!/^\+[1-9]\d{6,14}$/.test(from!))
      throw new ChannelConfigError('TWILIO_FROM must be an E.164 number, like +15555550100.');
    cfg.twilio = {
      accountSid: sid!,
      authToken,
      apiKey,
      apiSecret,
      from: from!,
      apiBase: get('TWILIO_API_BASE'),
      webhookKey,
    };
  }

  const smtpUrl = get('SMTP_URL');
  const emailFrom = get('EMAIL_FROM');
  if (smtpUrl && !emailFrom)
    throw missing(['EMAIL_FROM'], 'SMTP_URL is set, and mail needs a sender address');
  if (emailFrom && !smtpUrl)
    throw missing(
      ['SMTP_URL'],
      'EMAIL_FROM is set, and mail needs an SMTP server (smtps://user:pass@host:465)',
    );
  if (smtpUrl && emailFrom) {
    // The URL holds the SMTP password: it is checked, never echoed.
    if (!/^smtps?:\/\/[^\s/]/.test(smtpUrl))
      throw new ChannelConfigError('SMTP_URL must be an smtp:// or smtps:// URL (its value is not shown).');
    cfg.email = { smtpUrl, from: emailFrom };
  }
  return cfg;
}

/** The env variables of the Teams channels of an organisation, by channel id. */
function teamsVariables(org: OrgIR | undefined): Array<[string, string]> {
  return Object.entries(org?.channels ?? {}).flatMap(([id, ch]): Array<[string, string]> =>
    ch.kind === 'teams' && 'env' in ch.webhook ? [[id, ch.webhook.env]] : [],
  );
}

/**
 * Teams channels run dry when none of their webhook variables is set (nothing configured yet, like the
 * other channels). Once one is set, Teams is live and a channel whose variable is unset is an error
 * naming the variable and the channel, not a silent dry run.
 */
export function teamsMode(org: OrgIR | undefined, env: NodeJS.ProcessEnv): 'live' | 'dry-run' | 'none' {
  const vars = teamsVariables(org);
  if (vars.length === 0) return 'none';
  const unset = vars.filter(([, name]) => !env[name]);
  if (unset.length === vars.length) return 'dry-run';
  if (unset.length)
    throw new ChannelConfigError(
      unset.map(([id, name]) => `${name} is not set (the webhook of Teams channel '${id}')`).join('; ') +
        ': set it, or remove the channel from nightshift.yaml.',
    );
  return 'live';
}

/** One line per channel for the start-up banner: live or DRY RUN, and why. */
export function channelModes(cfg: ChannelConfig, org: OrgIR | undefined, env: NodeJS.ProcessEnv): string[] {
  const teams = teamsMode(org, env);
  const teamsIds = teamsVariables(org).map(([id]) => id);
  return [
    `Slack: ${cfg.slack ? 'live' : 'DRY RUN (no SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)'}`,
    `SMS and voice (Twilio): ${cfg.twilio ? 'live' : 'DRY RUN (no TWILIO_* credentials)'}`,
    `Email: ${cfg.email ? 'live' : 'DRY RUN (no SMTP_URL, EMAIL_FROM)'}`,
    ...(teams === 'none'
      ? []
      : [
          `Teams: ${
            teams === 'live'
              ? `live (${teamsIds.join(', ')})`
              : `DRY RUN (${teamsVariables(org)
                  .map(([, n]) => n)
                  .join(', ')} unset)`
          }`,
        ]),
  ];
}

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
  /** Where `{env}` SecretRefs are read, at activity time (default process.env). */
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

// ---------------------------------------------------------------------------------------------
// Idempotency

export interface Progress {
  readonly attempt: number;
  get<T>(step: string): T | undefined;
  set(step: string, value: unknown): void;
}

interface ProgressDetails {
  key: string;
  steps: Record<string, unknown>;
}

export function progressFor(key: string): Progress {
  let info: ReturnType<typeof activityInfo> | undefined;
  try {
    info = activityInfo();
  } catch {
    info = undefined; // called outside an activity (unit tests, simulate)
  }
  const steps: Record<string, unknown> = {};
  const last = info?.heartbeatDetails as ProgressDetails | undefined;
  if (last && last.key === key && last.steps) Object.assign(steps, last.steps);
  return {
    attempt: info?.attempt ?? 1,
    get: <T>(step: string) => steps[step] as T | undefined,
    set(step, value) {
      steps[step] = value;
      if (info) heartbeat({ key, steps } satisfies ProgressDetails);
    },
  };
}

export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv): string | undefined {
  return 'env' in ref ? env[ref.env] || undefined : ref.value || undefined;
}

// ---------------------------------------------------------------------------------------------

type Kind = PostedMessage['channel'];

/** One delivery of an activity: its idempotency key, progress record and run (for the effect log). */
interface Delivery {
  key: string;
  progress: Progress;
  run: RunRef;
}

export function createChannelActivities(cfg: ChannelConfig, deps: ChannelDeps = {}): ChannelActivities {
  const log = deps.log ?? silentLogger;
  const env = deps.env ?? process.env;
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

  // -- the activities ----------------------------------------------------------------------------

  async function notify(req: NotifyRequest): Promise<PostedMessage> {
    const progress = progressFor(req.key);
    const at: Delivery = { key: req.key, progress, run: req.run };
    const text = req.title ? `${req.title}: ${req.message}` : req.message;
    const to = req.to;
    if (to.type === 'channel') {
      const ch = to.channel;
      if (ch.kind === 'slack')
        return slackPost(
          'notify',
          at,
          { channel: ch.channel },
          text,
          notifyBlocks(req.run, req.message, req.title),
        );
      if (ch.kind === 'teams')
        return teamsPost('notify', at, to.id, ch, notifyCard(req.run, req.message, req.title), text);
      return emailSend('notify', at, ch.to, () => notifyEmail(req.run, req.message, req.title));
    }
    const p = to.person;
    switch (personKind(p)) {
      case 'slack':
        return slackPost(
          'notify',
          at,
          { user: p.slack },
          text,
          notifyBlocks(req.run, req.message, req.title),
        );
      case 'email':
        return emailSend('notify', at, [p.email!], () => notifyEmail(req.run, req.message, req.title));
      case 'sms':
        return smsSend('notify', at, p.phone!, `Nightshift: ${text}`);
    }
  }

  async function askApproval(req: ApprovalAskRequest): Promise<PostedMessage> {
    const progress = progressFor(req.key);
    const at: Delivery = { key: req.key, progress, run: req.run };
    const mentions =
      req.approvers.map((p) => (p.slack ? `<@${p.slack}>` : esc(p.name))).join(', ') || 'nobody';
    const blocks = approvalBlocks({
      run: req.run,
      approvalId: req.approvalId,
      question: req.question,
      code: req.code,
      approvers: mentions,
      expiresAt: req.expiresAt,
    });
    const text = `Approval needed: ${req.question}`;
    const mailFor = (address: string, person?: PersonIR) => () => {
      const who = person ?? approverFor(req, address);
      const isApprover = !!who && req.approvers.some((a) => a.id === who.id);
      return approvalEmail({
        run: req.run,
        question: req.question,
        code: req.code,
        expiresAt: req.expiresAt,
        approver: isApprover,
        links: isApprover ? decideLinks(req, who, 'email') : undefined,
      });
    };
    const to: Recipient = req.to;
    if (to.type === 'channel') {
      const ch = to.channel;
      if (ch.kind === 'slack') return slackPost('askApproval', at, { channel: ch.channel }, text, blocks);
      if (ch.kind === 'teams') {
        warnNoLinks(`Teams approval ${req.approvalId}`);
        const approverLinks: ApproverLinks[] = req.approvers.slice(0, 10).flatMap((p) => {
          const l = decideLinks(req, p, 'teams');
          return l ? [{ name: p.name, ...l }] : [];
        });
        const card = approvalCard({
          run: req.run,
          question: req.question,
          code: req.code,
          expiresAt: req.expiresAt,
          links: approverLinks,
        });
        return teamsPost('askApproval', at, to.id, ch, card, text);
      }
      warnNoLinks(`email approval ${req.approvalId}`);
      return emailSend('askApproval', at, ch.to, (address) => mailFor(address)());
    }
    const p = to.person;
    switch (req.via ?? personKind(p)) {
      case 'voice':
        return voiceCall('askApproval', at, p, {
          id: req.approvalId,
          q: 'approval',
          say: `Nightshift approval needed. ${req.question}`,
          prompt: 'Press 1 to approve. Press 2 to deny.',
          fallback: `Reply YES ${req.code.split('').join(' ')} or NO ${req.code.split('').join(' ')} by text message.`,
          // The call's token lives as long as the approval (plus a little for a late keypress).
          exp: Math.min(Math.floor(Date.parse(req.expiresAt) / 1000) + 300, nowSec() + 7 * 86400),
        });
      case 'slack':
        return slackPost(
          'askApproval',
          at,
          { user: need(p.slack, `person ${p.id} has no slack id`) },
          text,
          blocks,
        );
      case 'email': {
        const address = need(p.email, `person ${p.id} has no email`);
        warnNoLinks(`email approval ${req.approvalId}`);
        return emailSend('askApproval', at, [address], mailFor(address, p));
      }
      case 'sms':
        return smsSend('askApproval', at, need(p.phone, `person ${p.id} has no phone`), smsQuestion(req));
    }
  }

  async function approvalResolved(req: ApprovalResolvedRequest): Promise<void> {
    const progress = progressFor(req.key);
    const decider = req.decision.decidedBy ? org()?.people[req.decision.decidedBy] : undefined;
    const plainText = decisionText(req.decision, personName(req.decision.decidedBy));
    const slackWho = decider?.slack
      ? `<@${decider.slack}> (${esc(decider.name)})`
      : esc(personName(req.decision.decidedBy));
    const failures: Error[] = [];
    const op = 'approvalResolved';
    for (const [i, m] of req.messages.entries()) {
      const step = `resolved:${i}`;
      if (progress.get(step)) continue;
      try {
        if (m.dryRun) {
          dryRun('approvalResolved', m.channel, m.target, req.key, `${plainText}: ${req.question}`);
        } else if (m.channel === 'slack' && slack && m.ref) {
          const blocks = resolvedBlocks({
            approvalId: req.approvalId,
            question: req.question,
            decision: req.decision,
            who: slackWho,
          });
          await slack.update(m.target, m.ref, `${plainText}: ${req.question}`, blocks);
          logEffect(log, { kind: 'slack.update', ...runFields(req.run), op, channel: m.target, ts: m.ref });
        } else if (m.channel === 'teams') {
          const ch = org()?.channels[m.target];
          const envName = m.ref?.startsWith('env:') ? m.ref.slice(4) : undefined;
          const url = envName
            ? env[envName]
            : ch?.kind === 'teams'
              ? resolveSecret(ch.webhook, env)
              : undefined;
          if (url) {
            await teams.post(url, resolvedCard(req.question, req.decision, plainText), m.target);
            logEffect(log, { kind: 'teams.post', ...runFields(req.run), op, channel: m.target });
          } else log.warn({ channel: m.target }, 'Teams decision not posted: webhook of the channel unknown');
        } else if (m.channel === 'email' && email && m.ref) {
          for (const address of m.target.split(',').filter(Boolean)) {
            const sub = `${step}:${address}`;
            if (progress.get(sub)) continue;
            const messageId = messageIdFor(req.key, address, email.from);
            await email.send({
              to: address,
              ...resolvedEmail(req.run, req.question, plainText),
              messageId,
              inReplyTo: messageIdFor(m.ref, address, email.from),
            });
            logEffect(log, { kind: 'email.send', ...runFields(req.run), op, to: address, messageId });
            progress.set(sub, true);
          }
        } else if (m.channel === 'sms' && sms) {
          const sid = await sms.sms(
            m.target,
            `Nightshift: ${plainText} at ${req.decision.decidedAt}: ${req.question}`,
          );
          logEffect(log, { kind: 'sms.send', ...runFields(req.run), op, to: m.target, sid });
        }
        // voice: a call cannot be edited; nothing to show.
        progress.set(step, true);
        done(step, req.key);
      } catch (err) {
        // A message that cannot be updated (deleted, too old) must not hide the decision elsewhere.
        log.warn(
          { channel: m.channel, target: m.target, err: (err as Error).message },
          'could not show the decision',
        );
        if (!(err instanceof ApplicationFailure && err.nonRetryable) && !isSlackPlatformError(err))
          failures.push(err as Error);
      }
    }
    if (failures.length) throw failures[0];
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

  async function page(req: PageRequest): Promise<PostedMessage> {
    const progress = progressFor(req.key);
    const at: Delivery = { key: req.key, progress, run: req.run };
    const p = req.person;
    const l = links();
    // Each channel says how to acknowledge (with the code, a button, a link, a keypress).
    const message = withoutAckHint(req.message);
    switch (req.via) {
      case 'sms':
        return smsSend(
          'page',
          at,
          need(p.phone, `person ${p.id} has no phone for an SMS page`),
          `Nightshift PAGE: ${message} Reply ACK ${req.code} to acknowledge.`,
        );
      case 'voice':
        return voiceCall('page', at, p, {
          id: req.pageId,
          q: 'page',
          say: `Nightshift page. ${message}`,
          prompt: 'Press 1 to acknowledge.',
          fallback: `Reply A C K ${req.code.split('').join(' ')} by text message to acknowledge.`,
          exp: nowSec() + ttl,
        });
      case 'slack':
        return slackPost(
          'page',
          at,
          { user: need(p.slack, `person ${p.id} has no Slack user id`) },
          `PAGE: ${message}`,
          pageBlocks(req.run, req.pageId, message, req.code),
        );
      case 'email': {
        const address = need(p.email, `person ${p.id} has no email address`);
        const ackUrl = l
          ? linkUrl(
              l.publicUrl,
              signLink(l.secret, {
                k: 'ack',
                id: req.pageId,
                sub: p.id,
                out: 'ack',
                exp: nowSec() + ttl,
                ch: 'email',
              }),
            )
          : undefined;
        return emailSend('page', at, [address], () => pageEmail(req.run, message, req.code, ackUrl));
      }
    }
  }

  return { notify, askApproval, approvalResolved, page };
}

/**
 * A page message without its own closing "Reply ACK." (the example playbooks end so): every channel
 * adds how to acknowledge, with the code, so the instruction reads once ("Reply ACK 7757").
 */
export function withoutAckHint(message: string): string {
  const m = /^([\s\S]*?)[\s.,;:-]*\breply\s+ack\b\s*[.!]?\s*$/i.exec(message);
  if (!m || !m[1].trim()) return message;
  return /[.!?]$/.test(m[1]) ? m[1] : `${m[1]}.`;
}

function isSlackPlatformError(err: unknown): boolean {
  return (err as { code?: string })?.code === 'slack_webapi_platform_error';
}

/** Exposed for messages built outside the activities (e.g. the interactions server). */
export function describeRun(run: RunRef): string {
  return `${run.playbook} v${run.playbookVersion} / ${run.stepId}`;
}
