// Lab → QEMU argv for one VM. Pure: the profile data and every path come in as arguments.
import type { Node } from '../config/lab.js';
import { derivedMac } from '../config/net.js';
import { DPDK_DISK_SERIAL } from '../layout.js';

export interface QemuProfiles {
  binary: string;
  accel: Record<'tcg' | 'kvm', { accel: string; cpu: string }>;
  machine: Record<
    'iommu' | 'plain',
    {
      type: string;
      kvm_machine_options: string[];
      iommu_device: string;
      kvm_iommu_options: string[];
      kernel_args: string[];
      nic_options: string[];
    }
  >;
  kernel_args: string[];
  nic: { device: string; rss_options: string[] };
  sandbox: { options: string };
  management: { device: string };
  /** The machine the accelerator probe boots. */
  probe_machine: string;
  /** The UEFI firmware a disk boots through (its own loader), where QEMU's default firmware is not it; empty: the default. */
  firmware: string;
}

export interface BootFiles {
  /** The VM's copy-on-write overlay. */
  disk: string;
  /** The cloud-init NoCloud seed (an ISO labelled cidata). */
  seed: string;
  /** Direct kernel boot, when the image provides a kernel (the offline Debian image does). */
  kernel?: string;
  initrd?: string;
  /** The host's cached DPDK build, a tar the guest installs instead of building (lab-install-dpdk). */
  dpdkBuild?: string;
}

export interface QemuRuntime {
  lab: string;
  accel: Accel;
  sshPort: number;
  boot: BootFiles;
  qmp: string;
  serial: string;
  pidfile: string;
  daemonize: boolean;
  /** The user QEMU drops to once its files and taps are open (-runas); absent when lab itself is not root. */
  runAs?: string;
}

export type Accel = 'tcg' | 'kvm';

/** What every QEMU lab starts has in common: accelerator, machine, CPUs and memory, no default devices, no reboot. */
function machineArgs(profiles: QemuProfiles, accel: Accel, machine: string, cpus: number, memoryMiB: number): string[] {
  const a = profiles.accel[accel];
  return [
    '-machine',
    machine,
    '-accel',
    a.accel,
    '-cpu',
    a.cpu,
    '-smp',
    String(cpus),
    '-m',
    `${memoryMiB}M`,
    '-nodefaults',
    '-display',
    'none',
    '-no-reboot',
  ];
}

function machineOf(
  node: Pick<Node, 'iommu'>,
  profiles: QemuProfiles,
  accel: Accel,
): { profile: QemuProfiles['machine']['iommu']; arg: string } {
  const profile = profiles.machine[node.iommu ? 'iommu' : 'plain'];
  return { profile, arg: [profile.type, ...(accel === 'kvm' ? profile.kvm_machine_options : [])].join(',') };
}

/** The kernel command line of a guest lab boots by its kernel: with the virtual IOMMU's arguments where it has one. */
export function guestKernelArgs(profiles: QemuProfiles, node: Pick<Node, 'iommu'>): string[] {
  return [...profiles.kernel_args, ...profiles.machine[node.iommu ? 'iommu' : 'plain'].kernel_args];
}

export function qemuArgv(node: Node, rt: QemuRuntime, profiles: QemuProfiles): string[] {
  const { profile: machine, arg: machineArg } = machineOf(node, profiles, rt.accel);
  const kvm = rt.accel === 'kvm';
  const argv = [
    profiles.binary,
    // The name on the command line only: the process keeps QEMU's own, so ps -C and top show it as QEMU.
    '-name',
    `lab-${rt.lab}-${node.name}`,
    ...machineArgs(profiles, rt.accel, machineArg, node.cpus, node.memoryMiB),
    '-serial',
    `file:${rt.serial}`,
    '-qmp',
    `unix:${rt.qmp},server=on,wait=off`,
    '-pidfile',
    rt.pidfile,
    '-drive',
    `file=${rt.boot.disk},if=virtio,format=qcow2,discard=unmap`,
    '-drive',
    `file=${rt.boot.seed},if=virtio,format=raw,readonly=on`,
    // A serial number the guest finds it by (/dev/disk/by-id/virtio-lab-dpdk): QEMU takes it on the device, not the drive.
    ...(rt.boot.dpdkBuild
      ? [
          '-drive',
          `file=${rt.boot.dpdkBuild},if=none,id=labdpdk,format=raw,readonly=on`,
          '-device',
          `virtio-blk-pci,drive=labdpdk,id=labdpdk-dev,serial=${DPDK_DISK_SERIAL}`,
        ]
      : []),
    ...kernelArgs(rt.boot, guestKernelArgs(profiles, node)),
    ...firmwareArgs(profiles, rt.boot),
    // The IOMMU must exist before the devices it translates for.
    ...(machine.iommu_device
      ? ['-device', [machine.iommu_device, ...(kvm ? machine.kvm_iommu_options : [])].join(',')]
      : []),
    '-netdev',
    `user,id=mgmt,hostfwd=tcp:127.0.0.1:${rt.sshPort}-:22`,
    '-device',
    `${profiles.management.device},netdev=mgmt,mac=${managementMac(rt.lab, node.name)}`,
    ...node.nics.flatMap((nic) => [
      '-netdev',
      `tap,id=${nic.name},ifname=${nic.labnsIf},script=no,downscript=no,queues=${nic.queues},vhost=off`,
      '-device',
      [
        profiles.nic.device,
        `netdev=${nic.name}`,
        `id=${nic.name}-dev`,
        `mac=${nic.mac}`,
        'mq=on',
        `vectors=${nic.vectors}`,
        ...(nic.rss ? profiles.nic.rss_options : []),
        ...machine.nic_options,
      ].join(','),
    ]),
    // Root only while opening its disks, sockets and taps; then the dedicated user, under seccomp.
    ...(rt.runAs ? ['-runas', rt.runAs] : []),
    '-sandbox',
    profiles.sandbox.options,
    ...(rt.daemonize ? ['-daemonize'] : []),
  ];
  return argv;
}

