import assert from 'node:assert/strict';
import { styleText } from 'node:util';
import { describe, it } from 'node:test';
import {
  count,
  cutList,
  fitTable,
  LIST_CELL_MAX,
  renderFitted,
  renderTable,
  type Cell,
  type Column,
} from '../../src/cli/render/table.ts';

describe('tables', () => {
  it('lays out columns three spaces apart at the widest visible cell, without trailing spaces', () => {
    const green = styleText('green', 'OK');
    const out = renderTable(
      ['NAME', 'STATUS', 'MESSAGE'],
      [
        ['a', green, ''],
        ['longer-name', 'FAIL', 'x'],
      ],
    );
    assert.equal(out, `NAME          STATUS   MESSAGE\na             ${green}\nlonger-name   FAIL     x\n`);
  });

  it('measures display width (wide characters, the ellipsis) and splits cells with line breaks', () => {
    const out = renderTable(
      ['A', 'B'],
      [
        ['日本', 'x'],
        ['cut…', 'one\ntwo'],
        ['', 'y'],
      ],
    );
    assert.equal(out, 'A      B\n日本   x\ncut…   one\n       two\n       y\n');
  });

  it('lays out 2,000 rows like a few (one engine for every size)', () => {
    const head = ['COMPONENT', 'NAMESPACE', 'NAME'];
    const many = Array.from({ length: 2000 }, (_, i) => [i % 3 === 0 ? 'waypoint' : 'gateway', `team-${i}`, `gw-${i}`]);
    const lines = renderTable(head, many).split('\n');
    assert.equal(lines[0], 'COMPONENT   NAMESPACE   NAME');
    assert.equal(lines[2000], 'gateway     team-1999   gw-1999');
    assert.equal(lines.length, 2002);
  });
});

describe('fitting a terminal', () => {
  it('cutList keeps the items that fit and counts the rest, "more" when there is room', () => {
    const ns = ['reviews', 'orders', ...Array.from({ length: 1998 }, (_, i) => `team-${i}`)];
    assert.equal(cutList(ns, 30, ', '), 'reviews, orders, +1,998 more');
    assert.equal(cutList(['tags', 'ns', 'pods', 'gw', 'ztunnel'], 7), 'tags,+4');
    assert.equal(cutList(['tags', 'ns', 'pods', 'gw', 'ztunnel'], 12), 'tags,+4 more');
    assert.equal(cutList(['tags', 'ns', 'pods', 'gw', 'ztunnel'], 100), 'tags,ns,pods,gw,ztunnel');
    assert.equal(cutList(['1-24-0', '1-25-2', '1-26-1', '1-27-9'], 25, ' > ', '-', 'end'), '+2 more > 1-26-1 > 1-27-9');
    assert.equal(cutList(['1-25-2', '1-26-1', '1-27-9'], 23, ' > ', '-', 'end'), '+2 more > 1-27-9');
    assert.equal(cutList(['averyveryverylongname', 'b'], 5), '+2');
    assert.equal(cutList([], 5), '-');
    assert.equal(count(1234567), '1,234,567');
  });

  const columns: Column[] = [
    { head: 'NAME' },
    { head: 'DETAIL', hide: 1 },
    { head: 'KIND', shrink: 'short' },
    { head: 'CODES', shrink: 'list', hide: 2 },
  ];
  const rows: Cell[][] = [
    ['alpha', 'some detail here', { text: 'webhook+service ok', short: 'ok' }, { items: ['tags', 'ns', 'pods', 'gw'] }],
    ['beta', '-', { text: 'webhook ok', short: 'ok' }, { items: [] }],
  ];
  const widest = (r: { head: string[]; rows: string[][] }): number =>
    Math.max(
      ...renderTable(r.head, r.rows)
        .split('\n')
        .map((l) => l.length),
    );

  it('a table that fits is left alone; off a terminal nothing gives way', () => {
    const natural = fitTable(columns, rows, undefined);
    assert.deepEqual(natural.head, ['NAME', 'DETAIL', 'KIND', 'CODES']);
    assert.deepEqual(natural.rows[0], ['alpha', 'some detail here', 'webhook+service ok', 'tags,ns,pods,gw']);
    assert.deepEqual(fitTable(columns, rows, 200), natural);
  });

  it('narrower: short forms, then lists are cut, then columns are hidden by rank, each only as far as needed', () => {
    const natural = widest(fitTable(columns, rows, undefined));
    const short = fitTable(columns, rows, natural - 1);
    assert.deepEqual(short.rows[0], ['alpha', 'some detail here', 'ok', 'tags,ns,pods,gw']);
    const cut = fitTable(columns, rows, widest(short) - 3);
    assert.deepEqual(cut.rows[0], ['alpha', 'some detail here', 'ok', 'tags,+3 more']);
    const hidden = fitTable(columns, rows, 30);
    assert.deepEqual(hidden.head, ['NAME', 'KIND', 'CODES']);
    assert.ok(widest(hidden) <= 30);
    const tiny = fitTable(columns, rows, 10);
    assert.deepEqual(tiny.head, ['NAME', 'KIND'], 'everything that can be hidden is, when nothing fits');
    assert.deepEqual(tiny.rows[0], ['alpha', 'ok'], 'and the rest give way as far as they can (the short form)');
  });

  it('a list never takes more than LIST_CELL_MAX characters, terminal or not', () => {
    const many = [['x', '-', 'ok', { items: Array.from({ length: 50 }, (_, i) => `tag-${i}`) }]] as Cell[][];
    const cell = fitTable(columns, many, undefined).rows[0]?.[3] ?? '';
    assert.ok(cell.length <= LIST_CELL_MAX, cell);
    assert.match(cell, /^tag-0,tag-1,.*,\+4\d more$/);
  });
});

