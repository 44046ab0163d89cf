// @vitest-environment jsdom
// Proves the tracker keeps the latest click first-party (cookie + localStorage) and hands it to
// checkout (inputs, forms, Stripe Payment Links), in a real DOM (jsdom), with fetch stubbed.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { trackerSource } from './index.js';

interface AffableApi {
  version: number;
  clickId(): string | null;
  referralCode(): string | null;
  decorate(url: string): string;
}

type TrackerWindow = Window & typeof globalThis & { Affable: AffableApi; eval(source: string): unknown; close(): void };

// jsdom ships no type declarations here (@types/jsdom is not installed): describe what we use.
interface StoredCookie {
  key: string;
  value: string;
  path: string;
  sameSite: string;
  secure: boolean;
  httpOnly: boolean;
  maxAge: number | 'Infinity' | '-Infinity' | null;
}
interface CookieJar {
  getCookies(url: string): Promise<StoredCookie[]>;
}
interface JSDOM {
  window: TrackerWindow;
  cookieJar: CookieJar;
}
const { JSDOM } = createRequire(import.meta.url)('jsdom') as {
  JSDOM: new (html: string, options: { url: string; runScripts: 'outside-only'; cookieJar?: CookieJar }) => JSDOM;
};

const PAGE = `<!doctype html><html><head>
<script src="https://aff.example.com/js/affable.js" data-program="kartra" data-cookie-days="30"></script>
</head><body>
<a id="plan" href="https://buy.stripe.com/test_abc123">Buy</a>
<a id="plan-query" href="https://buy.stripe.com/test_abc123?prefilled_email=a%40x.com#top">Buy</a>
<a id="own-ref" href="https://buy.stripe.com/test_abc123?client_reference_id=user_42">Buy</a>
<a id="other" href="https://example.org/somewhere">Elsewhere</a>
<a id="marked" data-affable href="/checkout?plan=pro">Checkout</a>
<form id="signup" data-affable action="/checkout" method="post"><input name="email"></form>
<form id="plain" action="/subscribe"><input name="aff_click" type="hidden"></form>
</body></html>`;

const doms: JSDOM[] = [];

/** A browser tab on `url` with Affable's script tag; `prepare` runs before the script (stubs, old state). */
async function open(
  url: string,
  options: { html?: string; prepare?: (window: TrackerWindow) => void; from?: JSDOM } = {},
): Promise<TrackerWindow> {
  const dom = new JSDOM(options.html ?? PAGE, { url, runScripts: 'outside-only', cookieJar: options.from?.cookieJar });
  doms.push(dom);
  const window = dom.window;
  if (options.from) {
    // Same origin, same browser: carry localStorage over as a browser would.
    const previous = options.from.window.localStorage;
    for (let i = 0; i < previous.length; i++) {
      const key = previous.key(i)!;
      window.localStorage.setItem(key, previous.getItem(key)!);
    }
  }
  options.prepare?.(window);
  window.eval(trackerSource());
  // The script runs during parsing (like `defer`); the page is ready at DOMContentLoaded.
  if (window.document.readyState === 'loading') {
    await new Promise((resolve) => window.document.addEventListener('DOMContentLoaded', resolve));
  }
  return window;
}

function cookieNamed(window: TrackerWindow, name: string): string | undefined {
  return window.document.cookie
    .split(/;\s*/)
    .find((part) => part.startsWith(`${name}=`))
    ?.slice(name.length + 1);
}

function stored(window: TrackerWindow, name: string): { id: string; exp: number } | null {
  return JSON.parse(window.localStorage.getItem(name) ?? 'null') as { id: string; exp: number } | null;
}

function href(window: TrackerWindow, id: string): string | null {
  return window.document.getElementById(id)!.getAttribute('href');
}

afterEach(() => {
  for (const dom of doms.splice(0)) dom.window.close();
});

