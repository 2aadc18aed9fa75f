import { isIP } from 'node:net';

/**
 * Which addresses a delivery may connect to (contract §5). Loopback, private, link-local
 * (169.254.169.254 included), unique-local, multicast, unspecified, reserved and documentation
 * ranges are refused, as are IPv6 forms that embed such an IPv4 address (IPv4-mapped,
 * IPv4-compatible, NAT64, 6to4). Pure: no DNS here; the sender resolves and asks for each address.
 */

type Range = readonly [bigint, number]; // network, prefix length

function ipv4ToInt(address: string): bigint | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

/** Expands an IPv6 address (with an optional dotted IPv4 tail and zone) to a 128-bit integer. */
function ipv6ToInt(address: string): bigint | null {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: bigint | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail = ipv4ToInt(text.slice(lastColon + 1));
    if (tail === null) return null;
    text = `${text.slice(0, lastColon + 1)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (groups.length !== 8) return null;
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

const v4 = (cidr: string): Range => {
  const [net = '', len = '32'] = cidr.split('/');
  return [ipv4ToInt(net) ?? 0n, Number(len)];
};
const v6 = (cidr: string): Range => {
  const [net = '', len = '128'] = cidr.split('/');
  return [ipv6ToInt(net) ?? 0n, Number(len)];
};

const FORBIDDEN_V4: Range[] = [
  '0.0.0.0/8', // "this" network, unspecified
  '10.0.0.0/8', // private
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, including 169.254.169.254 (instance metadata)
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation
  '192.88.99.0/24', // 6to4 relay anycast
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation
  '203.0.113.0/24', // documentation
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, broadcast
].map(v4);

const FORBIDDEN_V6: Range[] = [
  '::/128', // unspecified
  '::1/128', // loopback
  '64:ff9b:1::/48', // local-use IPv4/IPv6 translation (RFC 8215)
  '100::/64', // discard
  '2001:db8::/32', // documentation
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'fec0::/10', // site-local (deprecated)
  'ff00::/8', // multicast
].map(v6);

function inRange(value: bigint, [network, prefix]: Range, bits: number): boolean {
  const shift = BigInt(bits - prefix);
  return value >> shift === network >> shift;
}

function forbiddenV4(value: bigint): boolean {
  return FORBIDDEN_V4.some((range) => inRange(value, range, 32));
}

/** The IPv4 address an IPv6 address stands for, if it embeds one. */
function embeddedIpv4(value: bigint): bigint | null {
  const low32 = value & 0xffffffffn;
  if (value >> 32n === 0xffffn) return low32; // ::ffff:a.b.c.d  IPv4-mapped
  if (value >> 32n === 0xffff0000n) return low32; // ::ffff:0:a.b.c.d  IPv4-translated (RFC 2765)
  if (value >> 32n === 0n) return low32; // ::a.b.c.d  IPv4-compatible (deprecated)
  if (value >> 32n === 0x0064ff9b0000000000000000n) return low32; // 64:ff9b::/96  NAT64
  if (value >> 112n === 0x2002n) return (value >> 80n) & 0xffffffffn; // 2002::/16  6to4
  return null;
}

/** True when a delivery must not connect to `address` (an IPv4 or IPv6 literal). */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address.split('%')[0] ?? '');
  if (family === 4) {
    const value = ipv4ToInt(address);
    return value === null || forbiddenV4(value);
  }
  if (family === 6) {
    const value = ipv6ToInt(address);
    if (value === null) return true;
    if (FORBIDDEN_V6.some((range) => inRange(value, range, 128))) return true;
    const embedded = embeddedIpv4(value);
    return embedded !== null && (embedded === 0n || forbiddenV4(embedded));
  }
  return true; // not an IP address at all: refuse rather than guess
}

/** Host names that always mean this machine. */
export function isLocalHostName(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost');
}

/** What a refusal adds on the local stack, where a switch allows such targets (never said on AWS). */
export const LOCAL_PRIVATE_TARGETS_HINT =
  'the local stack allows it when started with ENCRATA_ALLOW_PRIVATE_TARGETS=1';

/**
 * Checks a webhook URL's host before any DNS: an IP literal must be allowed, and `localhost`
 * names are refused. Returns a reason, or null when the URL may be tried. `localStack` adds which
 * switch allows it (the local stack's newcomer would otherwise hit a dead end); the reason never
 * names a resolved address.
 */
export function checkUrlTarget(url: URL, allowPrivateTargets: boolean, localStack = false): string | null {
  if (allowPrivateTargets) return null;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const hint = localStack ? ` (${LOCAL_PRIVATE_TARGETS_HINT})` : '';
  if (isLocalHostName(host)) return `url must not point at this machine${hint}`;
  if (isIP(host) && isForbiddenAddress(host))
    return `url must not point at a private, loopback or reserved address${hint}`;
  return null;
}
