// The lab namespace as a tester, like a node's (TesterHost): the checks run in it, with this host's
// own l2probe, from the far end of an app NIC's own wire.
import { join } from 'node:path';
import { nativeBuildDir } from '../host/native-build.js';
import { inNamespace } from '../host/exec.js';
import type { LabPaths } from '../layout.js';
import type { TesterHost } from '../nodes/node.js';

export function openLabnsTester(paths: LabPaths): TesterHost {
  return {
    exec: inNamespace(paths.netns),
    l2probe: join(nativeBuildDir(), 'l2probe'),
    ifname: (n) => n.labnsIf,
    close: () => undefined,
  };
}
