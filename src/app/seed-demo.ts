// The demo that `npm start` seeds into an empty database: the `kartra` program on the default
// plan of R5, a demo admin for the console, and a demo API key. Runs once: a database that
// already has a program is left alone.
import { programs, admins } from '../store/schema.js';
import type { Database } from '../store/db.js';
import { newId, randomToken } from '../store/ids.js';
import type { Clock } from './clock.js';
import { createProgram } from './programs.js';
import { createApiKey } from './api-keys.js';
import { hashPassword } from './hashing.js';

export interface DemoCredentials {
  adminEmail: string;
  adminPassword: string;
  apiKey: string;
}

export const KARTRA_TERMS = `Affable demo program terms, version 2027-01.
1. Commissions follow the tier table of the program (Referral, Tier 1–3) and a 10% second tier on recruits.
2. A commission stays in reserve for 45 days after its payment, then becomes due; due commissions are paid monthly by PayPal.
3. No commission is paid on purchases through your own link for your own use.
4. Do not use the brand name or misleading words in usernames, domains or ads.`;

export async function seedDemo(database: Database, clock: Clock, publicUrl: string): Promise<DemoCredentials | null> {
  return database.transaction(async (tx) => {
    const existing = await tx.select({ id: programs.id }).from(programs).limit(1);
    if (existing.length > 0) return null;
    await createProgram(tx, clock, {
      slug: 'kartra',
      name: 'Kartra',
      currency: 'usd',
      landingUrl: `${publicUrl}/demo/landing`,
      cookieDays: 30,
      holdDays: 45,
      refundDays: 30,
      jvRateBps: 1000,
      plan: 'default',
      termsVersion: '2027-01',
      termsText: KARTRA_TERMS,
    });
    const adminPassword = `demo-${randomToken(12)}`;
    const adminEmail = 'admin@affable.local';
    await tx.insert(admins).values({
      id: newId('adm'),
      email: adminEmail,
      name: 'Demo Admin',
      passwordHash: await hashPassword(adminPassword),
      createdAt: clock.now(),
    });
    const key = await createApiKey(tx, clock, { name: 'demo' });
    return { adminEmail, adminPassword, apiKey: key.secret };
  });
}
