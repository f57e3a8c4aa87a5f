// An SMTP sink with smtp-server (reference/channels.md §4.2): STARTTLS disabled (its bundled cert is
// expired), optional auth, 550 for addresses starting with "reject".
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface SunkMail {
  from: string;
  to: string[];
  raw: string;
  /** Raw with quoted-printable soft breaks and escapes undone, for assertions on links. */
  decoded: string;
  header(name: string): string | undefined;
  /** The text/plain and text/html parts, decoded (quoted-printable or base64) as UTF-8. */
  parts(): { text?: string; html?: string };
}

export interface FakeSmtp {
  url: string;
  mails: SunkMail[];
  close(): Promise<void>;
}

function qp(raw: string): string {
  return raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function unfold(head: string): string {
  return head.replace(/\r?\n[ \t]+/g, ' ');
}

/** The text/plain and text/html leaves of a (multipart) message, decoded to UTF-8 strings. */
export function mimeParts(raw: string): { text?: string; html?: string } {
  const out: { text?: string; html?: string } = {};
  const visit = (entity: string): void => {
    const split = /\r?\n\r?\n/.exec(entity);
    const head = unfold(split ? entity.slice(0, split.index) : entity);
    const body = split ? entity.slice(split.index + split[0].length) : '';
    const type = /^content-type:\s*([^;\s]+)(.*)$/im.exec(head);
    const boundary = type && /boundary="?([^";]+)"?/i.exec(type[2])?.[1];
    if (type && type[1].toLowerCase().startsWith('multipart/') && boundary) {
      for (const part of body.split(`--${boundary}`).slice(1)) {
        if (part.startsWith('--')) break;
        visit(part.replace(/^\r?\n/, ''));
      }
      return;
    }
    const cte = /^content-transfer-encoding:\s*(\S+)/im.exec(head)?.[1]?.toLowerCase();
    const bytes =
      cte === 'base64'
        ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
        : cte === 'quoted-printable'
          ? Buffer.from(qp(body), 'latin1')
          : Buffer.from(body, 'latin1');
    const text = bytes.toString('utf8');
    const kind = (type?.[1] ?? 'text/plain').toLowerCase();
    if (kind === 'text/plain') out.text = text;
    if (kind === 'text/html') out.html = text;
  };
  visit(raw);
  return out;
}

export async function startFakeSmtp(): Promise<FakeSmtp> {
  const mails: SunkMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 1024 * 1024,
    onRcptTo(addr, _s, cb) {
      if (addr.address.startsWith('reject')) {
        const e = Object.assign(new Error('No such user'), { responseCode: 550 });
        return cb(e);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          decoded: qp(raw),
          header: (name) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim(),
          parts: () => mimeParts(raw),
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
