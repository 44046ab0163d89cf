// What every use case receives: the database, the system clock and the settings.
import type { Logger } from 'pino';
import type { Database } from '../store/db.js';
import type { Clock } from './clock.js';

export interface AppContext {
  database: Database;
  /** The system clock; a program on a test clock reads its own (see programClock). */
  clock: Clock;
  publicUrl: string;
  reservedWords: readonly string[];
  log: Logger;
  /** AES-256-GCM key for secrets at rest (TINs); base64 or hex of 32 bytes. */
  secretKey?: string | undefined;
}
