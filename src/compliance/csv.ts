// A small RFC 4180 writer. We write CSV in two places (PayPal's mass-payment file and the
// 1099-NEC export) and need exactly one thing from a library: correct quoting. If the project
// later adds `csv-stringify`, `stringify(rows, {record_delimiter: 'windows'})` from
// `csv-stringify/sync` is a drop-in replacement for `toCsv` below.

export type CsvCell = string | number | null | undefined;

/**
 * One field, quoted only when it must be (RFC 4180 §2.6–2.7): when it holds a comma, a double
 * quote, CR or LF. Quotes inside are doubled. `null`/`undefined` become an empty field.
 * `csvField('a,b')` → `"\"a,b\""`; `csvField('say "hi"')` → `"\"say \"\"hi\"\"\""`.
 */
export function csvField(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows joined with CRLF, each row ended by CRLF (RFC 4180 §2.1–2.2). */
export function toCsv(rows: readonly (readonly CsvCell[])[]): string {
  return rows.map((row) => row.map(csvField).join(',') + '\r\n').join('');
}

/**
 * Neutralises spreadsheet formula injection (OWASP "CSV injection") in a text cell that a person
 * will open in a spreadsheet: a value that starts with `=`, `+`, `-`, `@`, tab or CR gets a leading
 * apostrophe. Use only on free text (names, addresses), never on amounts or machine-read files.
 */
export function neutralizeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
