// The console's Fastify plugin: cookies, anti-CSRF tokens, security headers, sign-in (OIDC, or the
// one-time link of the embedded default), sign-out and assets; the pages and actions are in pages.ts
// and actions.ts. Encapsulated: its form parser, cookies and hooks touch no other route.
import fs from 'node:fs';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html } from '../../console/html';
import { can, type Permission, type Viewer } from '../../console/model';
import { chooseIdentityPage, messagePage } from '../../console/pages/misc';
import { CONSOLE, PATHS } from '../../console/paths';
import { OidcError, type OidcTransaction } from '../../integrations/oidc/client';
import { actionRoutes } from './actions';
import { consoleRoute, sendPage, type Authed, type ConsoleContext, type ConsoleDeps } from './context';
import { ConsoleData } from './data';
import { LiveHub } from './events';
import { pageRoutes, topics } from './pages';
import { peopleWithRoles, personForClaims, roleOf } from './roles';
import {
  decodeSession,
  deriveKey,
  encodeSession,
  ExpiringSet,
  newSession,
  safeReturnTo,
  sessionCookieName,
} from './session';
import { checkSignInToken, SIGN_IN_FAILURE } from './sign-in-link';

const FORM = 'application/x-www-form-urlencoded';
/** Forms are small; the simulator's pasted detection is the largest (256 KiB). */
export const CONSOLE_BODY_LIMIT = 300 * 1024;
const OIDC_TX_COOKIE = 'nightshift_oidc';
const FLASH_COOKIE = 'nightshift_flash';
/** Where a signed-out visitor was going, for after a one-time link's sign-in (the OIDC flow keeps its own). */
const RETURN_COOKIE = 'nightshift_return';

export const CONSOLE_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  // No inline script or style anywhere: everything comes from /console/assets.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

