import { type GatewayRequest, toGatewayEvent } from '../../../local/api-gateway.ts';

const request = (overrides: Partial<GatewayRequest> = {}): GatewayRequest => ({
  method: 'get',
  url: '/api/webhooks/deliveries?webhook_id=wh_1&status=failed',
  headers: { Host: '127.0.0.1:3000', Authorization: 'Bearer enc_live_x', 'User-Agent': 'curl/8.5.0' },
  body: Buffer.alloc(0),
  ...overrides,
});

describe('toGatewayEvent', () => {
  it('builds a payload format 2.0 event', () => {
    const event = toGatewayEvent(request({ sourceIp: '10.1.2.3' }), 'GET /api/webhooks/deliveries');
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /api/webhooks/deliveries',
      rawPath: '/api/webhooks/deliveries',
      rawQueryString: 'webhook_id=wh_1&status=failed',
      headers: { host: '127.0.0.1:3000', authorization: 'Bearer enc_live_x', 'user-agent': 'curl/8.5.0' },
      queryStringParameters: { webhook_id: 'wh_1', status: 'failed' },
      requestContext: {
        domainName: '127.0.0.1:3000',
        routeKey: 'GET /api/webhooks/deliveries',
        stage: '$default',
        http: {
          method: 'GET',
          path: '/api/webhooks/deliveries',
          protocol: 'HTTP/1.1',
          sourceIp: '10.1.2.3',
          userAgent: 'curl/8.5.0',
        },
      },
      isBase64Encoded: false,
    });
    expect(event.body).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof event.requestContext.timeEpoch).toBe('number');
  });

  it('lower-cases header names and joins repeated headers with commas', () => {
    const event = toGatewayEvent(
      request({
        headers: {
          'X-Custom-Header': 'A',
          Accept: ['application/json', 'text/plain'],
          'X-Absent': undefined,
        },
      }),
      '$default',
    );
    expect(event.headers).toEqual({ 'x-custom-header': 'A', accept: 'application/json,text/plain' });
  });

  it('joins repeated query parameters with commas and decodes them', () => {
    const event = toGatewayEvent(
      request({ url: '/api/webhooks?id=a&id=b&id=c&q=hello%20world&e=' }),
      '$default',
    );
    expect(event.rawQueryString).toBe('id=a&id=b&id=c&q=hello%20world&e=');
    expect(event.queryStringParameters).toEqual({ id: 'a,b,c', q: 'hello world', e: '' });
  });

  it('leaves queryStringParameters out and rawQueryString empty when there is no query', () => {
    const event = toGatewayEvent(request({ url: '/api/health' }), 'GET /api/health');
    expect(event.rawQueryString).toBe('');
    expect(event.queryStringParameters).toBeUndefined();
  });

  it('defaults the source IP to 127.0.0.1', () => {
    expect(toGatewayEvent(request(), '$default').requestContext.http.sourceIp).toBe('127.0.0.1');
  });

  it('upper-cases the method and keeps a trailing slash in the path', () => {
    const event = toGatewayEvent(request({ method: 'post', url: '/api/webhooks/' }), '$default');
    expect(event.requestContext.http.method).toBe('POST');
    expect(event.rawPath).toBe('/api/webhooks/');
  });

  it.each(['application/json', 'application/json; charset=utf-8', 'application/problem+json', 'text/plain'])(
    'passes a %s body as text (isBase64Encoded false)',
    (contentType) => {
      const body = '{"url":"https://example.com/h","events":["credits.low"],"description":"é ✓"}';
      const event = toGatewayEvent(
        request({ method: 'POST', headers: { 'Content-Type': contentType }, body: Buffer.from(body) }),
        'POST /api/webhooks',
      );
      expect(event.isBase64Encoded).toBe(false);
      expect(event.body).toBe(body);
    },
  );

  it.each(['application/octet-stream', 'image/png', undefined])('base64-encodes a %s body', (contentType) => {
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]);
    const headers = contentType ? { 'content-type': contentType } : {};
    const event = toGatewayEvent(request({ method: 'POST', headers, body: bytes }), '$default');
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).toBe(bytes.toString('base64'));
    expect(Buffer.from(event.body ?? '', 'base64').equals(bytes)).toBe(true);
  });
});
