// POST /v1/playbooks/reload: nightshift.yaml and the playbooks again; a bad file keeps serving its
// previous version and is answered with its diagnostics.
import type { FastifyInstance } from 'fastify';
import { formatDiagnostic } from '../../compiler';
import type { PlaybookRegistry } from '../../intake/registry';
import type { Auth } from '../auth';
import { BEARER, described, errors } from '../openapi';

export function playbookRoutes(app: FastifyInstance, deps: { registry: PlaybookRegistry; auth: Auth }): void {
  app.post(
    '/v1/playbooks/reload',
    {
      preHandler: deps.auth.authenticate,
      schema: {
        summary: 'Reload nightshift.yaml and playbooks; a bad file keeps serving its previous version',
        security: BEARER,
        response: { 200: described('All files loaded'), ...errors(401, 422) },
      },
    },
    async (_req, reply) => {
      const r = deps.registry.reload();
      return reply.code(r.ok ? 200 : 422).send({
        ok: r.ok,
        loaded: r.loaded,
        serving: deps.registry.current.playbooks.map((p) => ({
          name: p.name,
          version: p.version,
          hash: p.hash,
        })),
        diagnostics: r.diagnostics.map((d) => ({ ...d, text: formatDiagnostic(d) })),
      });
    },
  );
}