describe('the landing URL carries ?aff_click=', () => {
  it('stores the click first-party: a Lax cookie for cookie_days and a localStorage backup', async () => {
    const window = await open('https://shop.example.com/pricing?aff_click=clk_123&utm_source=x');
    expect(window.Affable.clickId()).toBe('clk_123');
    expect(cookieNamed(window, 'aff_click')).toBe('clk_123');
    const saved = stored(window, 'aff_click');
    expect(saved?.id).toBe('clk_123');
    // The backup expires with the cookie: 30 days from now.
    expect(saved!.exp - new window.Date().getTime()).toBeGreaterThan(29.9 * 86_400_000);
    expect(saved!.exp - new window.Date().getTime()).toBeLessThanOrEqual(30 * 86_400_000);
    // The cookie's attributes, as the browser recorded them.
    const [cookie] = await doms.at(-1)!.cookieJar.getCookies('https://shop.example.com/');
    expect(cookie).toMatchObject({ key: 'aff_click', value: 'clk_123', path: '/', sameSite: 'lax', secure: true, httpOnly: false, maxAge: 30 * 86_400 });
    // Strips nothing from the URL.
    expect(window.location.search).toBe('?aff_click=clk_123&utm_source=x');
  });

  it('fills aff_click inputs and adds a hidden one to forms marked data-affable', async () => {
    const window = await open('https://shop.example.com/?aff_click=clk_123');
    const plain = window.document.querySelector<HTMLInputElement>('#plain input[name="aff_click"]')!;
    expect(plain.value).toBe('clk_123');
    const added = window.document.querySelectorAll<HTMLInputElement>('#signup input[name="aff_click"]');
    expect(added).toHaveLength(1);
    expect(added[0]!.type).toBe('hidden');
    expect(added[0]!.value).toBe('clk_123');
  });

  it('decorates Stripe Payment Links with client_reference_id and marked links with aff_click', async () => {
    const window = await open('https://shop.example.com/?aff_click=clk_123');
    expect(href(window, 'plan')).toBe('https://buy.stripe.com/test_abc123?client_reference_id=clk_123');
    expect(href(window, 'plan-query')).toBe('https://buy.stripe.com/test_abc123?prefilled_email=a%40x.com&client_reference_id=clk_123#top');
    expect(href(window, 'marked')).toBe('/checkout?plan=pro&aff_click=clk_123');
    // Not a checkout link: untouched. A client_reference_id the merchant set: kept.
    expect(href(window, 'other')).toBe('https://example.org/somewhere');
    expect(href(window, 'own-ref')).toBe('https://buy.stripe.com/test_abc123?client_reference_id=user_42');
  });

  it('exposes decorate(url) for checkout URLs built by the page', async () => {
    const window = await open('https://shop.example.com/?aff_click=clk_123');
    expect(window.Affable.decorate('https://buy.stripe.com/x?locale=fr')).toBe('https://buy.stripe.com/x?locale=fr&client_reference_id=clk_123');
    expect(window.Affable.decorate('https://pay.example.com/cart?aff_click=old')).toBe('https://pay.example.com/cart?aff_click=clk_123');
    expect(window.Affable.decorate('https://buy.stripe.com.evil.example/x')).toBe('https://buy.stripe.com.evil.example/x?aff_click=clk_123');
  });

  it('decorates a Stripe link added after load when it is clicked', async () => {
    const window = await open('https://shop.example.com/?aff_click=clk_123');
    const late = window.document.createElement('a');
    late.href = 'https://buy.stripe.com/late';
    late.innerHTML = '<span>Buy now</span>';
    late.addEventListener('click', (event) => event.preventDefault());
    window.document.body.appendChild(late);
    late.querySelector('span')!.dispatchEvent(new window.MouseEvent('click', { bubbles: true, cancelable: true }));
    expect(late.getAttribute('href')).toBe('https://buy.stripe.com/late?client_reference_id=clk_123');
  });

  it.each(['clk"><script>alert(1)</script>', 'a'.repeat(65), 'clk 123', ''])('ignores a malformed id: %s', async (bad) => {
    const window = await open(`https://shop.example.com/?aff_click=${encodeURIComponent(bad)}`);
    expect(window.Affable.clickId()).toBeNull();
    expect(cookieNamed(window, 'aff_click')).toBeUndefined();
    expect(window.localStorage.getItem('aff_click')).toBeNull();
    expect(href(window, 'plan')).toBe('https://buy.stripe.com/test_abc123');
  });

  it('R2.2: a later click replaces the earlier one in the cookie and in localStorage', async () => {
    const first = await open('https://shop.example.com/?aff_click=clk_first');
    const later = await open('https://shop.example.com/other?aff_click=clk_second', { from: doms.at(-1)! });
    expect(first.Affable.clickId()).toBe('clk_second');
    expect(later.Affable.clickId()).toBe('clk_second');
    expect(stored(later, 'aff_click')?.id).toBe('clk_second');
    // A page without a click keeps the latest one.
    const browsing = await open('https://shop.example.com/pricing', { from: doms.at(-1)! });
    expect(browsing.Affable.clickId()).toBe('clk_second');
    expect(href(browsing, 'plan')).toBe('https://buy.stripe.com/test_abc123?client_reference_id=clk_second');
  });
});

