/** Shared assertions of the fault matrix: one line, the documented code, nothing on stdout, cluster state. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_CODES } from '../../src/cli/errors.ts';
import type { ErrorKind } from '../../src/core/errors.ts';
import type { CliResult } from '../support/cli.ts';
import { clusterState } from '../support/compare.ts';
import type { Proxy } from '../support/proxy.ts';
import type { TestCluster } from '../support/sim.ts';

/** Asserts a failure: the documented exit code of `kind`, exactly one `error:` line matching `message`, no stack, empty stdout. */
export function assertFails(r: CliResult, kind: ErrorKind, message: RegExp): void {
  assert.equal(r.code, EXIT_CODES[kind].code, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => l.startsWith('error: '));
  assert.equal(errors.length, 1, `exactly one error line:\n${r.stderr}`);
  assert.match(errors[0] ?? '', message);
  assert.doesNotMatch(r.stderr, /^\s+at .+\(.+:\d+:\d+\)$/m, 'no stack trace without --verbose');
  assert.equal(r.stdout, '', 'nothing on stdout a script could mistake for output');
}

/** Every object, without the fields a restore or a no-op legitimately changes. */
export const state = clusterState;

/** The `istio.io/rev` of a tag's webhook. */
export function tagRevision(c: TestCluster, tag: string): string | undefined {
  return c.sim.get({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    name: `istio-revision-tag-${tag}`,
  })?.metadata.labels?.['istio.io/rev'];
}

/** A kubeconfig like the cluster's, pointing at a proxy in front of it (test/support/proxy.ts). */
export function kubeconfigVia(c: TestCluster, proxy: Proxy): string {
  const path = join(c.dir, `via-${new URL(proxy.url).port}.yaml`);
  writeFileSync(path, readFileSync(c.kubeconfig, 'utf8').replace(c.sim.url, proxy.url));
  return path;
}
