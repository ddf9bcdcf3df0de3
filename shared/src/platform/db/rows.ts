/**
 * `tx.execute` returns an array on postgres.js and `{ rows }` on PGlite; this hides the difference
 * for the few raw SQL calls (pre-authentication functions, locks).
 */
export function rowsOf<Row>(result: unknown): Row[] {
  if (Array.isArray(result)) return result as Row[];
  const rows = (result as { rows?: unknown })?.rows;
  return Array.isArray(rows) ? (rows as Row[]) : [];
}
