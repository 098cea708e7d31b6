// lab's commands on a cluster's VMs (--target kubevirt): the flags they take, the driver a QEMU node
// gets there, and a state made on one target refused by a command on the other.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addressesOf, targetOf } from '../../src/commands/target.js';
import { loadLab } from '../../src/core/load.js';
import { LabError } from '../../src/errors.js';
import { labPaths, nodePaths } from '../../src/layout.js';
import { openContext } from '../../src/nodes/registry.js';
import { quiet } from '../../src/progress.js';
import { newState, writeState, type LabState } from '../../src/state/store.js';
import { ROOT } from '../helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'lab-cluster-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function problem(fn: () => unknown): { code: string; message: string; hint?: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof LabError) return err.problems[0]!;
    throw err;
  }
  throw new Error('no error');
}

describe('--target and --address', () => {
  it('--target is local unless it says kubevirt; a near miss is named', () => {
    expect(targetOf(undefined)).toBe('local');
    expect(targetOf('kubevirt')).toBe('kubevirt');
    expect(problem(() => targetOf('kubvirt'))).toMatchObject({
      code: 'USAGE',
      hint: 'Did you mean --target kubevirt?',
    });
  });

  it('--address is NODE=HOST:PORT, comma-separated; anything else is a usage error', () => {
    expect(addressesOf(undefined)).toBeUndefined();
    expect(addressesOf('dut=10.0.0.5:22, tst=tst.lab:2222')).toEqual({
      dut: { host: '10.0.0.5', port: 22 },
      tst: { host: 'tst.lab', port: 2222 },
    });
    for (const bad of ['dut=10.0.0.5', 'dut=h:0', 'dut=h:65536', 'Dut=h:22', 'dut:22', 'dut=h:22,'])
      expect(problem(() => addressesOf(bad)).code, bad).toBe('USAGE');
  });
});

describe('a QEMU node on the cluster target', () => {
  const dir = join(work, 'lab');
  mkdirSync(dir);
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, readFileSync(join(ROOT, 'lab.yaml'), 'utf8'));

  it('has the driver that reaches a VM the cluster runs: it boots no image, keeps no serial log, cannot reset', async () => {
    const lab = loadLab(file, { target: 'kubevirt' });
    const driver = openContext(lab, quiet).of('qemu');
    expect(driver.bootsImage).toBe(false);
    expect(driver.logSources).toEqual(['cloud-init']);
    expect(driver.hostMemoryMiB(lab.nodes[0]!)).toBe(0);
    await expect(driver.reset(lab.nodes[0]!, undefined)).rejects.toThrow(/virtctl restart/);
    const record = {
      kind: 'qemu',
      startedAt: '2026-12-03T00:00:00.000Z',
      cluster: {
        host: 'dut.lab',
        port: 22,
        nics: [{ name: 'dp0', mac: '', ifname: 'enp1s0', combined: 2, maxCombined: 3 }],
      },
    };
    expect(driver.facts(lab.nodes[0]!, record)).toMatchObject({
      address: 'dut.lab:22',
      guestNics: [{ name: 'dp0', ifname: 'enp1s0', combined: 2 }],
    });
    // The system ssh client, strict about the host key lab render made.
    const hostPub = nodePaths(labPaths(lab).root, 'dut').hostPub;
    mkdirSync(dirname(hostPub), { recursive: true });
    writeFileSync(
      hostPub,
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOsD+h07LrFeCA8uhnGOVWSMeljl0VmTUd4nH0t/uIye dut.echo\n',
    );
    expect(driver.shellArgv(lab.nodes[0]!, record, ['true'])).toEqual(expect.arrayContaining(['lab@dut.lab', '22']));
    expect(readFileSync(labPaths(lab).knownHosts, 'utf8')).toMatch(/^dut\.lab ssh-ed25519 /);
    expect(openContext(loadLab(file), quiet).of('qemu').bootsImage).toBe(true);
  });

  it('a state lab up made on one target is refused by a command on the other, naming the flag', () => {
    const local = loadLab(file);
    const paths = labPaths(local);
    const write = (state: LabState) => {
      mkdirSync(paths.root, { recursive: true });
      writeState(paths, state);
    };
    write({ ...newState(local, paths), target: 'kubevirt' });
    expect(problem(() => openContext(local, quiet).state())).toMatchObject({
      code: 'STATE',
      hint: 'Give this command --target kubevirt too.',
    });
    expect(openContext(loadLab(file, { target: 'kubevirt' }), quiet).state()?.target).toBe('kubevirt');
    write(newState(local, paths));
    expect(problem(() => openContext(loadLab(file, { target: 'kubevirt' }), quiet).state()).code).toBe('STATE');
    expect(openContext(local, quiet).state()?.lab).toBe(local.name);
  });
});
