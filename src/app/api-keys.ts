// API keys (api.md "Auth"): `afk_live_<secret>`; only the SHA-256 is stored.
import { and, eq, isNull } from 'drizzle-orm';
import type { Database, Tx } from '../store/db.js';
import { apiKeys } from '../store/schema.js';
import { newId, randomToken } from '../store/ids.js';
import type { Clock } from './clock.js';
import { notFound } from './errors.js';
import { sha256 } from './hashing.js';

export interface CreatedApiKey {
  id: string;
  name: string;
  prefix: string;
  secret: string;
}

export function generateApiKeySecret(): string {
  return `afk_${randomToken(40)}`;
}

export async function createApiKey(
  tx: Tx,
  clock: Clock,
  input: { name: string; secret?: string | undefined },
): Promise<CreatedApiKey> {
  const secret = input.secret ?? generateApiKeySecret();
  const id = newId('key');
  const prefix = secret.slice(0, 8);
  await tx.insert(apiKeys).values({ id, name: input.name, prefix, secretHash: sha256(secret), createdAt: clock.now() });
  return { id, name: input.name, prefix, secret };
}

export async function revokeApiKey(tx: Tx, clock: Clock, id: string): Promise<void> {
  const rows = await tx
    .update(apiKeys)
    .set({ revokedAt: clock.now() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  if (rows.length === 0) throw notFound('api_key', id);
}

export async function listApiKeys(tx: Tx) {
  return tx
    .select({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .orderBy(apiKeys.createdAt);
}

/** The key's id when `secret` names a live key, else null. */
export async function authenticateApiKey(database: Database, secret: string): Promise<{ id: string; role: string } | null> {
  const rows = await database.db
    .select({ id: apiKeys.id, role: apiKeys.role })
    .from(apiKeys)
    .where(and(eq(apiKeys.secretHash, sha256(secret)), isNull(apiKeys.revokedAt)))
    .limit(1);
  return rows[0] ?? null;
}

/**
 * Live keys remembered for a few seconds, so that a merchant's billing sending hundreds of events
 * a second costs one lookup per key per TTL rather than one per request (bench/events.ts). Only
 * live keys are remembered; a revocation through this process forgets every key at once, and one
 * made elsewhere (the CLI, another node) takes effect within the TTL.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { key: { id: string; role: string }; expiresAtMs: number }>();

  constructor(
    private readonly database: Database,
    private readonly nowMs: () => number,
    readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
  ) {}

  async authenticate(secret: string): Promise<{ id: string; role: string } | null> {
    const id = sha256(secret); // the map holds no plaintext secret
    const hit = this.entries.get(id);
    if (hit && hit.expiresAtMs > this.nowMs()) return hit.key;
    const key = await authenticateApiKey(this.database, secret);
    if (!key) {
      this.entries.delete(id);
      return null;
    }
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(id, { key, expiresAtMs: this.nowMs() + this.ttlMs });
    return key;
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * api.md: on first start, when AFFABLE_BOOTSTRAP_API_KEY is set and no key exists yet, that value
 * becomes an admin key. Returns true when it did.
 */
export async function bootstrapApiKey(database: Database, clock: Clock, secret: string | undefined): Promise<boolean> {
  if (!secret) return false;
  return database.transaction(async (tx) => {
    const existing = await tx.select({ id: apiKeys.id }).from(apiKeys).limit(1);
    if (existing.length > 0) return false;
    await createApiKey(tx, clock, { name: 'bootstrap', secret });
    return true;
  });
}
