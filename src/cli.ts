// The admin command line: `npm run cli -- <command>`. It opens the same database as the server
// (AFFABLE_DATA_DIR or DATABASE_URL) and runs the same use cases.
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from './config.js';
import { openConfiguredDatabase, systemClock } from './main.js';
import { createApiKey, listApiKeys, revokeApiKey } from './app/api-keys.js';
import { AppError } from './app/errors.js';

const USAGE = `Usage: npm run cli -- <command>

  keys create [--name NAME]   create an admin API key and print its secret once
  keys list                   list API keys (never their secrets)
  keys revoke KEY_ID          revoke an API key at once
  migrate                     run database migrations and exit

The database is the server's: AFFABLE_DATA_DIR (default ./data) or DATABASE_URL.`;

export async function runCli(argv: string[], out: (line: string) => void, env: Record<string, string | undefined> = process.env): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  const [group, verb, arg] = positionals;
  if (values.help || !group) {
    out(USAGE);
    return group ? 0 : 2;
  }
  const known = (group === 'keys' && ['create', 'list', 'revoke'].includes(verb ?? '')) || group === 'migrate';
  if (!known) {
    out(`Unknown command "${positionals.join(' ')}".\n\n${USAGE}`);
    return 2;
  }
  if (group === 'keys' && verb === 'revoke' && !arg) {
    out('keys revoke needs the key id, e.g. "npm run cli -- keys revoke key_abc123" (see "keys list").');
    return 2;
  }
  const config = loadConfig(env);
  const database = await openConfiguredDatabase(config);
  try {
    if (group === 'migrate') {
      out('Migrations are up to date.');
    } else if (verb === 'create') {
      const key = await database.transaction((tx) => createApiKey(tx, systemClock, { name: values.name ?? 'cli' }));
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
    if (error instanceof AppError) {
      out(`Error: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await database.close();
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
