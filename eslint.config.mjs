// ESLint flat config. Workflow code (and the pure modules it imports) must be deterministic:
// no Node built-ins, no I/O — the Temporal sandbox would reject them at bundle time or, worse, at replay.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.nightshift/', 'coverage/', 'bench/out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Deterministic code: every folder the workflow bundle reaches (core/, engine/, workflows/).
    files: ['core/**/*.ts', 'engine/**/*.ts', 'workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins,
          patterns: ['@temporalio/activity', '@temporalio/worker', '@temporalio/client'],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process', 'require'],
    },
  },
  {
    // Settings are read once: the CLI (the composition root) reads the process environment and passes
    // it down; everything else reads declared variables through platform/config/variables.ts.
    files: ['{core,engine,compiler,workflows,platform,integrations,activities,intake,server,worker}/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read settings through platform/config (cli/ passes the environment down).',
        },
      ],
    },
  },
  {
    // Plain Node scripts (CommonJS): bin/, deploy/, reporters.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module', globals: { ...globals.node } } },
  prettier,
);
