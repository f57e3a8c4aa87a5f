// TwiML for calls and webhook answers, built with the SDK's serialiser, which XML-escapes text: what a
// detection says is read out as words and can never become a verb. What is said is one line of plain
// text (integrations/escape.ts), shortened until the whole document fits Twilio's inline TwiML limit.
import twilio from 'twilio';
import { cap, smsText, spokenText } from '../escape';
import { MAX_TWIML } from './adapter';

/** Longest spoken text before escaping; the document limit below is what really binds. */
const MAX_SAY = 1500;

/**
 * `build(say)` with `say` as long as fits: the longest prefix (an ellipsis marks the cut) whose TwiML is
 * within MAX_TWIML. Escaping makes the document's length grow with the text, so a binary search finds it.
 */
function fitted(say: string, build: (say: string) => string): string {
  const text = cap(spokenText(say), MAX_SAY);
  const full = build(text);
  if (full.length <= MAX_TWIML) return full;
  let lo = 1;
  let hi = text.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (build(cap(text, mid)).length <= MAX_TWIML) lo = mid;
    else hi = mid - 1;
  }
  return build(cap(text, lo));
}

export function gatherTwiml(opts: { say: string; action: string; prompt: string }): string {
  return fitted(opts.say, (say) => {
    const r = new twilio.twiml.VoiceResponse();
    const g = r.gather({ numDigits: 1, action: opts.action, method: 'POST', timeout: 10 });
    g.say(say);
    g.pause({ length: 1 });
    g.say(opts.prompt);
    r.say('No input received. Goodbye.');
    return r.toString();
  });
}

export function sayTwiml(text: string): string {
  return fitted(text, (say) => {
    const r = new twilio.twiml.VoiceResponse();
    r.say(say);
    r.hangup();
    return r.toString();
  });
}

export function messageTwiml(text?: string): string {
  const r = new twilio.twiml.MessagingResponse();
  if (text) r.message(smsText(text));
  return r.toString();
}
