import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret } from '../../../functions/core/ids.ts';
import {
  buildDeliveryHeaders,
  HEADERS,
  signEncrata,
  signStandardWebhooks,
} from '../../../functions/core/signing.ts';
import { VERSION } from '../../../functions/core/version.ts';

const SECRET = 'whsec_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const BODY =
  '{"event":"credits.low","data":{"balance":5,"threshold":10},"created_at":"2024-01-01T00:00:00.000Z"}';

/** What Encrata's documented verifier computes: HMAC keyed with the whole secret string. */
const encrataVerifier = (secret: string, body: string) =>
  createHmac('sha256', secret).update(Buffer.from(body, 'utf8')).digest('hex');

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('signEncrata', () => {
  it('matches a fixed vector (computed with openssl dgst -sha256 -hmac)', () => {
    expect(signEncrata(SECRET, BODY)).toBe(
      'cd4257f818d264ad81b82f7e938952f5013fe589f2f0f2b2d019ec2b0bca54ea',
    );
  });

  it('keys the HMAC with the whole secret, whsec_ prefix included', () => {
    const withoutPrefix = createHmac('sha256', SECRET.slice('whsec_'.length)).update(BODY).digest('hex');
    expect(signEncrata(SECRET, BODY)).not.toBe(withoutPrefix);
    expect(signEncrata(SECRET, BODY)).toBe(encrataVerifier(SECRET, BODY));
  });

  it('equals an independently computed HMAC for any secret and body', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ unit: 'grapheme' }), (secret, body) => {
        const signature = signEncrata(secret, body);
        expect(signature).toMatch(/^[0-9a-f]{64}$/);
        expect(signature).toBe(encrataVerifier(secret, body));
      }),
    );
  });

  it('changes when one byte of the body changes', () => {
    expect(signEncrata(SECRET, BODY)).not.toBe(signEncrata(SECRET, BODY.replace('5', '6')));
  });
});

