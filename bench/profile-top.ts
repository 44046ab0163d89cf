// Prints the heaviest functions of a V8 CPU profile (node --cpu-prof), by self time and by
// inclusive time: `npx tsx bench/profile-top.ts <file.cpuprofile> [n]`.
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const [file, limitText] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top <file.cpuprofile> [n]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; startTime: number; endTime: number };
const limit = Number(limitText ?? 25);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/.*\/work\/main\//, '')}:${n.callFrame.lineNumber + 1}`;
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const n of profile.nodes) {
  const hits = n.hitCount ?? 0;
  if (hits === 0) continue;
  self.set(label(n), (self.get(label(n)) ?? 0) + hits);
  const seen = new Set<string>();
  for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
    const l = label(byId.get(id)!);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + hits);
  }
}
const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title} (of ${total} samples)`);
  for (const [name, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) console.log(`${((hits / total) * 100).toFixed(1).padStart(6)}%  ${name}`);
};
show('self', self);
show('inclusive', inclusive);
