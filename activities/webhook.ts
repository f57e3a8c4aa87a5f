// The `webhook` step: one HTTP request to a URL written in the playbook, with bounded time and size.
import { ApplicationFailure } from '@temporalio/activity';
import { request } from 'undici';
import type { WebhookRequest, WebhookResult } from '../core/effects';

/** Largest response body kept in the step result (it is stored in workflow history). */
export const MAX_WEBHOOK_RESPONSE_BYTES = 256 * 1024;

export async function webhook(req: WebhookRequest): Promise<WebhookResult> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw ApplicationFailure.nonRetryable(`webhook URL "${req.url}" is not a valid URL`, 'WebhookBadUrl');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw ApplicationFailure.nonRetryable(
      `webhook URL must be http(s), not ${url.protocol}`,
      'WebhookBadUrl',
    );
  }
  const hasBody = req.body !== undefined && req.method !== 'GET';
  const res = await request(url, {
    method: req.method as 'POST',
    headers: {
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      'idempotency-key': req.key,
      ...req.headers,
    },
    body: hasBody ? JSON.stringify(req.body) : undefined,
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_WEBHOOK_RESPONSE_BYTES) {
      res.body.destroy();
      break;
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  // 5xx and 429 are worth retrying; other answers are the result the playbook sees.
  if (res.statusCode >= 500 || res.statusCode === 429) {
    throw ApplicationFailure.retryable(
      `webhook ${url.host} answered HTTP ${res.statusCode}`,
      'WebhookServerError',
    );
  }
  let body: unknown = text;
  if (String(res.headers['content-type'] ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON after all: keep the text.
    }
  }
  return { httpStatus: res.statusCode, body };
}
