/**
 * Builds the dashboard (Settings → Webhooks) into a few static files: `index.html`, one hashed
 * script, one hashed stylesheet and a hashed icon under `assets/`. Both hosts use it: the local
 * stack builds in memory at start (local/static.ts) and the CDK stack builds into the asset it
 * deploys (lib/constructs/dashboard-site.ts). Nothing is fetched at run time.
 *
 * lib/ and jest load this file as CommonJS, so it takes the project root instead of using `import.meta`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { type BuildOptions, type BuildResult, build, buildSync, type OutputFile } from 'esbuild';
import { eventCatalogue } from '../functions/core/events.ts';

/**
 * The Content-Security-Policy both hosts send with every dashboard response: scripts, styles and
 * images from the page's own origin only (no inline code, no eval), API calls to the same origin,
 * no framing, no form posts, and DOM sinks closed by Trusted Types.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** The other security headers of every dashboard response (CloudFront adds HSTS on top). */
export const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
} as const;

/** `Cache-Control` of the HTML entry point: always revalidated, so a deploy shows up at once. */
export const INDEX_CACHE_CONTROL = 'no-cache';
/** `Cache-Control` of hashed assets: their name changes with their content. */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** Hashed files live under this prefix; everything else is the entry point. */
export const ASSETS_PREFIX = 'assets/';

export interface DashboardFile {
  /** Path relative to the site root, e.g. `index.html` or `assets/main-3FZ7Q2.js`. */
  path: string;
  contents: Uint8Array;
  contentType: string;
  cacheControl: string;
}

export interface DashboardBuildOptions {
  /** Directory holding `dashboard/`. @default process.cwd() */
  projectRoot?: string;
  /** Minify the script and stylesheet. @default true */
  minify?: boolean;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
}

/** The event catalogue as the page needs it: type and description, without the zod schemas. */
function catalogueForBrowser(): { type: string; description: string }[] {
  return Object.entries(eventCatalogue).map(([type, entry]) => ({ type, description: entry.description }));
}

function esbuildOptions(root: string, minify: boolean): BuildOptions & { write: false; metafile: true } {
  return {
    absWorkingDir: root,
    entryPoints: [join(root, 'dashboard/src/main.tsx')],
    outdir: join(root, 'dashboard/dist', ASSETS_PREFIX),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Browsers from 2023 on: native <dialog>, :focus-visible, optional chaining, CSS nesting not used.
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify,
    legalComments: 'eof',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // The catalogue (contract §4) is baked in at build time: the page needs no zod and no request for it.
    define: { __EVENT_CATALOGUE__: JSON.stringify(catalogueForBrowser()) },
    loader: { '.svg': 'file' },
    // URLs of files the script imports (the icon) are absolute: the page is always served from `/`.
    publicPath: `/${ASSETS_PREFIX.slice(0, -1)}`,
  };
}

function integrity(contents: Uint8Array): string {
  return `sha384-${createHash('sha384').update(contents).digest('base64')}`;
}

/** Turns esbuild's output into the site: the hashed assets plus an index.html that names them. */
function toSite(root: string, result: BuildResult & { outputFiles: OutputFile[] }): DashboardFile[] {
  const distRoot = join(root, 'dashboard/dist/');
  const assets = result.outputFiles.map((file) => ({
    path: file.path.slice(distRoot.length).split('\\').join('/'),
    contents: file.contents,
    contentType: contentTypeOf(file.path),
    cacheControl: ASSET_CACHE_CONTROL,
  }));
  const find = (ext: string) => {
    const found = assets.find(
      (asset) => asset.path.startsWith(`${ASSETS_PREFIX}main-`) && asset.path.endsWith(ext),
    );
    if (!found) throw new Error(`the dashboard build produced no main${ext}`);
    return found;
  };
  const script = find('.js');
  const stylesheet = find('.css');
  const icon = assets.find((asset) => asset.path.endsWith('.svg'));
  const template = readFileSync(join(root, 'dashboard/index.html'), 'utf8');
  const html = template
    .replace(
      '<!-- stylesheet -->',
      `<link rel="stylesheet" href="/${stylesheet.path}" integrity="${integrity(stylesheet.contents)}">`,
    )
    .replace(
      '<!-- script -->',
      `<script type="module" src="/${script.path}" integrity="${integrity(script.contents)}"></script>`,
    )
    .replace('<!-- icon -->', icon ? `<link rel="icon" href="/${icon.path}" type="image/svg+xml">` : '');
  return [
    {
      path: 'index.html',
      contents: new TextEncoder().encode(html),
      contentType: contentTypeOf('index.html'),
      cacheControl: INDEX_CACHE_CONTROL,
    },
    ...assets,
  ];
}

/** Builds the site in memory (the local stack serves it from there). */
export async function buildDashboard(options: DashboardBuildOptions = {}): Promise<DashboardFile[]> {
  const root = options.projectRoot ?? process.cwd();
  const result = await build(esbuildOptions(root, options.minify ?? true));
  return toSite(root, result);
}

/** Builds the site into `outdir` (CDK asset bundling runs synchronously). */
export function buildDashboardInto(outdir: string, options: DashboardBuildOptions = {}): DashboardFile[] {
  const root = options.projectRoot ?? process.cwd();
  const files = toSite(root, buildSync(esbuildOptions(root, options.minify ?? true)));
  for (const file of files) {
    const target = join(outdir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.contents);
  }
  return files;
}
