// Links (R9.1, api.md): each approved enrolment has a main link and a JV (recruiting) link;
// affiliates add named tracking links. Codes are short, random and unique.
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Tx } from '../store/db.js';
import { applications, linkClickCounts, links, payments } from '../store/schema.js';
import { newId, randomToken } from '../store/ids.js';
import type { Clock } from './clock.js';
import { conflict } from './errors.js';
import { findProgram, type ProgramRow } from './programs.js';

export type LinkRow = typeof links.$inferSelect;
/** 10 characters of [0-9a-z]: 3.6 × 10^15 codes, short enough to read aloud, too many to guess. */
const CODE_LENGTH = 10;

/** The affiliate's current enrolment status in the program (their latest application). */
export async function enrolmentStatus(tx: Tx, programId: string, affiliateId: string): Promise<string | null> {
  const rows = await tx
    .select({ status: applications.status })
    .from(applications)
    .where(and(eq(applications.programId, programId), eq(applications.affiliateId, affiliateId)))
    .orderBy(sql`${applications.createdAt} desc`)
    .limit(1);
  return rows[0]?.status ?? null;
}

async function requireApproved(tx: Tx, program: ProgramRow, affiliateId: string): Promise<void> {
  const status = await enrolmentStatus(tx, program.id, affiliateId);
  if (status !== 'approved') {
    throw conflict('enrolment_not_approved', `Affiliate ${affiliateId} has no approved enrolment in "${program.slug}" (${status ?? 'never applied'}); links exist only for approved affiliates.`);
  }
}

async function insertLink(tx: Tx, clock: Clock, values: Omit<LinkRow, 'id' | 'code' | 'createdAt'>): Promise<LinkRow> {
  const row: LinkRow = { id: newId('lnk'), code: randomToken(CODE_LENGTH), createdAt: clock.now(), ...values };
  await tx.insert(links).values(row);
  return row;
}

/** The main and JV links, created on first use for an approved enrolment. */
async function mainAndJv(tx: Tx, clock: Clock, program: ProgramRow, affiliateId: string): Promise<{ main: LinkRow; jv: LinkRow }> {
  const existing = await tx
    .select()
    .from(links)
    .where(and(eq(links.programId, program.id), eq(links.affiliateId, affiliateId), sql`${links.kind} in ('main', 'jv')`));
  let main = existing.find((l) => l.kind === 'main');
  let jv = existing.find((l) => l.kind === 'jv');
  main ??= await insertLink(tx, clock, { programId: program.id, affiliateId, kind: 'main', name: null });
  jv ??= await insertLink(tx, clock, { programId: program.id, affiliateId, kind: 'jv', name: null });
  return { main, jv };
}

export interface TrackingLinkStats {
  link: LinkRow;
  clicks: number;
  sales: number;
}

export async function linksOf(tx: Tx, clock: Clock, slug: string, affiliateId: string) {
  const program = await findProgram(tx, slug);
  await requireApproved(tx, program, affiliateId);
  const { main, jv } = await mainAndJv(tx, clock, program, affiliateId);
  const tracking = await tx
    .select()
    .from(links)
    .where(and(eq(links.programId, program.id), eq(links.affiliateId, affiliateId), eq(links.kind, 'tracking')))
    .orderBy(links.createdAt, links.id);
  const stats = await linkStats(tx, program.id, affiliateId);
  return {
    program,
    main: { link: main, ...(stats.get(main.id) ?? { clicks: 0, sales: 0 }) },
    jv,
    tracking: tracking.map((link) => ({ link, ...(stats.get(link.id) ?? { clicks: 0, sales: 0 }) })),
  };
}

/**
 * R9.1: clicks (humans only) and sales per link. Sales are credited to the link of the binding click or code.
 * Clicks come from their per-link counts (link_click_counts, kept in every click insert): a big
 * seller has hundreds of thousands of clicks but one row per link.
 */
async function linkStats(tx: Tx, programId: string, affiliateId: string): Promise<Map<string, { clicks: number; sales: number }>> {
  const clickRows = await tx
    .select({ linkId: linkClickCounts.linkId, n: linkClickCounts.clicks })
    .from(linkClickCounts)
    .where(and(eq(linkClickCounts.programId, programId), eq(linkClickCounts.affiliateId, affiliateId)));
  const saleRows = await tx
    .select({ linkId: payments.linkId, n: sql<number>`count(*)::int` })
    .from(payments)
    .where(and(eq(payments.programId, programId), eq(payments.saleAffiliateId, affiliateId), isNotNull(payments.linkId)))
    .groupBy(payments.linkId);
  const stats = new Map<string, { clicks: number; sales: number }>();
  for (const r of clickRows) stats.set(r.linkId, { clicks: Number(r.n), sales: 0 });
  for (const r of saleRows) {
    if (!r.linkId) continue;
    const s = stats.get(r.linkId) ?? { clicks: 0, sales: 0 };
    s.sales = Number(r.n);
    stats.set(r.linkId, s);
  }
  return stats;
}

export async function createTrackingLink(tx: Tx, clock: Clock, slug: string, affiliateId: string, name: string): Promise<LinkRow> {
  const program = await findProgram(tx, slug);
  await requireApproved(tx, program, affiliateId);
  const clash = await tx
    .select({ id: links.id })
    .from(links)
    .where(and(eq(links.programId, program.id), eq(links.affiliateId, affiliateId), eq(links.kind, 'tracking'), sql`lower(${links.name}) = lower(${name})`));
  if (clash.length > 0) throw conflict('tracking_link_exists', `A tracking link named "${name}" already exists in "${slug}".`);
  return insertLink(tx, clock, { programId: program.id, affiliateId, kind: 'tracking', name });
}

export function linkUrl(publicUrl: string, code: string): string {
  return `${publicUrl}/r/${code}`;
}
