// db.query.text without the values: one sanitizer for the instrumentations of our own that see
// SQL with its values already in it (mariadb's wrapper, mysql2's tracing channel, which reports the
// statement after mysql2 formatted the bound values into it).

/** Literals out: quoted strings, numbers, hex; comments dropped. Placeholders (`?`, `:name`) stay. */
export function sanitizeSql(sql: string): string {
  return sql
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(--|#)[^\n]*/g, ' ')
    .replace(/'(?:[^'\\]|\\.|'')*'/g, '?')
    .replace(/"(?:[^"\\]|\\.|"")*"/g, '?')
    .replace(/\b0x[0-9a-f]+\b/gi, '?')
    .replace(/(?<![\w$.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, '?')
    .replace(/\s+/g, ' ')
    .trim();
}