/** What the accelerator probe boots: the guest's kernel, a disk that boots itself, or only the firmware. */
export type ProbeBoot = { kernel: string } | { disk: string } | Record<string, never>;

/** Marks the accelerator probe looks for on its console, any one of them. */
export const PROBE_MARKERS = {
  kernel: ['VFS: Unable to mount root fs'],
  // The kernel handing over to init, or (on a quiet command line) the login prompt after it.
  disk: ['Run /init as init process', 'Run /sbin/init as init process', 'login:'],
  // SeaBIOS, or UEFI's boot manager finding nothing to boot.
  firmware: ['No bootable device.', 'BdsDxe: No bootable option'],
} as const;

/**
 * The accelerator probe's guest: the image's kernel with no root, so its whole init runs and ends in
 * a panic that QEMU turns into an exit; a downloaded image's own disk, read-only (QEMU keeps the
 * writes in a temporary overlay), through its boot loader into init; without either, only the
 * firmware on its debug console.
 */
export function accelProbeArgv(profiles: QemuProfiles, accel: Accel, boot: ProbeBoot, runAs?: string): string[] {
  const head = (memoryMiB: number) => [
    profiles.binary,
    ...machineArgs(profiles, accel, profiles.probe_machine, 1, memoryMiB),
    ...(runAs ? ['-runas', runAs] : []),
    '-sandbox',
    profiles.sandbox.options,
  ];
  if ('kernel' in boot)
    return [
      ...head(256),
      '-serial',
      'stdio',
      '-kernel',
      boot.kernel,
      '-append',
      // The console lab's own command line names (ttyS0, ttyAMA0).
      [profiles.kernel_args.find((a) => a.startsWith('console=')) ?? 'console=ttyS0', 'panic=-1'].join(' '),
    ];
  if ('disk' in boot)
    return [
      ...head(512),
      '-serial',
      'stdio',
      '-drive',
      `file=${boot.disk},if=virtio,format=qcow2,snapshot=on`,
      ...firmwareArgs(profiles, {}),
    ];
  // UEFI says what it does on the serial console; SeaBIOS on its debug port.
  if (profiles.firmware) return [...head(256), '-serial', 'stdio', ...firmwareArgs(profiles, {})];
  return [...head(256), '-chardev', 'stdio,id=dbg', '-device', 'isa-debugcon,iobase=0x402,chardev=dbg'];
}

/** A VM's machine booted bare for the boot benchmark: the same kernel, disk, CPUs and memory, no seed and no data-plane NIC. */
export function bareBootArgv(
  node: Node,
  profiles: QemuProfiles,
  accel: Accel,
  boot: Required<Pick<BootFiles, 'disk' | 'kernel' | 'initrd'>>,
): string[] {
  return [
    profiles.binary,
    ...machineArgs(profiles, accel, machineOf(node, profiles, accel).arg, node.cpus, node.memoryMiB),
    '-serial',
    'stdio',
    '-drive',
    `file=${boot.disk},if=virtio,format=qcow2`,
    ...kernelArgs(boot, profiles.kernel_args),
    ...firmwareArgs(profiles, boot),
  ];
}

/** A disk that boots its own loader, through the architecture's UEFI firmware where QEMU's default is not one. */
function firmwareArgs(profiles: QemuProfiles, boot: Pick<BootFiles, 'kernel'>): string[] {
  return profiles.firmware && !boot.kernel ? ['-bios', profiles.firmware] : [];
}

function kernelArgs(boot: Pick<BootFiles, 'kernel' | 'initrd'>, append: string[]): string[] {
  if (!boot.kernel) return [];
  return ['-kernel', boot.kernel, ...(boot.initrd ? ['-initrd', boot.initrd] : []), '-append', append.join(' ')];
}

/** The management NIC's MAC, fixed so cloud-init's network-config can match it. */
export function managementMac(lab: string, node: string): string {
  return derivedMac(`${lab}/${node}/mgmt`);
}