export async function consoleRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const secure = deps.publicUrl.startsWith('https://');
  const ctx: ConsoleContext = {
    ...deps,
    data: new ConsoleData(deps.client, deps.taskQueue),
    now: deps.now ?? (() => new Date()),
    secure,
    revoked: new ExpiringSet(),
    usedLinks: new ExpiringSet(),
  };
  const sessionCookie = sessionCookieName(secure);
  const cookieBase = { path: '/', httpOnly: true, secure, signed: true } as const;

  await app.register(fastifyCookie, { secret: deriveKey(deps.linkSecret, 'session') });
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: secure ? '__Host-nightshift_csrf' : 'nightshift_csrf',
    cookieOpts: { ...cookieBase, sameSite: 'strict' },
    // Tokens are bound to the session: one session's token is worth nothing in another.
    getUserInfo: (req: FastifyRequest) => req.consoleSession?.sid ?? '',
    csrfOpts: { hmacKey: deriveKey(deps.linkSecret, 'csrf') },
  });
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: CONSOLE_BODY_LIMIT }, (_req, body, done) => {
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of new URLSearchParams(body as string)) out[k] = v;
    done(null, out);
  });

  app.addHook('onRequest', async (req) => {
    req.consoleSession = null;
    const raw = req.cookies[sessionCookie];
    if (!raw) return;
    const u = req.unsignCookie(raw);
    if (!u.valid || !u.value) return;
    const now = ctx.now().getTime();
    const c = decodeSession(u.value, now);
    if (c && !ctx.revoked.has(c.sid, now)) req.consoleSession = c;
  });
  app.addHook('onSend', async (_req, reply) => {
    for (const [k, v] of Object.entries(CONSOLE_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
  });

  // ---- helpers shared by pages and actions --------------------------------------------------

  const flashOf = (req: FastifyRequest, reply: FastifyReply): { ok: boolean; text: string } | undefined => {
    const raw = req.cookies[FLASH_COOKIE];
    if (!raw) return undefined;
    reply.clearCookie(FLASH_COOKIE, { ...cookieBase, path: CONSOLE });
    const u = req.unsignCookie(raw);
    if (!u.valid || !u.value) return undefined;
    try {
      const f = JSON.parse(Buffer.from(u.value, 'base64url').toString('utf8')) as {
        ok: boolean;
        text: string;
      };
      return typeof f.text === 'string' ? { ok: !!f.ok, text: f.text.slice(0, 500) } : undefined;
    } catch {
      return undefined;
    }
  };
  const redirectWithFlash = (reply: FastifyReply, to: string, flash: { ok: boolean; text: string }) => {
    reply.setCookie(FLASH_COOKIE, Buffer.from(JSON.stringify(flash)).toString('base64url'), {
      ...cookieBase,
      path: CONSOLE,
      sameSite: 'strict',
      maxAge: 60,
    });
    return reply.code(303).header('location', to).send();
  };

  /** The signed-in viewer allowed `permission`, or null after answering (sign-in, or refusal). */
  const authed = async (
    req: FastifyRequest,
    reply: FastifyReply,
    permission: Permission = 'read',
  ): Promise<Authed | null> => {
    const s = req.consoleSession;
    const org = ctx.current().org;
    if (!s || !org) {
      if (req.method === 'GET' && ctx.oidc) {
        const back = encodeURIComponent(req.url.slice(0, 1000));
        await reply.code(303).header('location', `${PATHS.oidcLogin}?return=${back}`).send();
      } else {
        // A link from Slack or an SMS opened signed out: the one-time link's sign-in comes back here.
        if (req.method === 'GET' && !ctx.oidc)
          reply.setCookie(RETURN_COOKIE, safeReturnTo(req.url, PATHS.inbox), {
            ...cookieBase,
            path: PATHS.signIn,
            sameSite: 'lax',
            maxAge: 900,
          });
        await sendPage(
          reply,
          401,
          messagePage(
            'Sign in',
            ctx.oidc
              ? html`Your session has ended. <a href="${PATHS.oidcLogin}">Sign in</a> again.`
              : html`Open the one-time sign-in link that <code>nightshift start</code> printed, or print a new
                  one with <code>npx nightshift sign-in</code>; you then come back to this page.`,
          ),
        );
      }
      return null;
    }
    const role = roleOf(org, s.sub);
    const person = org.people[s.sub];
    if (!role || !person) {
      await sendPage(
        reply,
        403,
        messagePage('No access', `${s.sub} has no console role in nightshift.yaml (roles:).`),
      );
      return null;
    }
    const viewer: Viewer = {
      personId: person.id,
      name: person.name,
      role,
      via: s.via,
      csrf: reply.generateCsrf({ userInfo: s.sid }),
    };
    if (!can(role, permission)) {
      await sendPage(
        reply,
        403,
        messagePage('Not allowed', `Your role (${role}) may not do this.`, { viewer }),
      );
      return null;
    }
    return { req, reply, viewer, org };
  };

  /**
   * State-changing requests: the session's anti-CSRF token (@fastify/csrf-protection), and an Origin,
   * when the browser sends one, of this server.
   */
  const allowedOrigins = new Set([new URL(deps.publicUrl).origin]);
  const csrf = (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const origin = req.headers.origin;
    const host = req.headers.host;
    if (
      origin &&
      origin !== 'null' &&
      !allowedOrigins.has(origin) &&
      origin !== `${secure ? 'https' : 'http'}://${host}`
    ) {
      void sendPage(
        reply,
        403,
        messagePage('Refused', 'This request came from another site. Nothing was done.'),
      );
      return;
    }
    app.csrfProtection(req, reply, done);
  };
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
      req.log.warn({ url: req.url.split('?')[0] }, 'console request without a valid anti-CSRF token');
      return sendPage(
        reply,
        403,
        messagePage(
          'Refused',
          'This form has expired or did not come from this console. Nothing was done; reload the page and try again.',
        ),
      );
    }
    throw err;
  });

  // ---- assets, redirects ------------------------------------------------------------------------

  const assets: Record<string, { type: string; body: Buffer }> = {};
  for (const [file, type] of [
    ['console.js', 'text/javascript; charset=utf-8'],
    ['console.css', 'text/css; charset=utf-8'],
  ] as const) {
    const p = path.join(deps.assetsDir, file);
    if (fs.existsSync(p)) assets[file] = { type, body: fs.readFileSync(p) };
    else deps.logger.warn({ file: p }, 'console asset missing: run npm run build');
  }
  app.get<{ Params: { file: string } }>(
    `${PATHS.assets}/:file`,
    consoleRoute('Console: its script and stylesheet'),
    async (req, reply) => {
      const a = assets[req.params.file];
      if (!a) return reply.code(404).send({ error: 'not_found', message: 'no such asset' });
      return reply.header('content-type', a.type).header('cache-control', 'public, max-age=300').send(a.body);
    },
  );
  app.get('/', consoleRoute('Redirects to the console'), async (_req, reply) =>
    reply.code(302).header('location', PATHS.inbox).send(),
  );
  app.get(CONSOLE, consoleRoute('Redirects to the inbox'), async (_req, reply) =>
    reply.code(302).header('location', PATHS.inbox).send(),
  );
  app.get(`${CONSOLE}/`, consoleRoute('Redirects to the inbox'), async (_req, reply) =>
    reply.code(302).header('location', PATHS.inbox).send(),
  );

  // ---- sign-in ----------------------------------------------------------------------------------

  const startSession = (reply: FastifyReply, personId: string, via: 'oidc' | 'link') => {
    const s = newSession(personId, via, ctx.sessionTtlMs, ctx.now().getTime());
    reply.setCookie(sessionCookie, encodeSession(s), {
      ...cookieBase,
      // Lax: a link from Slack or an SMS opens the console signed in; POSTs carry the CSRF token.
      sameSite: 'lax',
      maxAge: Math.floor(ctx.sessionTtlMs / 1000),
    });
    deps.logger.info({ person: personId, via }, 'console sign-in');
  };

  const tokenSchema = {
    querystring: {
      type: 'object',
      properties: { t: { type: 'string', maxLength: 2048 } },
      required: ['t'],
    },
  };
  app.get<{ Querystring: { t: string } }>(
    PATHS.signIn,
    consoleRoute('Console: a one-time sign-in link (HTML)', tokenSchema),
    async (req, reply) => {
      if (ctx.oidc) return reply.code(303).header('location', PATHS.oidcLogin).send();
      const org = ctx.current().org;
      const nowSec = Math.floor(ctx.now().getTime() / 1000);
      const check = checkSignInToken(deps.linkSecret, req.query.t, nowSec, ctx.usedLinks);
      if (!check.ok) return sendPage(reply, 403, messagePage('Sign in', SIGN_IN_FAILURE[check.reason]));
      // Nothing is spent by looking (link scanners fetch links): the choice is a POST.
      const people = org ? peopleWithRoles(org) : [];
      return sendPage(
        reply,
        200,
        chooseIdentityPage(req.query.t, check.person ? people.filter((p) => p.id === check.person) : people),
      );
    },
  );
  app.post<{ Body: { t?: string; person?: string } }>(
    PATHS.signIn,
    consoleRoute('Console: sign in with a one-time link (form: t, person)'),
    async (req, reply) => {
      if (ctx.oidc) return reply.code(303).header('location', PATHS.oidcLogin).send();
      const org = ctx.current().org;
      const now = ctx.now().getTime();
      const check = checkSignInToken(
        deps.linkSecret,
        String(req.body?.t ?? ''),
        Math.floor(now / 1000),
        ctx.usedLinks,
      );
      if (!check.ok) return sendPage(reply, 403, messagePage('Sign in', SIGN_IN_FAILURE[check.reason]));
      const person = String(req.body?.person ?? '');
      if (!org || !roleOf(org, person) || (check.person && check.person !== person))
        return sendPage(reply, 403, messagePage('Sign in', 'That person may not sign in with this link.'));
      ctx.usedLinks.add(check.jti, check.exp * 1000, now);
      startSession(reply, person, 'link');
      const raw = req.cookies[RETURN_COOKIE];
      const back = raw ? req.unsignCookie(raw) : undefined;
      if (raw) reply.clearCookie(RETURN_COOKIE, { ...cookieBase, path: PATHS.signIn });
      return reply
        .code(303)
        .header('location', safeReturnTo(back?.valid ? back.value : undefined, PATHS.inbox))
        .send();
    },
  );

  app.get<{ Querystring: { return?: string } }>(
    PATHS.oidcLogin,
    consoleRoute('Console: start an OIDC sign-in'),
    async (req, reply) => {
      if (!ctx.oidc) return reply.code(303).header('location', PATHS.inbox).send();
      let begun;
      try {
        begun = await ctx.oidc.client.begin();
      } catch (err) {
        req.log.warn({ err: { message: (err as Error).message } }, 'OIDC sign-in could not start');
        return sendPage(reply, 503, messagePage('Sign in', (err as Error).message));
      }
      const tx = { ...begun.tx, back: safeReturnTo(req.query.return, PATHS.inbox) };
      reply.setCookie(OIDC_TX_COOKIE, Buffer.from(JSON.stringify(tx)).toString('base64url'), {
        ...cookieBase,
        path: PATHS.oidcCallback,
        sameSite: 'lax', // it must come back on the provider's redirect
        maxAge: 600,
      });
      return reply.code(303).header('location', begun.url).send();
    },
  );

  app.get(PATHS.oidcCallback, consoleRoute('Console: the OIDC redirect URI'), async (req, reply) => {
    if (!ctx.oidc) return reply.code(303).header('location', PATHS.inbox).send();
    const raw = req.cookies[OIDC_TX_COOKIE];
    reply.clearCookie(OIDC_TX_COOKIE, { ...cookieBase, path: PATHS.oidcCallback });
    const u = raw ? req.unsignCookie(raw) : undefined;
    let tx: (OidcTransaction & { back: string }) | undefined;
    try {
      tx =
        u?.valid && u.value
          ? (JSON.parse(Buffer.from(u.value, 'base64url').toString('utf8')) as typeof tx)
          : undefined;
    } catch {
      tx = undefined;
    }
    const again = html` <a href="${PATHS.oidcLogin}">Sign in again</a>.`;
    if (!tx)
      return sendPage(
        reply,
        400,
        messagePage('Sign in', html`This sign-in has expired or was not started here.${again}`),
      );
    const callback = new URL(req.url, deps.publicUrl.replace(/\/+$/, '') + '/');
    let claims: Record<string, unknown>;
    try {
      claims = await ctx.oidc.client.finish(callback, tx);
    } catch (err) {
      const why = err instanceof OidcError ? err.message : 'the provider answered something unexpected';
      req.log.warn({ reason: why }, 'OIDC sign-in refused');
      return sendPage(reply, 403, messagePage('Sign in', html`Sign-in failed: ${why}.${again}`));
    }
    const org = ctx.current().org;
    const match = org
      ? personForClaims(org, claims, ctx.oidc.claims)
      : { person: null, reason: 'no organisation loaded' };
    if (!match.person || !org) {
      req.log.warn(
        { reason: match.person ? '' : match.reason },
        'OIDC account is not a person of nightshift.yaml',
      );
      return sendPage(
        reply,
        403,
        messagePage('No access', `Signed in, but ${match.person ? '' : match.reason}.`),
      );
    }
    if (!roleOf(org, match.person.id))
      return sendPage(
        reply,
        403,
        messagePage('No access', `${match.person.name} has no console role in nightshift.yaml (roles:).`),
      );
    startSession(reply, match.person.id, 'oidc');
    return reply.code(303).header('location', safeReturnTo(tx.back, PATHS.inbox)).send();
  });

  app.post(PATHS.signOut, { preHandler: csrf, ...consoleRoute('Console: sign out') }, async (req, reply) => {
    const s = req.consoleSession;
    if (s) {
      ctx.revoked.add(s.sid, s.exp, ctx.now().getTime());
      hub.endSession(s.sid);
      deps.logger.info({ person: s.sub }, 'console sign-out');
    }
    // With the attributes it was set with: a browser ignores a __Host- cookie header without Secure.
    reply.clearCookie(sessionCookie, { ...cookieBase, path: '/' });
    return sendPage(
      reply,
      200,
      messagePage('Signed out', 'You are signed out of the console.', { signIn: !!ctx.oidc }),
    );
  });

  // ---- pages, actions, live updates -------------------------------------------------------------

  const hub = new LiveHub((name) => topics(ctx, name), {
    intervalMs: 2000,
    maxConnections: 200,
    maxPerSession: 20,
    onError: (err) =>
      deps.logger.debug({ err: { message: (err as Error).message } }, 'console live update failed'),
  });
  app.addHook('onClose', async () => hub.close());
  app.get<{ Querystring: { topic?: string; seen?: string } }>(
    PATHS.events,
    consoleRoute('Console: live updates of a page (server-sent events)'),
    async (req, reply) => {
      if (!(await authed(req, reply))) return reply;
      const s = req.consoleSession;
      const r = hub.subscribe(
        String(req.query.topic ?? '').slice(0, 700),
        reply,
        String(req.query.seen ?? '').slice(0, 64),
        s ? { session: s.sid, until: s.exp } : undefined,
      );
      if (r === 'unknown') return reply.code(404).send({ error: 'not_found', message: 'unknown topic' });
      if (r === 'session_full')
        return reply
          .code(429)
          .header('retry-after', '30')
          .send({ error: 'too_many', message: 'too many live pages open in this session: close some tabs' });
      if (r === 'full')
        return reply
          .code(503)
          .header('retry-after', '30')
          .send({ error: 'unavailable', message: 'too many live pages' });
      return reply;
    },
  );

  await pageRoutes(app, ctx, { authed, flashOf, liveSeen: (topic) => hub.fingerprint(topic) });
  await actionRoutes(app, ctx, { authed, csrf, redirectWithFlash });
}
