// Server-rendered HTML with escaping by default: every value put into an `html` template is escaped
// (text and attribute values alike) unless it is itself `html`. Detection text is hostile input — a
// device named `<img onerror=…>` must show as typed — so nothing of ours concatenates strings into
// markup by hand.
import { htmlAttrExact, htmlText } from '../integrations/escape';

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function part(v: Part): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(part).join('');
  return htmlText(String(v));
}

/** A template whose interpolations are escaped (arrays are joined; null, undefined and false are empty). */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1];
  return new Html(out);
}

/** A form field's value that must be posted back exactly (an id from a detection): see htmlAttrExact. */
export function exact(value: string): Html {
  return new Html(htmlAttrExact(value));
}

/** Markup we wrote ourselves (never text from a detection, a playbook or a person). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** A query string from parameters (values percent-encoded; empty ones left out). */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
