import type { IncomingMessage, ServerResponse } from 'node:http';
import { invokeApi, readBody, writeResult } from './api-gateway.ts';
import { createDashboardSite, isApiPath } from './static.ts';

/** Built once, as the stack starts (this module is loaded then). */
const dashboard = createDashboardSite();

/**
 * The local HTTP entry point: `/api/*` goes through the API Gateway emulation, everything else is
 * the dashboard (as CloudFront splits them when deployed).
 */
export async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (!isApiPath(new URL(req.url ?? '/', 'http://localhost').pathname))
      return await dashboard.handle(req, res);
    const body = await readBody(req);
    const result = await invokeApi({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body,
      sourceIp: req.socket.remoteAddress,
    });
    writeResult(res, result);
  } catch {
    // API Gateway's answer when an integration fails outright.
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"message":"Internal Server Error"}');
    } else {
      res.destroy();
    }
  }
}
