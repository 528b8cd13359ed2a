import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mismatch } from '../support/compare.ts';

describe('the live-vs-render oracle (test/support/compare.ts)', () => {
  const want = { webhooks: [{ name: 'a', failurePolicy: 'Fail', rules: [{ operations: ['CREATE'] }] }] };

  it('accepts fields the server added, nowhere else', () => {
    assert.equal(
      mismatch(
        {
          webhooks: [
            { name: 'a', failurePolicy: 'Fail', timeoutSeconds: 10, rules: [{ operations: ['CREATE'], scope: '*' }] },
          ],
          extra: 1,
        },
        want,
      ),
      undefined,
    );
  });

  it('names the first difference: a changed value, a missing field, an extra or missing element, a wrong type', () => {
    assert.equal(
      mismatch({ webhooks: [{ name: 'a', failurePolicy: 'Ignore', rules: [{ operations: ['CREATE'] }] }] }, want),
      '.webhooks[0].failurePolicy: "Ignore", want "Fail"',
    );
    assert.equal(
      mismatch({ webhooks: [{ name: 'a', rules: [{ operations: ['CREATE'] }] }] }, want),
      '.webhooks[0].failurePolicy: missing (want "Fail")',
    );
    assert.match(
      mismatch({ webhooks: [...want.webhooks, { name: 'b' }] }, want) ?? '',
      /^\.webhooks: .* is not an array of 1$/,
    );
    assert.match(
      mismatch(
        { webhooks: [{ name: 'a', failurePolicy: 'Fail', rules: [{ operations: ['CREATE', 'UPDATE'] }] }] },
        want,
      ) ?? '',
      /^\.webhooks\[0\]\.rules\[0\]\.operations: .* is not an array of 1$/,
    );
    assert.match(mismatch({ webhooks: 'a' }, want) ?? '', /^\.webhooks: "a" is not an array of 1$/);
    assert.equal(mismatch({ port: '443' }, { port: 443 }), '.port: "443", want 443');
    assert.equal(mismatch({ sel: null }, { sel: {} }), '.sel: null is not an object');
  });
});
