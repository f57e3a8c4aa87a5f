// Hardened YAML parsing with positions. Playbooks are untrusted input: size, aliases, tags and duplicate
// keys are bounded or refused before anything else looks at them.
import { LineCounter, parseDocument, visit, isNode, isAlias } from 'yaml';
import type { Document, Node } from 'yaml';
import { Reporter } from './diagnostics';

export const MAX_FILE_BYTES = 256 * 1024;
export const MAX_ALIASES = 100;

// `${env:NAME}` is written unquoted in the spec's examples, but `{`/`}` are YAML flow indicators. It is
// swapped for same-length private-use characters before parsing (offsets stay exact) and swapped back in
// every string read from the document.
const ENV_REF = /\$\{(env:[A-Za-z_][A-Za-z0-9_]*)\}/g;
const OPEN = '\uE000';
const CLOSE = '\uE001';
const ENV_REF_ESCAPED = new RegExp(`\\$${OPEN}(env:[A-Za-z_][A-Za-z0-9_]*)${CLOSE}`, 'g');

export function unescapeEnvRefs(s: string): string {
  return s.includes(OPEN) ? s.replace(ENV_REF_ESCAPED, '${$1}') : s;
}

export interface Source {
  rep: Reporter;
  /** The text as parsed (env refs escaped; same length as the original). */
  text: string;
  doc: Document.Parsed;
  root: Node | null;
}

/** Parses one file; problems go to the returned reporter. `root` is null when nothing can be read. */
export function parseSource(file: string, original: string): Source {
  const lines = new LineCounter();
  const rep = new Reporter(file, lines);
  const text = original.replace(ENV_REF, `$${OPEN}$1${CLOSE}`);
  const size = new TextEncoder().encode(original).length;
  if (size > MAX_FILE_BYTES) {
    lines.addNewLine(0);
    rep.error(0, `file is ${size} bytes; the limit is ${MAX_FILE_BYTES}`);
    return { rep, text, doc: parseDocument(''), root: null };
  }
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    version: '1.2',
    schema: 'core',
    uniqueKeys: true,
    strict: true,
  });
  for (const e of doc.errors) {
    const msg =
      e.code === 'DUPLICATE_KEY' ? `duplicate key ${quoteKeyAt(text, e.pos[0])}` : e.message.split('\n')[0];
    rep.error(e.pos[0], msg);
  }
  let aliases = 0;
  visit(doc, (_key, node) => {
    if (isAlias(node)) aliases++;
    if (isNode(node) && node.tag) {
      // The node's range starts after its tag; point at the tag itself.
      const start = node.range?.[0] ?? 0;
      let bang = text.lastIndexOf('!', start);
      while (bang > 0 && text[bang - 1] === '!') bang--;
      rep.error(
        bang >= 0 && !text.slice(bang, start).includes('\n') ? bang : start,
        `YAML tags are not allowed ('${node.tag}')`,
      );
    }
  });
  if (aliases > MAX_ALIASES) rep.error(0, `too many YAML aliases (${aliases}); the limit is ${MAX_ALIASES}`);
  if (rep.failed) return { rep, text, doc, root: null };
  try {
    // Expands aliases once with yaml's own bound: refuses billion-laughs documents.
    doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    rep.error(0, e instanceof Error ? e.message.split('\n')[0] : String(e));
    return { rep, text, doc, root: null };
  }
  if (!doc.contents) {
    rep.error(0, 'the file is empty');
    return { rep, text, doc, root: null };
  }
  return { rep, text, doc, root: doc.contents as Node };
}

function quoteKeyAt(text: string, offset: number): string {
  const m = /^[^:\n]*/.exec(text.slice(offset));
  const key = (m?.[0] ?? '').trim();
  return key ? `'${unescapeEnvRefs(key)}'` : '';
}
