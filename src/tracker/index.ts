// The browser tracker, served by the HTTP layer at `/js/affable.js` with
// `content-type: application/javascript`. The file ships as source beside this module, so the
// server reads it once and keeps it in memory (it is small and never changes while running).
import { readFileSync } from 'node:fs';
import { fileURLToPath, URL as NodeURL } from 'node:url';

export const TRACKER_PATH = '/js/affable.js';
export const TRACKER_CONTENT_TYPE = 'application/javascript; charset=utf-8';

let cached: string | undefined;

/** The tracker script's source text, read from disk on the first call only. */
export function trackerSource(): string {
  // Node's own URL: under a DOM test environment the global `URL` is the DOM's, which fs refuses.
  cached ??= readFileSync(fileURLToPath(new NodeURL('./affable.js', import.meta.url)), 'utf8');
  return cached;
}
