// A shared network, or a link a node kind cannot take a veth end of: a bridge in the lab namespace
// that each NIC's far end joins as a port. Made before the nodes start, so their ends find it; it
// goes with the lab namespace.
import type { Nic } from '../../config/lab.js';
import { linkExists, runPlan } from '../../host/netns.js';
import type { Argv } from '../../render/hostnet.js';
import type { WireContext, WireKind } from '../wire.js';

function bridgeOf(nic: Nic): string {
  if (nic.wire.kind !== 'bridge') throw new Error(`${nic.node}.${nic.name} is not on a bridge`);
  return nic.wire.bridge;
}

/**
 * A bridge: no STP and no forward delay, so a port forwards at once, and learned MACs kept for an
 * hour (ageing_time is in hundredths of a second), so no echo is flooded to every member after the
 * default five minutes.
 */
export function bridgeCommands(labNetns: string, bridge: string): Argv[] {
  return [
    [
      'ip',
      '-n',
      labNetns,
      'link',
      'add',
      bridge,
      'type',
      'bridge',
      'stp_state',
      '0',
      'forward_delay',
      '0',
      'ageing_time',
      '360000',
    ],
    ['ip', '-n', labNetns, 'link', 'set', bridge, 'up'],
  ];
}

/** The bridges the spec's NICs join. */
export function bridgesOf(nics: readonly Nic[]): string[] {
  return [...new Set(nics.flatMap((n) => (n.wire.kind === 'bridge' ? [n.wire.bridge] : [])))];
}

async function makeBridges(ctx: WireContext): Promise<void> {
  const { lab, paths, reporter } = ctx;
  for (const bridge of bridgesOf(lab.nodes.flatMap((node) => node.nics))) {
    if (await linkExists(paths.netns, bridge)) continue;
    await reporter.step(`bridge ${bridge} in ${paths.netns}`, () => runPlan(bridgeCommands(paths.netns, bridge)));
  }
}

export const bridgeWire: WireKind = {
  kind: 'bridge',
  describe: (nic) => `a port of bridge ${bridgeOf(nic)} in the lab namespace`,
  farEnd: (labNetns, nic) => [['ip', '-n', labNetns, 'link', 'set', nic.labnsIf, 'master', bridgeOf(nic), 'up']],
  capturePoint: (ctx, nic) => ({ netns: ctx.paths.netns, ifname: bridgeOf(nic) }),
  prepare: makeBridges,
};
