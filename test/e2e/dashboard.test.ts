/**
 * The dashboard in a real headless Chromium against the real local stack (`node local/start.ts`) and a
 * real HTTPS receiver on 127.0.0.1 with a scripted answer per path. Every flow runs at 1280×800 and at
 * 375×812, each width in its own browser context with its own webhooks: sign in (a session, never the
 * key, is kept), create with a custom header and a rate limit, a delivery failing then succeeding shown
 * live without a click, resend, a retry stopped by a pause, recover, rotation, an example of another
 * event type, health badges and re-enabling a disabled webhook, the workspace log with filters and
 * "Load older", API keys, event types, the key's own budget spent from outside, and axe in light and
 * dark mode. Screenshots of the main states go to test-output/screenshots/.
 */
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { createEventPublisher } from '../../functions/publisher.ts';
import { createLocalCertificate } from '../../local/certificates.ts';
import { verifyDelivery } from '../../scripts/verify.ts';
import {
  CHANGE_PROPAGATION_MS,
  eventually,
  type RunningStack,
  startStack,
  tempDataDir,
} from '../support/local-stack.ts';
import { TestReceiver } from '../support/receiver.ts';

const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Bounded waits for things the page does by itself (polling, API answers). */
const WAIT_MS = 12_000;
/** The page's script and stylesheet, gzipped. */
const BUNDLE_BUDGET_BYTES = 60 * 1024;
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let stack: RunningStack;
let receiver: TestReceiver;
let browser: Browser;
let sqs: SQSClient;
let events: ReturnType<typeof createEventPublisher>;
/** The test's own key for its API calls: the dashboard's key has its budget spent on purpose. */
let adminKey = '';

jest.setTimeout(45_000);

beforeAll(async () => {
  const tls = await createLocalCertificate();
  const caFile = join(tempDataDir(), 'receiver-ca.pem');
  writeFileSync(caFile, tls.cert);
  receiver = await new TestReceiver(tls).start();
  [stack, browser] = await Promise.all([
    // Retries 2 s apart; a webhook failing for 6 s is disabled (at its next failed attempt).
    startStack({
      env: {
        NODE_EXTRA_CA_CERTS: caFile,
        ENCRATA_RETRY_SCHEDULE: '2,2,2,2,2',
        ENCRATA_AUTO_DISABLE_AFTER_SECONDS: '6',
      },
    }),
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    }),
  ]);
  sqs = new SQSClient({
    endpoint: stack.info.sqs_endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  events = createEventPublisher({ queueUrl: stack.info.events_queue_url, sqs });
  const admin = await api('POST', '/api/keys', { name: 'e2e admin' }, stack.info.api_key);
  expect(admin.status).toBe(201);
  adminKey = admin.json.key;
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  sqs?.destroy();
  await stack?.stop();
  await receiver?.stop();
});

