import fc from 'fast-check';
import { checkUrlTarget, isForbiddenAddress, isLocalHostName } from '../../../functions/core/url-policy.ts';

describe('isForbiddenAddress', () => {
  it.each([
    ['127.0.0.1', 'IPv4 loopback'],
    ['127.1.2.3', 'IPv4 loopback range'],
    ['127.255.255.255', 'IPv4 loopback range, last'],
    ['10.0.0.1', 'private 10/8'],
    ['10.255.255.255', 'private 10/8, last'],
    ['172.16.0.1', 'private 172.16/12, first'],
    ['172.20.10.5', 'private 172.16/12'],
    ['172.31.255.255', 'private 172.16/12, last'],
    ['192.168.0.1', 'private 192.168/16'],
    ['192.168.255.254', 'private 192.168/16'],
    ['169.254.169.254', 'instance metadata'],
    ['169.254.0.1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT, last'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this network'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast (SSDP)'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['0:0:0:0:0:0:0:1', 'IPv6 loopback, long form'],
    ['fe80::1', 'IPv6 link-local'],
    ['fe80::1%eth0', 'IPv6 link-local with zone'],
    ['febf:ffff::1', 'IPv6 link-local, last /10'],
    ['fc00::1', 'unique local fc00::/7'],
    ['fd12::1', 'unique local fd00::/8'],
    ['FD12:3456::1', 'unique local, upper case'],
    ['ff02::1', 'IPv6 multicast'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:0.0.0.0', 'IPv4-mapped unspecified'],
    ['0:0:0:0:0:ffff:c0a8:1', 'IPv4-mapped private, long form'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of 169.254.169.254'],
    ['64:ff9b::127.0.0.1', 'NAT64 of loopback, dotted'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['2002:a9fe:a9fe::1', '6to4 of metadata'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['::10.1.2.3', 'IPv4-compatible private'],
  ])('refuses %s (%s)', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1',
    '172.15.255.255',
    '100.128.0.1',
    '100.63.255.255',
    '169.253.255.255',
    '192.169.0.1',
    '11.0.0.1',
    '126.255.255.255',
    '128.0.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows the public %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it.each([
    '',
    'localhost',
    'example.com',
    '256.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.4 ',
    '::1::1',
    '1:2:3:4:5:6:7:8:9',
    'gggg::1',
    '[::1]',
    '12345::1',
    '0x7f.0.0.1',
    '2130706433',
  ])('refuses the non-address %j', (text) => {
    expect(isForbiddenAddress(text)).toBe(true);
  });

  it('refuses every address in 127/8, 10/8, 192.168/16 and 172.16/12', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(
        fc.constantFrom('127', '10', '192.168', '172.16', '172.23', '172.31'),
        octet,
        octet,
        octet,
        (prefix, a, b, c) => {
          const rest = [a, b, c].slice(0, 4 - prefix.split('.').length);
          const address = [prefix, ...rest].join('.');
          expect(isForbiddenAddress(address)).toBe(true);
          expect(isForbiddenAddress(`::ffff:${address}`)).toBe(true);
        },
      ),
    );
  });

  it('treats an IPv4-mapped address exactly like the IPv4 address it maps', () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        expect(isForbiddenAddress(`::ffff:${address}`)).toBe(isForbiddenAddress(address));
      }),
    );
  });

  it('gives every spelling of one IPv6 address the same answer (compressed, padded, upper case, zone, dotted tail)', () => {
    // Values near the ranges that matter (and public ones), so that a misparse changes the answer.
    const networks = [
      0n, // ::/96 (IPv4-compatible) and ::1
      0xffffn << 32n, // ::ffff:0:0/96 IPv4-mapped
      0xffff0000n << 32n, // ::ffff:0:0:0/96 IPv4-translated
      0x0064ff9bn << 96n, // 64:ff9b::/96 NAT64
      0x2002n << 112n, // 2002::/16 6to4
      0xfc00n << 112n, // fc00::/7 unique local
      0xfe80n << 112n, // fe80::/10 link-local
      0xff02n << 112n, // ff00::/8 multicast
      0x20010db8n << 96n, // 2001:db8::/32 documentation
      0x26064700n << 96n, // 2606:4700::/32 public
      0x2a001450n << 96n, // 2a00:1450::/32 public
    ];
    const lowBits = fc.oneof(
      fc.bigInt({ min: 0n, max: 0xffffffffn }), // the embedded IPv4 part only
      fc.bigInt({ min: 0n, max: (1n << 96n) - 1n }),
      fc.constantFrom(1n, 0x0a000001n, 0x7f000001n, 0xc0a80001n, 0x08080808n, 0xa9fea9fen),
    );
    const groups = (value: bigint) =>
      Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
    fc.assert(
      fc.property(fc.constantFrom(...networks), lowBits, fc.boolean(), (network, low, sixToFour) => {
        const value = sixToFour ? (0x2002n << 112n) | ((low & 0xffffffffn) << 80n) : network | low;
        const g = groups(value);
        const padded = g.map((n) => n.toString(16).padStart(4, '0')).join(':');
        const canonical = new URL(`http://[${padded}]/`).hostname.slice(1, -1);
        const low32 = value & 0xffffffffn;
        const dotted = `${g
          .slice(0, 6)
          .map((n) => n.toString(16))
          .join(':')}:${[24n, 16n, 8n, 0n].map((shift) => (low32 >> shift) & 0xffn).join('.')}`;
        const answer = isForbiddenAddress(padded);
        for (const form of [canonical, canonical.toUpperCase(), `${canonical}%eth0`, dotted]) {
          expect([form, isForbiddenAddress(form)]).toEqual([form, answer]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['::ffff:10.0.0.1', true],
    ['::ffff:8.8.8.8', false],
    ['::ffff:0:8.8.8.8', false],
    ['::ffff:0:10.0.0.1', true],
    ['64:ff9b::8.8.8.8', false],
    ['64:ff9b::192.168.0.1', true],
    ['2002:0808:0808::1', false],
    ['2002:0a00:0001::1', true],
    ['2002:c0a8:0101::', true],
    ['::8.8.8.8', false],
    ['::10.0.0.1', true],
    ['::', true],
    ['::1', true],
    ['::0.0.0.0', true],
    ['2606:4700:4700::1111', false],
    ['2606:4700:4700:0:0:0:0:1111', false],
    ['fe80::1%eth0', true],
    ['2606:4700::1%eth0', false],
    ['FC00::1', true],
    ['2001:DB8::1', true],
  ])('answers %j with %j', (address, forbidden) => {
    expect(isForbiddenAddress(address)).toBe(forbidden);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), (text) => {
        expect(typeof isForbiddenAddress(text)).toBe('boolean');
      }),
    );
  });
});

