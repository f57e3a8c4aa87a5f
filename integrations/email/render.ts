// Email bodies: HTML and plain text of the same content. Links are the signed ones of integrations/links.ts;
// following them only shows a confirmation page (mail scanners open every link).
import type { RunRef } from '../../core/effects';
import { cap, htmlText as h, oneLine, plainText } from '../escape';

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

function runText(run: RunRef): string {
  return oneLine(
    `Playbook ${run.playbook} v${run.playbookVersion}, step ${run.stepId}, detection ${run.detectionId}, run ${run.workflowId}`,
  );
}

/** A subject: one line, bounded (text that is not ours, made visible). */
const subject = (text: string) => cap(oneLine(text), 200);

function wrap(title: string, inner: string, run: RunRef): string {
  return `<!doctype html><html><body style="font-family:sans-serif"><h2>${h(title)}</h2>${inner}<p style="color:#666;font-size:12px">${h(runText(run))}</p></body></html>`;
}

export function notifyEmail(run: RunRef, message: string, title?: string): Rendered {
  return {
    subject: subject(`[Nightshift] ${title ?? run.playbook}`),
    text: `${plainText(message)}\n\n${runText(run)}\n`,
    html: wrap(title ?? 'Nightshift', `<p>${h(message)}</p>`, run),
  };
}

export function approvalEmail(opts: {
  run: RunRef;
  question: string;
  code: string;
  expiresAt: string;
  /** The recipient may answer (whether or not this server can sign links for them). */
  approver: boolean;
  links?: { approve: string; deny: string };
}): Rendered {
  const { run, question, code, links } = opts;
  // An approver without links (no NIGHTSHIFT_PUBLIC_URL/LINK_SECRET, which `nightshift start` refuses
  // in production) is still told how to answer, never that they are not an approver.
  const noLinks = `Answer by SMS: YES ${code} to approve, NO ${code} to deny (this server sends no approval links).`;
  const observer = 'You are not an approver of this request; this message is for information.';
  const how = links
    ? `Approve: ${links.approve}\nDeny:    ${links.deny}\n(Each link opens a confirmation page.)`
    : opts.approver
      ? noLinks
      : observer;
  const htmlHow = links
    ? `<p><a href="${h(links.approve)}">Approve</a> &nbsp; | &nbsp; <a href="${h(links.deny)}">Deny</a></p><p style="font-size:12px">Each link opens a confirmation page; nothing is decided until you confirm there.</p>`
    : `<p>${h(opts.approver ? noLinks : observer)}</p>`;
  return {
    subject: subject(`[Nightshift] Approval needed: ${question}`),
    text: `${plainText(question)}\n\n${how}\nBy SMS: YES ${code} / NO ${code}\nExpires: ${opts.expiresAt}\n\n${runText(run)}\n`,
    html: wrap('Approval needed', `<p>${h(question)}</p>${htmlHow}<p>Expires: ${h(opts.expiresAt)}</p>`, run),
  };
}

export function resolvedEmail(run: RunRef, question: string, text: string): Rendered {
  return {
    subject: subject(`[Nightshift] ${text.split(' ')[0]}: ${question}`),
    text: `${plainText(question)}\n\n${plainText(text)}\n\n${runText(run)}\n`,
    html: wrap(text, `<p>${h(question)}</p><p><strong>${h(text)}</strong></p>`, run),
  };
}

export function pageEmail(run: RunRef, message: string, code: string, ackUrl?: string): Rendered {
  return {
    subject: subject(`[Nightshift] PAGE: ${message}`),
    text: `${plainText(message)}\n\n${ackUrl ? `Acknowledge: ${ackUrl}\n` : ''}By SMS: ACK ${code}\n\n${runText(run)}\n`,
    html: wrap(
      'Page',
      `<p>${h(message)}</p>${ackUrl ? `<p><a href="${h(ackUrl)}">Acknowledge</a></p>` : ''}<p>By SMS: ACK ${h(code)}</p>`,
      run,
    ),
  };
}