async function api(method: string, path: string, body?: unknown, key = adminKey) {
  const response = await fetch(`${stack.info.api_url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function publish(event: string, data: Record<string, unknown>): Promise<void> {
  const input = { workspaceId: stack.info.workspace_id, event, data };
  await events.publishEvent(input as unknown as Parameters<typeof events.publishEvent>[0]);
}

async function eventsDrained(): Promise<true | undefined> {
  const res = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.info.events_queue_url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const a = res.Attributes ?? {};
  return a.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0'
    ? true
    : undefined;
}

const changesApplied = () => new Promise((resolve) => setTimeout(resolve, CHANGE_PROPAGATION_MS));

test('the page is served with strict headers, and its script and stylesheet are small', async () => {
  const index = await fetch(stack.info.dashboard_url);
  expect(index.status).toBe(200);
  const csp = index.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(index.headers.get('x-content-type-options')).toBe('nosniff');
  expect(index.headers.get('cache-control')).toBe('no-cache');
  const html = await index.text();
  expect(html).not.toMatch(/<script>|<style>| on\w+=/);
  const script = /<script type="module" src="(\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
  const style = /<link rel="stylesheet" href="(\/assets\/main-[A-Z0-9]+\.css)"/.exec(html)?.[1];
  expect(script).toBeDefined();
  expect(style).toBeDefined();
  let gzipped = 0;
  for (const path of [script, style]) {
    const asset = await fetch(`${stack.info.api_url}${path}`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    gzipped += gzipSync(Buffer.from(await asset.arrayBuffer())).length;
  }
  // The figure for the notes: the page's JS + CSS, gzipped.
  process.stdout.write(`dashboard JS+CSS gzipped: ${gzipped} bytes\n`);
  expect(gzipped).toBeLessThan(BUNDLE_BUDGET_BYTES);
  expect((await fetch(`${stack.info.api_url}/api/webhooks`)).status).toBe(401);
});

const WIDTHS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'mobile', width: 375, height: 812 },
] as const;

describe.each(WIDTHS)('at $width px ($name)', ({ name, width, height }) => {
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const requested: string[] = [];
  let failing = false;
  let hookId = '';
  let secret = '';
  let deadId = '';
  let shot = 0;
  const path = `/hooks/${name}`;
  const deadPath = `/dead/${name}`;
  const lookup = (id: string) => ({ email: `${id}@example.com`, lookup_id: `${name}_${id}` });
  const receivedFor = (id: string) =>
    receiver.received(path).filter((request) => request.body.includes(`"${name}_${id}"`));

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width, height }, colorScheme: 'light' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.info.api_url });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        problems.push(message.text());
      }
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => requested.push(request.url()));
    // A webhook that never answers 2xx, with a 500-character description without spaces.
    const deadUrl = receiver.on(deadPath, () => ({ status: 500, body: 'down for good' }));
    const dead = await api('POST', '/api/webhooks', {
      url: deadUrl,
      events: ['credits.exhausted'],
      description: 'x'.repeat(500),
    });
    expect(dead.status).toBe(201);
    deadId = dead.json.id;
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
  });

  afterEach(() => {
    // A CSP violation or a script error is a defect even when the visible flow works.
    expect(problems).toEqual([]);
  });

  async function screenshot(label: string, fullPage = true): Promise<void> {
    shot += 1;
    const file = `${name}-${String(shot).padStart(2, '0')}-${label}.png`;
    await page.screenshot({ path: join(SCREENSHOTS, file), animations: 'disabled', fullPage });
  }

  async function textOf(locator: Locator): Promise<string> {
    await locator.waitFor({ state: 'visible', timeout: WAIT_MS });
    // biome-ignore lint/performance/useDomNodeTextContent: Locator.innerText, not HTMLElement.innerText
    return (await locator.innerText()).replace(/\s+/g, ' ').trim();
  }

  /** Waits until `locator` shows text matching `pattern` (the page updates on its own). */
  async function waitForText(locator: Locator, pattern: RegExp, timeout = WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeout;
    let last = '';
    while (Date.now() < deadline) {
      // biome-ignore lint/performance/useDomNodeTextContent: Locator.innerText, not HTMLElement.innerText
      last = (await locator.innerText({ timeout: 500 }).catch(() => '')).replace(/\s+/g, ' ').trim();
      if (pattern.test(last)) return last;
      await page.waitForTimeout(100);
    }
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-failure.png`), fullPage: true }).catch(() => {});
    const ids = await page
      .locator('.delivery')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-delivery-id')));
    throw new Error(
      `expected ${pattern} within ${timeout} ms in ${locator}, last saw: ${JSON.stringify(last)}; rows ${ids.join(' ')}`,
    );
  }

  /** axe finds nothing, in light and in dark mode; the page never scrolls sideways. */
  async function expectAccessible(label: string): Promise<void> {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run: (c: Document, o: object) => Promise<unknown> } }).axe;
        const result = (await axe.run(document, { resultTypes: ['violations'] })) as {
          violations: { id: string; nodes: { target: string[] }[] }[];
        };
        return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      expect({ state: `${label} (${colorScheme})`, violations }).toEqual({
        state: `${label} (${colorScheme})`,
        violations: [],
      });
      const overflow = await page.evaluate(() =>
        Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth),
      );
      // On failure, name the widest elements that stick out.
      const wide =
        overflow > 0
          ? await page.evaluate(() =>
              [...document.querySelectorAll('body *')]
                .filter(
                  (element) => element.getBoundingClientRect().right > document.documentElement.clientWidth,
                )
                .slice(-5)
                .map((element) => `${element.tagName.toLowerCase()}.${element.className}`),
            )
          : [];
      expect({ state: label, overflow, wide }).toEqual({ state: label, overflow: 0, wide: [] });
      await screenshot(`${label}-${colorScheme}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }

  /** The row of the delivery of event `id`, found by the delivery id its first request carried. */
  async function deliveryRow(id: string): Promise<Locator> {
    const first = await eventually(async () => receivedFor(id)[0]);
    return page.locator(`.delivery[data-delivery-id="${first.headers['x-encrata-delivery']}"]`);
  }

  test('signs in with a key, keeping only a session in sessionStorage', async () => {
    await page.goto(stack.info.dashboard_url);
    const keyInput = page.getByLabel('API key');
    await keyInput.waitFor({ timeout: WAIT_MS });
    await expectAccessible('sign-in');
    await keyInput.fill(`enc_live_${'x'.repeat(32)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await textOf(page.locator('#api-key-error'))).toMatch(/not accepted/);
    await keyInput.fill(stack.info.api_key);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor({ timeout: WAIT_MS });
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
    expect(stored).not.toContain(stack.info.api_key);
    expect(stored).toMatch(/enc_sess_[A-Za-z0-9]{43}/);
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  test('creates a webhook with a custom header and a rate limit; field errors stay apart', async () => {
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a webhook' });
    await dialog.waitFor({ timeout: WAIT_MS });
    // Two problems with one field read as two messages, not one glued sentence.
    await dialog.getByRole('button', { name: 'Create webhook' }).click();
    const urlErrors = dialog.locator('#wh-url-error li');
    await urlErrors.first().waitFor({ timeout: WAIT_MS });
    expect(await urlErrors.count()).toBeGreaterThanOrEqual(1);
    for (const text of await urlErrors.allInnerTexts()) expect(text).toMatch(/^URL /);

    const url = receiver.on(path, () =>
      failing
        ? { status: 500, body: 'receiver is failing on purpose' }
        : { status: 200, body: '{"ok":true}' },
    );
    await page.getByLabel('Endpoint URL').fill(url);
    await dialog.getByRole('checkbox', { name: /lookup\.completed/ }).check();
    await dialog.getByRole('checkbox', { name: /credits\.low/ }).check();
    await page.getByLabel(/^Description/).fill(`CRM sync (${name})`);
    await dialog.getByRole('button', { name: 'Add header' }).click();
    await page.getByLabel('Header 1 name').fill('X-Team-Token');
    await page.getByLabel('Header 1 value').fill('t0ken-value');
    await page.getByLabel(/^Rate limit/).fill('50');
    await expectAccessible('create-form');
    await dialog.getByRole('button', { name: 'Create webhook' }).click();

    const secretDialog = page.getByRole('dialog', { name: /copy its signing secret/ });
    secret = (await textOf(secretDialog.getByTestId('webhook-secret'))).trim();
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    await secretDialog.getByRole('button', { name: "I've saved the secret" }).click();
    await page.waitForURL(/#\/webhooks\/[\w-]+$/, { timeout: WAIT_MS });
    hookId = page.url().split('/').pop() ?? '';
    const saved = await api('GET', `/api/webhooks?id=${hookId}`);
    expect(saved.json).toMatchObject({ headers: { 'X-Team-Token': '***' }, rate_limit: 50 });
    expect(await textOf(page.locator('.settings'))).toMatch(/X-Team-Token.*50 per second/);
    await changesApplied();
    // The dead webhook starts failing now, so it is disabled by the time the list is looked at.
    await publish('credits.exhausted', { balance: 0 });
  });

  test('a delivery failing then succeeding shows live, without a click, with every attempt', async () => {
    failing = true;
    await publish('lookup.completed', lookup('live'));
    const row = await deliveryRow('live');
    // Pending with its retry countdown, without any click (polling).
    // (It reads "Pending … Not attempted yet" first; the countdown comes with the first failed attempt.)
    try {
      const pendingText = await waitForText(row, /Pending.*(retry in \d+ s|retrying now)/);
      expect(pendingText).toMatch(/lookup\.completed.*\b[1-9]\d* attempts?\b/);
      await screenshot('live-pending');
    } finally {
      // The webhook recovers even if this test fails, so the tests after it see their own failures only.
      failing = false;
    }
    const done = await waitForText(row, /Delivered/);
    const attempts = Number(/(\d+) attempts/.exec(done)?.[1]);
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(done).toMatch(/200 OK/);

    await row.getByRole('button').first().click();
    const history = row.locator('.attempt');
    await waitForText(row.locator('.attempts'), new RegExp(`Attempt ${attempts}`));
    expect(await history.count()).toBe(attempts);
    expect(await textOf(history.first())).toMatch(new RegExp(`Attempt ${attempts} 200 OK`));
    expect(await textOf(history.last())).toMatch(/Attempt 1 500 Internal Server Error.*receiver is failing/);
    // The request as sent: the signature the receiver got, the custom header redacted, the body.
    const last = receivedFor('live').at(-1);
    const request = await textOf(row.locator('.request-view'));
    expect(request).toContain(`X-Encrata-Signature ${last?.headers['x-encrata-signature']}`);
    expect(request).toContain('X-Team-Token ***');
    expect(request).toContain(`${name}_live`);
    expect(
      createHmac('sha256', secret)
        .update(last?.body ?? '')
        .digest('hex'),
    ).toBe(last?.headers['x-encrata-signature']);
    // Long ids wrap inside their cell.
    const idCell = row.locator('.delivery-details dd.mono').first();
    expect(await idCell.evaluate((element) => element.scrollWidth <= element.clientWidth + 1)).toBe(true);
    // The README's picture (docs/images/dashboard.png is copied from it).
    if (name === 'desktop') {
      await page.screenshot({
        path: join(SCREENSHOTS, 'readme-dashboard.png'),
        animations: 'disabled',
        fullPage: true,
      });
    }
    await expectAccessible('delivery-expanded');
  });

  test('resends a delivery: the same id arrives again and the row counts the new attempt', async () => {
    const row = await deliveryRow('live');
    const before = receivedFor('live').length;
    const deliveryId = receivedFor('live')[0]?.headers['x-encrata-delivery'];
    await row.getByRole('button', { name: 'Resend' }).click();
    await eventually(async () => (receivedFor('live').length > before ? true : undefined));
    expect(receivedFor('live').at(-1)?.headers['x-encrata-delivery']).toBe(deliveryId);
    await waitForText(row.locator('.attempts'), /Attempt \d+ 200 OK/);
    expect(await textOf(page.locator('.toast'))).toMatch(/queued again/);
  });

  test('a pause stops a waiting retry and says so in its row; recover brings back what it missed', async () => {
    failing = true;
    await publish('lookup.completed', lookup('stopped'));
    const stopped = await deliveryRow('stopped');
    await waitForText(stopped, /Pending/);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await waitForText(page.locator('.meta-line .badge'), /Paused/);
    failing = false;
    // The retry comes back, finds the webhook paused and stops: the row says why.
    await waitForText(stopped, /Failed.*Stopped: webhook paused/, 20_000);
    await changesApplied();
    await publish('lookup.completed', lookup('missed'));
    await eventually(eventsDrained);
    expect(receivedFor('missed')).toHaveLength(0);
    await screenshot('paused');

    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await waitForText(page.locator('.meta-line .badge'), /Active/);
    await page.getByRole('button', { name: 'Recover', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Recover missed events' });
    await dialog.waitFor({ timeout: WAIT_MS });
    await expectAccessible('recover-dialog');
    await dialog.getByRole('button', { name: 'Start recovery' }).click();
    const progress = page.getByTestId('recovery-progress');
    await waitForText(page.locator('#recovery-title'), /Recovery finished/, 20_000);
    expect(await textOf(progress)).toMatch(/^2 deliveries queued, \d+ events? skipped/);
    await eventually(async () =>
      receivedFor('missed').length === 1 && receivedFor('stopped').length >= 2 ? true : undefined,
    );
    await waitForText(await deliveryRow('missed'), /Delivered/);
    await screenshot('recovered');
  });

  test('rotates the secret: the new one shown once, the overlap’s end shown, both signing', async () => {
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the signing secret' });
    await dialog.waitFor({ timeout: WAIT_MS });
    await page.getByLabel(/Keep the current secret for/).fill('1');
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    const shown = page.getByRole('dialog', { name: /New signing secret/ });
    const rotated = (await textOf(shown.getByTestId('rotated-secret'))).trim();
    expect(rotated).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(rotated).not.toBe(secret);
    expect(await textOf(shown.getByTestId('overlap-end'))).toMatch(/Until .*20\d\d.* both secrets sign/);
    await expectAccessible('rotated');
    await page.keyboard.press('Escape');
    expect(await shown.isVisible()).toBe(true);
    await shown.getByRole('button', { name: "I've saved the new secret" }).click();
    await shown.waitFor({ state: 'detached', timeout: WAIT_MS });
    await changesApplied();

    const before = receiver.received(path).length;
    await page.getByRole('button', { name: 'Send test' }).click();
    await eventually(async () => (receiver.received(path).length > before ? true : undefined));
    const request = receiver.received(path).at(-1);
    expect(request?.headers['x-encrata-event']).toBe('test');
    // The previous secret keeps X-Encrata-Signature during the overlap; Standard Webhooks carries both.
    const headers = request?.headers as Record<string, string>;
    expect(verifyDelivery([rotated, secret], request?.body ?? '', headers)).toMatchObject({
      encrata: 1,
      standard: 0,
    });
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    secret = rotated;
  });

  test('sends the example of any event type', async () => {
    await page.getByLabel('Body').selectOption('credits.low');
    const before = receiver.received(path).length;
    await page.getByRole('button', { name: 'Send test' }).click();
    const request = await eventually(async () => receiver.received(path).slice(before).at(-1));
    expect(request.headers['x-encrata-event']).toBe('credits.low');
    expect(JSON.parse(request.body)).toMatchObject({ event: 'credits.low' });
    await waitForText(page.locator('.test-result h2'), /Test delivered/);
    await page.getByRole('button', { name: 'Dismiss test result' }).click();
    await expectAccessible('webhook');
  });

  test('edits the description and the rate limit, keeping the custom header’s stored value', async () => {
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit webhook' });
    await dialog.waitFor({ timeout: WAIT_MS });
    expect(await page.getByLabel('Header 1 name').inputValue()).toBe('X-Team-Token');
    await page.getByLabel(/^Description/).fill(`CRM sync (${name}, production)`);
    await page.getByLabel(/^Rate limit/).fill('20');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached', timeout: WAIT_MS });
    expect(await textOf(page.locator('.meta-line .description'))).toBe(`CRM sync (${name}, production)`);
    const saved = await api('GET', `/api/webhooks?id=${hookId}`);
    expect(saved.json).toMatchObject({ rate_limit: 20, headers: { 'X-Team-Token': '***' } });
    // The stored value was kept: the next delivery still carries it.
    const before = receiver.received(path).length;
    await page.getByRole('button', { name: 'Send test' }).click();
    const request = await eventually(async () => receiver.received(path).slice(before).at(-1));
    expect(request.headers['x-team-token']).toBe('t0ken-value');
    await page.getByRole('button', { name: 'Dismiss test result' }).click();
  });

  test('the list shows health: a disabled badge with failing since; re-enabling clears it', async () => {
    // Its one event was published when the flows began (it takes 6 s of failures to be disabled).
    await eventually(async () => {
      const res = await api('GET', `/api/webhooks?id=${deadId}`);
      return res.json.disabled_reason === 'failing' ? true : undefined;
    }, 25_000);
    await page.getByRole('link', { name: 'All webhooks', exact: true }).click();
    const deadRow = page.locator('.webhook-row', { has: page.locator(`a[href="#/webhooks/${deadId}"]`) });
    expect(await waitForText(deadRow.getByTestId('health-badge'), /Disabled: failing/)).toBe(
      'Disabled: failing',
    );
    expect(await waitForText(deadRow, /Failing since/)).toMatch(/Success, 24 h 0% of 1 delivery/);
    const liveRow = page.locator('.webhook-row', { has: page.locator(`a[href="#/webhooks/${hookId}"]`) });
    expect(await waitForText(liveRow, /Success, 24 h \d/)).toMatch(/Last delivery (?!None)/);
    // The 500-character description without spaces wraps inside the row.
    const description = deadRow.locator('.description');
    expect(await description.evaluate((element) => element.scrollWidth <= element.clientWidth + 1)).toBe(
      true,
    );
    await expectAccessible('list-health');

    await deadRow.locator('.webhook-link').click();
    const alert = page.locator('.notice-danger');
    expect(await textOf(alert)).toMatch(/Disabled automatically: every attempt has failed since \w/);
    await page.getByRole('button', { name: 'Re-enable webhook' }).click();
    await waitForText(page.locator('.meta-line .badge'), /^Active$/);
    const enabled = await api('GET', `/api/webhooks?id=${deadId}`);
    expect(enabled.json).toMatchObject({ is_active: true, disabled_reason: null });
    // Stop it failing again while the other flows run.
    await api('PUT', '/api/webhooks', { id: deadId, url: enabled.json.url, is_active: false });
  });

  test('the workspace log filters by status and event type, and loads older deliveries', async () => {
    await page.getByRole('link', { name: 'Delivery log' }).click();
    await page.getByRole('heading', { name: 'Delivery log' }).waitFor({ timeout: WAIT_MS });
    const rows = page.locator('.delivery');
    await rows.first().waitFor({ timeout: WAIT_MS });
    await page.getByLabel('Status').selectOption('failed');
    await waitForText(page.locator('.deliveries'), /Failed/);
    await eventually(async () => {
      const statuses = await page
        .locator('.delivery')
        .evaluateAll((items) => items.map((item) => item.getAttribute('data-status')));
      return statuses.length > 0 && statuses.every((status) => status === 'failed') ? true : undefined;
    });
    await page.getByLabel('Event type').selectOption('credits.exhausted');
    await waitForText(page.locator('.deliveries'), /credits\.exhausted/);
    expect(await textOf(page.locator('.deliveries'))).not.toMatch(/lookup\.completed/);
    await expectAccessible('workspace-log');

    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Event type').selectOption('lookup.completed');
    // More than a page of deliveries: "Load older" reads the next page by cursor.
    for (let n = 0; n < 26; n++) await publish('lookup.completed', lookup(`bulk${n}`));
    await eventually(async () => (receivedFor('bulk25').length > 0 ? true : undefined), 20_000);
    await eventually(async () => ((await rows.count()) === 25 ? true : undefined));
    const older = page.getByRole('button', { name: 'Load older deliveries' });
    await older.waitFor({ timeout: WAIT_MS });
    const shown = await rows.count();
    await older.click();
    await eventually(async () => ((await rows.count()) > shown ? true : undefined));
  });

  test('API keys: create (shown once), rename, disable, enable, revoke', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor({ timeout: WAIT_MS });
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    await page.getByLabel('Name', { exact: true }).fill(`CI deploy ${name}`);
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const created = page.getByRole('dialog', { name: /API key created/ });
    const key = (await textOf(created.getByTestId('created-key'))).trim();
    expect(key).toMatch(/^enc_live_[A-Za-z0-9]{32}$/);
    await created.getByRole('button', { name: /Copy/ }).click();
    await waitForText(created.getByRole('button', { name: /Copied/ }), /Copied/);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await created.getByRole('button', { name: "I've saved the key" }).click();
    expect((await api('GET', '/api/webhooks', undefined, key)).status).toBe(200);

    const row = page.locator('.key-row', { hasText: `CI deploy ${name}` });
    await row.getByRole('button', { name: /^Rename/ }).click();
    await page.getByLabel('Name', { exact: true }).fill(`CI deploy ${name} (prod)`);
    await page.getByRole('button', { name: 'Save name' }).click();
    const renamed = page.locator('.key-row', { hasText: `CI deploy ${name} (prod)` });
    await waitForText(renamed, /Active/);
    await renamed.getByRole('button', { name: /^Disable/ }).click();
    await waitForText(renamed.locator('.badge'), /Disabled/);
    expect((await api('GET', '/api/webhooks', undefined, key)).status).toBe(401);
    await expectAccessible('keys');
    await renamed.getByRole('button', { name: /^Enable/ }).click();
    await waitForText(renamed.locator('.badge'), /Active/);
    expect((await api('GET', '/api/webhooks', undefined, key)).status).toBe(200);
    await renamed.getByRole('button', { name: /^Revoke/ }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke this key?' });
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await waitForText(renamed.locator('.badge'), /Revoked/);
    expect((await api('GET', '/api/webhooks', undefined, key)).status).toBe(401);
  });

  test('event types: each with its description, the schema of its data and an example', async () => {
    await page.getByRole('link', { name: 'Event types' }).click();
    const section = page.locator('.event-type', { hasText: 'lookup.completed' });
    expect(await textOf(section)).toContain('An email lookup finished.');
    await section.getByText('Schema of data').click();
    expect(await textOf(section.locator('details pre'))).toContain('"lookup_id"');
    expect(await textOf(section.locator('pre').last())).toContain('"event": "lookup.completed"');
    expect(await page.locator('.event-type').count()).toBe(7);
    await expectAccessible('event-types');
  });

  test('stays usable while the key’s own 30 requests a minute are spent by other code', async () => {
    let status = 0;
    for (let i = 0; i < 40 && status !== 429; i++) {
      status = (await api('GET', '/api/webhooks', undefined, stack.info.api_key)).status;
    }
    expect(status).toBe(429);
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.locator(`a[href="#/webhooks/${hookId}"]`).click();
    const before = receiver.received(path).length;
    await page.getByLabel('Body').selectOption('');
    await page.getByRole('button', { name: 'Send test' }).click();
    expect(await textOf(page.locator('.test-result h2'))).toMatch(/Test delivered/);
    expect(receiver.received(path).length).toBe(before + 1);
    await waitForText(page.locator('.delivery').first(), /test.*Delivered|Delivered.*test/);
    expect(await page.locator('.form-error').count()).toBe(0);
  });

  if (name === 'desktop') {
    test('idle on a webhook’s page, it reads the deliveries every 3 s and health every 15 s', async () => {
      await page.getByRole('button', { name: 'Dismiss test result' }).click();
      const windowMs = 12_000;
      const start = requested.length;
      await page.waitForTimeout(windowMs);
      const calls = requested.slice(start).filter((url) => new URL(url).pathname.startsWith('/api/'));
      const perMinute = Math.round((calls.length * 60_000) / windowMs);
      process.stdout.write(`dashboard idle on a webhook page: ${perMinute} requests/minute\n`);
      // 20 delivery reads and 4 health reads a minute, with a read of slack either side.
      expect(perMinute).toBeGreaterThanOrEqual(15);
      expect(perMinute).toBeLessThanOrEqual(35);
    });
  }

  test('deletes its webhooks; the key never appeared in a URL', async () => {
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete this webhook?' });
    await confirm.getByRole('button', { name: 'Delete webhook' }).click();
    await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor({ timeout: WAIT_MS });
    expect((await api('DELETE', '/api/webhooks', { id: deadId })).status).toBe(204);
    expect(requested.filter((url) => url.includes(stack.info.api_key))).toEqual([]);
  });
});