describe('signStandardWebhooks', () => {
  it('matches the Standard Webhooks reference vector', () => {
    expect(
      signStandardWebhooks(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('agrees with the standardwebhooks library for our secrets', () => {
    const secret = generateWebhookSecret();
    const timestamp = 1_700_000_000;
    expect(signStandardWebhooks(secret, 'dlv_1', timestamp, BODY)).toBe(
      new Webhook(secret).sign('dlv_1', new Date(timestamp * 1000), BODY),
    );
  });
});

describe('buildDeliveryHeaders', () => {
  const options = {
    secret: SECRET,
    deliveryId: 'dlv_01HX0000000000000000000000',
    eventType: 'credits.low',
    body: BODY,
    timestampSeconds: 1_714_564_800,
  };

  it('sends every header of the contract, and only those', () => {
    const headers = buildDeliveryHeaders(options);
    expect(Object.keys(headers).sort()).toEqual(
      [
        'Content-Type',
        'User-Agent',
        'X-Encrata-Signature',
        'X-Encrata-Event',
        'X-Encrata-Delivery',
        'webhook-id',
        'webhook-timestamp',
        'webhook-signature',
      ].sort(),
    );
    expect(headers).toEqual({
      'Content-Type': 'application/json',
      'User-Agent': `Encrata-Webhooks/${VERSION}`,
      'X-Encrata-Signature': 'cd4257f818d264ad81b82f7e938952f5013fe589f2f0f2b2d019ec2b0bca54ea',
      'X-Encrata-Event': 'credits.low',
      'X-Encrata-Delivery': 'dlv_01HX0000000000000000000000',
      'webhook-id': 'dlv_01HX0000000000000000000000',
      'webhook-timestamp': '1714564800',
      'webhook-signature': signStandardWebhooks(SECRET, options.deliveryId, options.timestampSeconds, BODY),
    });
  });

  it('names its headers through the HEADERS constants', () => {
    const headers = buildDeliveryHeaders(options);
    for (const name of Object.values(HEADERS)) expect(headers[name]).toEqual(expect.any(String));
  });

  it('produces a webhook-signature that the standardwebhooks library verifies', () => {
    const secrets = Array.from({ length: 16 }, generateWebhookSecret);
    fc.assert(
      fc.property(
        fc.constantFrom(...secrets),
        fc.json(),
        fc.stringMatching(/^dlv_[0-9A-Z]{26}$/),
        (secret, body, deliveryId) => {
          const headers = buildDeliveryHeaders({
            secret,
            deliveryId,
            eventType: 'lookup.completed',
            body,
            timestampSeconds: nowSeconds(),
          });
          expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
        },
      ),
    );
  });

  it('verifies for arbitrary (non-JSON) bodies too', () => {
    const secrets = Array.from({ length: 8 }, generateWebhookSecret);
    fc.assert(
      fc.property(fc.constantFrom(...secrets), fc.string({ unit: 'grapheme' }), (secret, body) => {
        const headers = buildDeliveryHeaders({
          secret,
          deliveryId: 'dlv_x',
          eventType: 'test',
          body,
          timestampSeconds: nowSeconds(),
        });
        expect(() => new Webhook(secret).verify(body, headers, { jsonParse: false })).not.toThrow();
      }),
    );
  });

  it('fails verification for a tampered body, another secret, or another delivery id', () => {
    const secret = generateWebhookSecret();
    const headers = buildDeliveryHeaders({ ...options, secret, timestampSeconds: nowSeconds() });
    const webhook = new Webhook(secret);
    expect(webhook.verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(() => webhook.verify(BODY.replace('"balance":5', '"balance":6'), headers)).toThrow(
      'No matching signature found',
    );
    expect(() => webhook.verify(`${BODY} `, headers)).toThrow('No matching signature found');
    expect(() => new Webhook(generateWebhookSecret()).verify(BODY, headers)).toThrow(
      'No matching signature found',
    );
    expect(() => webhook.verify(BODY, { ...headers, 'webhook-id': 'dlv_other' })).toThrow(
      'No matching signature found',
    );
  });

  it('signs with the timestamp it sends (an old timestamp is rejected as a replay)', () => {
    const secret = generateWebhookSecret();
    const headers = buildDeliveryHeaders({ ...options, secret, timestampSeconds: nowSeconds() - 3600 });
    expect(() => new Webhook(secret).verify(BODY, headers)).toThrow('Message timestamp too old');
  });

  it('the X-Encrata-Signature of any secret and body verifies with the documented method', () => {
    fc.assert(
      fc.property(fc.json(), (body) => {
        const secret = generateWebhookSecret();
        const headers = buildDeliveryHeaders({ ...options, secret, body });
        expect(headers['X-Encrata-Signature']).toBe(encrataVerifier(secret, body));
      }),
    );
  });
});

describe('buildDeliveryHeaders after a rotation (contract §5)', () => {
  const NEW = generateWebhookSecret();
  const OLD = generateWebhookSecret();
  const base = {
    deliveryId: 'dlv_01HX0000000000000000000000',
    eventType: 'credits.low',
    body: BODY,
    timestampSeconds: Math.floor(Date.now() / 1000),
  };

  it('signs webhook-signature with both secrets (new first) and X-Encrata-Signature with the previous one', () => {
    const headers = buildDeliveryHeaders({ ...base, secret: NEW, previousSecret: OLD });
    const [first, second, ...rest] = (headers[HEADERS.webhookSignature] ?? '').split(' ');
    expect(rest).toEqual([]);
    expect(first).toBe(signStandardWebhooks(NEW, base.deliveryId, base.timestampSeconds, BODY));
    expect(second).toBe(signStandardWebhooks(OLD, base.deliveryId, base.timestampSeconds, BODY));
    expect(headers[HEADERS.signature]).toBe(signEncrata(OLD, BODY));
    expect(headers[HEADERS.signature]).not.toBe(signEncrata(NEW, BODY));
  });

  it('verifies with the standardwebhooks library under either secret during the overlap', () => {
    const headers = buildDeliveryHeaders({ ...base, secret: NEW, previousSecret: OLD });
    for (const secret of [NEW, OLD]) {
      expect(() => new Webhook(secret).verify(BODY, headers)).not.toThrow();
    }
    expect(() => new Webhook(generateWebhookSecret()).verify(BODY, headers)).toThrow();
  });

  it('signs with the new secret only once the previous one is gone', () => {
    const headers = buildDeliveryHeaders({ ...base, secret: NEW });
    expect(headers[HEADERS.signature]).toBe(signEncrata(NEW, BODY));
    expect(() => new Webhook(OLD).verify(BODY, headers)).toThrow();
    expect(() => new Webhook(NEW).verify(BODY, headers)).not.toThrow();
  });
});

describe('buildDeliveryHeaders with custom headers', () => {
  const options = {
    secret: SECRET,
    deliveryId: 'dlv_01HX0000000000000000000000',
    eventType: 'credits.low',
    body: BODY,
    timestampSeconds: 1_714_564_800,
  };

  it('sends them beside the delivery’s own headers', () => {
    const headers = buildDeliveryHeaders({
      ...options,
      custom: { Authorization: 'Bearer abc', 'X-Tenant': 't1' },
    });
    expect(headers).toMatchObject({ Authorization: 'Bearer abc', 'X-Tenant': 't1' });
    expect(headers[HEADERS.signature]).toBe(signEncrata(SECRET, BODY));
  });

  it('never lets one replace or shadow a signature or system header, in any case', () => {
    const plain = buildDeliveryHeaders(options);
    const custom = Object.fromEntries(
      Object.values(HEADERS).flatMap((name) => [
        [name, 'forged'],
        [name.toUpperCase(), 'forged'],
        [name.toLowerCase(), 'forged'],
      ]),
    );
    const headers = buildDeliveryHeaders({
      ...options,
      custom: { ...custom, 'X-Encrata-Anything': 'forged', 'Webhook-Other': 'forged', 'X-Fine': 'kept' },
    });
    expect(headers).toEqual({ ...plain, 'X-Fine': 'kept' });
  });
});
