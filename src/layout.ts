// Every naming rule in one place: where a lab keeps its state, what its namespaces, interfaces and
// DPDK file prefixes are called, where the caches live, and where things sit inside a guest.
// Pure string arithmetic on names, so every layer may use it.
import { createHash } from 'node:crypto';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface LabPaths {
  root: string;
  lock: string;
  /** Host-wide, beside the lock: which state folder has this lab's name up (host/owner.ts). */
  owner: string;
  state: string;
  sshKey: string;
  sshPub: string;
  knownHosts: string;
  netns: string;
  logs: string;
  /** The impaired wires' relays: a pidfile each, which the relay writes itself. */
  relays: string;
  /** Captures of verify traffic, until an evidence bundle takes them or the command drops them. */
  captures: string;
  /** Evidence bundles lab test keeps when a check fails and no --evidence folder was named. */
  evidence: string;
}

export interface NodePaths {
  dir: string;
  disk: string;
  seed: string;
  qmp: string;
  serial: string;
  pid: string;
  script: string;
  userData: string;
  metaData: string;
  networkConfig: string;
  hostKey: string;
  hostPub: string;
  logs: string;
  /** What the provisioned snapshot in the overlay was made from (its key), and when. */
  snapshot: string;
}

/** The lab's state folder sits beside its spec: `.lab/<name>/`. */
export function labPaths(lab: { file: string; name: string }): LabPaths {
  const root = join(dirname(lab.file), '.lab', lab.name);
  return {
    root,
    // Host-wide: the lab's namespace, taps and DPDK file prefixes are named for the lab, whichever
    // checkout's state folder says so.
    lock: join(hostLockRoot(), `lab-${lab.name}.lock`),
    owner: join(hostLockRoot(), `lab-${lab.name}.owner`),
    state: join(root, 'state.json'),
    sshKey: join(root, 'id_ed25519'),
    sshPub: join(root, 'id_ed25519.pub'),
    knownHosts: join(root, 'known_hosts'),
    netns: labNamespace(lab.name),
    logs: join(root, 'logs'),
    relays: join(root, 'relays'),
    captures: join(root, 'captures'),
    evidence: join(root, 'evidence'),
  };
}

/** `root` lets `lab render --out DIR` write the same tree somewhere else. */
export function nodePaths(root: string, node: string): NodePaths {
  const dir = join(root, 'nodes', node);
  return {
    dir,
    disk: join(dir, 'disk.qcow2'),
    seed: join(dir, 'seed.iso'),
    qmp: join(dir, 'qmp.sock'),
    serial: join(dir, 'serial.log'),
    pid: join(dir, 'qemu.pid'),
    script: join(dir, 'qemu.sh'),
    userData: join(dir, 'user-data'),
    metaData: join(dir, 'meta-data'),
    networkConfig: join(dir, 'network-config'),
    hostKey: join(dir, 'ssh_host_ed25519_key'),
    hostPub: join(dir, 'ssh_host_ed25519_key.pub'),
    logs: join(dir, 'logs'),
    snapshot: join(dir, 'snapshot.json'),
  };
}

/** The lab's own namespace: every data-plane wire ends here, and QEMU runs here to open its taps. */
export function labNamespace(lab: string): string {
  return `lab-${lab}`;
}

/** The namespace a netns node lives in. */
export function nodeNamespace(lab: string, node: string): string {
  return `lab-${lab}-${node}`;
}

/** Linux's limit on an interface name (IFNAMSIZ less the terminating NUL). */
export const IFNAME_MAX = 15;

/**
 * Each NIC's interface in the lab namespace (its tap or veth end), keyed "<node>.<nic>": "<node>-<nic>"
 * where that fits Linux's 15 characters and is nobody else's, else its first 8 characters, "-" and 6
 * hex digits of a hash of the node's and the NIC's names (as containerlab keeps long node names'
 * interfaces short). Stable across runs: it depends only on the names in the spec. `taken` holds the
 * names lab gives other interfaces there (the bridges), which a NIC's interface must not shadow.
 */
export function labnsIfNames(
  nics: Array<{ node: string; nic: string }>,
  taken: ReadonlySet<string>,
): Map<string, string> {
  const plain = (n: { node: string; nic: string }) => `${n.node}-${n.nic}`;
  const count = new Map<string, number>();
  for (const n of nics) count.set(plain(n), (count.get(plain(n)) ?? 0) + 1);
  return new Map(
    nics.map((n) => {
      const name = plain(n);
      const fits = name.length <= IFNAME_MAX && count.get(name) === 1 && !taken.has(name);
      return [`${n.node}.${n.nic}`, fits ? name : hashedIfName(name, `${n.node}\0${n.nic}`)];
    }),
  );
}

