// A small client for the bench's setup through the public API (api.md), with the bootstrap key.
import { BENCH_API_KEY } from './server.js';

export interface ApiResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    readonly apiKey: string = BENCH_API_KEY,
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: { authorization: `Bearer ${this.apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (a redirect or an HTML page)
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** A request that must succeed with one of `expected` statuses. */
  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown, expected: number[] = [200, 201]): Promise<T> {
    const res = await this.request(method, path, body);
    if (!expected.includes(res.status)) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as T;
  }
}

export interface BenchProgram {
  slug: string;
  clockId: string | null;
}

/** A program on real time (or on a new test clock when `frozenTime` is given). */
export async function createProgram(api: Api, slug: string, frozenTime?: string): Promise<BenchProgram> {
  let clockId: string | null = null;
  if (frozenTime) clockId = (await api.ok<{ id: string }>('POST', '/api/v1/test_clocks', { frozen_time: frozenTime })).id;
  await api.ok('POST', '/api/v1/programs', {
    slug,
    name: slug,
    currency: 'usd',
    landing_url: 'https://merchant.example/start?utm=bench',
    ...(clockId ? { test_clock: clockId } : {}),
  });
  return { slug, clockId };
}

export interface BenchAffiliate {
  id: string;
  username: string;
  code: string;
  jv: string;
}

/** An approved affiliate with its main and JV link codes (R1.2, R9.1). */
export async function createAffiliate(api: Api, program: string, username: string, extra: Record<string, unknown> = {}): Promise<BenchAffiliate> {
  const affiliate = await api.ok<{ id: string }>('POST', '/api/v1/affiliates', { email: `${username}@aff.bench`, username, name: username, ...extra });
  const application = await api.ok<{ id: string }>('POST', `/api/v1/programs/${program}/applications`, { affiliate_id: affiliate.id, terms_version: 'v1' });
  await api.ok('POST', `/api/v1/applications/${application.id}/approve`);
  const links = await api.ok<{ main: { code: string }; jv: { code: string } }>('GET', `/api/v1/affiliates/${affiliate.id}/links?program=${program}`);
  return { id: affiliate.id, username, code: links.main.code, jv: links.jv.code };
}

/** `count` approved affiliates named `${prefix}0`, `${prefix}1`, …, one after another: their main link codes, in that order. */
export async function createLinkCodes(api: Api, program: string, prefix: string, count: number): Promise<string[]> {
  const codes: string[] = [];
  for (let i = 0; i < count; i += 1) codes.push((await createAffiliate(api, program, `${prefix}${i}`)).code);
  return codes;
}
