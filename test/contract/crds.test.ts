/**
 * Contract: reading the Istio CRDs' version (§4.3) for `skew`, on both backends. The two label
 * selectors as raw metadata-only lists, then the CLI: the CRD finding and the `--target` CRD step
 * read from the labels (`done`, `todo`, `unknown`), a foreign CRD carrying `chart=istio` ignored.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Finding, UpgradeStep } from '../../src/core/skew.ts';
import type { KubeObject } from '../cluster/types.ts';
import { cni, istioCrds, istiod, namespace, tagObjects, ztunnel } from '../support/builders.ts';
import { ambient } from '../support/cli.ts';
import { forEachBackend, type Backend } from './backend.ts';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const PARTIAL = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json';

/** A CRD of another product that happens to carry the static `chart: istio` label. */
function foreignCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com', labels: { chart: 'istio' } },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

function mesh(crds: KubeObject[]): KubeObject[] {
  return [
    namespace('istio-system'),
    ...crds,
    foreignCrd(),
    ...istiod('1.28.10'),
    ...istiod('1.30.3'),
    ...tagObjects('1.28.10', 'default'),
    ...ztunnel('1.28.10'),
    ...cni('1.28.10'),
  ];
}

async function listed(
  b: Backend,
  selector: string,
): Promise<{ kind: string; names: string[]; versions: (string | undefined)[] }> {
  const r = await b.api('GET', CRDS, { query: { labelSelector: selector }, accept: PARTIAL });
  assert.equal(r.status, 200, r.text);
  // An empty PartialObjectMetadataList comes back with `items: null` (both backends).
  const body = r.body as {
    kind: string;
    items: { metadata: { name: string; labels?: Record<string, string> } }[] | null;
  };
  const items = body.items ?? [];
  return {
    kind: body.kind,
    names: items.map((i) => i.metadata.name).sort(),
    versions: items.map((i) => i.metadata.labels?.['app.kubernetes.io/version']),
  };
}

async function crdStep(b: Backend, target: string): Promise<UpgradeStep> {
  const r = await ambient(['skew', '--target', target, '-o', 'json'], { kubeconfig: b.kubeconfig.admin });
  assert.ok(r.code === 0 || r.code === 3, r.stderr);
  const step = (JSON.parse(r.stdout) as { steps: UpgradeStep[] }).steps[0];
  assert.match(step?.step ?? '', /^upgrade the Istio CRDs \(istio\/base chart\) to /);
  return step as UpgradeStep;
}

forEachBackend(
  'Istio CRDs with the 1.24+ base chart labels',
  () => mesh(istioCrds('1.30.3')),
  (backend) => {
    it('app.kubernetes.io/part-of=istio finds the 15 templated CRDs as metadata, with their version', async () => {
      const l = await listed(backend(), 'app.kubernetes.io/part-of=istio');
      assert.equal(l.kind, 'PartialObjectMetadataList');
      assert.equal(l.names.length, 15);
      assert.ok(l.names.includes('trafficextensions.extensions.istio.io'));
      assert.deepEqual([...new Set(l.versions)], ['1.30.3']);
      assert.deepEqual((await listed(backend(), 'chart=istio')).names, ['widgets.example.com']);
    });

    it('skew: the CRD finding and the --target step come from the labels', async () => {
      const b = backend();
      const r = await ambient(['skew', '-o', 'json'], { kubeconfig: b.kubeconfig.reader });
      const crd = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.find((f) => f.rule === 'crd-version');
      assert.equal(crd?.version, '1.30.3');
      assert.equal(crd?.status, 'ok');
      const done = await crdStep(b, '1.30.3');
      assert.equal(done.status, 'done');
      assert.equal(done.notes[0], 'the Istio CRDs are at 1.30.3');
      const todo = await crdStep(b, '1.31.0');
      assert.equal(todo.status, 'todo');
      assert.equal(todo.notes[0], 'the Istio CRDs are at 1.30.3');
    });
  },
);

forEachBackend(
  'Istio CRDs with the static labels of the <=1.23 chart',
  () => mesh(istioCrds('1.28.10', 'legacy')),
  (backend) => {
    it('chart=istio finds them (and a foreign CRD with the same label); part-of finds none', async () => {
      const l = await listed(backend(), 'chart=istio');
      assert.equal(l.names.length, 15);
      assert.ok(l.names.includes('widgets.example.com'));
      assert.deepEqual([...new Set(l.versions)], [undefined]);
      assert.deepEqual((await listed(backend(), 'app.kubernetes.io/part-of=istio')).names, []);
    });

    it('skew --target: unknown without a version label, todo when the 1.30 schema marker is missing', async () => {
      const b = backend();
      const unknown = await crdStep(b, '1.28.10');
      assert.equal(unknown.status, 'unknown');
      assert.match(unknown.notes[0] ?? '', /^no Istio CRD carries a version label/);
      assert.ok(!unknown.notes.join(' ').includes('widgets'), 'the foreign CRD is not counted');
      const todo = await crdStep(b, '1.30.3');
      assert.equal(todo.status, 'todo');
      assert.equal(
        todo.notes[0],
        'trafficextensions.extensions.istio.io (new in 1.30.0) is missing: the CRDs predate 1.30',
      );
    });
  },
);
