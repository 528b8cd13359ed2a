/** Which proxy kubectl would use (Go's httpproxy rules), table-driven. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { proxyFor } from '../../src/kube/proxy.ts';

const via = (server: string, env: Record<string, string>, proxyUrl?: string): string | undefined =>
  proxyFor(new URL(server), proxyUrl, env)?.href;

describe('proxyFor (kubectl: proxy-url, else HTTPS_PROXY/HTTP_PROXY minus NO_PROXY)', () => {
  const P = 'http://proxy:3128/';
  const cases: [string, string, Record<string, string>, string | undefined][] = [
    ['https uses HTTPS_PROXY', 'https://api.example.com:6443', { HTTPS_PROXY: P, HTTP_PROXY: 'http://other:1' }, P],
    ['lower case works too', 'https://api.example.com', { https_proxy: P }, P],
    ['upper case wins', 'https://api.example.com', { HTTPS_PROXY: P, https_proxy: 'http://lower:1' }, P],
    ['http uses HTTP_PROXY', 'http://api.example.com', { HTTPS_PROXY: 'http://other:1', HTTP_PROXY: P }, P],
    ['no scheme means http', 'https://api.example.com', { HTTPS_PROXY: 'proxy:3128' }, P],
    ['loopback IP never', 'https://127.0.0.1:6443', { HTTPS_PROXY: P }, undefined],
    ['localhost never', 'https://localhost:6443', { HTTPS_PROXY: P }, undefined],
    ['IPv6 loopback never', 'https://[::1]:6443', { HTTPS_PROXY: P }, undefined],
    ['NO_PROXY *', 'https://api.example.com', { HTTPS_PROXY: P, NO_PROXY: '*' }, undefined],
    ['NO_PROXY name matches itself', 'https://example.com', { HTTPS_PROXY: P, NO_PROXY: 'example.com' }, undefined],
    [
      'NO_PROXY name matches subdomains',
      'https://api.example.com',
      { HTTPS_PROXY: P, NO_PROXY: 'example.com' },
      undefined,
    ],
    ['NO_PROXY leading dot: subdomains only', 'https://example.com', { HTTPS_PROXY: P, NO_PROXY: '.example.com' }, P],
    [
      'NO_PROXY leading dot matches a subdomain',
      'https://api.example.com',
      { HTTPS_PROXY: P, no_proxy: '.example.com' },
      undefined,
    ],
    ['NO_PROXY is not a substring match', 'https://notexample.com', { HTTPS_PROXY: P, NO_PROXY: 'example.com' }, P],
    ['NO_PROXY CIDR', 'https://10.1.2.3:6443', { HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8' }, undefined],
    ['NO_PROXY CIDR misses', 'https://11.1.2.3:6443', { HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8' }, P],
    ['NO_PROXY IP', 'https://10.1.2.3', { HTTPS_PROXY: P, NO_PROXY: 'x, 10.1.2.3 ' }, undefined],
    [
      'NO_PROXY with a matching port',
      'https://api.example.com:6443',
      { HTTPS_PROXY: P, NO_PROXY: 'api.example.com:6443' },
      undefined,
    ],
    [
      'NO_PROXY with another port',
      'https://api.example.com:6443',
      { HTTPS_PROXY: P, NO_PROXY: 'api.example.com:443' },
      P,
    ],
    ['empty HTTPS_PROXY: none', 'https://api.example.com', { HTTPS_PROXY: '' }, undefined],
  ];
  for (const [name, server, env, want] of cases) it(name, () => assert.equal(via(server, env), want));

  it("the cluster's proxy-url wins, also for loopback and NO_PROXY hosts", () => {
    assert.equal(
      via('https://127.0.0.1:6443', { NO_PROXY: '*' }, 'socks5://127.0.0.1:1080'),
      'socks5://127.0.0.1:1080',
    );
  });

  it('a bad or unsupported proxy URL is a config error naming where it came from', () => {
    assert.throws(
      () => via('https://api.example.com', { HTTPS_PROXY: 'ftp://proxy:21' }),
      /HTTPS_PROXY uses the unsupported proxy scheme ftp/,
    );
    assert.throws(
      () => via('https://api.example.com', {}, 'http://[bad'),
      /proxy-url of the cluster is not a valid proxy URL/,
    );
  });
});
