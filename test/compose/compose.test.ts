// docker-compose.yml, the Dockerfile and the Temporal setup scripts, checked without a Docker engine.
// Each check is also run against a broken copy to prove that it catches the breakage.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ROOT,
  asArgs,
  checkDependencies,
  checkDockerfile,
  checkImages,
  checkNightshiftServices,
  checkPaths,
  checkPorts,
  checkVariables,
  environment,
  interpolate,
  loadCompose,
  readDockerfile,
  runtimeCopies,
  services,
  type Doc,
} from './compose-checks';

const { doc, raw } = loadCompose();
const all = services(doc);
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const docs = read('docs/deployment.md');
const example = read('deploy/env.example');
const REQUIRED_SECRETS = [
  'POSTGRES_PASSWORD',
  'NIGHTSHIFT_API_TOKENS',
  'NIGHTSHIFT_PUBLIC_URL',
  'NIGHTSHIFT_LINK_SECRET',
];
const clone = (): Doc => structuredClone(doc);

describe('docker-compose.yml', () => {
  test('has the production topology', () => {
    expect(Object.keys(all).sort()).toEqual(
      [
        'nightshift-server',
        'nightshift-worker',
        'postgresql',
        'temporal',
        'temporal-namespace',
        'temporal-schema',
        'temporal-ui',
      ].sort(),
    );
    expect(all.postgresql.image).toMatch(/^postgres:/);
    expect(all.temporal.image).toMatch(/^temporalio\/server:/);
    expect(all['temporal-schema'].image).toMatch(/^temporalio\/admin-tools:/);
    expect(all['temporal-namespace'].image).toMatch(/^temporalio\/admin-tools:/);
    expect(all['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
  });

  test('every image is pinned to an exact version, and none is the deprecated auto-setup', () => {
    expect(checkImages(doc)).toEqual([]);
    expect(raw).not.toMatch(/auto-setup/);
  });

  test('the schema tool and the server are the same Temporal release', () => {
    const tag = (img?: string) => img?.split(':')[1];
    expect(tag(all['temporal-schema'].image)).toBe(tag(all.temporal.image));
    expect(tag(all['temporal-namespace'].image)).toBe(tag(all.temporal.image));
  });

  test('depends_on names real services with conditions that can be met, and has no cycle', () => {
    expect(checkDependencies(doc)).toEqual([]);
    const dep = (svc: string) => all[svc].depends_on as Record<string, { condition: string }>;
    expect(dep('temporal-schema').postgresql.condition).toBe('service_healthy');
    expect(dep('temporal')['temporal-schema'].condition).toBe('service_completed_successfully');
    expect(dep('temporal-namespace').temporal.condition).toBe('service_healthy');
    for (const svc of ['nightshift-worker', 'nightshift-server']) {
      expect(dep(svc)['temporal-namespace'].condition).toBe('service_completed_successfully');
    }
  });

  test('every bind mount, build context and env_file exists in the repository', () => {
    expect(checkPaths(doc)).toEqual([]);
  });

  test('published ports bind to 127.0.0.1 only, and PostgreSQL is not published', () => {
    expect(checkPorts(doc)).toEqual([]);
    expect(all.postgresql.ports).toBeUndefined();
  });

  test('every ${VAR} is documented; required secrets fail loudly and have no default', () => {
    expect(checkVariables(raw, docs, example, REQUIRED_SECRETS)).toEqual([]);
    // And the example .env carries no secret.
    for (const name of REQUIRED_SECRETS) expect(example).toMatch(new RegExp(`^${name}=$`, 'm'));
  });

  test('long-running services restart; one-shot jobs retry a bounded number of times', () => {
    for (const svc of ['postgresql', 'temporal', 'temporal-ui', 'nightshift-worker', 'nightshift-server']) {
      expect([svc, all[svc].restart]).toEqual([svc, 'unless-stopped']);
    }
    for (const svc of ['temporal-schema', 'temporal-namespace']) {
      expect(all[svc].restart).toMatch(/^on-failure:\d+$/);
    }
  });

  test('PostgreSQL and Temporal have healthchecks; the data lives in a named volume', () => {
    expect(asArgs(all.postgresql.healthcheck?.test).join(' ')).toMatch(/pg_isready/);
    expect(asArgs(all.temporal.healthcheck?.test).join(' ')).toMatch(/7233/);
    expect(all.postgresql.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    expect(Object.keys(doc.volumes)).toContain('postgres-data');
  });

  test('Temporal reads the dynamic config file shipped in deploy/', () => {
    const env = environment(all.temporal);
    const file = env.DYNAMIC_CONFIG_FILE_PATH;
    const mount = (all.temporal.volumes ?? []).find(
      (v) => typeof v !== 'string' && file.startsWith(`${v.target}/`),
    ) as { source: string; target: string };
    expect(mount).toBeDefined();
    const local = path.join(ROOT, mount.source, path.relative(mount.target, file));
    expect(fs.existsSync(local)).toBe(true);
    expect(env.DB).toBe('postgres12');
    expect(env.POSTGRES_SEEDS).toBe('postgresql');
    expect(env.BIND_ON_IP).toBe('0.0.0.0');
  });

  test('the Temporal password reaches PostgreSQL, the schema job and the server alike', () => {
    const vars = { POSTGRES_PASSWORD: 's3cret' };
    expect(interpolate(environment(all.postgresql).POSTGRES_PASSWORD, vars)).toBe('s3cret');
    expect(interpolate(environment(all['temporal-schema']).POSTGRES_PWD, vars)).toBe('s3cret');
    expect(interpolate(environment(all.temporal).POSTGRES_PWD, vars)).toBe('s3cret');
    expect(environment(all.postgresql).POSTGRES_USER).toBe(environment(all.temporal).POSTGRES_USER);
  });

  test('the Nightshift services run real CLI roles against Temporal with the config mounted read-only', () => {
    expect(checkNightshiftServices(doc)).toEqual([]);
    expect(asArgs(all['nightshift-worker'].command)).toEqual(['worker']);
    expect(asArgs(all['nightshift-server'].command)).toEqual(['server']);
  });

  test('the server healthcheck script is in the image', () => {
    const script = asArgs(all['nightshift-server'].healthcheck?.test).find((a) => a.endsWith('.js'))!;
    expect(runtimeCopies(readDockerfile())).toContain(script);
  });
});

describe('Temporal setup scripts (deploy/temporal)', () => {
  const scriptOf = (svc: string) => {
    const args = asArgs(all[svc].entrypoint);
    const inContainer = args.find((a) => a.endsWith('.sh'))!;
    const mount = (all[svc].volumes ?? []).find(
      (v) => typeof v !== 'string' && inContainer.startsWith(`${v.target}/`),
    ) as { source: string; target: string };
    return path.join(mount.source, path.relative(mount.target, inContainer));
  };

  test.each(['temporal-schema', 'temporal-namespace'])('%s runs a script that exists and parses', (svc) => {
    const file = scriptOf(svc);
    expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
    // The admin-tools image has busybox sh, not bash: the script must be POSIX sh.
    expect(read(file).split('\n')[0]).toBe('#!/bin/sh');
    execFileSync('sh', ['-n', path.join(ROOT, file)]);
  });

  test('schema setup creates, sets up and updates both databases with temporal-sql-tool', () => {
    const src = read(scriptOf('temporal-schema'));
    expect(src).toMatch(/set -eu/);
    expect(src).toMatch(/temporal-sql-tool --plugin postgres12/);
    for (const step of ['create', 'setup-schema -v 0.0', 'update-schema -d']) expect(src).toContain(step);
    expect(src).toMatch(/\$DBNAME:temporal/);
    expect(src).toMatch(/\$VISIBILITY_DBNAME:visibility/);
    expect(src).toContain('/etc/temporal/schema/postgresql/v12');
  });

  test('namespace creation waits for cluster health, in a bounded loop, and is idempotent', () => {
    const src = read(scriptOf('temporal-namespace'));
    const health = src.indexOf('temporal operator cluster health');
    const create = src.indexOf('temporal operator namespace create');
    expect(health).toBeGreaterThan(-1);
    expect(create).toBeGreaterThan(health);
    expect(src).toMatch(/until temporal operator cluster health/);
    expect(src).toMatch(/-ge "\$ATTEMPTS"/);
    expect(src).toMatch(/namespace describe/);
  });

  test('shellcheck is clean where it is installed', () => {
    let have = true;
    try {
      execFileSync('shellcheck', ['--version'], { stdio: 'ignore' });
    } catch {
      have = false;
    }
    if (!have) return; // optional tool; CI images without it still run every other check
    const files = [
      'deploy/temporal/setup-postgres.sh',
      'deploy/temporal/create-namespace.sh',
      'scripts/prod-temporal.sh',
    ];
    execFileSync(
      'shellcheck',
      files.map((f) => path.join(ROOT, f)),
    );
  });
});

describe('Dockerfile', () => {
  const info = readDockerfile();

  test('multi-stage, pinned base, npm ci --strict-allow-scripts then npm run build, non-root runtime', () => {
    expect(checkDockerfile(info)).toEqual([]);
    const build = info.stages[0].lines;
    const ci = build.findIndex((l) => /npm ci/.test(l));
    const b = build.findIndex((l) => /npm run build/.test(l));
    expect(ci).toBeGreaterThan(-1);
    expect(b).toBeGreaterThan(ci);
  });

  test('the entrypoint is bin/nightshift.js, which loads the CLI that `npm run build` emits', () => {
    const runtime = info.stages[info.stages.length - 1];
    expect(runtime.lines).toContain('ENTRYPOINT ["node", "bin/nightshift.js"]');
    expect(read('bin/nightshift.js')).toContain("'dist', 'cli', 'main.js'");
    const buildCfg = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    expect(buildCfg.include).toContain('cli');
    expect(runtimeCopies(info)).toEqual(
      expect.arrayContaining(['dist', 'node_modules', 'bin/nightshift.js']),
    );
  });

  test('the build context keeps secrets and local state out', () => {
    const ignore = read('.dockerignore');
    for (const p of ['.env', '.nightshift', 'node_modules', '.git']) expect(ignore.split('\n')).toContain(p);
  });
});

describe('the checks catch a broken file', () => {
  const svc = (d: Doc, name: string) => d.services[name];

  test.each<[string, (d: Doc) => void, (d: Doc) => string[]]>([
    ['image :latest', (d) => (svc(d, 'temporal').image = 'temporalio/server:latest'), checkImages],
    ['image without tag', (d) => (svc(d, 'temporal-ui').image = 'temporalio/ui'), checkImages],
    ['major-only tag', (d) => (svc(d, 'postgresql').image = 'postgres:17'), checkImages],
    ['auto-setup', (d) => (svc(d, 'temporal').image = 'temporalio/auto-setup:1.29.1'), checkImages],
    ['interpolated tag', (d) => (svc(d, 'temporal').image = 'temporalio/server:${V}'), checkImages],
    [
      'unknown dependency',
      (d) =>
        (svc(d, 'temporal').depends_on = {
          'temporal-setup': { condition: 'service_completed_successfully' },
        }),
      checkDependencies,
    ],
    [
      'healthy on a service without healthcheck',
      (d) => (svc(d, 'nightshift-server').depends_on = { 'temporal-ui': { condition: 'service_healthy' } }),
      checkDependencies,
    ],
    [
      'cycle',
      (d) => (svc(d, 'postgresql').depends_on = { 'nightshift-server': { condition: 'service_started' } }),
      checkDependencies,
    ],
    [
      'missing bind source',
      (d) => (svc(d, 'temporal').volumes = [{ type: 'bind', source: './deploy/nope', target: '/x' }]),
      checkPaths,
    ],
    [
      'undeclared volume',
      (d) => (svc(d, 'postgresql').volumes = ['pgdata:/var/lib/postgresql/data']),
      checkPaths,
    ],
    ['missing env_file', (d) => (svc(d, 'nightshift-worker').env_file = ['./nightshift.env']), checkPaths],
    ['port on all interfaces', (d) => (svc(d, 'nightshift-server').ports = ['8080:8080']), checkPorts],
    [
      'unknown CLI command',
      (d) => (svc(d, 'nightshift-worker').command = ['serve']),
      checkNightshiftServices,
    ],
    [
      '`start` is not a role',
      (d) => (svc(d, 'nightshift-worker').command = ['start']),
      checkNightshiftServices,
    ],
    [
      'misspelt env var',
      (d) => (svc(d, 'nightshift-worker').environment.TEMPORAL_ADRESS = 'temporal:7233'),
      checkNightshiftServices,
    ],
    [
      'Temporal address not a service',
      (d) => (svc(d, 'nightshift-server').environment.TEMPORAL_ADDRESS = 'temporal-frontend:7233'),
      checkNightshiftServices,
    ],
    [
      'playbooks mounted read-write',
      (d) =>
        (svc(d, 'nightshift-server').volumes = [
          './nightshift.yaml:/etc/nightshift/nightshift.yaml:ro',
          './playbooks:/etc/nightshift/playbooks',
        ]),
      checkNightshiftServices,
    ],
    [
      'healthcheck on a route the server lacks',
      (d) =>
        (svc(d, 'nightshift-server').healthcheck.test = ['CMD', 'node', 'deploy/healthcheck.js', '/health']),
      checkNightshiftServices,
    ],
  ])('%s', (_name, mutate, check) => {
    const d = clone();
    mutate(d);
    expect(check(d).length).toBeGreaterThan(0);
  });

  test('an undocumented variable, and a secret with a default', () => {
    expect(
      checkVariables(`${raw}\n# \${NIGHTSHIFT_NEW_SETTING:-x}`, docs, example, REQUIRED_SECRETS),
    ).not.toEqual([]);
    const defaulted = raw.replace(/\$\{POSTGRES_PASSWORD:\?[^}]*\}/, '${POSTGRES_PASSWORD:-temporal}');
    expect(checkVariables(defaulted, docs, example, REQUIRED_SECRETS)).not.toEqual([]);
  });

  test.each<[string, (info: ReturnType<typeof readDockerfile>) => void]>([
    ['root runtime', (i) => (i.stages[1].lines = i.stages[1].lines.filter((l) => !/^USER/.test(l)))],
    ['unpinned base', (i) => (i.stages[0].from = 'node:20')],
    [
      'npm ci without the flag',
      (i) => (i.stages[0].lines = i.stages[0].lines.map((l) => l.replace(' --strict-allow-scripts', ''))),
    ],
    ['no build', (i) => (i.stages[0].lines = i.stages[0].lines.filter((l) => !/npm run build/.test(l)))],
    ['missing entrypoint file', (i) => i.stages[1].lines.push('ENTRYPOINT ["node", "bin/missing.js"]')],
    [
      'entrypoint not copied',
      (i) => (i.stages[1].lines = i.stages[1].lines.filter((l) => !/COPY bin\//.test(l))),
    ],
    ['COPY of an ignored path', (i) => i.stages[0].lines.push('COPY dist/ dist/')],
    ['CMD not a command', (i) => i.stages[1].lines.push('CMD ["serve"]')],
  ])('Dockerfile: %s', (_name, mutate) => {
    const info = structuredClone(readDockerfile());
    mutate(info);
    expect(checkDockerfile(info).length).toBeGreaterThan(0);
  });
});
