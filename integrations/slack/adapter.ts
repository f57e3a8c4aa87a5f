// Slack Web API adapter (@slack/web-api v8, reference/channels.md §1.1). Posting is idempotent across
// activity retries: the posted ts is heartbeated (Progress) and, should a worker die before the
// heartbeat reached the server, the message carries the request key as message metadata so a retry
// finds it in the channel's recent history instead of posting again.
import { LogLevel, WebClient, type ChatPostMessageArguments, type KnownBlock } from '@slack/web-api';
import type { Progress } from '../progress';
import type { Block } from './blocks';
import { cap, slackText } from '../escape';

/**
 * The `text` of a message is plain text (the notification fallback, also parsed as mrkdwn): escaped
 * here, for every message, so nothing in it becomes a mention or a link. Slack's limit is 40,000.
 */
const fallback = (text: string) => cap(slackText(text), 4000);

export const METADATA_EVENT = 'nightshift_message';

export interface SlackAdapterOptions {
  token: string;
  /** Test fakes: `http://127.0.0.1:PORT/api/`. */
  apiUrl?: string;
  /** Retries inside one activity attempt; Temporal retries the activity beyond that. */
  retries?: number;
  fetch?: typeof fetch;
}

export interface SlackPosted {
  channel: string;
  ts: string;
}

export class SlackAdapter {
  readonly client: WebClient;

  constructor(opts: SlackAdapterOptions) {
    this.client = new WebClient(opts.token, {
      slackApiUrl: opts.apiUrl,
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: opts.retries ?? 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  /** The DM channel with a user (conversations.open is idempotent on Slack's side). */
  async dmChannel(userId: string): Promise<string> {
    const res = await this.client.conversations.open({ users: userId });
    const id = res.channel?.id;
    if (!id) throw new Error(`Slack conversations.open returned no channel for ${userId}`);
    return id;
  }

  /** Posts once per `step`; `fresh` is set only when this call really posted (not found again). */
  async post(
    key: string,
    progress: Progress,
    step: string,
    channel: string,
    text: string,
    blocks: Block[],
  ): Promise<SlackPosted & { fresh?: true }> {
    const done = progress.get<SlackPosted>(step);
    if (done) return done;
    if (progress.attempt > 1) {
      const found = await this.findByKey(channel, key);
      if (found) {
        progress.set(step, found);
        return found;
      }
    }
    const args: ChatPostMessageArguments = {
      channel,
      text: fallback(text),
      blocks: blocks as unknown as KnownBlock[],
      unfurl_links: false,
      unfurl_media: false,
      metadata: { event_type: METADATA_EVENT, event_payload: { key } },
    };
    const res = await this.client.chat.postMessage(args);
    const posted: SlackPosted = { channel: res.channel ?? channel, ts: String(res.ts) };
    progress.set(step, posted);
    return { ...posted, fresh: true };
  }

  /** A message this request already posted, found by its metadata in the channel's recent history. */
  async findByKey(channel: string, key: string): Promise<SlackPosted | undefined> {
    try {
      const res = await this.client.conversations.history({
        channel,
        limit: 100,
        include_all_metadata: true,
      });
      for (const m of res.messages ?? []) {
        const md = (m as { metadata?: { event_type?: string; event_payload?: { key?: string } } }).metadata;
        if (md?.event_type === METADATA_EVENT && md.event_payload?.key === key && m.ts)
          return { channel, ts: m.ts };
      }
    } catch {
      // History needs the channels:history scope; without it we rely on the heartbeat alone.
    }
    return undefined;
  }

  async update(channel: string, ts: string, text: string, blocks: Block[]): Promise<void> {
    await this.client.chat.update({
      channel,
      ts,
      text: fallback(text),
      blocks: blocks as unknown as KnownBlock[],
    });
  }

  async ephemeral(channel: string, user: string, text: string): Promise<void> {
    await this.client.chat.postEphemeral({ channel, user, text: fallback(text) });
  }
}
