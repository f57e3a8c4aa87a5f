// The channels of this process (Slack, Twilio, email, Teams, signed links), from the environment. A
// channel fully unset runs dry; one set only in part is refused at start, naming what is missing.
import type { OrgIR, SecretRef } from '../core/ir';
import { ConfigError } from '../platform/config/settings';
import { readVar, type Env, type VariableName } from '../platform/config/variables';
import type { TwilioAdapterOptions } from './twilio/adapter';

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
export class ChannelConfigError extends ConfigError {
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
export function channelConfigFromEnv(env: Env): ChannelConfig {
  const get = (name: VariableName) => readVar(env, name)?.trim() || undefined;
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
export function teamsVariables(org: OrgIR | undefined): Array<[string, string]> {
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

/** The value of a secret of nightshift.yaml: its environment variable, or the literal. */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv): string | undefined {
  return 'env' in ref ? env[ref.env] || undefined : ref.value || undefined;
}
