// GET /schemas/{name}.json: the JSON Schemas for editors (compiler/json-schema.ts), so a modeline or an
// editor setting can point at a running server. Public: they describe the file formats, nothing more.
import type { FastifyInstance } from 'fastify';
import { SCHEMAS } from '../../compiler/json-schema';
import { described, errors } from '../openapi';

export function schemaRoutes(app: FastifyInstance): void {
  // Derived once: the tables they come from do not change while the server runs.
  const bodies = new Map(
    Object.entries(SCHEMAS).map(([name, make]) => [name, JSON.stringify(make(), null, 2)]),
  );
  app.get<{ Params: { name: string } }>(
    '/schemas/:name',
    {
      schema: {
        summary: `A JSON Schema for editors: ${Object.keys(SCHEMAS)
          .map((n) => `${n}.json`)
          .join(', ')}`,
        params: {
          type: 'object',
          properties: { name: { type: 'string', enum: Object.keys(SCHEMAS).map((n) => `${n}.json`) } },
          required: ['name'],
        },
        response: { 200: described('The schema (JSON Schema draft-07)'), ...errors(400) },
      },
    },
    async (req, reply) =>
      reply.type('application/schema+json').send(bodies.get(req.params.name.replace(/\.json$/, ''))),
  );
}
