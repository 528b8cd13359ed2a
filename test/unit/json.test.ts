/**
 * src/kube/json.ts: withoutManagedFields (the parsed page equals JSON.parse with managedFields
 * deleted) and ListSplitter (the items and the rest of a list answer, whatever its chunks, equal
 * JSON.parse of the whole).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListSplitter, NotAListError, withoutManagedFields } from '../../src/kube/json.ts';

type Obj = Record<string, unknown>;
const deleted = (text: string): unknown => {
  const page = JSON.parse(text) as { items: { metadata: Obj }[] };
  for (const i of page.items) delete i.metadata['managedFields'];
  return page;
};

// Server-side apply bookkeeping as kube-apiserver writes it, brackets and quotes inside strings included.
const managed = [
  {
    manager: 'kubectl',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-01-01T00:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': { '.': {}, 'f:istio.io/rev': {} } },
      'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:status': {} } } },
    },
  },
  {
    manager: 'weird ] } [ { " \\ manager',
    operation: 'Apply',
    fieldsV1: { 'f:spec': { 'f:containers': { 'k:{"name":"a]b"}': {} } } },
  },
];

describe('withoutManagedFields', () => {
  const cases: [string, Obj[]][] = [
    [
      'first, middle and last member',
      [
        { metadata: { managedFields: managed, name: 'a', labels: { x: 'y' } } },
        { metadata: { name: 'b', managedFields: managed, labels: {} } },
        { metadata: { name: 'c', labels: { k: 'v' }, managedFields: managed } },
        { metadata: { managedFields: managed } },
      ],
    ],
    [
      'the text inside strings is left alone',
      [
        {
          metadata: {
            name: 'd',
            annotations: { note: '"managedFields":[1,2]', json: '{"managedFields":[{"a":"]"}]}', back: '\\' },
            managedFields: managed,
          },
        },
        {
          metadata: { name: 'e', annotations: { tricky: 'ends with a backslash \\' } },
          spec: { text: 'x\\"managedFields":[' },
        },
      ],
    ],
    ['no managedFields at all', [{ metadata: { name: 'f' } }]],
    ['unicode', [{ metadata: { name: 'ü', labels: { 'a/b': '日本' }, managedFields: [{ manager: 'ö' }] } }]],
  ];
  for (const [name, items] of cases) {
    it(name, () => {
      const text = JSON.stringify({ kind: 'List', metadata: { resourceVersion: '1' }, items });
      const stripped = withoutManagedFields(text);
      assert.deepEqual(JSON.parse(stripped), deleted(text));
      assert.ok(stripped.length <= text.length);
    });
  }
  it('pretty-printed JSON is left as it is (the caller deletes after parsing)', () => {
    const text = JSON.stringify({ items: [{ metadata: { managedFields: managed, name: 'a' } }] }, null, 2);
    assert.equal(withoutManagedFields(text), text);
  });
  it('a truncated page is left for JSON.parse to refuse', () => {
    const text = JSON.stringify({ items: [{ metadata: { managedFields: managed, name: 'a' } }] });
    const cut = text.slice(0, text.indexOf('fieldsV1') + 20);
    assert.equal(withoutManagedFields(cut), cut);
  });
});

/** Splits `text` given in chunks of `size` bytes: the items (parsed) and the rest (parsed). */
function split(text: string, size: number): { items: unknown[]; rest: unknown } {
  const items: unknown[] = [];
  const s = new ListSplitter((json) => items.push(JSON.parse(json)));
  const bytes = Buffer.from(text, 'utf8');
  // An empty chunk between every two (a stream may deliver one).
  for (let i = 0; i < bytes.length; i += size) {
    s.push(bytes.subarray(i, i + size));
    s.push(Buffer.alloc(0));
  }
  return { items, rest: JSON.parse(s.end()) as unknown };
}

describe('ListSplitter', () => {
  const tricky = [
    // A key `items` inside an item and as a value, quotes, backslashes, brackets and multi-byte text in strings.
    { metadata: { name: 'a', labels: { items: '[1]', x: 'say \\"hi\\" ] } [ {' } }, items: [{ n: 1 }] },
    {
      metadata: { name: 'b-\u00e9\u4e2d\ud83d\ude00', annotations: { k: 'tail backslash \\\\' } },
      spec: { items: 'items' },
    },
    { metadata: { name: 'c', managedFields: managed }, nested: [[], {}, [{ a: [] }]] },
  ];
  const answers: [string, string][] = [
    [
      'compact, as the API server writes it',
      JSON.stringify({
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: { continue: 'tok"en', resourceVersion: '7' },
        items: tricky,
      }),
    ],
    ['pretty-printed', JSON.stringify({ metadata: { resourceVersion: '1' }, items: tricky, kind: 'items' }, null, 2)],
    ['items first, rest after', JSON.stringify({ items: tricky, metadata: { continue: '' } })],
    ['no items', JSON.stringify({ kind: 'PodList', metadata: {}, items: [] })],
    ['items null', JSON.stringify({ kind: 'PodList', items: null })],
  ];
  for (const [name, text] of answers) {
    it(`${name}: the same items and rest in chunks of every size from 1 byte to the whole`, () => {
      const whole = JSON.parse(text) as Obj;
      const expected = {
        items: (whole['items'] as unknown[] | null) ?? [],
        rest: { ...whole, items: whole['items'] === null ? null : [] },
      };
      for (let size = 1; size <= Buffer.byteLength(text); size += size < 40 ? 1 : 37)
        assert.deepEqual(split(text, size), expected, `chunks of ${size}`);
      assert.deepEqual(split(text, Buffer.byteLength(text)), expected);
    });
  }

  it('an item that is not an object is NotAListError', () => {
    for (const text of ['{"items":[1]}', '{"items":[{"a":1},"x"]}', '{"items":[[]]}']) {
      const s = new ListSplitter(() => undefined);
      assert.throws(() => s.push(Buffer.from(text)), NotAListError, text);
    }
  });

  it('an answer cut off in an item: the rest does not parse (the client says "malformed JSON")', () => {
    const text = JSON.stringify({ kind: 'PodList', items: tricky });
    const items: string[] = [];
    const s = new ListSplitter((j) => items.push(j));
    s.push(Buffer.from(text.slice(0, text.length - 30)));
    assert.equal(items.length, 2);
    assert.throws(() => JSON.parse(s.end()), SyntaxError);
  });

  it('not JSON at all: everything is the rest, for JSON.parse to reject', () => {
    const s = new ListSplitter(() => assert.fail('no item'));
    s.push(Buffer.from('<html>items: [ {oops} ]</html>'));
    assert.equal(s.end(), '<html>items: [ {oops} ]</html>');
  });
});
