// TwiML for calls and webhook answers, built with the SDK's serialiser (escapes text for us).
import twilio from 'twilio';

export function gatherTwiml(opts: { say: string; action: string; prompt: string }): string {
  const r = new twilio.twiml.VoiceResponse();
  const g = r.gather({ numDigits: 1, action: opts.action, method: 'POST', timeout: 10 });
  g.say(opts.say.slice(0, 1500));
  g.pause({ length: 1 });
  g.say(opts.prompt);
  r.say('No input received. Goodbye.');
  return r.toString();
}

export function sayTwiml(text: string): string {
  const r = new twilio.twiml.VoiceResponse();
  r.say(text);
  r.hangup();
  return r.toString();
}

export function messageTwiml(text?: string): string {
  const r = new twilio.twiml.MessagingResponse();
  if (text) r.message(text);
  return r.toString();
}
