// Link lookups on the click path are cached in memory (a click must cost one INSERT, not three
// SELECTs). Anything that changes what a code resolves to (program settings, an enrolment's state)
// clears the cache in this process; a short TTL bounds staleness across processes.
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../store/db.js';
import { applications, links, programs } from '../store/schema.js';

export interface ResolvedLink {
  linkId: string;
  code: string;
  kind: 'main' | 'jv' | 'tracking';
  programId: string;
  programSlug: string;
  affiliateId: string;
  landingUrl: string;
  cookieDays: number;
  testClockId: string | null;
  /** R1.2: only an approved enrolment's clicks can credit anything. */
  approved: boolean;
}

interface Entry {
  value: ResolvedLink | null;
  expiresAtMs: number;
}

export class LinkCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly database: Database,
    private readonly nowMs: () => number,
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 100_000,
  ) {}

  async resolve(code: string): Promise<ResolvedLink | null> {
    const hit = this.entries.get(code);
    if (hit && hit.expiresAtMs > this.nowMs()) return hit.value;
    const value = await this.load(code);
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(code, { value, expiresAtMs: this.nowMs() + this.ttlMs });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }

  private async load(code: string): Promise<ResolvedLink | null> {
    const rows = await this.database.db
      .select({
        linkId: links.id,
        code: links.code,
        kind: links.kind,
        programId: links.programId,
        programSlug: programs.slug,
        affiliateId: links.affiliateId,
        landingUrl: programs.landingUrl,
        cookieDays: programs.cookieDays,
        testClockId: programs.testClockId,
        status: sql<string | null>`(select ${applications.status} from ${applications} where ${and(
          eq(applications.programId, links.programId),
          eq(applications.affiliateId, links.affiliateId),
        )} order by ${applications.createdAt} desc limit 1)`,
      })
      .from(links)
      .innerJoin(programs, eq(programs.id, links.programId))
      .where(eq(links.code, code));
    const row = rows[0];
    if (!row) return null;
    const { status, ...rest } = row;
    return { ...rest, kind: row.kind as ResolvedLink['kind'], approved: status === 'approved' };
  }
}
