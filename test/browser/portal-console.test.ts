// Proves the web UI end to end in a real browser (Debian's Chromium through playwright-core)
// against the real server on a socket: an affiliate signs up and applies, an admin approves in
// the console, the affiliate copies the link, a click and a sale arrive, the dashboard shows
// them, the tier card moves, and the admin runs the month's payouts. Names with <script> in them
// render as text. Screenshots of the main pages go to test-artifacts/screenshots/.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { makeTestApp, type TestApp } from '../support/app.js';
import { startFakePayPal, type FakePayPal } from '../support/paypal-fake-server.js';
import { buildWeb } from '../../scripts/build-web.js';
import { admins } from '../../src/store/schema.js';
import { hashPassword } from '../../src/app/hashing.js';
import { newId } from '../../src/store/ids.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`[browser tests] skipped: ${CHROMIUM} is missing. Install it with "apt-get install -y chromium" (CI's .ci/run does).`);
}

const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');
const ADMIN = { email: 'admin@merchant.test', password: 'console password 1' };
const XSS_NAME = 'Jane <script>window.__xss=1</script> Doe';
const XSS_LINK = '<img src=x onerror="window.__xss=2">blog';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe.skipIf(!hasChromium)('the portal and the console in a browser', () => {
  let t: TestApp;
  let paypal: FakePayPal;
  let base: string;
  let browser: Browser;
  let affiliateCtx: BrowserContext;
  let adminCtx: BrowserContext;
  let me: Page;
  let admin: Page;
  let clockId: string;
  let mainCode = '';
  const pageErrors: string[] = [];

  const shot = async (page: Page, name: string) => {
    await page.waitForLoadState('networkidle').catch(() => {});
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const advance = async (iso: string) => {
    const res = await t.call('POST', `/api/v1/test_clocks/${clockId}/advance`, { frozen_time: iso });
    expect(res.statusCode, res.body).toBe(200);
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await buildWeb({ ifStale: true, quiet: true });
    paypal = await startFakePayPal();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await makeTestApp({ publicUrl: base, paypal: { baseUrl: paypal.baseUrl, clientId: paypal.clientId, clientSecret: paypal.clientSecret } });
    await t.app.listen({ port, host: '127.0.0.1' });
    await t.database.transaction(async (tx) =>
      tx.insert(admins).values({ id: newId('adm'), email: ADMIN.email, name: 'Morgan Admin', passwordHash: await hashPassword(ADMIN.password), createdAt: t.clock.now() }),
    );
    const clock = await t.call('POST', '/api/v1/test_clocks', { frozen_time: '2027-01-04T09:00:00Z' });
    clockId = clock.json().id;
    const program = await t.call('POST', '/api/v1/programs', {
      slug: 'kartra',
      name: 'Kartra',
      currency: 'usd',
      landing_url: `${base}/landing`,
      test_clock: clockId,
      terms_version: '2027-01',
      terms_text: 'Affiliate terms, version 2027-01.\n1. No self-referrals.\n2. Do not use the brand in ads.',
    });
    expect(program.statusCode, program.body).toBe(201);
    const material = await t.call('POST', '/api/v1/programs/kartra/materials', {
      kind: 'email',
      title: 'Launch email',
      body: 'Subject: The all-in-one platform\n\nStart your trial here: {{link}}',
    });
    expect(material.statusCode, material.body).toBe(201);

    const { chromium } = await import('playwright-core');
    // launch() refuses --user-data-dir: Playwright gives every launch a fresh temporary profile
    // of its own (mkdtemp) and deletes it on close, which is what we want.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    affiliateCtx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await affiliateCtx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    adminCtx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    affiliateCtx.setDefaultTimeout(10_000);
    adminCtx.setDefaultTimeout(10_000);
    me = await affiliateCtx.newPage();
    admin = await adminCtx.newPage();
    for (const page of [me, admin]) page.on('pageerror', (e) => pageErrors.push(String(e)));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await paypal?.close();
  });

  it('an affiliate signs up (username rules as they type) and applies with the versioned terms', async () => {
    await me.goto(`${base}/login`);
    await me.getByRole('heading', { name: 'Welcome back' }).waitFor();
    await shot(me, 'portal-login');

    await me.goto(`${base}/signup?program=kartra`);
    await me.getByLabel('Full name').fill(XSS_NAME);
    await me.getByLabel('Email').fill('jane@example.com');
    await me.getByLabel('Username').fill('kartraqueen');
    await me.getByText(/may not contain the reserved word "kartra"/).first().waitFor();
    await me.getByLabel('Username').fill('janedoe');
    await me.locator('.rules li.ok').nth(3).waitFor(); // all four rules satisfied
    await me.getByLabel('Password').fill('short');
    await me.getByLabel('Answer').fill('Rex');
    await me.getByRole('button', { name: 'Create account and continue' }).click();
    // The API's field error shows next to the field.
    await me.locator('.field-error').filter({ hasText: 'at least 10 characters' }).waitFor();
    await shot(me, 'portal-signup');
    await me.getByLabel('Password').fill('a long enough password');
    await me.getByRole('button', { name: 'Create account and continue' }).click();

    await me.waitForURL(`${base}/apply/kartra`);
    await me.getByText('Version 2027-01', { exact: true }).waitFor();
    await me.getByLabel('Your website').fill('not a url');
    await me.getByRole('checkbox', { name: /accept the affiliate terms, version 2027-01/ }).check();
    await me.getByRole('button', { name: 'Submit application' }).click();
    await me.locator('.field-error').filter({ hasText: /http/ }).waitFor();
    await me.getByLabel('Your website').fill('https://jane.example.com');
    await me.getByLabel('Social profiles').fill('https://youtube.com/@jane\nhttps://x.com/jane');
    await me.getByLabel('How will you promote us?').fill('Video tutorials for 20k small-business owners.');
    await shot(me, 'portal-apply');
    await me.getByRole('button', { name: 'Submit application' }).click();
    await me.waitForURL(`${base}/p/kartra`);
    await me.getByText('Your application is being reviewed').waitFor();
    await shot(me, 'portal-application-pending');
    const session = await me.evaluate(async () => (await fetch('/api/v1/session')).json());
    expect(session.affiliate.name).toBe(XSS_NAME);
  });

  it('an admin signs into the console and approves; the <script> name renders as text', async () => {
    await admin.goto(`${base}/admin`);
    await admin.waitForURL(`${base}/admin/login`);
    await admin.getByLabel('Email').fill(ADMIN.email);
    await admin.getByLabel('Password').fill('wrong password');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByText('That login and password do not match').waitFor();
    await admin.getByLabel('Password').fill(ADMIN.password);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('heading', { name: 'Kartra' }).waitFor();
    await shot(admin, 'console-overview');

    await admin.getByRole('link', { name: 'Applications', exact: true }).click();
    const row = admin.getByTestId('application-row').filter({ hasText: '@janedoe' });
    await row.waitFor();
    await expect(row.getByText(XSS_NAME, { exact: true }).count()).resolves.toBe(1);
    await shot(admin, 'console-applications');
    await row.getByRole('button', { name: 'Approve' }).click();
    await admin.getByText('No pending applications').waitFor();
    expect(await admin.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('the affiliate sees the dashboard, copies the link, and adds a tracking link named with markup', async () => {
    await me.goto(`${base}/p/kartra`);
    await me.getByText('Your affiliate link').waitFor();
    const url = await me.locator('.link-box code').first().textContent();
    expect(url).toMatch(new RegExp(`^${base}/r/\\w+$`));
    mainCode = url!.split('/r/')[1]!;
    await me.getByRole('button', { name: /^Copy link/ }).first().click();
    await me.getByText('✓ Copied').first().waitFor();
    expect(await me.evaluate(() => navigator.clipboard.readText())).toBe(url);

    await me.getByRole('link', { name: 'Links', exact: true }).click();
    await me.getByLabel('New tracking link name').fill(XSS_LINK);
    await me.getByRole('button', { name: 'Create', exact: true }).click();
    await me.getByTestId('tracking-name').filter({ hasText: XSS_LINK }).waitFor();
    expect(await me.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await me.locator('img[src="x"]').count()).toBe(0);
    await shot(me, 'portal-links');

    await me.getByRole('link', { name: 'Marketing materials', exact: true }).click();
    await me.getByText(`Start your trial here: ${base}/r/${mainCode}`).waitFor();
    await shot(me, 'portal-materials');
  });

  it('a click and two sales arrive; the dashboard shows them and the tier card moves after the hold', async () => {
    // A real click through the redirect, from a browser-like client.
    const click = await fetch(`${base}/r/${mainCode}`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36' } });
    expect(click.status).toBe(302);
    const clickId = new URL(click.headers.get('location')!).searchParams.get('aff_click');
    expect(clickId).toMatch(/^clk_/);
    const sale = (id: string, customer: string, extra: Record<string, unknown>) =>
      t.call('POST', '/api/v1/events', {
        id: `evt_${id}`,
        type: 'payment.succeeded',
        program: 'kartra',
        customer: { id: customer, email: `${customer}@buyer.test` },
        subscription: { id: `sub_${customer}`, interval: 'month' },
        payment: { id: `pay_${id}`, amount: 9900, currency: 'usd', full_price: true },
        ...extra,
      });
    const first = await sale('1', 'cus_1', { click_id: clickId });
    expect(first.statusCode, first.body).toBeLessThan(300);
    const second = await sale('2', 'cus_2', { referral_code: mainCode });
    expect(second.statusCode, second.body).toBeLessThan(300);

    await me.goto(`${base}/p/kartra`);
    const stat = (label: string) => me.locator('.stat').filter({ has: me.locator('.stat-label', { hasText: new RegExp(`^${label}$`) }) }).locator('.stat-value');
    await expect.poll(() => stat('Clicks').textContent()).toBe('1');
    await expect.poll(() => stat('Sales').textContent()).toBe('2');
    await expect.poll(() => stat('Reserve').textContent()).toBe('$198.00');
    await expect.poll(() => me.getByTestId('tier-rate').textContent()).toBe('100%'); // Referral: 100% of the first payment
    await me.getByTestId('tier-card').getByText('Referral').waitFor();

    await me.getByRole('link', { name: 'Commissions', exact: true }).click();
    await me.getByRole('button', { name: 'Why?' }).first().click();
    await me.locator('.explain li').first().waitFor();
    await shot(me, 'portal-commissions');

    // 45 days later both sales have passed their hold: two distinct customers → Tier 1.
    await advance('2027-02-20T09:00:00Z');
    await me.getByRole('link', { name: 'Overview', exact: true }).click();
    await me.getByLabel('Period').selectOption('90');
    await expect.poll(() => me.getByTestId('tier-rate').textContent()).toBe('20%');
    await me.getByTestId('tier-card').getByText('Tier 1').waitFor();
    await expect.poll(() => stat('Due').textContent()).toBe('$198.00');
    await shot(me, 'portal-dashboard');

    await me.setViewportSize({ width: 390, height: 844 });
    await shot(me, 'portal-dashboard-phone');
    await me.setViewportSize({ width: 1280, height: 860 });

    await me.getByRole('link', { name: 'JV recruits', exact: true }).click();
    await me.getByText('No recruits yet').waitFor();
  });

  it('the affiliate connects PayPal and files a W-9; completeness shows', async () => {
    await me.goto(`${base}/settings`);
    await me.getByTestId('payout-readiness').getByText(/connect your PayPal account and complete your tax form/).waitFor();
    await me.getByLabel('PayPal email').fill('jane-paypal@example.com');
    await me.getByRole('button', { name: 'Save PayPal account' }).click();
    await me.getByText('Connected', { exact: true }).waitFor();
    await me.getByLabel('Legal name').fill('Jane Doe');
    await me.getByLabel('SSN or EIN').fill('123-45-6789');
    await me.getByLabel('Address', { exact: true }).fill('1 Main St');
    await me.getByLabel('City').fill('Austin');
    await me.getByLabel('State').fill('TX');
    await me.getByLabel('Postal code').fill('78701');
    await me.getByRole('checkbox', { name: /Under penalties of perjury/ }).check();
    await me.getByRole('button', { name: 'Sign and save W-9' }).click();
    await me.getByText('Complete', { exact: true }).waitFor();
    await me.reload();
    await me.getByText('You are ready to be paid.').waitFor();
    await shot(me, 'portal-settings');
  });

  it('the admin runs the month’s payouts: compose, review, approve, send, CSV', async () => {
    await advance('2027-03-02T09:00:00Z');
    await admin.getByRole('link', { name: 'Payouts', exact: true }).click();
    await admin.getByLabel('Month').fill('2027-03');
    await admin.getByRole('button', { name: 'Compose draft run' }).click();
    await admin.waitForURL(/\/admin\/payouts\/\w+/);
    await admin.getByText('$198.00').first().waitFor();
    await admin.getByRole('button', { name: 'Approve run' }).click();
    await admin.getByRole('button', { name: 'Send through PayPal' }).waitFor();
    admin.once('dialog', (d) => void d.accept());
    await admin.getByRole('button', { name: 'Send through PayPal' }).click();
    await admin.locator('.badge', { hasText: /^sent$/ }).first().waitFor({ timeout: 20_000 });
    await shot(admin, 'console-payout-run');
    const href = (await admin.getByRole('link', { name: 'Download PayPal CSV', exact: true }).getAttribute('href')) ?? '';
    const csv = await admin.evaluate(async (url) => (await fetch(url)).text(), href);
    expect(csv).toContain('jane-paypal@example.com,198.00,USD');
    expect(paypal.batches).toHaveLength(1);

    await me.goto(`${base}/p/kartra`);
    const paid = me.locator('.stat').filter({ has: me.locator('.stat-label', { hasText: /^Paid$/ }) }).locator('.stat-value');
    await expect.poll(() => paid.textContent()).toBe('$198.00');
  });

  it('the other console pages render (screenshots)', async () => {
    for (const [path, name, text] of [
      ['/admin/programs/kartra', 'console-program-plan', 'Tier table'],
      ['/admin/affiliates', 'console-affiliates', '@janedoe'],
      ['/admin/commissions', 'console-commissions', 'In kartra'],
      ['/admin/customers', 'console-customers', 'cus_1'],
      ['/admin/fraud', 'console-fraud', 'No self-referrals detected'],
      ['/admin/keys', 'console-keys', 'Create a key'],
      ['/admin/mailbox', 'console-mailbox', 'Mailbox'],
    ] as const) {
      await admin.goto(`${base}${path}`);
      await admin.getByText(text).first().waitFor();
      await shot(admin, name);
    }
    await admin.goto(`${base}/admin/programs/kartra`);
    await admin.getByRole('textbox', { name: 'Monthly recurring rate, tier 2' }).fill('5');
    await admin.getByText(/a rate is 0% or between 10% and 100%/).first().waitFor();
    await admin.getByRole('textbox', { name: 'Monthly recurring rate, tier 2' }).fill('20');
    await admin.getByTestId('plan-preview').getByText(/On Tier 2 at 30%, this payment earns \$29\.70/).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
