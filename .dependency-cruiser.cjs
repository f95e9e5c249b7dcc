/**
 * Import boundaries (npm run lint:deps, run in CI). The rooms and their directions are described
 * in ARCHITECTURE.md; these rules are the part of it a machine can check.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment:
        'Imports point one way; a cycle means two modules should be one, or a seam is missing.',
      from: { path: '^src/' },
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'product-never-imports-demo',
      severity: 'error',
      comment:
        'src/demo may import the product, never the reverse; only the composition root (context.ts, app.ts, server.ts) wires demo mode.',
      from: {
        path: '^src/',
        pathNot: ['^src/demo/', '^src/(context|app|server)\\.ts$', '\\.test\\.ts$'],
      },
      to: { path: '^src/demo/' },
    },
    {
      name: 'one-module-imports-twilio',
      severity: 'error',
      comment:
        'Only src/shared/twilio.ts talks to the twilio SDK; everything else uses its interfaces.',
      from: { path: '^(src|scripts)/', pathNot: '^src/shared/twilio\\.ts$' },
      to: { path: 'node_modules/twilio/' },
    },
    {
      name: 'one-module-imports-jsforce',
      severity: 'error',
      comment: 'Only src/salesforce/salesforce.client.ts will talk to the jsforce SDK.',
      from: { path: '^(src|scripts)/', pathNot: '^src/salesforce/salesforce\\.client\\.ts$' },
      to: { path: 'node_modules/jsforce/' },
    },
    {
      name: 'tables-belong-to-their-feature',
      severity: 'error',
      comment:
        "A feature reads another feature's data through that feature's service, never its repo (types excepted).",
      from: { path: '^src/([^/]+)/' },
      to: {
        path: '^src/[^/]+/.+\\.repo\\.ts$',
        pathNot: '^src/$1/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'routes-do-not-touch-repos',
      severity: 'error',
      comment: 'routes → service → repo: a route validates, calls the service and responds.',
      from: { path: '\\.routes\\.ts$' },
      to: { path: '\\.repo\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'shared-is-a-leaf',
      severity: 'error',
      comment: 'src/shared holds what several features use; it imports no feature.',
      from: { path: '^src/shared/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/(?!shared/)[^/]+/' },
    },
    {
      name: 'product-never-imports-tests-or-scripts',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(test|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
