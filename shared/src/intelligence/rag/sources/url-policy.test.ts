import { describe, expect, it } from 'vitest';
import { classifyAddress, parseIpAddress, parseIpv4, parseIpv6 } from './ip-address.ts';
import { checkUrl, UrlRefusedError } from './url-policy.ts';

/** `allowed`, or the refusal reason and (for addresses) the category named in the message. */
type Expected = 'allowed' | [reason: string, category?: string];

const TABLE: [url: string, expected: Expected][] = [
  ['http://example.com/docs', 'allowed'],
  ['https://example.com:8443/a?b=c', 'allowed'],
  ['https://93.184.216.34/', 'allowed'],
  ['http://172.32.0.1/', 'allowed'],
  ['http://100.128.0.1/', 'allowed'],
  ['http://[2606:4700:4700::1111]/', 'allowed'],
  ['http://[::ffff:8.8.8.8]/', 'allowed'],
  // Schemes, credentials, ports.
  ['ftp://example.com/file', ['scheme']],
  ['file:///etc/passwd', ['scheme']],
  ['gopher://example.com:70/', ['scheme']],
  ['javascript:alert(1)', ['scheme']],
  ['data:text/html,hi', ['scheme']],
  ['not a url', ['invalid-url']],
  ['http://user:secret@example.com/', ['credentials']],
  ['http://example.com:22/', ['port']],
  ['http://example.com:25/', ['port']],
  // Loopback in every spelling.
  ['http://127.0.0.1/', ['address', 'loopback']],
  ['http://127.0.0.1./', ['address', 'loopback']],
  ['http://127.1/', ['address', 'loopback']],
  ['http://2130706433/', ['address', 'loopback']],
  ['http://0x7f000001/', ['address', 'loopback']],
  ['http://017700000001/', ['address', 'loopback']],
  ['http://0177.0.0.1/', ['address', 'loopback']],
  ['http://0x7f.0.0.1/', ['address', 'loopback']],
  ['http://[::1]/', ['address', 'loopback']],
  ['http://[0:0:0:0:0:0:0:1]/', ['address', 'loopback']],
  ['http://localhost/', ['hostname']],
  ['http://LOCALHOST./', ['hostname']],
  ['http://api.localhost/', ['hostname']],
  // Metadata services, directly and disguised.
  ['http://169.254.169.254/latest/meta-data/', ['address', 'metadata']],
  ['http://2852039166/', ['address', 'metadata']],
  ['http://0xa9fea9fe/', ['address', 'metadata']],
  ['http://0251.0376.0251.0376/', ['address', 'metadata']],
  ['http://0xa9.0xfe.0xa9.0xfe/', ['address', 'metadata']],
  ['http://169.254.43518/', ['address', 'metadata']],
  ['http://169.254.170.2/v2/credentials', ['address', 'metadata']],
  ['http://100.100.100.200/', ['address', 'metadata']],
  ['http://[fd00:ec2::254]/', ['address', 'metadata']],
  ['http://[::ffff:169.254.169.254]/', ['address', 'metadata']],
  ['http://[::ffff:a9fe:a9fe]/', ['address', 'metadata']],
  ['http://[0:0:0:0:0:ffff:a9fe:a9fe]/', ['address', 'metadata']],
  ['http://[2002:a9fe:a9fe::]/', ['address', 'metadata']],
  ['http://[64:ff9b::a9fe:a9fe]/', ['address', 'metadata']],
  ['http://[64:ff9b::169.254.169.254]/', ['address', 'metadata']],
  ['http://metadata.google.internal/computeMetadata/v1/', ['hostname']],
  ['http://metadata/', ['hostname']],
  // Private, shared and special-purpose ranges.
  ['http://0.0.0.0/', ['address', 'this-network']],
  ['http://0/', ['address', 'this-network']],
  ['http://10.0.0.1/', ['address', 'private']],
  ['http://10.255.255.255/', ['address', 'private']],
  ['http://172.16.0.1/', ['address', 'private']],
  ['http://172.31.255.255/', ['address', 'private']],
  ['http://192.168.1.1/', ['address', 'private']],
  ['http://3232235777/', ['address', 'private']],
  ['http://100.64.0.1/', ['address', 'cgnat']],
  ['http://100.127.255.254/', ['address', 'cgnat']],
  ['http://169.254.1.1/', ['address', 'link-local']],
  ['http://192.0.0.170/', ['address', 'protocol-assignments']],
  ['http://192.0.2.1/', ['address', 'documentation']],
  ['http://198.51.100.7/', ['address', 'documentation']],
  ['http://203.0.113.9/', ['address', 'documentation']],
  ['http://192.88.99.1/', ['address', '6to4-relay']],
  ['http://198.18.0.1/', ['address', 'benchmarking']],
  ['http://224.0.0.1/', ['address', 'multicast']],
  ['http://239.255.255.250/', ['address', 'multicast']],
  ['http://240.0.0.1/', ['address', 'reserved']],
  ['http://255.255.255.255/', ['address', 'broadcast']],
  // IPv6 special ranges and IPv4 embeddings.
  ['http://[::]/', ['address', 'unspecified']],
  ['http://[::ffff:127.0.0.1]/', ['address', 'loopback']],
  ['http://[::ffff:10.1.2.3]/', ['address', 'private']],
  ['http://[::127.0.0.1]/', ['address', 'ipv4-compatible']],
  ['http://[::169.254.169.254]/', ['address', 'ipv4-compatible']],
  ['http://[2002:7f00:1::]/', ['address', 'loopback']],
  ['http://[2002:c0a8:101::1]/', ['address', 'private']],
  ['http://[64:ff9b::7f00:1]/', ['address', 'loopback']],
  ['http://[64:ff9b:1::a00:1]/', ['address', 'nat64-local']],
  ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', ['address', 'teredo']],
  ['http://[2001:db8::1]/', ['address', 'documentation']],
  ['http://[2001:10::1]/', ['address', 'protocol-assignments']],
  ['http://[100::1]/', ['address', 'discard']],
  ['http://[fc00::1]/', ['address', 'unique-local']],
  ['http://[fd12:3456::1]/', ['address', 'unique-local']],
  ['http://[fe80::1]/', ['address', 'link-local']],
  ['http://[febf::1]/', ['address', 'link-local']],
  ['http://[fec0::1]/', ['address', 'site-local']],
  ['http://[ff02::1]/', ['address', 'multicast']],
  ['http://[4000::1]/', ['address', 'reserved']],
  // Internal names.
  ['http://intranet/', ['hostname']],
  ['http://printer.local/', ['hostname']],
  ['http://db.internal/', ['hostname']],
  ['http://router.home.arpa/', ['hostname']],
];

