// Lab → QEMU argv for one VM. Pure: the profile data and every path come in as arguments.
import type { Vm } from '../config/lab.js';
import { derivedMac } from '../config/net.js';

export interface QemuProfiles {
  binary: string;
  accel: Record<'tcg' | 'kvm', { accel: string; cpu: string }>;
  machine: Record<'iommu' | 'plain', {
    type: string;
    kvm_machine_options: string[];
    iommu_device: string;
    kvm_iommu_options: string[];
    kernel_args: string[];
    nic_options: string[];
  }>;
  kernel_args: string[];
  nic: { device: string; rss_options: string[] };
  management: { device: string };
}

export interface BootFiles {
  /** The VM's copy-on-write overlay. */
  disk: string;
  /** The cloud-init NoCloud seed (an ISO labelled cidata). */
  seed: string;
  /** Direct kernel boot, when the image provides a kernel (the offline Debian image does). */
  kernel?: string;
  initrd?: string;
}

export interface QemuRuntime {
  lab: string;
  accel: 'tcg' | 'kvm';
  sshPort: number;
  boot: BootFiles;
  qmp: string;
  serial: string;
  pidfile: string;
  daemonize: boolean;
}

export function qemuArgv(vm: Vm, rt: QemuRuntime, profiles: QemuProfiles): string[] {
  const accel = profiles.accel[rt.accel];
  const machine = profiles.machine[vm.iommu ? 'iommu' : 'plain'];
  const kvm = rt.accel === 'kvm';
  const argv = [
    profiles.binary,
    '-name', `lab-${rt.lab}-${vm.name},process=lab-${rt.lab}-${vm.name}`,
    '-machine', [machine.type, ...(kvm ? machine.kvm_machine_options : [])].join(','),
    '-accel', accel.accel,
    '-cpu', accel.cpu,
    '-smp', String(vm.cpus),
    '-m', `${vm.memoryMiB}M`,
    '-nodefaults', '-display', 'none', '-no-reboot',
    '-serial', `file:${rt.serial}`,
    '-qmp', `unix:${rt.qmp},server=on,wait=off`,
    '-pidfile', rt.pidfile,
    '-drive', `file=${rt.boot.disk},if=virtio,format=qcow2,discard=unmap`,
    '-drive', `file=${rt.boot.seed},if=virtio,format=raw,readonly=on`,
    ...kernelArgs(rt.boot, [...profiles.kernel_args, ...machine.kernel_args]),
    // The IOMMU must exist before the devices it translates for.
    ...(machine.iommu_device ? ['-device', [machine.iommu_device, ...(kvm ? machine.kvm_iommu_options : [])].join(',')] : []),
    '-netdev', `user,id=mgmt,hostfwd=tcp:127.0.0.1:${rt.sshPort}-:22`,
    '-device', `${profiles.management.device},netdev=mgmt,mac=${managementMac(rt.lab, vm.name)}`,
    ...vm.nics.flatMap((nic) => [
      '-netdev', `tap,id=${nic.name},ifname=${nic.hostIf},script=no,downscript=no,queues=${nic.queues},vhost=off`,
      '-device', [
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
    ...(rt.daemonize ? ['-daemonize'] : []),
  ];
  return argv;
}

function kernelArgs(boot: BootFiles, append: string[]): string[] {
  if (!boot.kernel) return [];
  return ['-kernel', boot.kernel, ...(boot.initrd ? ['-initrd', boot.initrd] : []), '-append', append.join(' ')];
}

/** The management NIC's MAC, fixed so cloud-init's network-config can match it. */
export function managementMac(lab: string, vm: string): string {
  return derivedMac(`${lab}/${vm}/mgmt`);
}
