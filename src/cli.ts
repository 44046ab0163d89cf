// The admin command line: `npm run cli -- <command>`. It opens the same database as the server
// (AFFABLE_DATA_DIR or DATABASE_URL) and runs the same use cases.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError, type Config } from './config.js';
import { openConfiguredDatabase, systemClock } from './main.js';
import { createApiKey, listApiKeys, revokeApiKey } from './app/api-keys.js';
import { AppError } from './app/errors.js';
import { DataDirectoryInUse } from './store/data-dir-lock.js';
import { openDatabase, type Database } from './store/db.js';
import { moveDatabase, MoveRefused } from './store/move.js';

const USAGE = `Usage: npm run cli -- <command>

  keys create [--name NAME]   create an admin API key and print its secret once
  keys list                   list API keys (never their secrets)
  keys revoke KEY_ID          revoke an API key at once
  migrate                     run database migrations and exit
  move-to-postgres URL        copy the embedded database (AFFABLE_DATA_DIR) into the empty
                              PostgreSQL database at URL; stop the server first

The database is the server's: AFFABLE_DATA_DIR (default ./data) or DATABASE_URL. The embedded
database opens in one process at a time: stop the server before a command that uses it (on
PostgreSQL, commands run beside the server).`;

export async function runCli(argv: string[], out: (line: string) => void, env: Record<string, string | undefined> = process.env): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  const [group, verb, arg] = positionals;
  if (values.help || !group) {
    out(USAGE);
    return group ? 0 : 2;
  }
  const known = (group === 'keys' && ['create', 'list', 'revoke'].includes(verb ?? '')) || group === 'migrate' || group === 'move-to-postgres';
  if (!known) {
    out(`Unknown command "${positionals.join(' ')}".\n\n${USAGE}`);
    return 2;
  }
  if (group === 'keys' && verb === 'revoke' && !arg) {
    out('keys revoke needs the key id, e.g. "npm run cli -- keys revoke key_abc123" (see "keys list").');
    return 2;
  }
  const config = loadConfig(env);
  try {
    return group === 'move-to-postgres' ? await moveToPostgres(config, verb, out) : await runOnDatabase(config, group, verb, arg, values.name, out);
  } catch (error) {
    // A server (or another command) has the embedded database open: say so, change nothing.
    return refusal(error, DataDirectoryInUse, out);
  }
}

/** migrate and keys …: open the database (migrating it), run the command, close it. */
async function runOnDatabase(config: Config, group: string, verb: string | undefined, arg: string | undefined, name: string | undefined, out: (line: string) => void): Promise<number> {
  const database = await openConfiguredDatabase(config);
  try {
    if (group === 'migrate') {
      out('Migrations are up to date.');
    } else if (verb === 'create') {
      const key = await database.transaction((tx) => createApiKey(tx, systemClock, { name: name ?? 'cli' }));
      out(`Created API key ${key.id} (${key.name}). Its secret is shown once; store it now:\n${key.secret}`);
    } else if (verb === 'list') {
      const keys = await database.transaction((tx) => listApiKeys(tx));
      if (keys.length === 0) out('No API keys.');
      for (const k of keys) out(`${k.id}  ${k.prefix}…  ${k.name}  created ${k.createdAt.toISOString()}${k.revokedAt ? `  REVOKED ${k.revokedAt.toISOString()}` : ''}`);
    } else if (verb === 'revoke') {
      await database.transaction((tx) => revokeApiKey(tx, systemClock, arg!));
      out(`Revoked API key ${arg}.`);
    }
    return 0;
  } catch (error) {
    return refusal(error, AppError, out);
  } finally {
    await database.close();
  }
}

/** An error the user can act on (of `kind`) as its message and exit code 1; any other is thrown. */
function refusal(error: unknown, kind: new (...args: never[]) => Error, out: (line: string) => void): number {
  if (!(error instanceof kind)) throw error;
  out(`Error: ${error.message}`);
  return 1;
}

/**
 * Stage 1 → Stage 2 (docs/scaling.md): the embedded database into PostgreSQL. The target must be
 * empty; it is migrated here, then filled in one transaction (src/store/move.ts).
 */
async function moveToPostgres(config: Config, url: string | undefined, out: (line: string) => void): Promise<number> {
  if (!url) {
    out('move-to-postgres needs the target, e.g. "npm run cli -- move-to-postgres postgres://affable@db.example/affable".');
    return 2;
  }
  if (config.databaseUrl) {
    out('move-to-postgres reads the embedded database (AFFABLE_DATA_DIR): unset DATABASE_URL and give the target as its argument.');
    return 2;
  }
  const source = await openConfiguredDatabase(config);
  try {
    let target: Database;
    try {
      target = await openDatabase({ databaseUrl: url, poolSize: 2 });
    } catch (error) {
      out(`Error: cannot connect to ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    try {
      await target.migrate();
      const moved = await moveDatabase(source, target, { progress: ({ table, rows }) => out(`  ${table}: ${rows} rows`) });
      const total = moved.reduce((sum, m) => sum + m.rows, 0);
      out(`Moved ${total} rows in ${moved.length} tables into ${redactUrl(url)}; row counts and money sums agree.`);
      const keyPath = join(resolve(config.dataDir), 'secret.key');
      out(
        `Start the server with DATABASE_URL set to that database and AFFABLE_SECRET_KEY set to the key the embedded server used (the contents of ${keyPath}, or the AFFABLE_SECRET_KEY it ran with): tax forms are encrypted and click addresses hashed with it.`,
      );
      return 0;
    } catch (error) {
      return refusal(error, MoveRefused, out);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

/** A connection URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the given URL';
  }
}

if (process.argv[1]?.endsWith('cli.ts')) {
  runCli(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`))
    .then((code) => process.exit(code))
    .catch((error: unknown) => {
      if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
      else process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
