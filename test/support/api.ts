import { randomUUID } from 'node:crypto';
import { issueApiKey } from '../../functions/core/api-key-service.ts';
import { apiKeyStore, eventPublisher } from '../../functions/shared/wiring.ts';
import { invokeApi } from '../../local/api-gateway.ts';

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
  json: any;
}

/** Calls the real handlers through the local API Gateway emulation, as a client would. */
export async function call(
  method: string,
  url: string,
  options: { key?: string; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const raw =
    options.rawBody !== undefined
      ? Buffer.from(options.rawBody)
      : options.body !== undefined
        ? Buffer.from(JSON.stringify(options.body))
        : Buffer.alloc(0);
  const result = await invokeApi({ method, url, headers, body: raw });
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    responseHeaders[name.toLowerCase()] = String(value);
  const body = result.body ?? '';
  let json: unknown;
  try {
    json = body ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: result.statusCode ?? 0, headers: responseHeaders, body, json };
}

/** Issues another API key for a workspace, as the operator command does. */
export async function addKey(workspaceId: string): Promise<{ key: string; keyId: string }> {
  const { record, key } = await issueApiKey(
    { apiKeys: apiKeyStore(), publisher: eventPublisher() },
    { workspaceId, name: 'test key', now: new Date() },
  );
  return { key, keyId: record.id };
}

/** A fresh workspace with one API key, so test files never see each other's data. */
export async function newWorkspace(
  name = 'test',
): Promise<{ workspaceId: string; key: string; keyId: string }> {
  const workspaceId = `ws_${name}_${randomUUID().slice(0, 8)}`;
  return { workspaceId, ...(await addKey(workspaceId)) };
}
