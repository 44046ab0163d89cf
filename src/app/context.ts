// What every use case receives: the database, the system clock and the settings, plus the
// in-process services built on them (the click path's link cache and group-commit recorder, the
// API-key cache).
import type { Logger } from 'pino';
import type { Database } from '../store/db.js';
import type { Clock } from './clock.js';
import type { PayPalClient } from '../integrations/paypal/client.js';
import type { MailDelivery } from './mail.js';
import { ClickRecorder } from './click-recorder.js';
import { LinkCache } from './link-cache.js';
import { ApiKeyCache } from './api-keys.js';

export interface AppContext {
  database: Database;
  /** The system clock; a program on a test clock reads its own (programNow in test-clocks.ts). */
  clock: Clock;
  publicUrl: string;
  reservedWords: readonly string[];
  log: Logger;
  /** AES-256-GCM key for secrets at rest (TINs); base64 or hex of 32 bytes. */
  secretKey?: string | undefined;
  /** Stripe webhook signing secret (whsec_…), when the Stripe integration is on. */
  stripeWebhookSecret?: string | undefined;
  /** PayPal Payouts, when PAYPAL_API_BASE/CLIENT_ID/CLIENT_SECRET are set; absent, sending a run is 409. */
  paypal?: PayPalClient | undefined;
  /** Delivers the mail outbox after commit (SMTP_URL); absent, mail stays for the dev mailbox. */
  mail?: MailDelivery | undefined;
  /** Base wait between PayPal attempts after an unknown outcome, in ms (default 1000; tests shorten it). */
  paypalRetryDelayMs?: number | undefined;
  linkCache: LinkCache;
  clickRecorder: ClickRecorder;
  apiKeyCache: ApiKeyCache;
}

export type BaseContext = Omit<AppContext, 'linkCache' | 'clickRecorder' | 'apiKeyCache'>;

export function createContext(base: BaseContext): AppContext {
  return {
    ...base,
    linkCache: new LinkCache(base.database, () => base.clock.now().getTime()),
    clickRecorder: new ClickRecorder(base.database),
    apiKeyCache: new ApiKeyCache(base.database, () => base.clock.now().getTime()),
  };
}
