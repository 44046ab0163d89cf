// The web UI, built by Vite into dist/web: the affiliate portal at `/`, the admin console at
// `/admin`. Deep links fall back to the face's index.html (client-side routing); hashed assets
// under /assets are cached for a year, the HTML never (so a new build shows at once).
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import type { Api } from '../types.js';

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

// The SPA may not be framed by other sites (clickjacking) and loads nothing from elsewhere.
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'content-security-policy':
    "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
};

function notBuilt(): string {
  return '<!doctype html><html lang="en"><meta charset="utf-8"><title>Affable</title><body style="font-family:system-ui;margin:4rem auto;max-width:34rem"><h1>The web UI is not built</h1><p>Run <code>npm run build:web</code> (or <code>npm start</code>, which builds it when needed), then reload.</p><p>The API is up: <a href="/api/v1/docs">/api/v1/docs</a>.</p></body></html>';
}

export function webRoutes(app: Api, options: { root?: string } = {}): void {
  const root = options.root ?? DEFAULT_WEB_ROOT;

  async function sendHtml(reply: FastifyReply, file: 'index.html' | 'admin.html') {
    let html: Buffer;
    try {
      html = await readFile(join(root, file));
    } catch {
      return reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(notBuilt());
    }
    return reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-cache' }).type('text/html; charset=utf-8').send(html);
  }

  async function sendAsset(reply: FastifyReply, relative: string) {
    // Resolve inside the root only: "..", absolute paths and NULs never leave it.
    const target = normalize(join(root, relative));
    if (relative.includes('\0') || !target.startsWith(normalize(root.endsWith(sep) ? root : root + sep))) return reply.callNotFound();
    try {
      const info = await stat(target);
      if (!info.isFile()) return reply.callNotFound();
    } catch {
      return reply.callNotFound();
    }
    const immutable = relative.startsWith('assets/');
    return reply
      .headers({
        'x-content-type-options': 'nosniff',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
      })
      .type(TYPES[extname(target)] ?? 'application/octet-stream')
      .send(await readFile(target));
  }

  const hidden = { config: { public: true }, schema: { hide: true } } as const;
  app.get('/admin', hidden, async (_request, reply) => sendHtml(reply, 'admin.html'));
  app.get('/admin/*', hidden, async (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    if (extname(rest)) return sendAsset(reply, rest);
    return sendHtml(reply, 'admin.html');
  });
  app.get('/', hidden, async (_request, reply) => sendHtml(reply, 'index.html'));
  app.get('/*', hidden, async (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    if (rest.startsWith('api/')) return reply.callNotFound();
    // A path with an extension is a file (an asset, the favicon); anything else is a portal route.
    if (extname(rest)) return sendAsset(reply, rest);
    return sendHtml(reply, 'index.html');
  });
}
