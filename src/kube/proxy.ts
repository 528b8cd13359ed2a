import { BlockList, isIP } from 'node:net';
import { AmbientError } from '../core/errors.ts';

/**
 * The proxy kubectl would use for `server`: the cluster's `proxy-url` when set, else the
 * environment (HTTPS_PROXY for https://, HTTP_PROXY for http://, upper case first, then lower
 * case; NO_PROXY excludes hosts). Written by hand after Go's `httpproxy.FromEnvironment`, which
 * kubectl uses: its rules differ from the npm packages (`proxy-from-env` has no CIDR entries and
 * proxies loopback addresses, which Go never does).
 */
export function proxyFor(
  server: URL,
  proxyUrl: string | undefined,
  env: Record<string, string | undefined>,
): URL | undefined {
  if (proxyUrl !== undefined && proxyUrl !== '') return parseProxy(proxyUrl, 'proxy-url of the cluster');
  const https = server.protocol === 'https:';
  const name = https ? 'HTTPS_PROXY' : 'HTTP_PROXY';
  const value = env[name] ?? env[name.toLowerCase()] ?? '';
  if (value === '' || !useProxy(server, env['NO_PROXY'] ?? env['no_proxy'] ?? '')) return undefined;
  return parseProxy(value, name);
}

/** A proxy URL; like Go, one without a scheme means http://. */
function parseProxy(value: string, what: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new AmbientError('config', `${what} is not a valid proxy URL`, 'use a URL such as http://proxy.example:3128');
  }
  if (!['http:', 'https:', 'socks5:', 'socks5h:', 'socks:'].includes(u.protocol)) {
    throw new AmbientError(
      'config',
      `${what} uses the unsupported proxy scheme ${u.protocol.replace(/:$/, '')}`,
      'use an http, https or socks5 proxy',
    );
  }
  return u;
}

const bare = (host: string): string => host.replace(/^\[(.*)\]$/, '$1').toLowerCase();

/** Whether a request to `server` goes through the environment's proxy (Go's `useProxy`). */
function useProxy(server: URL, noProxy: string): boolean {
  const host = bare(server.hostname);
  const port = server.port !== '' ? server.port : server.protocol === 'https:' ? '443' : '80';
  if (host === 'localhost') return false;
  const ipVersion = isIP(host);
  if (ipVersion !== 0 && isLoopback(host, ipVersion)) return false;
  for (const raw of noProxy.split(',')) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return false;
    if (entry.includes('/')) {
      // CIDR: matches IP hosts only.
      const [net, bits] = entry.split('/');
      const v = isIP(net ?? '');
      if (ipVersion !== 0 && v === ipVersion) {
        const list = new BlockList();
        list.addSubnet(net ?? '', Number(bits), v === 4 ? 'ipv4' : 'ipv6');
        if (list.check(host, v === 4 ? 'ipv4' : 'ipv6')) return false;
      }
      continue;
    }
    let entryPort: string | undefined;
    const m = /^(.*):(\d+)$/.exec(entry);
    if (m !== null && isIP(entry) === 0) {
      entry = m[1] ?? '';
      entryPort = m[2];
    }
    entry = bare(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (isIP(entry) !== 0) {
      if (entry === host) return false;
      continue;
    }
    // "example.com" matches it and its subdomains; ".example.com" (or "*.example.com") only subdomains.
    const suffix = entry.replace(/^\*?\./, '.');
    if (suffix.startsWith('.') ? host.endsWith(suffix) : host === entry || host.endsWith(`.${entry}`)) return false;
  }
  return true;
}

function isLoopback(ip: string, version: number): boolean {
  if (version === 6) return ip === '::1' || /^::ffff:127\./.test(ip);
  return ip.startsWith('127.');
}
