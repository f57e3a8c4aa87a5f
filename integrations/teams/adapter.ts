// Microsoft Teams through a Workflows ("When a Teams webhook request is received") webhook, with
// undici (reference/channels.md §3). The webhook URL is a bearer credential (its `sig=` parameter): it
// is resolved from its SecretRef at call time and never logged nor put in an error message.
import { request } from 'undici';
import { ApplicationFailure } from '@temporalio/common';

/** Microsoft's documented message size limit. */
export const TEAMS_MAX_BYTES = 28 * 1024;

export type Card = Record<string, unknown>;

export function envelope(card: Card): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card },
    ],
  };
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

export class TeamsAdapter {
  constructor(private readonly opts: { timeoutMs?: number } = {}) {}

  /** Posts one card; any 2xx is delivered (Workflows answer 202: accepted, rendered asynchronously). */
  async post(webhookUrl: string, card: Card, channelId: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(webhookUrl);
    } catch {
      throw ApplicationFailure.nonRetryable(
        `Teams channel ${channelId}: the webhook is not a URL`,
        'TeamsConfig',
      );
    }
    // Plain http only to a local fake; a real webhook URL is a credential and needs TLS.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
      throw ApplicationFailure.nonRetryable(
        `Teams channel ${channelId}: the webhook must be https`,
        'TeamsConfig',
      );
    }
    const body = JSON.stringify(envelope(card));
    if (Buffer.byteLength(body) >= TEAMS_MAX_BYTES) {
      throw ApplicationFailure.nonRetryable(
        `Teams channel ${channelId}: card is ${Buffer.byteLength(body)} bytes, over the 28 KB limit`,
        'TeamsTooLarge',
      );
    }
    const timeout = this.opts.timeoutMs ?? 10_000;
    let res;
    try {
      res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    } catch (err) {
      // Network errors are retried by Temporal; the message names the channel, never the URL.
      throw new Error(
        `Teams channel ${channelId}: webhook unreachable (${(err as { code?: string }).code ?? 'error'})`,
      );
    }
    await res.body.text().catch(() => '');
    const s = res.statusCode;
    if (s >= 200 && s < 300) return;
    if (s === 429 || s >= 500) {
      const retryAfter = Number(res.headers['retry-after']);
      throw ApplicationFailure.create({
        message: `Teams channel ${channelId}: webhook answered HTTP ${s}`,
        type: 'TeamsUnavailable',
        nextRetryDelay: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
      });
    }
    throw ApplicationFailure.nonRetryable(
      `Teams channel ${channelId}: webhook answered HTTP ${s}`,
      'TeamsRejected',
    );
  }
}
