// Static checks of docker-compose.yml and the Dockerfile. No Docker engine runs on the development
// machines or in CI, so these checks stand in for `docker compose config` and a build: each returns
// a list of problems (empty = fine), so the tests can also prove that a broken file is caught.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { VARIABLES } from '../../platform/config/variables';

export const ROOT = path.resolve(__dirname, '..', '..');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = Record<string, any>;

export interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | Array<string | { path: string; required?: boolean }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string; read_only?: boolean }>;
  ports?: Array<string | { host_ip?: string; published?: string | number; target?: number }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  restart?: string;
  healthcheck?: { test?: string | string[]; disable?: boolean };
}

export function loadCompose(file = path.join(ROOT, 'docker-compose.yml')): { doc: Doc; raw: string } {
  const raw = fs.readFileSync(file, 'utf8');
  // merge: the file shares environment blocks through YAML anchors and `<<:` merge keys, as compose does.
  return { doc: parse(raw, { merge: true }) as Doc, raw };
}

export function services(doc: Doc): Record<string, Service> {
  return (doc.services ?? {}) as Record<string, Service>;
}

/** Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}; $$ escapes. */
export function interpolations(raw: string): Array<{ name: string; op: string; arg: string }> {
  const out: Array<{ name: string; op: string; arg: string }> = [];
  const re = /(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g;
  for (const m of raw.matchAll(re)) out.push({ name: m[1], op: m[2] ?? '', arg: m[3] ?? '' });
  return out;
}

/** Resolves interpolation with an environment, the way compose does (for checks on values). */
export function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g,
    (_m, name: string, op?: string, arg?: string) => {
      const v = env[name];
      if (op === ':-') return v ? v : (arg ?? '');
      if (op === '-') return v !== undefined ? v : (arg ?? '');
      return v ?? '';
    },
  );
}

/** An exact version tag: name:1.2 or name:1.2.3 with an optional -variant; no digest-less floating tags. */
export const PINNED_IMAGE =
  /^[a-z0-9][a-z0-9._/-]*:\d+\.\d+(\.\d+)?(-[A-Za-z0-9.]+)*(@sha256:[0-9a-f]{64})?$/;

export function checkImages(doc: Doc): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(services(doc))) {
    if (!svc.image && !svc.build) problems.push(`${name}: neither image nor build`);
    if (!svc.image) continue;
    const image = svc.image;
    if (svc.build) {
      // Our own image: a local name with the project's version, never a floating tag.
      if (!/^[a-z0-9][a-z0-9._/-]*:\d+\.\d+\.\d+$/.test(image))
        problems.push(`${name}: built image "${image}" needs a version tag`);
      continue;
    }
    if (image.includes('$')) problems.push(`${name}: image "${image}" is interpolated; pin it in the file`);
    if (/:latest$/.test(image) || !image.includes(':'))
      problems.push(`${name}: image "${image}" is not pinned`);
    else if (!PINNED_IMAGE.test(image))
      problems.push(`${name}: image "${image}" is not an exact version tag`);
    if (/auto-setup/.test(image)) problems.push(`${name}: temporalio/auto-setup is deprecated`);
  }
  return problems;
}

function dependsOn(svc: Service): Record<string, { condition?: string }> {
  const d = svc.depends_on;
  if (!d) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, {}]));
  return d;
}

const ONE_SHOT_RESTART = /^(no|on-failure(:\d+)?)$/;

