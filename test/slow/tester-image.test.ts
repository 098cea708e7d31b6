// The tester image the cluster's Job runs, proven as that pod runs it: `lab images tester` builds
// it, umoci unpacks it, and its root runs in a mount namespace of its own (itself a mount, with
// proc, sys, dev and an empty /run, as a container runtime gives it), chrooted with the image's
// environment, inside a running lab's network namespace, which stands for the pod's (Multus's
// interfaces there are the lab's own ends). The image's own lab, on Debian 13's Node.js, runs the
// Job's command with the keys and spec where the Job mounts them: it names that namespace, finds
// the VM over SSH and passes lab test. Behind LAB_SLOW=1: it boots a VM and builds a Debian 13
// root, minutes of the suite's half hour.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodePaths } from '../../src/layout.js';
import { lab, labAsync, ROOT, runAsync } from '../helpers/lab.js';

const SLOW = process.env.LAB_SLOW === '1';
const TIMEOUT = 1_800_000;

describe.runIf(SLOW)('the tester image', () => {
  const work = mkdtempSync(join(tmpdir(), 'lab-tester-'));
  const name = `ti${process.pid % 100000}`;
  const file = join(work, 'lab.yaml');
  const archive = join(work, 'lab-tester.tar');

  beforeAll(() => {
    writeFileSync(
      file,
      readFileSync(join(ROOT, 'lab.yaml'), 'utf8')
        .replace(/^name: .*/m, `name: ${name}`)
        // The guest as KubeVirt runs it: no virtual IOMMU, uio_pci_generic.
        .replace(/os_driver_for_dpdk: vfio-pci.*/, 'os_driver_for_dpdk: uio_pci_generic'),
    );
  });

  afterAll(() => {
    lab(['down', '-f', file, '--purge']);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    "lab images tester writes an OCI archive skopeo reads, tagged with lab's version",
    async () => {
      const r = await labAsync(['images', 'tester', '--out', archive, '--json'], ROOT, TIMEOUT);
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const made = JSON.parse(r.stdout) as { file: string; tag: string; reference: string; bytes: number };
      const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
      expect(made).toMatchObject({ file: archive, tag: version, reference: `localhost/lab-tester:${version}` });
      const inspect = JSON.parse(
        execFileSync('skopeo', ['inspect', `oci-archive:${archive}:${version}`], { encoding: 'utf8' }),
      ) as { Architecture: string; Env: string[] };
      expect(inspect.Architecture, "this host's architecture, Debian's name").toBe(
        process.arch === 'x64' ? 'amd64' : process.arch,
      );
      expect(inspect.Env).toContain('XDG_CACHE_HOME=/var/cache');
      console.log(`tester image: ${(made.bytes / 2 ** 20).toFixed(0)} MiB`);
    },
    TIMEOUT,
  );

  it(
    "its own lab, in a container's root inside the lab namespace, runs the Job's lab test on a VM it did not start",
    async () => {
      expect(existsSync(archive), 'the image above was built').toBe(true);
      const up = await labAsync(['up', '-f', file], ROOT, TIMEOUT);
      expect(up.status, `${up.stdout}\n${up.stderr}`).toBe(0);
      const { sshPort } = (
        JSON.parse(lab(['status', '-f', file, '--json']).stdout) as { nodes: Array<{ sshPort: number }> }
      ).nodes[0]!;
      const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
      const layout = join(work, 'layout');
      const bundle = join(work, 'bundle');
      mkdirSync(layout);
      execFileSync('tar', ['-xf', archive, '-C', layout]);
      execFileSync('umoci', ['unpack', '--image', `${layout}:${version}`, bundle]);
      const root = join(bundle, 'rootfs');
      const env = (JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { env: string[] } })
        .process.env;
      // Mounted as the Job mounts them: the spec from its ConfigMap, the keys from lab-keys.
      mkdirSync(join(root, 'etc/lab/spec'), { recursive: true });
      copyFileSync(file, join(root, 'etc/lab/spec/lab.yaml'));
      const state = join(work, '.lab', name);
      const keys = join(root, 'etc/lab/keys');
      for (const f of ['id_ed25519', 'id_ed25519.pub', nodePaths('', 'dut').hostPub]) {
        mkdirSync(join(keys, f, '..'), { recursive: true });
        copyFileSync(join(state, f), join(keys, f));
      }
      // The Job's command, with the VM's address here (QEMU's forward) in place of dut.lab:22.
      const job = `lab test -f /etc/lab/spec/lab.yaml --target kubevirt --keys /etc/lab/keys --address dut=127.0.0.1:${sshPort} --junit /junit.xml --json > /report.json`;
      const container = [
        'mount --make-rprivate /',
        // Its root a mount point, as a runtime's is: ip -n remounts / in a namespace of its own.
        `mount --bind ${root} ${root}`,
        `mount -t proc proc ${root}/proc`,
        `mount --rbind /sys ${root}/sys`,
        `mount --rbind /dev ${root}/dev`,
        `mount -t tmpfs tmpfs ${root}/run`,
        `mount -t tmpfs tmpfs ${root}/tmp`,
        // With the image's own environment, as a runtime gives it.
        `exec chroot ${root} /usr/bin/env -i ${env.join(' ')} /bin/sh -c '${job}'`,
      ].join(' && ');
      const r = await runAsync(
        ['ip', 'netns', 'exec', `lab-${name}`, 'unshare', '--mount', '--fork', 'sh', '-c', container],
        ROOT,
        TIMEOUT,
      );
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as {
        counts: { passed: number; failed: number };
      };
      expect(report.counts).toMatchObject({ passed: 9, failed: 0 });
      expect(r.stderr, 'the namespace it runs in was named for the lab, as in a pod').toContain(
        "name this pod's network namespace",
      );
      expect(readFileSync(join(root, 'junit.xml'), 'utf8')).toContain('<testsuites');
      // The VM and its lab are as they were.
      const status = JSON.parse(lab(['status', '-f', file, '--json']).stdout) as { nodes: Array<{ state: string }> };
      expect(status.nodes[0]!.state).toBe('running');
      expect(existsSync(`/run/netns/lab-${name}`)).toBe(true);
    },
    TIMEOUT,
  );
});
