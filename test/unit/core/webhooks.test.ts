import fc from 'fast-check';
import { EVENT_TYPES } from '../../../functions/core/events.ts';
import {
  createWebhookSchema,
  MAX_DESCRIPTION_LENGTH,
  MAX_URL_LENGTH,
  toWebhookOut,
  updateWebhookSchema,
  webhookOutSchema,
} from '../../../functions/core/webhooks.ts';
import { webhookRecord } from '../support/fakes.ts';

const URL_OK = 'https://receiver.example.com/hooks';
const WH_ID = '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

const issues = (
  input: unknown,
  schema: typeof createWebhookSchema | typeof updateWebhookSchema = createWebhookSchema,
) => {
  const result = schema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
};

/** A URL of exactly `length` characters. */
const urlOfLength = (length: number) => {
  const prefix = 'https://example.com/';
  return prefix + 'a'.repeat(length - prefix.length);
};

describe('createWebhookSchema', () => {
  it('accepts a minimal webhook', () => {
    expect(createWebhookSchema.parse({ url: URL_OK, events: ['lookup.completed'] })).toEqual({
      url: URL_OK,
      events: ['lookup.completed'],
    });
  });

  it('accepts every catalogue event, and a description', () => {
    const parsed = createWebhookSchema.parse({
      url: URL_OK,
      events: [...EVENT_TYPES],
      description: 'CRM sync',
    });
    expect(parsed.events).toEqual([...EVENT_TYPES]);
    expect(parsed.description).toBe('CRM sync');
  });

  it('accepts a null or absent description', () => {
    expect(
      createWebhookSchema.parse({ url: URL_OK, events: ['credits.low'], description: null }).description,
    ).toBeNull();
    expect(createWebhookSchema.parse({ url: URL_OK, events: ['credits.low'] }).description).toBeUndefined();
  });

  it('trims the URL', () => {
    expect(createWebhookSchema.parse({ url: `  ${URL_OK} `, events: ['credits.low'] }).url).toBe(URL_OK);
  });

  it.each([
    ['http://receiver.example.com/hooks', 'url must use https'],
    ['ftp://receiver.example.com/', 'url must use https'],
    ['wss://receiver.example.com/', 'url must use https'],
    ['receiver.example.com/hooks', 'url must be an absolute URL'],
    ['/hooks', 'url must be an absolute URL'],
    ['https://', 'url must be an absolute URL'],
    ['', 'url is required'],
    ['https://user:pass@receiver.example.com/', 'url must not contain a user name or password'],
    ['https://user@receiver.example.com/', 'url must not contain a user name or password'],
    ['https://:pass@receiver.example.com/', 'url must not contain a user name or password'],
    ['https://receiver.example.com/hooks#section', 'url must not contain a #fragment'],
    ['https://receiver.example.com/hooks#', 'url must not contain a #fragment'],
    ['https://receiver.example.com/#/hooks?a=1', 'url must not contain a #fragment'],
  ])('rejects the url %j', (url, message) => {
    expect(issues({ url, events: ['credits.low'] })).toContainEqual({ path: 'url', message });
  });

  it.each([undefined, null, 42, ['https://a.example']])('rejects a url that is not a string: %j', (url) => {
    expect(issues({ url, events: ['credits.low'] })).toEqual([
      { path: 'url', message: 'url is required and must be a string' },
    ]);
  });

  it('accepts a URL of 2048 characters and rejects 2049', () => {
    expect(
      createWebhookSchema.safeParse({ url: urlOfLength(MAX_URL_LENGTH), events: ['credits.low'] }).success,
    ).toBe(true);
    expect(issues({ url: urlOfLength(MAX_URL_LENGTH + 1), events: ['credits.low'] })).toContainEqual({
      path: 'url',
      message: 'url must be at most 2048 characters',
    });
  });

  it('rejects empty, missing or non-array events', () => {
    expect(issues({ url: URL_OK, events: [] })).toEqual([
      { path: 'events', message: 'events must contain at least one event type' },
    ]);
    for (const events of [undefined, null, 'credits.low', { 0: 'credits.low' }]) {
      expect(issues({ url: URL_OK, events })).toEqual([
        { path: 'events', message: 'events must be an array of event types' },
      ]);
    }
  });

  it('rejects an unknown or unsubscribable event with its index in the path', () => {
    const found = issues({ url: URL_OK, events: ['credits.low', 'test'] });
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe('events.1');
    expect(found[0]?.message).toContain('unknown event type "test"');
    expect(issues({ url: URL_OK, events: ['lookup.completed', 42] })[0]?.path).toBe('events.1');
  });

  it('removes duplicate events, keeping the first occurrence order', () => {
    const parsed = createWebhookSchema.parse({
      url: URL_OK,
      events: ['credits.low', 'lookup.completed', 'credits.low', 'apikey.created', 'lookup.completed'],
    });
    expect(parsed.events).toEqual(['credits.low', 'lookup.completed', 'apikey.created']);
  });

  it('de-duplicates any list of catalogue events to its distinct values in first-seen order', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...EVENT_TYPES), { minLength: 1, maxLength: 20 }), (events) => {
        const expected = events.filter((event, index) => events.indexOf(event) === index);
        expect(createWebhookSchema.parse({ url: URL_OK, events }).events).toEqual(expected);
      }),
    );
  });

  it('accepts a description of 500 characters and rejects 501 or a non-string', () => {
    const ok = { url: URL_OK, events: ['credits.low'], description: 'd'.repeat(MAX_DESCRIPTION_LENGTH) };
    expect(createWebhookSchema.safeParse(ok).success).toBe(true);
    expect(issues({ ...ok, description: 'd'.repeat(MAX_DESCRIPTION_LENGTH + 1) })).toEqual([
      { path: 'description', message: 'description must be at most 500 characters' },
    ]);
    expect(issues({ ...ok, description: 5 })).toEqual([
      { path: 'description', message: 'description must be a string' },
    ]);
  });

  it('drops fields it does not know (e.g. an attempt to set is_active or workspace_id)', () => {
    const parsed = createWebhookSchema.parse({
      url: URL_OK,
      events: ['credits.low'],
      workspace_id: 'other',
      is_active: false,
      secret: 'whsec_x',
    });
    expect(Object.keys(parsed).sort()).toEqual(['events', 'url']);
  });
});