describe('isLocalHostName', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'a.b.localhost.'])(
    '%s is local',
    (host) => {
      expect(isLocalHostName(host)).toBe(true);
    },
  );

  it.each(['localhost.example.com', 'mylocalhost', 'example.com', 'notlocalhost'])(
    '%s is not local',
    (host) => {
      expect(isLocalHostName(host)).toBe(false);
    },
  );
});

describe('checkUrlTarget', () => {
  const check = (url: string, allowPrivateTargets = false) =>
    checkUrlTarget(new URL(url), allowPrivateTargets);

  it.each([
    'https://localhost/hook',
    'https://LOCALHOST:8443/',
    'https://api.localhost/',
    'https://localhost./',
  ])('refuses the local name in %s', (url) => {
    expect(check(url)).toBe('url must not point at this machine');
  });

  it.each([
    'https://127.0.0.1/hook',
    'https://10.1.2.3/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/',
    'https://[fe80::1]:8443/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:7f00:1]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://0.0.0.0/',
    // WHATWG URL parsing normalises these to 127.0.0.1 before the check.
    'https://2130706433/',
    'https://0x7f.1/',
    'https://127.1/',
  ])('refuses the forbidden IP literal in %s', (url) => {
    expect(check(url)).toBe('url must not point at a private, loopback or reserved address');
  });

  it.each([
    'https://example.com/hook',
    'https://8.8.8.8/hook',
    'https://[2606:4700:4700::1111]/hook',
    'https://[::ffff:8.8.8.8]/',
    // A name is checked at connect time, after DNS, not here.
    'https://internal.corp.example/',
  ])('allows %s', (url) => {
    expect(check(url)).toBeNull();
  });

  it.each([
    ['https://127.0.0.1:4443/webhooks', 'url must not point at a private, loopback or reserved address'],
    ['https://localhost:4443/', 'url must not point at this machine'],
  ])(
    'on the local stack the refusal of %s names the switch that allows it, and no address',
    (url, reason) => {
      expect(checkUrlTarget(new URL(url), false, true)).toBe(
        `${reason} (the local stack allows it when started with ENCRATA_ALLOW_PRIVATE_TARGETS=1)`,
      );
      expect(checkUrlTarget(new URL(url), false, false)).toBe(reason);
      expect(checkUrlTarget(new URL(url), true, true)).toBeNull();
    },
  );

  it('allows everything when private targets are allowed (local development)', () => {
    expect(check('https://localhost/', true)).toBeNull();
    expect(check('https://127.0.0.1:8443/', true)).toBeNull();
    expect(check('https://[::1]/', true)).toBeNull();
    expect(check('https://169.254.169.254/', true)).toBeNull();
  });
});
