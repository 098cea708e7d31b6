// IPv4 and MAC arithmetic for the spec: parsing, subnets, derived addresses.
import { createHash } from 'node:crypto';

export interface Cidr {
  address: string;
  prefix: number;
}

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    // No leading zeros: ip(8) and inet_aton read 010 as octal 8, this parser would read 10.
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText = ''] = text.split('/');
  const prefix = Number(prefixText);
  if (parseIpv4(address) === undefined || !/^(0|[1-9]\d?)$/.test(prefixText) || prefix > 32) return undefined;
  return { address, prefix };
}

export function subnetOf(cidr: Cidr): { network: number; broadcast: number } {
  const size = 2 ** (32 - cidr.prefix);
  const network = Math.floor(parseIpv4(cidr.address)! / size) * size;
  return { network, broadcast: network + size - 1 };
}

export function inSubnet(address: string, cidr: Cidr): boolean {
  const value = parseIpv4(address);
  const { network, broadcast } = subnetOf(cidr);
  return value !== undefined && value >= network && value <= broadcast;
}

/** The lab namespace's side of a NIC's own wire: the subnet's first usable address the guest does not have. */
export function defaultLabnsIp(guest: Cidr): string {
  const { network } = subnetOf(guest);
  const first = network + 1;
  return formatIpv4(first === parseIpv4(guest.address) ? first + 1 : first);
}

/** A stable, locally administered-looking QEMU MAC (52:54:00 is QEMU's prefix) derived from a name. */
export function derivedMac(seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  return ['52', '54', '00', ...[0, 1, 2].map((i) => digest[i]!.toString(16).padStart(2, '0'))].join(':');
}

export function isUnicastMac(mac: string): boolean {
  const first = parseInt(mac.slice(0, 2), 16);
  return (first & 1) === 0 && mac !== '00:00:00:00:00:00';
}