function hashedIfName(plain: string, seed: string): string {
  const hash = createHash('sha256').update(seed).digest('hex').slice(0, 6);
  return `${plain.slice(0, IFNAME_MAX - 7).replace(/-+$/, '')}-${hash}`;
}

/** A link's bridge in the lab namespace, where a node kind cannot take a veth end; no "-", so never a network's bridge or a NIC's interface. */
export function linkBridgeName(index: number): string {
  return `lk${index}`;
}

/**
 * A wire's bridge on a KubeVirt cluster node: shared by every namespace and lab scheduled there, so
 * named by a hash of all three, within Linux's 15 characters.
 */
export function clusterBridgeName(namespace: string, lab: string, wire: string): string {
  return `lb${createHash('sha256').update(`${namespace}/${lab}/${wire}`).digest('hex').slice(0, 12)}`;
}

/** The lab's headless Service on a cluster: each VM is <node>.<service> there, in the lab's namespace. */
export const CLUSTER_SERVICE = 'lab';

/** Where the tester pod reaches a cluster VM's SSH. */
export function clusterGuestAddress(node: string): { host: string; port: number } {
  return { host: `${node}.${CLUSTER_SERVICE}`, port: 22 };
}

/** A shared network's bridge in the lab namespace; the schema keeps network names to 10 characters, within Linux's 15. */
export function bridgeName(network: string): string {
  return `br-${network}`;
}

/** An impaired wire's relay: its pidfile and its log (the ready line, then its counters). */
export function relayFiles(paths: LabPaths, relay: string): { pid: string; log: string } {
  return { pid: join(paths.relays, `${relay}.pid`), log: join(paths.logs, `relay-${relay}.log`) };
}

/** Where lab verify --capture writes an app's wire: of an app of two ports, each NIC's wire apart. */
export function capturePath(paths: LabPaths, app: string, nic?: string): string {
  return join(paths.captures, nic ? `${app}.${nic}.pcap` : `${app}.pcap`);
}

/** DPDK's --file-prefix, so two apps (or two labs) never share hugepage files or runtime sockets. */
export function dpdkFilePrefix(lab: string, app: string): string {
  return `lab-${lab}-${app}`;
}

/** An app's log on this host (apps of netns nodes). */
export function hostAppLog(paths: LabPaths, app: string): string {
  return join(paths.logs, `${app}.log`);
}

/** What lab keeps across labs: guest images, and the accelerator verdict of this boot. */
export function labCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lab');
}

/**
 * Host-wide locks, on a tmpfs the host empties at boot: locks taken with flock need no clean-up, and
 * one here holds for every checkout and cache folder on the host. root's are in /run/lock; another
 * user's (the unit tier, a user's own image cache) in a folder of that user's own.
 */
export function hostLockRoot(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? '/run/lock/lab' : join(env.XDG_RUNTIME_DIR || tmpdir(), `lab-locks-${uid}`);
}

/** The Debian packages image builds downloaded, beside the images they were for. */
export function debCacheRoot(imageRoot: string = imageCacheRoot()): string {
  return join(dirname(imageRoot), 'debs');
}

export function imageCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(labCacheRoot(env), 'images');
}

/** DPDK builds from release tarballs, each a tar of the installed files, by content. */
export function dpdkBuildCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(labCacheRoot(env), 'dpdk');
}

export function accelCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(labCacheRoot(env), 'accel-probe.json');
}

/** Inside a guest: the user lab logs in as, and where cloud-init puts lab's scripts, sources and builds. */
export const GUEST = {
  user: 'lab',
  root: '/opt/lab',
  bin: '/opt/lab/bin',
  native: '/opt/lab/native',
  nativeBuild: '/opt/lab/native/build',
  /** Apps built from a spec's sources, a folder per build key. */
  appBuilds: '/opt/lab/apps',
  appLogs: '/var/log/lab',
  cloudInitLog: '/var/log/cloud-init-output.log',
  /** Written last by a cluster guest's cloud-init, once DPDK and the apps are in place: its readiness probe. */
  configured: '/var/lib/lab/configured',
} as const;

/** The serial of the disk that hands a guest the host's cached DPDK build: it finds it as /dev/disk/by-id/virtio-<serial>. */
export const DPDK_DISK_SERIAL = 'lab-dpdk';

/** Where a containerDisk image keeps its files: KubeVirt's layout puts the disk under /disk/; kernelBoot takes the kernel and initrd from the same image. */
export const CONTAINER_DISK = {
  disk: '/disk/disk.qcow2',
  /** A DPDK release build: the tar a guest reads from the disk with DPDK_DISK_SERIAL (cloud-init/scripts/lab-install-dpdk). */
  dpdk: '/disk/dpdk.tar',
  kernel: '/boot/vmlinuz',
  initrd: '/boot/initrd.img',
} as const;

export function guestAppLog(app: string): string {
  return join(GUEST.appLogs, `${app}.log`);
}
