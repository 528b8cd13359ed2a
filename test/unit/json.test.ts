/** withoutManagedFields (src/kube/json.ts): the parsed page equals JSON.parse with managedFields deleted. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutManagedFields } from '../../src/kube/json.ts';

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
