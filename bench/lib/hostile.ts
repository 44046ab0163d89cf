// The soak's malformed and hostile requests: each one must be refused (4xx) or answered without
// writing anything. Deterministic (a seeded PRNG), cycling through the categories up to `count`.
import type { BenchAffiliate } from './api.js';
import { prng } from '../../test/support/random.js';

export interface HostileRequest {
  category: string;
  method: string;
  path: string;
  body?: string;
  headers: Record<string, string>;
}

export interface HostileContext {
  apiKey: string;
  program: string;
  otherProgram: string;
  victim: BenchAffiliate;
  attacker: BenchAffiliate;
  otherProgramAffiliate: BenchAffiliate;
  /** The attacker affiliate's session cookie (`name=value`) and CSRF token. */
  cookie: string;
  csrf: string;
}

const SQL = ["' OR '1'='1", "'; drop table clicks; --", '1; select pg_sleep(5)', "\\'; delete from events where ''='", '" OR ""="', "') union select secret_hash from api_keys --"];
const SCRIPT = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'javascript:alert(1)', '{{7*7}}${7*7}', '<svg/onload=alert(1)>'];
const TRAVERSAL = [
  '/r/..%2F..%2Fetc%2Fpasswd',
  '/assets/../../package.json',
  '/assets/..%2F..%2Fpackage.json',
  '/assets/%2e%2e/%2e%2e/package.json',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/admin/../../package.json',
  '/assets/....//....//package.json',
  '/assets/%00../package.json',
  '/assets/..\\..\\package.json',
  '/api/v1/affiliates/..%2F..%2Fetc%2Fpasswd/balance?program=soak',
  '/api/v1/../../package.json',
  '/assets/%252e%252e/%252e%252e/package.json',
  '/.env',
  '/assets/../.git/config',
];

