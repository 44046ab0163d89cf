// Shared zod pieces for the HTTP layer: the same schemas validate requests and feed OpenAPI.
import { z } from 'zod';

export const Instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
export const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, 1–63 characters');
export const Id = z.string().min(1).max(64);
export const Currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'an ISO 4217 code such as "usd"')
  .transform((c) => c.toLowerCase());
export const HttpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export const listEnvelope = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() });

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
