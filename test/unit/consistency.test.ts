import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { USER_AGENT, VERSION } from '../../functions/core/version.ts';
import { FALLBACK_HANDLER, ROUTES } from '../../functions/routes.ts';
import { API_HANDLERS, QUEUE_HANDLERS } from '../../local/handlers.ts';

describe('consistency', () => {
  it('VERSION equals the version in package.json', () => {
    const pkg: unknown = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ version: VERSION });
    expect(USER_AGENT).toBe(`Encrata-Webhooks/${VERSION}`);
  });

  it('the local handler registry has exactly one handler per route, plus the fallback', () => {
    expect(Object.keys(API_HANDLERS).sort()).toEqual(
      [...ROUTES.map((route) => route.name), FALLBACK_HANDLER].sort(),
    );
    expect(FALLBACK_HANDLER).toBe('fallback');
    for (const handler of Object.values(API_HANDLERS)) expect(handler).toEqual(expect.any(Function));
  });

  it('the queue handlers are registered', () => {
    expect(Object.keys(QUEUE_HANDLERS).sort()).toEqual(['dispatcher', 'fanout']);
    for (const handler of Object.values(QUEUE_HANDLERS)) expect(handler).toEqual(expect.any(Function));
  });
});
