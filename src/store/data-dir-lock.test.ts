// Proves the data directory's lock file (src/store/data-dir-lock.ts): a live holder, in another
// process or in this one, refuses the next opener; a holder that is gone (crash, kill -9) is taken
// over; release removes only our own file. The end-to-end case (a running server refusing a second
// server and the command line) is in test/e2e/start.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirectoryInUse, LOCK_FILE, lockDataDirectory } from './data-dir-lock.js';
import { idleProcess } from '../../test/support/processes.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'affable-lock-'));
  dirs.push(dir);
  return dir;
}

const ownerIn = (dir: string) => Number(readFileSync(join(dir, LOCK_FILE), 'utf8').split('\n')[0]);

/** A live process that is not this one nor its parent. */
async function otherProcess(): Promise<ChildProcess> {
  const child = await idleProcess();
  children.push(child);
  return child;
}

/** A process id that named a process a moment ago and names none now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('the data directory lock', () => {
  it('is held once: a second lock in this process is refused until the first is released', () => {
    const dir = freshDir();
    const first = lockDataDirectory(dir);
    expect(ownerIn(dir)).toBe(process.pid);
    expect(() => lockDataDirectory(dir)).toThrow(DataDirectoryInUse);
    expect(() => lockDataDirectory(dir)).toThrow(`in use by process ${process.pid} (this one)`);
    expect(ownerIn(dir)).toBe(process.pid);
    first.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const second = lockDataDirectory(dir);
    second.release();
    expect(readdirSync(dir)).toEqual([]); // no drafts left behind
  });

  it('refuses while another live process holds it, and takes it over once that process is gone', async () => {
    const dir = freshDir();
    const holder = await otherProcess();
    writeFileSync(join(dir, LOCK_FILE), `${holder.pid}\nelsewhere\n`);
    let refusal: unknown;
    try {
      lockDataDirectory(dir);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataDirectoryInUse);
    expect((refusal as DataDirectoryInUse).pid).toBe(holder.pid);
    expect((refusal as Error).message).toContain(join(dir, LOCK_FILE)); // says which file to delete if it is wrong
    expect(ownerIn(dir)).toBe(holder.pid); // the refusal left the holder's file alone

    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    const lock = lockDataDirectory(dir);
    expect(ownerIn(dir)).toBe(process.pid);
    lock.release();
  });

  it('takes over a stale file: a process that is gone, this process id left by an earlier process, or no process id', async () => {
    for (const stale of [`${await deadPid()}\nhost\n`, `${process.pid}\nhost\n`, '', 'not a pid\n']) {
      const dir = freshDir();
      writeFileSync(join(dir, LOCK_FILE), stale);
      const lock = lockDataDirectory(dir);
      expect(ownerIn(dir)).toBe(process.pid);
      lock.release();
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    }
  });

  it('releases only its own file: one replaced by hand meanwhile stays', async () => {
    const dir = freshDir();
    const lock = lockDataDirectory(dir);
    const other = await otherProcess();
    writeFileSync(join(dir, LOCK_FILE), `${other.pid}\nelsewhere\n`);
    lock.release();
    expect(ownerIn(dir)).toBe(other.pid);
    lock.release(); // twice is harmless
    expect(ownerIn(dir)).toBe(other.pid);
  });
});
