// Minimal HTML pages of the approval links: no script, nothing loaded from elsewhere.

import { htmlText } from '../../integrations/escape';

/** HTML escaping of text that is not ours (one escaper per format: integrations/escape.ts). */
export const esc = htmlText;

export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

export function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><meta name="viewport" content="width=device-width"><title>${esc(title)}</title><style>body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}button{font-size:1.1em;padding:.5em 1.2em}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}
