// Reading the YAML AST with positions: every error names what is wrong at the offending key or value.
import { isAlias, isMap, isScalar, isSeq, Scalar } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import type { Reporter } from './diagnostics';
import { unescapeEnvRefs } from './source';
import { didYouMean } from './suggest';

export interface Entry {
  key: string;
  /** Offset of the key. */
  keyAt: number;
  value: Node | null;
}

export class Walker {
  constructor(
    readonly rep: Reporter,
    readonly doc: Document,
    readonly text: string,
  ) {}

  /** Start offset of a node. */
  pos(n: Node | null | undefined, fallback = 0): number {
    return n?.range?.[0] ?? fallback;
  }

  resolve(n: unknown): Node | null {
    if (n === null || n === undefined) return null;
    if (isAlias(n)) return (n.resolve(this.doc) as Node | undefined) ?? null;
    return n as Node;
  }

  /**
   * The entries of a mapping. Unknown keys are errors (with a "did you mean"), missing required keys are
   * errors at `at` (the mapping's owner key).
   */
  map(
    node: Node | null,
    what: string,
    at: number,
    allowed: readonly string[] | null,
    required: readonly string[] = [],
  ): Map<string, Entry> | null {
    const n = this.resolve(node);
    if (!n || !isMap(n)) {
      this.rep.error(n ? this.pos(n, at) : at, `${what} must be a mapping`);
      return null;
    }
    const out = new Map<string, Entry>();
    for (const pair of (n as YAMLMap).items as Pair[]) {
      const k = this.resolve(pair.key);
      const keyAt = this.pos(k, at);
      if (!k || !isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number')) {
        this.rep.error(keyAt, `${what}: keys must be plain strings`);
        continue;
      }
      const key = String(k.value);
      if (allowed && !allowed.includes(key)) {
        this.rep.error(keyAt, `unknown key '${key}' in ${what}${didYouMean(key, allowed)}`);
        continue;
      }
      out.set(key, { key, keyAt, value: this.resolve(pair.value) });
    }
    for (const r of required) {
      if (!out.has(r)) this.rep.error(this.pos(n, at), `${what} is missing '${r}'`);
    }
    return out;
  }

  /** A string scalar (numbers are refused: `version: "3"` and `name: 42` are both likely mistakes). */
  str(e: Entry | undefined, what: string): string | null {
    if (!e) return null;
    const v = e.value;
    if (!v || !isScalar(v) || typeof v.value !== 'string') {
      this.rep.error(v ? this.pos(v, e.keyAt) : e.keyAt, `${what} must be a string`);
      return null;
    }
    return unescapeEnvRefs(v.value);
  }

  int(e: Entry | undefined, what: string, min = 0): number | null {
    if (!e) return null;
    const v = e.value;
    if (
      !v ||
      !isScalar(v) ||
      typeof v.value !== 'number' ||
      !Number.isSafeInteger(v.value) ||
      v.value < min
    ) {
      this.rep.error(v ? this.pos(v, e.keyAt) : e.keyAt, `${what} must be an integer >= ${min}`);
      return null;
    }
    return v.value;
  }

  bool(e: Entry | undefined, what: string): boolean | null {
    if (!e) return null;
    const v = e.value;
    if (!v || !isScalar(v) || typeof v.value !== 'boolean') {
      this.rep.error(v ? this.pos(v, e.keyAt) : e.keyAt, `${what} must be true or false`);
      return null;
    }
    return v.value;
  }

  /** The items of a sequence. */
  seq(e: Entry | undefined, what: string): Node[] | null {
    if (!e) return null;
    const v = e.value;
    if (!v || !isSeq(v)) {
      this.rep.error(v ? this.pos(v, e.keyAt) : e.keyAt, `${what} must be a list`);
      return null;
    }
    return v.items.map((x) => this.resolve(x)).filter((x): x is Node => x !== null);
  }

  /** A list of strings, each with its offset. */
  strList(e: Entry | undefined, what: string, nonEmpty = true): Array<{ v: string; at: number }> | null {
    const items = this.seq(e, what);
    if (!items || !e) return null;
    if (nonEmpty && items.length === 0) {
      this.rep.error(this.pos(e.value, e.keyAt), `${what} must not be empty`);
      return null;
    }
    const out: Array<{ v: string; at: number }> = [];
    for (const it of items) {
      if (!isScalar(it) || typeof it.value !== 'string') {
        this.rep.error(this.pos(it, e.keyAt), `${what}: each item must be a string`);
        continue;
      }
      out.push({ v: unescapeEnvRefs(it.value), at: this.pos(it) });
    }
    return out;
  }

  /**
   * File offset of character `i` of a string scalar's value, for errors inside expressions. Exact for
   * plain and quoted one-line strings and for block literals; otherwise the scalar's start.
   */
  offsetIn(node: Node | null, i: number): number {
    if (!node || !isScalar(node) || typeof node.value !== 'string' || !node.range) return this.pos(node);
    const start = node.range[0];
    const value = node.value;
    const type = node.type;
    if (type === Scalar.PLAIN && this.text.startsWith(value, start)) return start + i;
    if (
      (type === Scalar.QUOTE_SINGLE || type === Scalar.QUOTE_DOUBLE) &&
      this.text.startsWith(value, start + 1)
    ) {
      return start + 1 + i;
    }
    if (type === Scalar.BLOCK_LITERAL) {
      let from = start;
      let consumed = 0;
      for (const line of value.split('\n')) {
        const found = line.length ? this.text.indexOf(line, from) : from;
        if (found < 0) break;
        if (i <= consumed + line.length) return found + (i - consumed);
        consumed += line.length + 1;
        from = found + line.length;
      }
    }
    return start;
  }
}
