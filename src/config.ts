// The environment, parsed once at start (style §9). A bad value stops the process with a
// message that names the variable.
import { z } from 'zod';

const flag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  AFFABLE_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  AFFABLE_PUBLIC_URL: z.string().url().optional(),
  AFFABLE_DEMO: flag.default(true),
  AFFABLE_BOOTSTRAP_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  AFFABLE_SECRET_KEY: z.string().optional(),
  AFFABLE_RESERVED_WORDS: z.string().optional(),
  AFFABLE_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /** Embedded database only: how often its tables are checked for vacuum and analyze (src/store/maintenance.ts). */
  AFFABLE_VACUUM_INTERVAL_SECONDS: z.coerce.number().positive().max(86_400).default(60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
  PAYPAL_API_BASE: z.string().url().optional(),
  PAYPAL_CLIENT_ID: z.string().optional(),
  PAYPAL_CLIENT_SECRET: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default('Affable <no-reply@affable.local>'),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  publicUrl: string;
  demo: boolean;
  bootstrapApiKey: string | undefined;
  secretKey: string | undefined;
  reservedWords: string[] | undefined;
  bodyLimitBytes: number;
  vacuumIntervalMs: number;
  logLevel: Env['LOG_LEVEL'];
  production: boolean;
  paypal: { apiBase: string; clientId: string; clientSecret: string } | undefined;
  stripeWebhookSecret: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means "not set" (as shells and .env files use it).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const paypalSet = [e.PAYPAL_API_BASE, e.PAYPAL_CLIENT_ID, e.PAYPAL_CLIENT_SECRET].filter(Boolean).length;
  if (paypalSet !== 0 && paypalSet !== 3) {
    throw new ConfigError('Invalid environment:\n  PAYPAL_API_BASE, PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET go together');
  }
  const production = e.NODE_ENV === 'production';
  if (production && e.DATABASE_URL && !e.AFFABLE_SECRET_KEY) {
    // No default secrets (style §9): only the embedded demo may generate and keep its own.
    throw new ConfigError('Invalid environment:\n  AFFABLE_SECRET_KEY: required in production on PostgreSQL');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.AFFABLE_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    publicUrl: (e.AFFABLE_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    demo: e.AFFABLE_DEMO,
    bootstrapApiKey: e.AFFABLE_BOOTSTRAP_API_KEY,
    secretKey: e.AFFABLE_SECRET_KEY,
    reservedWords: e.AFFABLE_RESERVED_WORDS?.split(',').map((w) => w.trim().toLowerCase()).filter(Boolean),
    bodyLimitBytes: e.AFFABLE_BODY_LIMIT_BYTES,
    vacuumIntervalMs: e.AFFABLE_VACUUM_INTERVAL_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
    production,
    paypal:
      paypalSet === 3
        ? { apiBase: e.PAYPAL_API_BASE!, clientId: e.PAYPAL_CLIENT_ID!, clientSecret: e.PAYPAL_CLIENT_SECRET! }
        : undefined,
    stripeWebhookSecret: e.STRIPE_WEBHOOK_SECRET,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
  };
}
