// What people read: one escaper per channel format. Messages are plain text — a playbook's words with
// detection values (device names, titles, users, file names) filled in — so every channel shows them
// literally: nothing in a detection can become a mention, a link, markup or a different spoken prompt.
// Each escaper starts from `plainText`, which makes invisible and reordering characters visible.

/**
 * C0/C1 controls (but tab and newline), and the Unicode format characters that hide or reorder text:
 * bidi embeddings/overrides/isolates ("invoice\u202Egpj.exe" shows as "invoiceexe.jpg"), zero-width
 * characters, line/paragraph separators and BOM. XML 1.0 also forbids most C0 controls.
 */
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Hidden and control characters → U+FFFD (visible, inert); CR LF → LF. */
export function plainText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(HIDDEN, '\ufffd');
}

/** One line (email subjects, SMS, speech): newlines and tabs become spaces. */
export function oneLine(text: string): string {
  return plainText(text).replace(/\s*[\n\t]\s*/g, ' ');
}

/**
 * Slack mrkdwn and the `text` fallback: `&`, `<`, `>` are Slack's control characters (`<!channel>`,
 * `<@U…>`, `<https://x|label>`); escaped as HTML entities they show as typed (Slack "Escaping text").
 */
export function slackText(text: string): string {
  return plainText(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Adaptive Card TextBlock and Fact text: a CommonMark subset (bold, italic, lists, `[label](url)` links).
 * Every character that opens a construct is backslash-escaped (CommonMark allows it before any ASCII
 * punctuation), and so are list markers at the start of a line.
 */
export function teamsText(text: string): string {
  return plainText(text)
    .replace(/[\\`*_{}[\]()<>#|~!&]/g, '\\$&')
    .replace(/^(\s*)([-+]|\d+[.)])(?=\s|$)/gm, (_m, sp: string, marker: string) =>
      marker.length === 1 ? `${sp}\\${marker}` : `${sp}${marker.slice(0, -1)}\\${marker.slice(-1)}`,
    );
}

/** HTML text and attribute values (email bodies, link pages). */
export function htmlText(text: string): string {
  return plainText(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const EXACT = new RegExp(`[&<>"'\\r\\n]|${HIDDEN.source}`, 'g');

/**
 * An HTML attribute value that must come back exactly as it was (a form field carrying an id): the HTML
 * specials, line breaks and the hidden characters as character references, which a browser decodes back
 * and never shows. (htmlText would make the hidden ones visible, so the field would post another value.)
 */
export function htmlAttrExact(text: string): string {
  return text.replace(EXACT, (c) => `&#${c.charCodeAt(0)};`);
}

/** SMS bodies: plain text on one line. */
export function smsText(text: string): string {
  return oneLine(text);
}

/**
 * What a call says: one line of plain text. The TwiML serialiser XML-escapes it, so nothing in it can
 * become a verb (<Gather>, <Redirect>, <Play>) or SSML; this only keeps characters XML cannot carry out.
 */
export function spokenText(text: string): string {
  return oneLine(text);
}

/** At most `n` characters (an ellipsis marks the cut). */
export function cap(text: string, n: number): string {
  return text.length <= n ? text : text.slice(0, n - 1) + '…';
}
