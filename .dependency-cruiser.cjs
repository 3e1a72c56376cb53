/**
 * The layering of isolane, checked by `npm run lint` (dependency-cruiser). From the bottom up:
 *   base     src/{errors,context,size}.ts, src/fs, src/git, src/lane, src/process, src/docker, src/snapshot
 *   plug-ins strategies/   (each gets a narrow kit: strategies/strategy.ts)
 *   config   src/config, src/resources, src/limits, src/policy, src/services   (merge and use the plug-ins)
 *   engine   src/engine
 *   surfaces src/cli, src/index.ts, bench/
 * An import may only point down, and nothing may import itself back through a circle.
 */
const BASE = '^src/(?:(?:errors|context|size)\\.ts$|(?:fs|git|lane|process|docker|snapshot)/)';
const ABOVE_BASE = '^(?:strategies/|bench/|src/(?:config|resources|limits|policy|services|engine|cli)/|src/index\\.ts$)';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'An import circle: the files in it can only be understood, tested and loaded together.', from: {}, to: { circular: true } },
    {
      name: 'strategy-uses-kit',
      severity: 'error',
      comment: 'A strategy gets what it needs through its kit (strategies/strategy.ts), never from the engine, config, policy or resources.',
      from: { path: '^strategies/' },
      to: { path: '^(?:src/(?:engine|cli|config|policy|resources|limits|services)/|src/index\\.ts$|bench/)' },
    },
    {
      name: 'base-stays-below',
      severity: 'error',
      comment: 'The base layer (git, lanes, Docker, processes, files) serves everything above it and knows none of it.',
      from: { path: BASE },
      to: { path: ABOVE_BASE },
    },
    {
      name: 'engine-not-surfaces',
      severity: 'error',
      comment: 'The engine is driven by the CLI, the library and the bench; it never reaches back up to them.',
      from: { path: '^src/(?:engine|config|resources|limits|policy|services)/' },
      to: { path: '^(?:src/cli/|bench/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(?:node_modules|dist)/' },
    // Type-only imports count too: a circle of types is still a circle to a reader.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
