// What every console route needs: Temporal, the organisation and playbooks served, the secrets, and
// the signed-in person of the request.
import type { Client } from '@temporalio/client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OrgIR, PlaybookIR } from '../../core/ir';
import type { Diagnostic } from '../../compiler';
import type { Permission, Viewer } from '../../console/model';
import type { OidcClient } from '../../integrations/oidc/client';
import type { Logger } from 'pino';
import type { ConsoleData } from './data';
import type { ExpiringSet, SessionClaims } from './session';

export interface ConsoleDeps {
  client: Client;
  namespace: string;
  taskQueue: string;
  /** The organisation and playbooks served now, and the diagnostics of the last (re)load. */
  current: () => { org?: OrgIR; playbooks: PlaybookIR[] };
  lastLoad: () => { at: Date; diagnostics: Diagnostic[] } | null;
  /** The key of signed links; console keys are derived from it. */
  linkSecret: string;
  /** The public base URL (links, the OIDC redirect URI, the allowed Origin). */
  publicUrl: string;
  /** OIDC sign-in; absent: the one-time link of the embedded default. */
  oidc?: { client: OidcClient; claims: string[] };
  sessionTtlMs: number;
  logger: Logger;
  /** Defender portal for alert and incident links. */
  portalUrl?: string;
  /** The built assets (dist/console): console.js and console.css. */
  assetsDir: string;
  now?: () => Date;
}

export interface ConsoleContext extends ConsoleDeps {
  data: ConsoleData;
  now: () => Date;
  secure: boolean;
  /** Signed-out sessions and used sign-in links (per process). */
  revoked: ExpiringSet;
  usedLinks: ExpiringSet;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: SessionClaims | null;
  }
}

/** The signed-in viewer of a request, with a fresh anti-CSRF token; set by the auth hook. */
export interface Authed {
  req: FastifyRequest;
  reply: FastifyReply;
  viewer: Viewer;
  org: OrgIR;
}

export type Authenticate = (
  req: FastifyRequest,
  reply: FastifyReply,
  permission?: Permission,
) => Promise<Authed | null>;
export type Flash = { ok: boolean; text: string };

export function sendPage(reply: FastifyReply, status: number, page: { value: string }): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').send(page.value);
}

/**
 * The OpenAPI entry of a console route (every route has a schema, from which the document is made):
 * HTML pages and form posts of the web console, signed in by session cookie.
 */
export function consoleRoute(
  summary: string,
  extra: Record<string, unknown> = {},
): { schema: Record<string, unknown> } {
  return { schema: { summary, tags: ['console'], ...extra } };
}
