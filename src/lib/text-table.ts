/**
 * Plain-text tables for hostops' own reports (not the layouts copied from ping, mtr, iperf3 or
 * exim, which keep their own code). The first row (the header) sets the columns; a column is as
 * wide as its widest cell unless it has a fixed width. Cells longer than a fixed width push the
 * rest of their row right rather than being cut, so no value is ever lost.
 */

export interface TextColumn {
  /** 'left' (default) pads after the text, 'right' before it. */
  align?: 'left' | 'right';
  /** A fixed width instead of the widest cell; 0 leaves the cell as it is. */
  width?: number;
}

export interface TextTableOptions {
  /** Per column, by position; columns without an entry are left-aligned at content width. */
  columns?: readonly TextColumn[];
  /** Between columns; default two spaces. */
  gap?: string;
  /** Drop trailing spaces from each line (default true). */
  trimEnd?: boolean;
}

/** The table's lines (no newline at the end). */
export function textTable(
  rows: readonly (readonly (string | number)[])[],
  o: TextTableOptions = {},
): string[] {
  if (!rows.length) return [];
  const cells = rows.map((r) => r.map(String));
  const cols = o.columns ?? [];
  const width = cells[0].map(
    (_, c) => cols[c]?.width ?? Math.max(...cells.map((r) => (r[c] ?? '').length)),
  );
  const gap = o.gap ?? '  ';
  return cells.map((r) => {
    const line = r
      .map((x, c) => (cols[c]?.align === 'right' ? x.padStart(width[c]) : x.padEnd(width[c])))
      .join(gap);
    return o.trimEnd === false ? line : line.trimEnd();
  });
}
