// The embedded demo's merchant page: the `kartra` demo program's landing URL points here, so a
// newcomer can follow an affiliate link and watch the first-party tracker pick up the click.
import type { AppContext } from '../../app/context.js';
import type { Api } from '../types.js';

export function demoRoutes(app: Api, _context: AppContext): void {
  app.get('/demo/landing', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(DEMO_PAGE),
  );
}

// Static markup: nothing from the request is echoed into the page; the tracker reads the URL itself.
const DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo merchant · Affable</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f6f7fb; color: #111827; }
  main { max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }
  .card { background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; padding: 1.5rem; margin-top: 1rem; }
  code { background: #eef2ff; padding: .1rem .35rem; border-radius: 4px; }
  button { background: #4f46e5; color: #fff; border: 0; border-radius: 8px; padding: .7rem 1.2rem; font-weight: 600; }
</style>
<script src="/js/affable.js" data-program="kartra" defer></script>
</head>
<body>
<main>
  <h1>Kartra (demo merchant page)</h1>
  <p>This page stands in for the merchant's site. It includes Affable's first-party tracker:</p>
  <pre><code>&lt;script src="/js/affable.js" data-program="kartra" defer&gt;&lt;/script&gt;</code></pre>
  <div class="card">
    <p>Click id kept for checkout: <code id="click">none yet: follow an affiliate link</code></p>
    <form data-affable onsubmit="event.preventDefault(); document.getElementById('sent').textContent = new FormData(this).get('aff_click') || 'none';">
      <button type="submit">Start a 14-day trial</button>
      <p>The form would send <code>aff_click=<span id="sent">…</span></code> to the merchant's checkout, which passes it to Affable with the billing events.</p>
    </form>
  </div>
</main>
<script>
  addEventListener('DOMContentLoaded', function () {
    var id = window.Affable && window.Affable.clickId();
    if (id) document.getElementById('click').textContent = id;
  });
</script>
</body>
</html>`;
