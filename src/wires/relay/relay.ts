// An impaired wire (a link or network with `impair`): l2impair in the lab namespace joins its NICs'
// far ends there, bare ports, in place of a veth pair or a bridge. Started once every port is there,
// stopped before the nodes go (process.ts runs and tracks it).
import type { Nic } from '../../config/lab.js';
import type { WireKind } from '../wire.js';
import { missingRelays, staleRelays, startRelays, stopRelays, stopStaleRelays } from './process.js';

function relayOf(nic: Nic): string {
  if (nic.wire.kind !== 'relay') throw new Error(`${nic.node}.${nic.name} is not on a relay`);
  return nic.wire.relay;
}

export const relayWire: WireKind = {
  kind: 'relay',
  describe: (nic) => `a port of relay ${relayOf(nic)} (l2impair) in the lab namespace`,
  farEnd: (labNetns, nic) => [['ip', '-n', labNetns, 'link', 'set', nic.labnsIf, 'up']],
  capturePoint: (ctx, nic) => ({ netns: ctx.paths.netns, ifname: nic.labnsIf }),
  retire: async (ctx) => stopStaleRelays(ctx.lab, ctx.paths),
  connect: startRelays,
  pending: async (ctx) => [
    ...missingRelays(ctx.lab, ctx.paths).map((r) => `relay ${r.name} (${r.label})`),
    ...staleRelays(ctx.lab, ctx.paths).map((name) => `relay ${name}, which the spec no longer has`),
  ],
  remove: (paths) => stopRelays(paths),
};
