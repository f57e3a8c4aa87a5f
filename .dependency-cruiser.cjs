// The architecture's rules, checked by `npm run lint` (dependency-cruiser): each top-level folder may
// import only the folders listed for it, so dependencies point one way (README "Folders"), with no
// cycle between folders or modules. test/, bench/ and scripts may import anything.
'use strict';

/** Every folder below the composition roots, bottom first. */
const LIBRARY = [
  'core',
  'engine',
  'compiler',
  'workflows',
  'platform',
  'integrations',
  'intake',
  'activities',
  'simulator',
  'console',
  'server',
];

/** Folder → the folders of ours it may import (besides itself). A DAG: see README "Folders". */
const ALLOWED = {
  core: [],
  engine: ['core'],
  compiler: ['core', 'engine'],
  workflows: ['core', 'engine'],
  platform: ['core'],
  integrations: ['core', 'platform'],
  intake: ['core', 'engine', 'compiler', 'workflows', 'platform', 'integrations'],
  activities: ['core', 'platform', 'integrations', 'intake', 'workflows'],
  // The interpreter on a virtual clock (nightshift simulate, the console's simulator): Node-side, so
  // not in engine/ (the workflow sandbox), and below server/ and cli/ which both run it. It may read
  // integrations/ for the scripted Defender tenant and the KQL it shows (the activities' own formats).
  simulator: ['core', 'engine', 'integrations'],
  // The responder web console's pages and assets: plain views over a model, served by server/ only.
  console: ['core', 'integrations'],
  server: [
    'core',
    'engine',
    'compiler',
    'workflows',
    'platform',
    'integrations',
    'intake',
    'activities',
    'simulator',
    'console',
  ],
  // Composition roots: worker assembles the workers from everything above; cli is every command (and
  // runs worker and server).
  worker: [...LIBRARY],
  cli: [...LIBRARY, 'worker'],
};
const FOLDERS = Object.keys(ALLOWED);

/** npm packages the workflow bundle may import (core/, engine/, workflows/ run in the sandbox). */
const WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common', '@marcbachmann/cel-js', 'luxon'];
const SANDBOXED = ['core', 'engine', 'workflows'];

const folderRules = FOLDERS.map((from) => ({
  name: `${from}-imports`,
  comment: `${from}/ may import only ${ALLOWED[from].join(', ') || 'nothing of ours'}`,
  severity: 'error',
  from: { path: `^${from}/` },
  to: { path: `^(${FOLDERS.filter((f) => f !== from && !ALLOWED[from].includes(f)).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...folderRules,
    {
      name: 'no-cycles',
      comment: 'No module imports itself back, directly or through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'composition-roots',
      comment: 'Nothing imports cli/; only cli/ imports worker/ (tests and benchmarks may).',
      severity: 'error',
      from: { path: '^(core|engine|compiler|workflows|platform|integrations|intake|activities|server)/' },
      to: { path: '^(cli|worker)/' },
    },
    {
      name: 'workflow-sandbox-packages',
      comment: `core/, engine/, workflows/ run in the workflow sandbox: only ${WORKFLOW_PACKAGES.join(', ')}`,
      severity: 'error',
      from: { path: `^(${SANDBOXED.join('|')})/` },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown', 'core'],
        pathNot: `(^|/)node_modules/(${WORKFLOW_PACKAGES.join('|')})/`,
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|bench/out|node_modules)/' },
    // Type-only imports count: a type from the wrong folder is the same wrong dependency.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
