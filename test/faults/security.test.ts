import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { ambient } from '../support/cli.ts';
import { startCluster } from '../support/sim.ts';

const TOKEN = 'RECOGNISABLE-FAKE-TOKEN-7f3a9c';
const KEY = Buffer.from(
  '-----BEGIN PRIVATE KEY-----\nRECOGNISABLE-FAKE-KEY-d41d8c\n-----END PRIVATE KEY-----\n',
).toString('base64');
const CERT = Buffer.from(
  '-----BEGIN CERTIFICATE-----\nRECOGNISABLE-FAKE-CERT-9e107d\n-----END CERTIFICATE-----\n',
).toString('base64');
const SECRETS = [TOKEN, KEY, CERT, 'RECOGNISABLE-FAKE-KEY', 'RECOGNISABLE-FAKE-CERT'];

describe('faults: security', () => {
  it('tokens, client keys and certificate data never appear in any output, --verbose included', async () => {
    const c = await startCluster('mid-upgrade', { tokens: { [TOKEN]: 'admin' } });
    try {
      const doc = parse(readFileSync(c.kubeconfig, 'utf8')) as { users: { user: Record<string, string> }[] };
      doc.users[0]!.user = { token: TOKEN };
      const good = join(c.dir, 'good.yaml');
      writeFileSync(good, stringify(doc));
      doc.users[0]!.user = { token: `${TOKEN}-expired` };
      const expired = join(c.dir, 'expired.yaml');
      writeFileSync(expired, stringify(doc));
      doc.users[0]!.user = { 'client-certificate-data': CERT, 'client-key-data': KEY };
      const certs = join(c.dir, 'certs.yaml');
      writeFileSync(certs, stringify(doc));
      c.sim.inject({ match: { method: 'PUT' }, status: 500, times: 1 });
      const runs = [
        await ambient(['tags', '--verbose'], { kubeconfig: good }),
        await ambient(['tags', '-o', 'yaml', '--verbose'], { kubeconfig: good }),
        await ambient(['tag-move', 'prod', '1-28-10', '--yes', '--verbose', '--no-wait'], { kubeconfig: good }),
        await ambient(['tags', '--verbose'], { kubeconfig: expired }),
        await ambient(['revisions', '--verbose'], { kubeconfig: certs }),
        await ambient(['skew', '--verbose', '--context', 'nope'], { kubeconfig: certs }),
      ];
      assert.ok(
        runs.some((r) => r.code === 77),
        'the expired token was rejected',
      );
      for (const r of runs)
        for (const s of SECRETS)
          assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `secret leaked:\n${r.stderr}`);
    } finally {
      await c.close();
    }
  });

  it('test servers listen on 127.0.0.1 only', async () => {
    const c = await startCluster('fresh');
    try {
      assert.match(c.sim.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await c.close();
    }
  });

  it('the product never runs a shell or another program (only client-node runs a kubeconfig exec plugin)', () => {
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
    const src = new URL('../../src/', import.meta.url).pathname;
    for (const f of walk(src))
      assert.doesNotMatch(readFileSync(f, 'utf8'), /child_process|\bexecSync\b|\bspawn\(|\bexecFile\b/, f);
  });
});