describe('updateWebhookSchema', () => {
  it('requires id and url only', () => {
    expect(updateWebhookSchema.parse({ id: WH_ID, url: URL_OK })).toEqual({ id: WH_ID, url: URL_OK });
    expect(issues({ url: URL_OK }, updateWebhookSchema)).toEqual([{ path: 'id', message: 'id is required' }]);
    expect(issues({ id: '', url: URL_OK }, updateWebhookSchema)).toEqual([
      { path: 'id', message: 'id is required' },
    ]);
    expect(issues({ id: WH_ID }, updateWebhookSchema)).toEqual([
      { path: 'url', message: 'url is required and must be a string' },
    ]);
  });

  it('accepts null for every optional field (keep the current value)', () => {
    expect(
      updateWebhookSchema.parse({
        id: WH_ID,
        url: URL_OK,
        events: null,
        description: null,
        is_active: null,
      }),
    ).toEqual({ id: WH_ID, url: URL_OK, events: null, description: null, is_active: null });
  });

  it('applies the create rules to the fields it is given', () => {
    expect(issues({ id: WH_ID, url: 'http://example.com/' }, updateWebhookSchema)).toContainEqual({
      path: 'url',
      message: 'url must use https',
    });
    expect(issues({ id: WH_ID, url: URL_OK, events: [] }, updateWebhookSchema)[0]?.path).toBe('events');
    expect(issues({ id: WH_ID, url: URL_OK, events: ['nope'] }, updateWebhookSchema)[0]?.path).toBe(
      'events.0',
    );
    expect(issues({ id: WH_ID, url: URL_OK, is_active: 'false' }, updateWebhookSchema)).toEqual([
      { path: 'is_active', message: 'is_active must be a boolean' },
    ]);
    expect(
      updateWebhookSchema.parse({
        id: WH_ID,
        url: URL_OK,
        events: ['credits.low', 'credits.low'],
        is_active: false,
      }),
    ).toEqual({ id: WH_ID, url: URL_OK, events: ['credits.low'], is_active: false });
  });
});