describe('without cookies or without localStorage', () => {
  it('works from localStorage when cookies are refused', async () => {
    const window = await open('https://shop.example.com/?aff_click=clk_ls', {
      prepare: (w) => {
        Object.defineProperty(w.document, 'cookie', { get: () => '', set: () => undefined, configurable: true });
      },
    });
    expect(window.Affable.clickId()).toBe('clk_ls');
    expect(href(window, 'plan')).toBe('https://buy.stripe.com/test_abc123?client_reference_id=clk_ls');
  });

  it('works from the cookie when localStorage throws (Safari private mode, storage disabled)', async () => {
    const window = await open('https://shop.example.com/?aff_click=clk_cookie', {
      prepare: (w) => {
        Object.defineProperty(w, 'localStorage', {
          get: () => {
            throw new w.DOMException('denied', 'SecurityError');
          },
          configurable: true,
        });
      },
    });
    expect(window.Affable.clickId()).toBe('clk_cookie');
    expect(cookieNamed(window, 'aff_click')).toBe('clk_cookie');
  });

  it('ignores an expired localStorage backup', async () => {
    const window = await open('https://shop.example.com/', {
      prepare: (w) => w.localStorage.setItem('aff_click', JSON.stringify({ id: 'clk_old', exp: new w.Date().getTime() - 1 })),
    });
    expect(window.Affable.clickId()).toBeNull();
  });
});

describe('the landing URL carries ?ref=<code>', () => {
  function stubFetch(answer: () => Promise<unknown>) {
    const calls: string[] = [];
    const prepare = (w: TrackerWindow) => {
      // The browser's network boundary: only the shape the tracker reads ({ok, json()}) is faked.
      w.fetch = vi.fn((url: string) => {
        calls.push(url);
        return answer();
      }) as unknown as typeof fetch;
    };
    return { calls, prepare };
  }
  const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

  it('records the click at Affable (origin from the script src) and stores the returned id', async () => {
    const { calls, prepare } = stubFetch(() => Promise.resolve({ ok: true, json: () => Promise.resolve({ click_id: 'clk_from_ref' }) }));
    const window = await open('https://shop.example.com/pricing?ref=janedoe', { prepare });
    expect(calls).toEqual([
      'https://aff.example.com/api/v1/track/click?code=janedoe&landing=' +
        encodeURIComponent('https://shop.example.com/pricing?ref=janedoe') +
        '&program=kartra',
    ]);
    expect(window.Affable.referralCode()).toBe('janedoe');
    await flush();
    expect(window.Affable.clickId()).toBe('clk_from_ref');
    expect(cookieNamed(window, 'aff_click')).toBe('clk_from_ref');
    expect(stored(window, 'aff_click')?.id).toBe('clk_from_ref');
    expect(href(window, 'plan')).toBe('https://buy.stripe.com/test_abc123?client_reference_id=clk_from_ref');
  });

  it('honours data-ref-param, and keeps only the code when the endpoint fails or answers junk', async () => {
    const html = PAGE.replace('data-program="kartra"', 'data-program="kartra" data-ref-param="via"');
    const failing = stubFetch(() => Promise.reject(new Error('offline')));
    const offline = await open('https://shop.example.com/?via=janedoe&ref=ignored', { html, prepare: failing.prepare });
    expect(failing.calls[0]).toContain('code=janedoe&');
    await flush();
    expect(offline.Affable.clickId()).toBeNull();
    expect(offline.Affable.referralCode()).toBe('janedoe');

    const junk = stubFetch(() => Promise.resolve({ ok: true, json: () => Promise.resolve({ click_id: '<img>' }) }));
    const junkWindow = await open('https://shop.example.com/?ref=janedoe', { prepare: junk.prepare });
    await flush();
    expect(junkWindow.Affable.clickId()).toBeNull();
  });

  it('R2.2: a ref visit after an older click drops the older click at once', async () => {
    await open('https://shop.example.com/?aff_click=clk_old');
    const { prepare } = stubFetch(() => new Promise(() => undefined)); // never answers
    const window = await open('https://shop.example.com/?ref=newcode', { prepare, from: doms.at(-1)! });
    await flush();
    expect(window.Affable.clickId()).toBeNull();
    expect(window.Affable.referralCode()).toBe('newcode');
  });

  it('a malformed code calls nothing', async () => {
    const { calls, prepare } = stubFetch(() => Promise.resolve({ ok: false }));
    const window = await open('https://shop.example.com/?ref=%3Cscript%3E', { prepare });
    expect(calls).toEqual([]);
    expect(window.Affable.referralCode()).toBeNull();
  });
});

describe('trackerSource', () => {
  it('is ES5 (no let/const/arrows/classes/template literals) and small', async () => {
    const source = trackerSource();
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/\b(let|const|class)\s|=>|`/);
    expect(trackerSource()).toBe(source);
  });
});
