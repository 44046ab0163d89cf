// The composition root: configuration, the system clock, the database, the server and jobs.
// The only place that reads the environment and the real time.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig, ConfigError, type Config } from './config.js';
import { DataDirectoryInUse } from './store/data-dir-lock.js';
import { openDatabase, type Database } from './store/db.js';
import { startEmbeddedMaintenance } from './store/maintenance.js';
import type { Clock } from './app/clock.js';
import { bootstrapApiKey } from './app/api-keys.js';
import { seedDemo, type DemoCredentials } from './app/seed-demo.js';
import { buildServer } from './http/server.js';
import { createContext } from './app/context.js';
import { PayPalClient } from './integrations/paypal/client.js';
import { MailDelivery, smtpTransport } from './app/mail.js';
import { startJobs } from './jobs/jobs.js';
import { payoutSendDeps } from './app/payout-send.js';
import { DEFAULT_RESERVED_WORDS } from './domain/index.js';

export const systemClock: Clock = { now: () => new Date(Date.now()) };

export async function openConfiguredDatabase(config: Config): Promise<Database> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.databaseUrl ? undefined : resolve(config.dataDir, 'pg') });
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** The embedded demo keeps its own secret key in the data directory (style §9: no default secrets). */
function embeddedSecretKey(config: Config): string | undefined {
  if (config.secretKey) return config.secretKey;
  if (config.databaseUrl) return undefined;
  const path = join(resolve(config.dataDir), 'secret.key');
  if (!existsSync(path)) {
    mkdirSync(resolve(config.dataDir), { recursive: true });
    writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  return readFileSync(path, 'utf8').trim();
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] });
  const started = performance.now();
  const database = await openConfiguredDatabase(config);
  const secretKey = embeddedSecretKey(config);
  await bootstrapApiKey(database, systemClock, config.bootstrapApiKey);

  let demo: DemoCredentials | null = null;
  const credentialsPath = join(resolve(config.dataDir), 'demo-credentials.json');
  if (config.demo) {
    demo = await seedDemo(database, systemClock, config.publicUrl);
    // The embedded demo prints its credentials on every start; they are kept beside its data.
    if (demo && !config.databaseUrl) writeFileSync(credentialsPath, JSON.stringify(demo, null, 2), { mode: 0o600 });
    if (!demo && !config.databaseUrl && existsSync(credentialsPath)) demo = JSON.parse(readFileSync(credentialsPath, 'utf8')) as DemoCredentials;
  }

  const paypal = config.paypal
    ? new PayPalClient({ baseUrl: config.paypal.apiBase, clientId: config.paypal.clientId, clientSecret: config.paypal.clientSecret, now: () => systemClock.now() })
    : undefined;
  const mail = config.smtpUrl ? new MailDelivery(database, await smtpTransport(config.smtpUrl), systemClock, config.mailFrom, log) : undefined;
  const context = createContext({
    database,
    clock: systemClock,
    publicUrl: config.publicUrl,
    reservedWords: config.reservedWords ?? DEFAULT_RESERVED_WORDS,
    log,
    secretKey,
    stripeWebhookSecret: config.stripeWebhookSecret,
    paypal,
    mail,
  });
  const app = await buildServer({
    context,
    logger: log,
    bodyLimitBytes: config.bodyLimitBytes,
  });
  // Background work on pg-boss (its own `pgboss` schema, created at its first start): finishes
  // payout runs that are sending (PayPal results, crash recovery) and delivers mail. Started
  // before listening so that a database pg-boss cannot use stops the start here.
  const jobs = await startJobs({ database, payouts: payoutSendDeps(context), clock: context.clock, mail, log: log.child({ component: 'jobs' }) });
  // PGlite has no autovacuum: this does its work (src/store/maintenance.ts); on PostgreSQL it starts nothing.
  const maintenance = startEmbeddedMaintenance(database, log.child({ component: 'maintenance' }), config.vacuumIntervalMs);
  await app.listen({ port: config.port, host: config.host });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const lines = [
    '',
    `Affable is running (${database.kind === 'pglite' ? `embedded PostgreSQL in ${resolve(config.dataDir)}` : 'PostgreSQL'}; ready in ${seconds}s)`,
    `  Affiliate portal   ${config.publicUrl}/`,
    `  Admin console      ${config.publicUrl}/admin`,
    `  API                ${config.publicUrl}/api/v1  (reference: ${config.publicUrl}/api/v1/docs)`,
  ];
  if (demo) {
    lines.push(
      `  Demo program       kartra (default plan: Referral, Tier 1–3, 10% JV)`,
      `  Demo admin login   ${demo.adminEmail} / ${demo.adminPassword}`,
      `  Demo API key       ${demo.apiKey}`,
      `  Try it             curl -H "Authorization: Bearer ${demo.apiKey}" ${config.publicUrl}/api/v1/programs/kartra`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    // Requests first (their mail kicks still reach the queue), then the jobs in progress, then
    // the database they use.
    await app.close();
    await jobs.stop();
    await mail?.idle();
    await maintenance.stop();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('main.ts')) {
  main().catch((error: unknown) => {
    // A refusal the user can act on reads as one sentence; anything else keeps its stack.
    const text = error instanceof DataDirectoryInUse ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`Affable failed to start: ${text}\n`);
    process.exit(1);
  });
}
