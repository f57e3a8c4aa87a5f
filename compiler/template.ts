// Splits "text ${{ expr }} text" into literal parts and expression sources, keeping each expression's
// offset in the original string so errors point at the right column.

export interface TemplatePiece {
  text?: string;
  expr?: string;
  /** Offset of `text`/`expr` in the template string. */
  offset: number;
}

export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export function splitTemplate(s: string): TemplatePiece[] {
  const out: TemplatePiece[] = [];
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('${{', i);
    if (open < 0) {
      out.push({ text: s.slice(i), offset: i });
      break;
    }
    if (open > i) out.push({ text: s.slice(i, open), offset: i });
    const close = s.indexOf('}}', open + 3);
    if (close < 0) throw new TemplateSyntaxError("unclosed '${{': expected '}}'", open);
    const raw = s.slice(open + 3, close);
    const lead = raw.length - raw.trimStart().length;
    const expr = raw.trim();
    if (expr.length === 0) throw new TemplateSyntaxError("empty expression in '${{ }}'", open);
    out.push({ expr, offset: open + 3 + lead });
    i = close + 2;
  }
  return out;
}
