/**
 * Serves the dashboard from the local stack, on the API's origin (so the page calls the API with no
 * CORS at all, as behind CloudFront). The site is built in memory with esbuild when the stack
 * starts, so `npm start` needs no build step; files get the same headers CloudFront sends.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildDashboard, type DashboardFile, SECURITY_HEADERS } from '../dashboard/build.ts';

interface ServedFile extends DashboardFile {
  etag: string;
}

export interface DashboardSite {
  /** Resolves once the first build finished (rejects if it failed). */
  ready: Promise<void>;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** Whether a path belongs to the management API rather than the dashboard. */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  body: Uint8Array | string,
  head: boolean,
) {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'Content-Length': bytes.length });
  res.end(head ? undefined : bytes);
}

const PLAIN = { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' };

/**
 * Starts building the dashboard at once and answers `GET /` (index.html, always revalidated) and
 * `GET /assets/*` (hashed, cached for a year). Anything else is a 404; other methods a 405.
 * @param options.projectRoot directory holding `dashboard/` (default: the working directory)
 */
export function createDashboardSite(options: { projectRoot?: string } = {}): DashboardSite {
  const files = buildDashboard({ projectRoot: options.projectRoot }).then(
    (built) =>
      new Map<string, ServedFile>(
        built.map((file) => [
          `/${file.path}`,
          {
            ...file,
            etag: `"${createHash('sha256').update(file.contents).digest('base64url').slice(0, 27)}"`,
          },
        ]),
      ),
  );
  // The failure is reported to each request (and through `ready`), never as an unhandled rejection.
  files.catch(() => {});

  return {
    ready: files.then(() => undefined),
    async handle(req, res) {
      const method = req.method ?? 'GET';
      const head = method === 'HEAD';
      if (method !== 'GET' && !head) {
        send(res, 405, { ...PLAIN, Allow: 'GET, HEAD' }, 'Method Not Allowed\n', false);
        return;
      }
      let site: Map<string, ServedFile>;
      try {
        site = await files;
      } catch (error) {
        send(res, 500, PLAIN, `The dashboard could not be built:\n${(error as Error).message}\n`, head);
        return;
      }
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const file = site.get(path === '/' ? '/index.html' : path);
      if (!file) {
        send(res, 404, PLAIN, 'Not found. The dashboard is at /.\n', head);
        return;
      }
      const headers = {
        'Content-Type': file.contentType,
        'Cache-Control': file.cacheControl,
        ETag: file.etag,
      };
      if (req.headers['if-none-match'] === file.etag) {
        res.writeHead(304, { ...SECURITY_HEADERS, ...headers });
        res.end();
        return;
      }
      send(res, 200, headers, file.contents, head);
    },
  };
}
