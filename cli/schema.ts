// `nightshift schema NAME`: prints a JSON Schema for editors (compiler/json-schema.ts).
import { SCHEMAS } from '../compiler/json-schema';
import type { CliIO } from './simulate';

export function runSchema(argv: string[], io: CliIO): number {
  const names = Object.keys(SCHEMAS);
  const make = argv.length === 1 ? SCHEMAS[argv[0]] : undefined;
  if (!make) {
    io.err(`usage: nightshift schema ${names.join('|')}`);
    return 2;
  }
  io.out(JSON.stringify(make(), null, 2));
  return 0;
}
