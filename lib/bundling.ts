import { join } from 'node:path';

/**
 * How every function is bundled: one definition read by the CDK stack (NodeFunction) and by the
 * benchmark, so that the sizes and cold starts `npm run bench` reports are those of what deploys.
 */
export const FUNCTION_BUNDLING = {
  minify: true,
  sourceMap: true,
  // Stack traces only need the mappings; embedding the sources would roughly double the asset.
  sourcesContent: false,
  target: 'node24',
  // CommonJS needs no import.meta or top-level-await support from dependencies and loads fastest.
  format: 'cjs',
  // Prefer ES module builds so esbuild can tree-shake the AWS SDK and Powertools.
  mainFields: ['module', 'main'],
} as const;

/**
 * Modules replaced in every bundle: the SDK's default credential chain by the environment-only
 * provider Lambda needs (functions/adapters/aws/credentials.ts), paths relative to the project root.
 */
export const BUNDLE_ALIASES = {
  '@aws-sdk/credential-provider-node': 'functions/adapters/aws/credentials.ts',
} as const;

/** The aliases as absolute paths under `projectRoot`. */
export function bundleAliases(projectRoot: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(BUNDLE_ALIASES).map(([name, file]) => [name, join(projectRoot, file)]),
  );
}

/** The same bundling as esbuild's JS API takes it (the benchmark builds with it). */
export function esbuildOptions(entry: string, projectRoot = process.cwd()) {
  return {
    alias: bundleAliases(projectRoot),
    entryPoints: [entry],
    bundle: true,
    platform: 'node' as const,
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap ? ('external' as const) : false,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    target: FUNCTION_BUNDLING.target,
    format: FUNCTION_BUNDLING.format,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
  };
}
