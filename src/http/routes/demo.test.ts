// Proves the demo merchant page that the seeded `kartra` program lands on loads the tracker.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../../test/support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(async () => {
  await t.close();
});

it('serves the demo landing page with the first-party tracker, and the tracker itself', async () => {
  const page = await t.app.inject({ url: '/demo/landing?aff_click=clk_abc' });
  expect(page.statusCode).toBe(200);
  expect(page.headers['content-type']).toContain('text/html');
  expect(page.body).toContain('<script src="/js/affable.js" data-program="kartra" defer></script>');
  expect(page.body).not.toContain('clk_abc'); // nothing from the request is echoed
  expect((await t.app.inject({ url: '/js/affable.js' })).statusCode).toBe(200);
});
