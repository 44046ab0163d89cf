// Child processes for tests that need another live process (a lock holder, say).
import { spawn, type ChildProcess } from 'node:child_process';

/** A Node process that idles until killed (the caller kills it); resolves once it has started. */
export async function idleProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  return child;
}