export function checkDependencies(doc: Doc): string[] {
  const problems: string[] = [];
  const all = services(doc);
  const conditions = ['service_started', 'service_healthy', 'service_completed_successfully'];
  for (const [name, svc] of Object.entries(all)) {
    for (const [dep, spec] of Object.entries(dependsOn(svc))) {
      const target = all[dep];
      if (!target) {
        problems.push(`${name}: depends_on "${dep}", which is not a service`);
        continue;
      }
      const cond = spec.condition ?? 'service_started';
      if (!conditions.includes(cond))
        problems.push(`${name}: depends_on ${dep} with unknown condition "${cond}"`);
      if (cond === 'service_healthy' && (!target.healthcheck || target.healthcheck.disable)) {
        problems.push(`${name}: waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      }
      if (cond === 'service_completed_successfully' && !ONE_SHOT_RESTART.test(target.restart ?? 'no')) {
        problems.push(
          `${name}: waits for ${dep} to complete, but ${dep} restarts forever ("${target.restart}")`,
        );
      }
    }
  }
  // No cycles (compose refuses them at start-up).
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: string, trail: string[]) => {
    if (state.get(n) === 'done' || !all[n]) return;
    if (state.get(n) === 'visiting') {
      problems.push(`depends_on cycle: ${[...trail, n].join(' -> ')}`);
      return;
    }
    state.set(n, 'visiting');
    for (const dep of Object.keys(dependsOn(all[n]))) visit(dep, [...trail, n]);
    state.set(n, 'done');
  };
  for (const n of Object.keys(all)) visit(n, []);
  return problems;
}

/** Host paths: bind sources, build contexts and Dockerfiles, env_files must exist in the repository. */
export function checkPaths(doc: Doc, root = ROOT): string[] {
  const problems: string[] = [];
  const named = new Set(Object.keys(doc.volumes ?? {}));
  const exists = (p: string) => fs.existsSync(path.resolve(root, p));
  for (const [name, svc] of Object.entries(services(doc))) {
    for (const v of svc.volumes ?? []) {
      let source: string | undefined;
      let type: string | undefined;
      if (typeof v === 'string') {
        source = v.split(':')[0];
        type = /^[./~]/.test(source) ? 'bind' : 'volume';
      } else {
        source = v.source;
        type = v.type;
      }
      if (!source) continue;
      if (type === 'bind' && !exists(source))
        problems.push(`${name}: bind mount source ${source} does not exist`);
      if (type === 'volume' && !named.has(source))
        problems.push(`${name}: volume "${source}" is not declared`);
    }
    if (svc.build) {
      const ctx = typeof svc.build === 'string' ? svc.build : (svc.build.context ?? '.');
      const dockerfile =
        typeof svc.build === 'string' ? 'Dockerfile' : (svc.build.dockerfile ?? 'Dockerfile');
      if (!exists(ctx)) problems.push(`${name}: build context ${ctx} does not exist`);
      else if (!exists(path.join(ctx, dockerfile)))
        problems.push(`${name}: ${path.join(ctx, dockerfile)} does not exist`);
    }
    const envFiles =
      svc.env_file === undefined ? [] : Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file];
    for (const f of envFiles) {
      const p = typeof f === 'string' ? f : f.path;
      const required = typeof f === 'string' ? true : f.required !== false;
      if (required && !exists(p)) problems.push(`${name}: env_file ${p} does not exist`);
    }
  }
  return problems;
}

/** Published ports bind to 127.0.0.1 (a reverse proxy exposes what must be public). */
export function checkPorts(doc: Doc): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(services(doc))) {
    for (const p of svc.ports ?? []) {
      const hostIp = typeof p === 'string' ? p.split(':')[0] : p.host_ip;
      if (hostIp !== '127.0.0.1')
        problems.push(`${name}: port ${JSON.stringify(p)} is not bound to 127.0.0.1`);
    }
  }
  return problems;
}

export function asArgs(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : v.split(/\s+/).filter(Boolean);
}

export function environment(svc: Service): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((kv) => {
        const i = kv.indexOf('=');
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** The subcommands `nightshift` accepts, read from cli/main.ts's dispatch. */
export function cliCommands(root = ROOT): string[] {
  const src = fs.readFileSync(path.join(root, 'cli', 'main.ts'), 'utf8');
  return [...src.matchAll(/case '([a-z-]+)':/g)].map((m) => m[1]);
}

export interface DockerfileInfo {
  args: Record<string, string>;
  stages: Array<{ from: string; name?: string; lines: string[] }>;
}

/** A small Dockerfile reader: joins continuations, drops comments, splits into stages. */
export function readDockerfile(file = path.join(ROOT, 'Dockerfile')): DockerfileInfo {
  const text = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: DockerfileInfo['stages'] = [];
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const [instr] = line.split(/\s+/, 1);
    const upper = instr.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const m = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S+))?/i.exec(line);
      if (m) args[m[1]] = m[2] ?? '';
    } else if (upper === 'FROM') {
      const m = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line)!;
      const from = m[1].replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_x, n: string) => args[n] ?? '');
      stages.push({ from, name: m[2], lines: [] });
    } else if (stages.length) {
      stages[stages.length - 1].lines.push(line);
    }
  }
  return { args, stages };
}

/** Patterns of .dockerignore (simple form: names and globs at any depth, as used in this repo). */
export function dockerIgnored(rel: string, root = ROOT): boolean {
  const file = path.join(root, '.dockerignore');
  if (!fs.existsSync(file)) return false;
  const patterns = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const norm = rel.replace(/^\.\//, '').replace(/\/$/, '');
  let ignored = false;
  for (const pat of patterns) {
    const negate = pat.startsWith('!');
    const p = (negate ? pat.slice(1) : pat).replace(/^\//, '').replace(/\/$/, '');
    const re = new RegExp(
      '^' +
        p
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]*') +
        '(/.*)?$',
    );
    if (re.test(norm)) ignored = !negate;
  }
  return ignored;
}

function jsonArray(s: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(s);
    return Array.isArray(v) ? v.map(String) : undefined;
  } catch {
    return undefined;
  }
}

export function checkDockerfile(info: DockerfileInfo, root = ROOT): string[] {
  const problems: string[] = [];
  if (info.stages.length < 2) problems.push('Dockerfile is not multi-stage (build + runtime)');
  for (const s of info.stages) {
    if (info.stages.some((o) => o.name === s.from)) continue; // FROM an earlier stage
    if (!PINNED_IMAGE.test(s.from)) problems.push(`FROM ${s.from} is not an exact version tag`);
  }
  const build = info.stages.slice(0, -1).flatMap((s) => s.lines);
  const ci = build.find((l) => /^RUN\b.*\bnpm ci\b/.test(l));
  if (!ci) problems.push('no `npm ci` in the build stage');
  else if (!/--strict-allow-scripts/.test(ci)) problems.push('`npm ci` without --strict-allow-scripts');
  if (!build.some((l) => /^RUN\b.*\bnpm run build\b/.test(l)))
    problems.push('no `npm run build` in the build stage');

  const runtime = info.stages[info.stages.length - 1];
  if (!runtime) return problems;
  const users = runtime.lines.filter((l) => /^USER\b/i.test(l)).map((l) => l.split(/\s+/)[1]);
  const user = users[users.length - 1];
  if (!user || user === 'root' || user === '0' || user.startsWith('0:'))
    problems.push('runtime stage runs as root');

  // COPY from the build context: the source must exist and not be excluded by .dockerignore.
  // Files the runtime gets, for checking ENTRYPOINT/CMD paths.
  const runtimeFiles = new Set<string>();
  for (const s of info.stages) {
    for (const l of s.lines) {
      const m = /^COPY\s+((?:--\S+\s+)*)(.+)$/i.exec(l);
      if (!m) continue;
      const parts = m[2].trim().split(/\s+/);
      const dest = parts.pop()!;
      const fromStage = /--from=/.test(m[1]);
      for (const src of parts) {
        if (!fromStage) {
          if (!fs.existsSync(path.join(root, src))) problems.push(`COPY ${src}: not in the repository`);
          else if (dockerIgnored(src, root)) problems.push(`COPY ${src}: excluded by .dockerignore`);
        }
        if (s === runtime) {
          const target = dest.endsWith('/') ? path.posix.join(dest, path.posix.basename(src)) : dest;
          runtimeFiles.add(path.posix.normalize(target.replace(/^\.\//, '')));
        }
      }
    }
  }
  const entry = runtime.lines.filter((l) => /^ENTRYPOINT\b/i.test(l)).pop();
  const args = entry ? jsonArray(entry.replace(/^ENTRYPOINT\s+/i, '')) : undefined;
  if (!args) problems.push('runtime stage has no exec-form ENTRYPOINT');
  else {
    const script = args.find((a) => /\.(c?js|mjs)$/.test(a));
    if (!script) problems.push(`ENTRYPOINT ${JSON.stringify(args)} runs no script`);
    else {
      if (!fs.existsSync(path.join(root, script)))
        problems.push(`ENTRYPOINT script ${script} is not in the repository`);
      if (!runtimeFiles.has(script))
        problems.push(`ENTRYPOINT script ${script} is not copied into the runtime stage`);
    }
  }
  const cmd = runtime.lines.filter((l) => /^CMD\b/i.test(l)).pop();
  const cmdArgs = cmd ? jsonArray(cmd.replace(/^CMD\s+/i, '')) : [];
  if (cmdArgs && cmdArgs[0] && !cliCommands(root).includes(cmdArgs[0])) {
    problems.push(`CMD ${JSON.stringify(cmdArgs)} is not a nightshift command`);
  }
  return problems;
}

/** The files a Dockerfile's runtime stage contains from COPY lines (paths relative to WORKDIR). */
export function runtimeCopies(info: DockerfileInfo): string[] {
  const runtime = info.stages[info.stages.length - 1];
  const out: string[] = [];
  for (const l of runtime?.lines ?? []) {
    const m = /^COPY\s+((?:--\S+\s+)*)(.+)$/i.exec(l);
    if (!m) continue;
    const parts = m[2].trim().split(/\s+/);
    out.push(path.posix.normalize(parts[parts.length - 1].replace(/^\.\//, '')));
  }
  return out;
}

/** Every ${VAR} is documented, and required secrets fail loudly instead of defaulting. */
export function checkVariables(raw: string, docs: string, example: string, required: string[]): string[] {
  const problems: string[] = [];
  const uses = interpolations(raw);
  for (const name of new Set(uses.map((u) => u.name))) {
    if (!new RegExp(`\\b${name}\\b`).test(docs))
      problems.push(`\${${name}} is not documented in docs/deployment.md`);
    if (!new RegExp(`^${name}=`, 'm').test(example))
      problems.push(`\${${name}} is missing from deploy/env.example`);
  }
  for (const name of required) {
    const forms = uses.filter((u) => u.name === name);
    if (forms.length === 0) problems.push(`required ${name} is not used`);
    for (const f of forms) {
      if (f.op !== ':?')
        problems.push(`required ${name} must be written \${${name}:?message}, not with "${f.op}"`);
    }
  }
  return problems;
}

/** Names Nightshift reads from the environment (so a typo in compose is caught): every declared variable. */
export function envNamesReadByCode(root = ROOT): Set<string> {
  const names = new Set<string>(VARIABLES.map((v) => v.name));
  // Secrets that nightshift.yaml reads as ${env:NAME} at activity time.
  for (const m of fs
    .readFileSync(path.join(root, 'nightshift.yaml'), 'utf8')
    .matchAll(/\$\{env:([A-Z0-9_]+)\}/g)) {
    names.add(m[1]);
  }
  return names;
}

/** The GET routes the server's route plugins declare (`app.get('/path'` or `app.get<…>(\n '/path'`). */
function servedGetRoutes(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts'))
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/\bapp\.get(?:<[^>]*>)?\(\s*'([^']+)'/g))
          out.push(m[1]);
    }
  };
  walk(path.join(root, 'server'));
  return out;
}

/** The Nightshift services: real CLI roles, the project's image, Temporal reachable, config mounted. */
export function checkNightshiftServices(doc: Doc, root = ROOT): string[] {
  const problems: string[] = [];
  const all = services(doc);
  const roles = Object.entries(all).filter(([, s]) => s.build);
  const commands = cliCommands(root);
  const codeEnv = envNamesReadByCode(root);
  const seen = new Set<string>();
  for (const [name, svc] of roles) {
    const args = asArgs(svc.command);
    const role = args[0];
    if (!role || !commands.includes(role)) {
      problems.push(
        `${name}: command ${JSON.stringify(args)} is not a nightshift command (${commands.join(', ')})`,
      );
    } else if (role !== 'worker' && role !== 'server') {
      problems.push(`${name}: "${role}" is not a production role (worker or server)`);
    } else seen.add(role);
    if (!svc.restart || svc.restart === 'no') problems.push(`${name}: no restart policy`);
    const env = environment(svc);
    const addr = env.TEMPORAL_ADDRESS ?? '';
    const [host, port] = addr.split(':');
    if (!host || !all[host] || !/^\d+$/.test(port ?? ''))
      problems.push(`${name}: TEMPORAL_ADDRESS "${addr}" is not <service>:<port>`);
    for (const key of Object.keys(env)) {
      if (!codeEnv.has(key)) problems.push(`${name}: ${key} is read by no Nightshift code`);
    }
    const mounts = (svc.volumes ?? []).map((v) =>
      typeof v === 'string'
        ? { source: v.split(':')[0], target: v.split(':')[1], ro: /:ro$/.test(v) }
        : { source: v.source, target: v.target, ro: !!v.read_only },
    );
    for (const [key, local] of [
      ['NIGHTSHIFT_CONFIG', 'nightshift.yaml'],
      ['NIGHTSHIFT_PLAYBOOKS', 'playbooks'],
    ]) {
      const m = mounts.find((x) => x.target === env[key]);
      if (!env[key]) problems.push(`${name}: ${key} is not set`);
      else if (!m) problems.push(`${name}: nothing is mounted at ${key}=${env[key]}`);
      else {
        if (!m.ro) problems.push(`${name}: ${env[key]} is mounted read-write`);
        if (path.normalize(m.source ?? '') !== local)
          problems.push(`${name}: ${env[key]} comes from ${m.source}, not ./${local}`);
      }
    }
    if (role === 'server') {
      if (!env.NIGHTSHIFT_API_TOKENS) problems.push(`${name}: NIGHTSHIFT_API_TOKENS is not set`);
      if (env.NIGHTSHIFT_HTTP_HOST !== '0.0.0.0')
        problems.push(`${name}: must listen on 0.0.0.0 inside its container`);
      const test = asArgs(svc.healthcheck?.test);
      const route = test.find((a) => a.startsWith('/'));
      if (!route) problems.push(`${name}: healthcheck calls no HTTP route`);
      else if (!servedGetRoutes(root).includes(route))
        problems.push(`${name}: healthcheck route ${route} is not served`);
      const script = test.find((a) => a.endsWith('.js'));
      if (script && !fs.existsSync(path.join(root, script)))
        problems.push(`${name}: healthcheck script ${script} is missing`);
    }
  }
  for (const role of ['worker', 'server'])
    if (!seen.has(role)) problems.push(`no service runs \`nightshift ${role}\``);
  return problems;
}
