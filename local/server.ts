import type { IncomingMessage, ServerResponse } from 'node:http';
import { invokeApi, readBody, writeResult } from './api-gateway.ts';

/** The local HTTP entry point: everything goes through the API Gateway emulation. */
export async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
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
