// The provisioned snapshot's key: what it was made from, so a changed lab boots cold. Pure.
import { describe, expect, it } from 'vitest';
import { restoreArgv, snapshotKey, type SnapshotSources } from '../../src/nodes/qemu/snapshot.js';

const sources: SnapshotSources = {
  argv: ['qemu-system-x86_64', '-m', '2048M', '-netdev', 'user,id=mgmt,hostfwd=tcp:127.0.0.1:2222-:22', '-daemonize'],
  sshPort: 2222,
  image: '/root/.cache/lab/images/debian-abc',
  userData: '#cloud-config\nwrite_files: []\n',
  metaData: 'instance-id: dut\n',
  networkConfig: 'version: 2\n',
};

describe('the provisioned snapshot', () => {
  it('keeps its key when only the SSH port differs: a VM may get another port', () => {
    const moved = { ...sources, sshPort: 2223, argv: sources.argv.map((a) => a.replace(':2222-', ':2223-')) };
    expect(snapshotKey(moved)).toBe(snapshotKey(sources));
  });

  it('changes its key with the image, the QEMU command line, or any seed document (user-data carries the native sources)', () => {
    const key = snapshotKey(sources);
    const changed: SnapshotSources[] = [
      { ...sources, image: '/root/.cache/lab/images/debian-def' },
      { ...sources, argv: sources.argv.map((a) => (a === '2048M' ? '4096M' : a)) },
      { ...sources, userData: `${sources.userData}# an edited l2_multi_echo.c\n` },
      { ...sources, metaData: 'instance-id: dut2\n' },
      { ...sources, networkConfig: 'version: 2\nethernets: {}\n' },
    ];
    for (const c of changed) expect(snapshotKey(c)).not.toBe(key);
  });

  it('is loaded by the same command line with -loadvm and its tag', () => {
    expect(restoreArgv(sources.argv).slice(-2)).toEqual(['-loadvm', 'lab-provisioned']);
  });
});
