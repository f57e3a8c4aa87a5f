// Email over SMTP with nodemailer (reference/channels.md §4). Each message's Message-ID is derived
// from the request key and the recipient, so a retried send carries the same id (receivers and
// threads dedupe on it) and the decision follow-up can thread under the original.
import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { ApplicationFailure } from '@temporalio/common';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  inReplyTo?: string;
}

export function messageIdFor(key: string, address: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'nightshift.local';
  const h = createHash('sha256').update(`${key}\n${address.toLowerCase()}`).digest('hex').slice(0, 32);
  return `<${h}@${domain}>`;
}

export class EmailAdapter {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    readonly from: string,
  ) {
    // Short timeouts: an activity attempt should fail fast and let Temporal retry.
    this.transport = nodemailer.createTransport(smtpUrl, {}) as Transporter;
    const opts = (this.transport as unknown as { options?: Record<string, unknown> }).options;
    if (opts)
      Object.assign(opts, { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  }

  async send(msg: EmailMessage): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.from,
        to: msg.to,
        subject: msg.subject,
        text: msg.text,
        html: msg.html,
        messageId: msg.messageId,
        ...(msg.inReplyTo ? { inReplyTo: msg.inReplyTo, references: [msg.inReplyTo] } : {}),
      });
    } catch (err) {
      const e = err as { code?: string; responseCode?: number; message?: string };
      // 5xx from the server is permanent (bad address, policy): retrying will not help.
      if (e.code === 'EENVELOPE' || (e.responseCode !== undefined && e.responseCode >= 500)) {
        throw ApplicationFailure.nonRetryable(
          `email to ${msg.to} refused: ${e.message ?? 'error'}`,
          'EmailRejected',
        );
      }
      throw new Error(`email to ${msg.to} failed: ${e.code ?? e.message ?? 'error'}`);
    }
  }

  close(): void {
    this.transport.close();
  }
}