function outcome(url: string, allowLoopback = false): Expected {
  try {
    checkUrl(url, { allowLoopback });
    return 'allowed';
  } catch (error) {
    if (!(error instanceof UrlRefusedError)) throw error;
    const category = /is an? ([a-z0-9-]+) address/.exec(error.message)?.[1];
    return category ? [error.reason, category] : [error.reason];
  }
}

describe('SSRF guard: checkUrl', () => {
  it.each(TABLE)('%s → %j', (url, expected) => {
    expect(outcome(url)).toEqual(expected);
  });

  it('lets loopback through only when explicitly allowed, and nothing else with it', () => {
    for (const url of [
      'http://127.0.0.1:8080/',
      'http://localhost:3000/x',
      'http://[::1]:9000/',
      'http://127.1/',
    ]) {
      expect(outcome(url, true), url).toBe('allowed');
      expect(outcome(url, false), url).not.toBe('allowed');
    }
    for (const url of [
      'http://169.254.169.254/',
      'http://2852039166/',
      'http://10.0.0.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://[2002:7f00:1::]/',
      'http://[fd00:ec2::254]/',
    ]) {
      expect(outcome(url, true), url).not.toBe('allowed');
    }
  });

  it('names the embedded IPv4 address in the refusal message', () => {
    expect(() => checkUrl('http://[2002:a9fe:a9fe::]/')).toThrow(/carries 169\.254\.169\.254, 6to4 form/);
  });
});

describe('IP literal parsing', () => {
  it.each([
    ['127.0.0.1', [127, 0, 0, 1]],
    ['2852039166', [169, 254, 169, 254]],
    ['0xA9FEA9FE', [169, 254, 169, 254]],
    ['0251.0376.0251.0376', [169, 254, 169, 254]],
    ['10.1', [10, 0, 0, 1]],
    ['10.1.258', [10, 1, 1, 2]],
    ['0x', [0, 0, 0, 0]],
    ['1.2.3.4.', [1, 2, 3, 4]],
  ])('reads IPv4 %s', (text, bytes) => {
    expect([...(parseIpv4(text) ?? [])]).toEqual(bytes);
  });

  it.each([
    '256.0.0.1',
    '1.2.3.4.5',
    '4294967296',
    '1.2.65536',
    '08.0.0.1',
    '1..2.3',
    '',
    'example.com',
    '0xg1',
  ])('rejects IPv4 %j', (text) => {
    expect(parseIpv4(text)).toBeNull();
  });

  it('reads IPv6 with compression, brackets and a dotted tail; rejects malformed and zoned forms', () => {
    expect(parseIpv6('[::1]')?.at(15)).toBe(1);
    expect([...(parseIpv6('::ffff:1.2.3.4') ?? []).slice(10)]).toEqual([255, 255, 1, 2, 3, 4]);
    for (const bad of [
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      'fe80::1%eth0',
      '12345::',
      ':::',
      '1:2:3:4:5:6:7',
      '::1.2.3',
    ]) {
      expect(parseIpv6(bad), bad).toBeNull();
    }
  });

  it('classifies the IPv4 inside mapped, NAT64 and 6to4 addresses, and trusts global unicast only', () => {
    const classify = (text: string) => {
      const address = parseIpAddress(text);
      if (!address) throw new Error(text);
      return classifyAddress(address);
    };
    expect(classify('::ffff:192.168.0.1')).toEqual({
      category: 'private',
      embedded: { via: 'ipv4-mapped', address: '192.168.0.1' },
    });
    expect(classify('64:ff9b::a00:1').embedded).toEqual({ via: 'nat64', address: '10.0.0.1' });
    expect(classify('2a00:1450:4001::1').category).toBe('public');
    expect(classify('8000::1').category).toBe('reserved');
  });
});