describe('a wrapped column', () => {
  const columns: Column[] = [
    { head: 'NAME' },
    { head: 'PLANE', shrink: 'short', hide: 1 },
    { head: 'MESSAGE', shrink: 'wrap', min: 20 },
  ];
  const text = 'one two three four five six seven eight nine ten eleven twelve';
  const rows: Cell[][] = [
    ['alpha', { text: '1-27-9 (1.27.9)', short: '1-27-9' }, text],
    ['beta', { text: '1-28-10 (1.28.10)', short: '1-28-10' }, 'short'],
  ];

  it('wraps within its column on continuation rows, the short forms and hiding first', () => {
    const out = renderFitted(columns, rows, 50);
    assert.equal(
      out,
      [
        'NAME    PLANE     MESSAGE',
        'alpha   1-27-9    one two three four five six',
        '                  seven eight nine ten eleven',
        '                  twelve',
        'beta    1-28-10   short',
        '',
      ].join('\n'),
    );
    const hidden = renderFitted(columns, rows, 34);
    assert.match(hidden, /^NAME {4}MESSAGE\nalpha {3}one two three four five\n {8}six seven/);
  });

  it('goes below its rows when it cannot get its minimum, whole and wrapped at the terminal', () => {
    const out = renderFitted(columns, rows, 26);
    assert.equal(
      out,
      [
        'NAME    PLANE',
        'alpha   1-27-9 (1.27.9)',
        '    one two three four',
        '    five six seven eight',
        '    nine ten eleven twelve',
        'beta    1-28-10 (1.28.10)',
        '    short',
        '',
      ].join('\n'),
    );
    assert.match(renderFitted(columns, rows, 22), /^NAME {4}PLANE\nalpha {3}1-27-9\n {4}one two three four\n/);
  });

  it('off a terminal it stays on one line', () => {
    assert.equal(renderFitted(columns, rows, undefined).split('\n')[1], `alpha   1-27-9 (1.27.9)     ${text}`);
  });
});
