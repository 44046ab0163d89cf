// One process at a time on an embedded data directory. PGlite takes no lock of its own: two
// processes that open the same directory (a second `npm start`, or `npm run cli -- keys create`
// beside a running server) each run their own PostgreSQL on the same files, and each overwrites
// what the other wrote (checked with PGlite 0.5.16: both opened, and each counted only its own
// rows). That loses acknowledged events and money, so opening a directory takes its lock file
// first, the way PostgreSQL's postmaster.pid does (src/backend/utils/init/miscinit.c,
// CreateLockFile): created exclusively, holding the owner's process id; a file whose process is
// gone (a crash, `kill -9`) is stale and taken over. The file appears with its contents already in
// it (written beside it, then hard-linked into place, which fails if the name exists), so a reader
// never sees one half-written by a process that is starting.
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'affable.lock';

/** The data directory is open in another process (or already in this one). */
export class DataDirectoryInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by process ${pid}${pid === process.pid ? ' (this one)' : ''}. ` +
        'Stop that process first (a server started with `npm start`, or a command line still running), then try again. ' +
        `If no such process is running, delete ${join(dataDir, LOCK_FILE)}.`,
    );
    this.name = 'DataDirectoryInUse';
  }
}

/** Directories this process holds: a process id equal to ours in a file is ours only if listed here. */
const heldHere = new Set<string>();

export interface DataDirectoryLock {
  release(): void;
}

/**
 * Takes `dataDir`'s lock file or throws DataDirectoryInUse. A file naming a process that no longer
 * exists is stale and replaced; so is one naming this process (a restart in a container, where the
 * process ids repeat) unless this process holds the directory, and one naming the parent process
 * (PostgreSQL's rule, for the same reason). Two processes that find the same stale file at the same
 * instant could both replace it; PostgreSQL accepts that window too, which needs a crash and two
 * starts within microseconds.
 */
export function lockDataDirectory(dataDir: string): DataDirectoryLock {
  const path = join(dataDir, LOCK_FILE);
  const draft = join(dataDir, `${LOCK_FILE}.${randomUUID()}`);
  writeFileSync(draft, `${process.pid}\n${hostname()}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      try {
        linkSync(draft, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = ownerOf(path);
        if (owner !== null && isLive(owner, dataDir)) throw new DataDirectoryInUse(dataDir, owner);
        removeIfUnchanged(path, owner);
        continue;
      }
      heldHere.add(dataDir);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          heldHere.delete(dataDir);
          // Only our own file: a directory whose lock was deleted by hand may be someone else's now.
          removeIfUnchanged(path, process.pid);
        },
      };
    }
  } finally {
    unlinkSync(draft);
  }
  throw new Error(`Could not take the lock file ${path}: it kept changing while it was read.`);
}

/** The process id in the lock file, or null if it has none (empty, half-written or garbage). */
function ownerOf(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const pid = Number(text.split('\n', 1)[0]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

function isLive(pid: number, dataDir: string): boolean {
  if (pid === process.pid) return heldHere.has(dataDir);
  if (pid === process.ppid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfUnchanged(path: string, owner: number | null): void {
  if (ownerOf(path) !== owner) return; // replaced meanwhile: the next attempt reads it again
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