export function hostileRequests(count: number, c: HostileContext): HostileRequest[] {
  const random = prng(99);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const admin = { authorization: `Bearer ${c.apiKey}` };
  const json = (category: string, method: string, path: string, body: string, headers: Record<string, string> = admin): HostileRequest => ({
    category,
    method,
    path,
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  const get = (category: string, path: string, headers: Record<string, string> = admin): HostileRequest => ({ category, method: 'GET', path, headers });
  const enc = encodeURIComponent;
  const postTargets = ['/api/v1/events', '/api/v1/affiliates', '/api/v1/programs', '/api/v1/test_clocks', '/api/v1/payout_runs', `/api/v1/programs/${c.program}/applications`, `/api/v1/affiliates/${c.victim.id}/tracking_links`];
  const validEvent = { id: 'evt_h', type: 'payment.succeeded', program: c.program, customer: { id: 'cus_h' }, subscription: { id: 'sub_h' }, payment: { id: 'pay_h', amount: 9900, currency: 'usd' } };

  const generators: Array<() => HostileRequest> = [
    // Fuzzed JSON: truncated, garbage, deep nesting, prototype pollution, non-objects.
    () => {
      const text = JSON.stringify(validEvent);
      const variants = [
        text.slice(0, Math.floor(random() * text.length)),
        text.replace(/[{}":,]/g, () => pick(['{', '}', '"', ':', ',', '', '\\'])),
        `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
        `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`,
        '{"__proto__": {"role": "admin"}, "constructor": {"prototype": {"admin": true}}}',
        Buffer.from(Array.from({ length: 200 }, () => Math.floor(random() * 256))).toString('latin1'),
        'null',
        '"just a string"',
        '12345678901234567890123456789',
        '\uFEFF{"id": 1}',
        '{"id": "x", "id": {"$gt": ""}}',
        '{"amount": 1e400}',
      ];
      return json('fuzzed JSON', 'POST', pick(postTargets), pick(variants));
    },
    // Wrong types and values in an otherwise well-formed event (each one is invalid).
    () => {
      const mutations: Array<(e: Record<string, unknown>) => void> = [
        (e) => ((e['payment'] as Record<string, unknown>)['amount'] = '9900'),
        (e) => ((e['payment'] as Record<string, unknown>)['amount'] = -1),
        (e) => ((e['payment'] as Record<string, unknown>)['amount'] = 1.5),
        (e) => ((e['payment'] as Record<string, unknown>)['amount'] = 1e20),
        (e) => ((e['payment'] as Record<string, unknown>)['currency'] = 123),
        (e) => ((e['payment'] as Record<string, unknown>)['currency'] = 'eur'),
        (e) => (e['id'] = { $ne: null }),
        (e) => (e['id'] = ''),
        (e) => (e['type'] = 'payment.stolen'),
        (e) => (e['occurred_at'] = 'yesterday'),
        (e) => (e['occurred_at'] = '2999-01-01T00:00:00Z'),
        (e) => (e['customer'] = ['cus_h']),
        (e) => delete e['subscription'],
        (e) => (e['program'] = 42),
        (e) => (e['subscription'] = { id: 'sub_h', interval: 'week' }),
        (e) => (e['click_id'] = 'x'.repeat(5_000)),
      ];
      const event = structuredClone(validEvent) as Record<string, unknown>;
      event['id'] = `evt_h_${Math.floor(random() * 1e9)}`;
      pick(mutations)(event);
      return json('wrong types', 'POST', '/api/v1/events', JSON.stringify(event));
    },
    // Bodies past the limit, and long strings within it.
    () => {
      if (random() < 0.02) return json('huge bodies', 'POST', '/api/v1/events', JSON.stringify({ ...validEvent, pad: 'x'.repeat(2 * 1024 * 1024) }));
      const long = 'a'.repeat(Math.floor(10_000 + random() * 200_000));
      return json('huge bodies', 'POST', pick(['/api/v1/affiliates', '/api/v1/programs']), JSON.stringify({ username: long, email: `${long}@x.test`, name: long, slug: long }));
    },
    // SQL injection in paths, queries and bodies.
    () => {
      const s = pick(SQL);
      const variants = [
        get('SQL injection', `/api/v1/affiliates/${enc(s)}/balance?program=${c.program}`),
        get('SQL injection', `/api/v1/affiliates/${c.victim.id}/tier?program=${enc(s)}`),
        get('SQL injection', `/api/v1/commissions?program=${c.program}&affiliate_id=${enc(s)}`),
        get('SQL injection', `/api/v1/commissions?program=${c.program}&cursor=${enc(s)}`),
        get('SQL injection', `/api/v1/programs/${enc(s)}`),
        get('SQL injection', `/r/${enc(s)}`, { 'user-agent': 'Mozilla/5.0 Chrome/126.0' }),
        get('SQL injection', `/api/v1/track/click?code=${enc(s)}`),
        json('SQL injection', 'POST', '/api/v1/affiliates', JSON.stringify({ email: `${s}@x`, username: s, name: s })),
        json('SQL injection', 'POST', '/api/v1/events', JSON.stringify({ ...validEvent, id: s, program: s })),
        json('SQL injection', 'POST', '/api/v1/payout_runs', JSON.stringify({ program: c.program, month: s })),
      ];
      return pick(variants);
    },
    // Script injection where it could be stored or reflected.
    () => {
      const s = pick(SCRIPT);
      const variants = [
        json('script injection', 'POST', '/api/v1/affiliates', JSON.stringify({ email: 'x@x.test', username: s, name: s })),
        json('script injection', 'POST', '/api/v1/programs', JSON.stringify({ slug: s, name: s, currency: 'usd', landing_url: s })),
        get('script injection', `/r/${enc(s)}`, { 'user-agent': s }),
        get('script injection', `/${enc(s)}`),
        get('script injection', `/api/v1/programs/${enc(s)}`),
        json('script injection', 'POST', `/api/v1/affiliates/${c.victim.id}/tracking_links`, JSON.stringify({ program: s, name: 'blog' })),
      ];
      return pick(variants);
    },
    // Other affiliates' ids, as the signed-in attacker affiliate (with and without the CSRF token).
    () => {
      const session = { cookie: c.cookie };
      const withCsrf = { cookie: c.cookie, 'x-csrf-token': c.csrf };
      const other = pick([c.victim.id, c.otherProgramAffiliate.id]);
      const variants = [
        get('other affiliates', `/api/v1/affiliates/${other}`, session),
        get('other affiliates', `/api/v1/affiliates/${other}/balance?program=${c.program}`, session),
        get('other affiliates', `/api/v1/affiliates/${other}/tier?program=${c.program}`, session),
        get('other affiliates', `/api/v1/affiliates/${other}/links?program=${c.program}`, session),
        get('other affiliates', `/api/v1/affiliates/${other}/recruits?program=${c.program}`, session),
        get('other affiliates', `/api/v1/commissions?program=${c.program}&affiliate_id=${other}`, session),
        json('other affiliates', 'POST', `/api/v1/affiliates/${other}/tracking_links`, JSON.stringify({ program: c.program, name: 'stolen' }), withCsrf),
        json('other affiliates', 'POST', `/api/v1/affiliates/${other}/tracking_links`, JSON.stringify({ program: c.program, name: 'stolen' }), session),
        json('other affiliates', 'PUT', `/api/v1/affiliates/${other}/payout_account`, JSON.stringify({ paypal_email: 'thief@evil.test' }), withCsrf),
        json('other affiliates', 'PUT', `/api/v1/affiliates/${c.attacker.id}/payout_account`, JSON.stringify({ paypal_email: 'thief@evil.test' }), session),
        json('other affiliates', 'POST', '/api/v1/events', JSON.stringify(validEvent), withCsrf),
        json('other affiliates', 'POST', '/api/v1/programs', JSON.stringify({ slug: 'mine', name: 'mine', currency: 'usd', landing_url: 'https://evil.test/' }), withCsrf),
        json('other affiliates', 'POST', '/api/v1/payout_runs', JSON.stringify({ program: c.program, month: '2020-01' }), withCsrf),
      ];
      return pick(variants);
    },
    // Path traversal toward files outside the web root.
    () => get('path traversal', pick(TRAVERSAL), {}),
    // Broken or forged authentication.
    () => {
      const headers = pick<Record<string, string>>([
        {},
        { authorization: 'Bearer' },
        { authorization: 'Bearer afk_forged' },
        { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
        { authorization: `Bearer ${'a'.repeat(8_000)}` },
        { authorization: `Bearer ${pick(SQL)}`.replace(/[^\t\x20-\x7e]/g, '') },
        { cookie: 'affable_session=forged' },
      ]);
      return random() < 0.5 ? get('bad auth', `/api/v1/affiliates/${c.victim.id}/balance?program=${c.program}`, headers) : json('bad auth', 'POST', '/api/v1/events', JSON.stringify(validEvent), headers);
    },
    // Protocol misuse: wrong content types, bad idempotency keys, unknown routes and methods.
    () => {
      const variants: HostileRequest[] = [
        { category: 'protocol misuse', method: 'POST', path: '/api/v1/events', body: 'id=1&type=payment.succeeded', headers: { ...admin, 'content-type': 'application/x-www-form-urlencoded' } },
        { category: 'protocol misuse', method: 'POST', path: '/api/v1/events', body: JSON.stringify(validEvent), headers: { ...admin, 'content-type': 'text/plain' } },
        json('protocol misuse', 'POST', '/api/v1/test_clocks', JSON.stringify({ frozen_time: 'not a time' }), { ...admin, 'idempotency-key': 'key with spaces and ünïcode' }),
        json('protocol misuse', 'POST', '/api/v1/programs', '{}', { ...admin, 'idempotency-key': 'x'.repeat(300) }),
        { category: 'protocol misuse', method: 'DELETE', path: '/api/v1/events', headers: admin },
        { category: 'protocol misuse', method: 'PATCH', path: `/api/v1/affiliates/${c.victim.id}`, body: '{"username":"renamed"}', headers: { ...admin, 'content-type': 'application/json' } },
        { category: 'protocol misuse', method: 'GET', path: `/api/v1/affiliates/${c.victim.id}/balance`, headers: admin },
        { category: 'protocol misuse', method: 'GET', path: `/api/v1/commissions?program=${c.program}&limit=100000`, headers: admin },
        { category: 'protocol misuse', method: 'GET', path: `/api/v1/commissions?program=${c.program}&limit=-1`, headers: admin },
        { category: 'protocol misuse', method: 'OPTIONS', path: '/api/v1/events', headers: admin },
      ];
      return pick(variants);
    },
  ];
  const requests: HostileRequest[] = [];
  for (let index = 0; index < count; index += 1) requests.push(generators[index % generators.length]!());
  return requests;
}