describe('safeParse on arbitrary input', () => {
  const anything = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        id: fc.oneof(fc.string(), fc.jsonValue()),
        url: fc.oneof(fc.webUrl(), fc.string(), fc.jsonValue()),
        events: fc.oneof(fc.array(fc.oneof(fc.constantFrom(...EVENT_TYPES), fc.string())), fc.jsonValue()),
        description: fc.oneof(fc.string(), fc.jsonValue()),
        is_active: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
  );

  it('never throws, for create or update', () => {
    fc.assert(
      fc.property(anything, (input) => {
        expect(() => createWebhookSchema.safeParse(input)).not.toThrow();
        expect(() => updateWebhookSchema.safeParse(input)).not.toThrow();
      }),
    );
  });

  it('accepts only https URLs', () => {
    fc.assert(
      fc.property(fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true }), (url) => {
        const result = createWebhookSchema.safeParse({ url, events: ['credits.low'] });
        if (result.success) expect(new URL(result.data.url).protocol).toBe('https:');
        else expect(url.startsWith('https:') && url.length <= MAX_URL_LENGTH).toBe(false);
      }),
    );
  });
});

describe('toWebhookOut', () => {
  it('never carries the stored secrets or header values, only the header names', () => {
    const out = toWebhookOut(
      webhookRecord({
        previous_secret_ciphertext: 'old-ciphertext',
        headers_ciphertext: 'headers-ciphertext',
        header_names: ['Authorization', 'X-Tenant'],
        failing_since: '2024-01-02T00:00:00.000Z',
        rate_limit: 5,
      }),
    );
    expect(webhookOutSchema.parse(out)).toEqual(out);
    const text = JSON.stringify(out);
    for (const hidden of ['ciphertext', 'secret', 'failing_since', 'version'])
      expect(text).not.toContain(hidden);
    expect(out.headers).toEqual({ Authorization: '***', 'X-Tenant': '***' });
    expect(out.rate_limit).toBe(5);
    expect(out.disabled_reason).toBeNull();
  });
});

describe('what a refusal says, and where', () => {
  const issues = (input: unknown) =>
    createWebhookSchema
      .safeParse(input)
      .error?.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) ?? [];
  const base = { events: ['credits.low'] };

  it('names the URL’s problem exactly', () => {
    expect(issues({ ...base, url: 'not a url' })).toEqual([
      { path: 'url', message: 'url must be an absolute URL' },
    ]);
    expect(issues({ ...base, url: 'http://example.com/x' })).toEqual([
      { path: 'url', message: 'url must use https' },
    ]);
    expect(issues({ ...base, url: 'https://u:p@example.com/x' })).toEqual([
      { path: 'url', message: 'url must not contain a user name or password' },
    ]);
  });

  it('allows newlines and tabs in a description but no other control character', () => {
    expect(issues({ ...base, url: 'https://example.com', description: 'line one\n\tline two' })).toEqual([]);
    expect(issues({ ...base, url: 'https://example.com', description: 'bell\u0007' })).toEqual([
      { path: 'description', message: 'description must not contain control characters or non-characters' },
    ]);
  });

  it('puts each header problem on the header’s own path', () => {
    const headers = (h: Record<string, unknown>) =>
      issues({ ...base, url: 'https://example.com', headers: h });
    expect(headers({ 'Bad Name': 'v' })).toEqual([
      { path: 'headers.Bad Name', message: 'header names must be HTTP tokens' },
    ]);
    expect(headers({ 'X-Encrata-Event': 'v' })).toEqual([
      {
        path: 'headers.X-Encrata-Event',
        message: 'X-Encrata-Event is set by the service and cannot be replaced',
      },
    ]);
    expect(headers({ 'X-A': 'v', 'x-a': 'w' })).toEqual([
      { path: 'headers.x-a', message: 'header names must be unique (ignoring case)' },
    ]);
    expect(headers({ 'X-A': ' padded' })).toEqual([
      { path: 'headers.X-A', message: 'header values must be visible ASCII, not empty' },
    ]);
    expect(headers({ 'X-A': 'a  b' })).toEqual([]);
    expect(headers({ 'X-A': 'x' })).toEqual([]);
    expect(headers({ 'X-A': 'v'.repeat(1025) })).toEqual([
      { path: 'headers.X-A', message: 'header values must be at most 1024 bytes' },
    ]);
    expect(headers(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`X-${i}`, 'v'])))).toEqual([
      { path: 'headers', message: 'at most 10 headers' },
    ]);
  });

  it('answers a webhook without custom headers with {}', () => {
    expect(toWebhookOut(webhookRecord()).headers).toEqual({});
  });
});
