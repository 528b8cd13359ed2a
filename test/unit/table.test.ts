import assert from 'node:assert/strict';
import { styleText } from 'node:util';
import { describe, it } from 'node:test';
import { alignColumns, LARGE_TABLE_ROWS, renderTable } from '../../src/cli/render/table.ts';

describe('tables', () => {
  const head = ['COMPONENT', 'NAMESPACE', 'NAME', 'STATUS', 'MESSAGE'];
  const rows = Array.from({ length: 40 }, (_, i) => [
    i % 3 === 0 ? 'waypoint' : 'gateway',
    `team-${i * 7}`,
    i % 5 === 0 ? '' : `w${'x'.repeat(i % 11)}`,
    styleText(i % 2 === 0 ? 'green' : 'red', i % 2 === 0 ? 'OK' : 'FAIL'),
    `message ${i} ${'-'.repeat(i % 13)}`,
  ]);

  it('the fast layout for large tables prints exactly what cli-table3 prints', () => {
    assert.equal(alignColumns(head, rows), renderTable(head, rows));
  });

  it('large tables take the fast layout', () => {
    const many = Array.from({ length: LARGE_TABLE_ROWS + 1 }, (_, i) => [`r${i}`, 'x', 'y', 'z', 'w']);
    assert.equal(renderTable(head, many), alignColumns(head, many));
    assert.match(renderTable(head, many).split('\n')[0] ?? '', /^COMPONENT {3}NAMESPACE {3}NAME {3}STATUS {3}MESSAGE$/);
  });
});
