// A signed-in browser for in-process tests: the session cookie plus the CSRF token the SPA
// would echo, over app.inject.
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TestApp } from './app.js';

export interface Browser {
  cookie: string;
  csrf: string;
  id: string;
  /** A request with the session cookie; the CSRF header is sent unless `csrf: false` or overridden. */
  call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, options?: { csrf?: string | false }): Promise<LightMyRequestResponse>;
}

export function sessionCookieOf(res: LightMyRequestResponse): string {
  const raw = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('affable_session='));
  expect(raw, 'a session cookie').toBeDefined();
  return raw!.split(';')[0]!;
}

export function browserFor(t: TestApp, cookie: string, csrf: string, id: string): Browser {
  return {
    cookie,
    csrf,
    id,
    call: (method, url, body, options = {}) => {
      const headers: Record<string, string> = { cookie };
      if (options.csrf !== false) headers['x-csrf-token'] = options.csrf ?? csrf;
      if (body !== undefined) headers['content-type'] = 'application/json';
      return t.app.inject({ method, url, headers, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
    },
  };
}

let counter = 0;
export const PASSWORD = 'correct horse battery staple';

/** Signs up a new affiliate through the portal and returns their signed-in browser. */
export async function signUpAffiliate(t: TestApp, over: Record<string, unknown> = {}): Promise<Browser & { username: string; email: string }> {
  counter += 1;
  const username = `member${counter}_${Math.floor(Math.random() * 1e6)}`;
  const body = {
    email: `${username}@example.com`,
    username,
    name: `Member ${counter}`,
    password: PASSWORD,
    security_question: 'First pet?',
    security_answer: 'Rex',
    ...over,
  };
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/portal/signup', payload: body });
  expect(res.statusCode, res.body).toBe(201);
  const json = res.json();
  return { ...browserFor(t, sessionCookieOf(res), json.csrf_token, json.affiliate.id), username: body.username as string, email: body.email as string };
}

/** Logs in through POST /api/v1/session (affiliates) or /api/v1/console/session (admins). */
export async function logIn(t: TestApp, path: '/api/v1/session' | '/api/v1/console/session', body: Record<string, string>): Promise<Browser> {
  const res = await t.app.inject({ method: 'POST', url: path, payload: body });
  expect(res.statusCode, res.body).toBe(200);
  const json = res.json();
  return browserFor(t, sessionCookieOf(res), json.csrf_token, json.affiliate?.id ?? json.admin.id);
}
