// Commits on the embedded database reach the disk before they are acknowledged.
//
// PGlite 0.5.16 on Node runs PostgreSQL with fsync off (`-F` in PGlite.defaultStartParams), and
// even with it on nothing would reach the disk: its Node file system (Emscripten's NODEFS) has no
// `fsync` stream operation, so fsync() answers success without doing anything, and fdatasync()
// (PostgreSQL's default wal_sync_method on Linux) is a no-op in Emscripten's syscalls. A killed
// process loses nothing either way (its writes are in the kernel's page cache), but a power loss
// or a kernel crash could lose acknowledged events and money, or leave a data directory whose WAL
// and tables disagree. So a file-backed database here:
//   - mounts NODEFS with an `fsync` operation that calls fdatasync(2) on the file's descriptor
//     (enough for PostgreSQL's files: it flushes a file's size with its data);
//   - starts PostgreSQL without `-F` and with wal_sync_method=fsync, the one method whose call
//     reaches that operation (a commit flushes its WAL; a checkpoint, its data files).
// What it costs, measured on one machine: 110–170 µs more per commit (a single-row update: 358
// and 387 µs against 187 and 280 µs); in benches alternating with the code before it, PGlite
// answered about 20% fewer redirects (13.2k and 16.3k against 17.0k and 19.1k req/s) and 14%
// fewer billing events (396, 412 and 360 against 442, 462 and 453/s). A PostgreSQL server pays
// the same price by default; in-memory databases (the tests) are left as PGlite makes them.
import fs from 'node:fs'; // the default export, whose fdatasyncSync a test can watch
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/** The PostgreSQL start parameters of a durable data directory: PGlite's own, with fsync on and reaching the disk. */
export const DURABLE_START_PARAMS: readonly string[] = [...PGlite.defaultStartParams.filter((p) => p !== '-F'), '-c', 'fsync=on', '-c', 'wal_sync_method=fsync'];

/** What this file touches of Emscripten's NODEFS (not in PGlite's types). */
interface NodeFsInternals {
  stream_ops: Record<string, unknown> & { fsync?: (stream: { nfd?: number }) => number };
  tryFSOperation<T>(operation: () => T): T;
}

/** PGlite's NodeFS whose files can be fsynced. */
export class FsyncingNodeFS extends NodeFS {
  override async init(...args: Parameters<NodeFS['init']>): ReturnType<NodeFS['init']> {
    const { emscriptenOpts } = await super.init(...args);
    const addFsync = (mod: { NODEFS: unknown }) => {
      const nodefs = mod.NODEFS as NodeFsInternals;
      if (typeof nodefs.tryFSOperation !== 'function' || typeof nodefs.stream_ops !== 'object') {
        throw new Error('PGlite: its Node file system is not the one this version of Affable knows; cannot make commits durable');
      }
      // Errors become the errno PostgreSQL sees (tryFSOperation), which it treats as a failed
      // fsync: a PANIC, as on a server, rather than a commit it cannot vouch for.
      nodefs.stream_ops.fsync = (stream) => {
        if (stream.nfd !== undefined) nodefs.tryFSOperation(() => fs.fdatasyncSync(stream.nfd!));
        return 0;
      };
    };
    // Before NodeFS's own preRun, which mounts the directory.
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [addFsync, ...(emscriptenOpts.preRun ?? [])] } };
  }
}
