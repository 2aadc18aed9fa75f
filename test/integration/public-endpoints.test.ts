import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call } from '../support/api.ts';

describe('unauthenticated endpoints', () => {
  it('serves the committed OpenAPI document at /api/openapi.json', async () => {
    const res = await call('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json).toEqual(JSON.parse(readFileSync(join(process.cwd(), 'docs', 'openapi.json'), 'utf8')));
  });

  it('answers health without a key, and 405 for other methods', async () => {
    const res = await call('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    expect((await call('DELETE', '/api/health')).status).toBe(405);
  });
});
