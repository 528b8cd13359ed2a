// Prints the README's exit-code table from the one table in the code (src/cli/errors.ts).
import { EXIT_CODES } from '../src/cli/errors.ts';

export function exitCodeTable(): string {
  const rows = new Map<number, string[]>();
  for (const e of Object.values(EXIT_CODES)) rows.set(e.code, [...(rows.get(e.code) ?? []), e.meaning]);
  return [
    '| code | meaning |',
    '| --- | --- |',
    ...[...rows.entries()].sort((a, b) => a[0] - b[0]).map(([c, m]) => `| ${c} | ${m.join('; ')} |`),
  ].join('\n');
}
