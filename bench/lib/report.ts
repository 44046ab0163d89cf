// Tables for the terminal and one JSON file per run in bench/results/ (gitignored).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './server.js';

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

export interface Section {
  title: string;
  rows: Row[];
  notes: string[];
}

export class Report {
  readonly sections: Section[] = [];
  readonly startedAt = new Date();

  section(title: string): Section {
    const section: Section = { title, rows: [], notes: [] };
    this.sections.push(section);
    return section;
  }

  /** Prints one section as an aligned table. */
  print(section: Section): void {
    console.log(`\n## ${section.title}`);
    console.log(formatTable(section.rows));
    for (const note of section.notes) console.log(`  - ${note}`);
  }

  write(name: string): string {
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = this.startedAt.toISOString().replace(/[:.]/g, '-');
    const path = join(dir, `${name}-${stamp}.json`);
    const machine = { node: process.version, platform: process.platform, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, memoryBytes: totalmem() };
    writeFileSync(path, `${JSON.stringify({ name, startedAt: this.startedAt.toISOString(), finishedAt: new Date().toISOString(), machine, quick: QUICK, sections: this.sections }, null, 2)}\n`);
    return path;
  }
}

export const QUICK = process.env['BENCH_QUICK'] === '1';

export function formatTable(rows: Row[]): string {
  if (rows.length === 0) return '  (no rows)';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const text = (cell: Cell) => (cell === undefined || cell === null ? '–' : typeof cell === 'number' ? formatNumber(cell) : String(cell));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => text(row[column]).length)));
  const line = (cells: string[]) => `  ${cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ')}`.trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((row) => line(columns.map((column) => text(row[column]))))].join('\n');
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export const mib = (bytes: number | null) => (bytes === null ? null : Math.round(bytes / 1024 / 1024));

/** The q-quantile (0..1) of samples, nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
