// Signed detection webhooks: `X-Nightshift-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>.<raw body>")>`. The timestamp is inside the MAC and must be within 5 minutes either way, so a
// captured request cannot be replayed later; comparison is constant-time. Several v1= values (secret
// rotation) are accepted.
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'x-nightshift-signature';
export const SIGNATURE_TOLERANCE_SEC = 300;

export function signBody(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  const mac = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySignature(
  secrets: string[],
  header: string | undefined,
  rawBody: string,
  nowSec = Math.floor(Date.now() / 1000),
): SignatureCheck {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  if (header.length > 1024) return { ok: false, reason: 'signature header too long' };
  let t: number | undefined;
  const macs: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && /^\d{1,12}$/.test(v ?? '')) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/i.test(v ?? '')) macs.push(v.toLowerCase());
  }
  if (t === undefined || macs.length === 0)
    return { ok: false, reason: 'signature header must be "t=<unix>,v1=<hex>"' };
  if (Math.abs(nowSec - t) > SIGNATURE_TOLERANCE_SEC) {
    return {
      ok: false,
      reason: 'signature timestamp is more than 5 minutes away from now (replayed or clock skew)',
    };
  }
  let ok = false;
  for (const secret of secrets) {
    const want = crypto.createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
    for (const mac of macs) {
      // Both sides are 32 bytes: timingSafeEqual needs equal lengths, and the hex was checked above.
      if (crypto.timingSafeEqual(want, Buffer.from(mac, 'hex'))) ok = true;
    }
  }
  return ok ? { ok: true } : { ok: false, reason: 'signature does not match the body' };
}
