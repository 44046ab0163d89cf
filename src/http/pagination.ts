// Cursor pagination (api.md "Lists"): `?limit=` up to 100, `?cursor=` an opaque token that
// names the last row of the previous page by its (created_at, id).
import { z } from 'zod';
import { badRequest } from '../app/errors.js';

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export interface Cursor {
  at: Date;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.at.toISOString(), c.id])).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw badRequest('cursor_invalid', 'The cursor is not one this API returned.');
  }
}

/** Given `limit + 1` rows, the page and its envelope. */
export function page<T, V>(rows: T[], limit: number, key: (row: T) => Cursor, render: (row: T) => V) {
  const hasMore = rows.length > limit;
  const slice = hasMore ? rows.slice(0, limit) : rows;
  const last = slice[slice.length - 1];
  return {
    data: slice.map(render),
    has_more: hasMore,
    next_cursor: hasMore && last ? encodeCursor(key(last)) : null,
  };
}
