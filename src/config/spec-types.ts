// Generated from schemas/lab.schema.json by `npm run gen:types`; do not edit by hand.
/** A lab: nodes (QEMU VMs or network namespaces) with multiqueue virtio data-plane NICs, the DPDK apps that run on them, and the checks that prove the apps work. */
export interface LabSpec {
  /** Editor hint; ignored by lab. */
  "$schema"?: string;
  /** The lab's name: names its state folder (.lab/<name>/) and its network namespace (lab-<name>). */
  name: string;
  /** The guest's base image: a cloud image downloaded and checked ({url, sha256}) or a Debian root built offline from Debian packages ({debian: {...}}). Cached in ~/.cache/lab/images/ by content; never written to. */
  image: DownloadImage | DebianImage;
  dpdk: DpdkSpec;
  /** The lab's nodes by name: QEMU VMs or network namespaces (kind). A name has up to 32 lowercase letters, digits and "-" (it is also the guest's hostname). A NIC's interface in the lab namespace is <node>-<nic> where that fits Linux's 15 characters, else the name's first 8 characters, "-" and 6 hex digits of a hash of both names; lab status and lab graph show which is which. */
  nodes: Record<string, NodeSpec>;
  /** Wires between NICs of two nodes, after containerlab's links. A NIC on no link keeps a wire of its own to the lab namespace, with its labns_ip there (the endpoint "labns" says so explicitly). */
  links: Array<LinkSpec>;
  /** Shared L2 segments by name: a bridge br-<name> in the lab namespace with each member NIC as a port, forward delay 0, no STP, and learned MACs kept for an hour so no echo is flooded. A NIC is on one wire: its own, a link, or a network. */
  networks: Record<string, NetworkSpec>;
  /** The DPDK programs the lab runs, by name (`lab run NAME`). */
  apps: Record<string, AppSpec>;
  verify: VerifySpec;
  cluster: ClusterSpec;
}

/** A cloud image fetched over HTTP(S), verified against its SHA-256 before use (for example the Ubuntu 24.04 cloud image, as in the seed). */
export interface DownloadImage {
  /** Where to download the image (qcow2 or raw): an http(s) URL without spaces, quotes, $ or backslashes. A qcow2 must stand alone: one with a backing file or an external data file is refused. */
  url: string;
  /** The image's SHA-256, 64 lowercase hex digits; a mismatch is an error and nothing is cached. */
  sha256: string;
}

/** A guest root built offline with mmdebstrap from Debian packages, booted by direct kernel boot. */
export interface DebianImage {
  /** The mmdebstrap recipe; its hash keys the image cache. */
  debian: DebianRecipe;
}

/** The mmdebstrap recipe; its hash keys the image cache. */
export interface DebianRecipe {
  /** The Debian release to install. */
  suite: string;
  /** The apt mirror mmdebstrap installs from: an http(s) URL without spaces, quotes, $ or backslashes; empty means mmdebstrap's default, deb.debian.org. */
  mirror: string;
  /** Packages added to the ones lab always installs (kernel, cloud-init, openssh-server, DPDK and build tools). */
  packages: Array<string>;
}

/** Where the guest gets DPDK from. */
export interface DpdkSpec {
  /** distro: the guest's DPDK packages (22.11 on Debian 12, works offline); release: a DPDK release tarball checked against sha256 and built with meson/ninja, as in the seed. */
  source: "distro" | "release";
  /** The DPDK release to build (source: release), e.g. 24.03. */
  version: string;
  /** SHA-256 of the release tarball (source: release). */
  sha256: string;
  /** Where to fetch the release tarball: an http(s) URL without spaces, quotes, $ or backslashes; empty means https://fast.dpdk.org/rel/dpdk-<version>.tar.xz. Part of the build cache's key. */
  url: string;
  build: DpdkBuild;
}

/** What meson builds of a release tarball (source: release). The build is cached on the host by the tarball's sha256, these options and the guest image, so a second lab with the same needs does not build again. */
export interface DpdkBuild {
  /** DPDK drivers to build (meson enable_drivers), e.g. net/virtio, bus/pci, bus/vdev, mempool/ring; empty: every driver DPDK builds by default. The echo apps need a bus, a mempool and the NIC's PMD. */
  drivers: Array<string>;
  /** DPDK's own applications to build (meson enable_apps), e.g. test-pmd; empty: none, since lab builds its echo apps separately. */
  apps: Array<string>;
  /** Further meson options as name=value, each passed as -Dname=value, e.g. disable_libs=bbdev,pipeline. */
  meson_options: Array<string>;
}

/** One node of the lab: a QEMU VM or a network namespace. */
export interface NodeSpec {
  /** qemu: a QEMU VM booted from the lab's image; netns: a network namespace on this host with a veth pair, the apps run on DPDK's af_packet PMD with --no-huge (the fast, VM-free tier). */
  kind: "qemu" | "netns";
  /** vCPUs. Every busy-polling lcore keeps one busy, so give one more than the app's lcores. */
  cpus: number;
  /** Guest memory: MiB as a number, or a string such as 2048M, 2G, 4GiB; at most 1 TiB. Hugepages come out of it. */
  memory: number | string;
  /** auto probes KVM with a short boot and falls back to TCG (and says so); kvm fails when KVM does not work; tcg always emulates. */
  accel: "auto" | "kvm" | "tcg";
  /** The guest's CPU architecture, for a QEMU node: x86_64 (qemu-system-x86_64, q35 or pc) or aarch64 (qemu-system-aarch64, the virt machine with a GICv3, and an SMMUv3 for vfio-pci). Empty: this host's. A guest of another architecture than the host's is always emulated (TCG), and lab says so. */
  arch: "" | "x86_64" | "aarch64";
  /** Hugepages reserved for DPDK when an app starts. */
  hugepages: HugepagesSpec;
  /** Data-plane NICs, in PCI order, at most 16. The management NIC (user-mode networking, SSH on 127.0.0.1; mgmt in the guest) is always added and is not listed here. */
  nics: Array<NicSpec>;
}

/** Hugepages reserved for DPDK when an app starts. */
export interface HugepagesSpec {
  /** Page size. */
  size: "2M" | "1G";
  /** Number of pages. */
  count: number;
}

/** A data-plane NIC: virtio-net-pci with mq=on behind a multiqueue tap (qemu), or a veth (netns). */
export interface NicSpec {
  /** The NIC's name within its node, used by apps and links: up to 15 lowercase letters, digits and "-", Linux's limit for an interface name (a netns node's NIC is an interface of that name). */
  name: string;
  /** RX/TX queue pairs: the tap gets queues=N and the device mq=on with vectors=2N+2. */
  queues: number;
  /** Ask QEMU for device RSS (rss=on,hash=on). Without it the tap still spreads flows over the queues. */
  rss: boolean;
  /** The NIC's MAC, unicast, unique in the lab; empty means derived from the lab, node and NIC names (52:54:00:xx:xx:xx). */
  mac: string;
  /** The guest kernel's address on this NIC (CIDR) before DPDK takes it: what ping proves is bypassed. */
  ip: string;
  /** The address of the lab namespace's side of the NIC's own wire (the tap or veth end there), in the same subnet; empty means the subnet's first free address. */
  labns_ip: string;
  /** The node's kernel driver DPDK binds the NIC to (DTS's os_driver_for_dpdk): vfio-pci behind a virtual IOMMU (q35 + intel-iommu, the safe default) or uio_pci_generic (plain pc machine, as in the seed). A netns node's veth is not bound. */
  os_driver_for_dpdk: "vfio-pci" | "uio_pci_generic";
}

/** One wire between two endpoints, both in one subnet. */
export interface LinkSpec {
  /** The two ends: "<node>.<nic>", or "labns" for the lab namespace. */
  endpoints: Array<string>;
  impair: ImpairSpec;
}

/** Impairments on a wire between nodes, after netem (containerlab's `tools netem`, netlab's `tc`): each frame is delayed, jittered, dropped and rate-limited on its way to each end of the wire, drawn apart for each direction, so a round trip crosses them twice. A wire with `impair` (even `{}`) is carried by l2impair, lab's relay in the lab namespace, in place of a veth pair or bridge, and `lab impair` changes it on a running lab. Frames keep their order. null, the default, is a plain wire with no relay. */
export type ImpairSpec = {
  /** Added one-way delay, in microseconds. */
  delay_us: number;
  /** Uniform jitter around the delay, in microseconds: each frame's delay is drawn from [delay_us - jitter_us, delay_us + jitter_us]. At most delay_us. */
  jitter_us: number;
  /** Frames dropped in each direction, in percent (5 is 5 %). */
  loss: number;
  /** Line rate in Mbit/s of each direction, counting frame bytes without FCS; 0 is no limit. */
  rate_mbit: number;
} | null;

/** One shared segment; its members are in one subnet. */
export interface NetworkSpec {
  /** The NICs on it, "<node>.<nic>". */
  members: Array<string>;
  impair: ImpairSpec;
}

/** A DPDK program and where it runs. */
export interface AppSpec {
  /** l2_echo (one lcore, one queue), l2_multi_echo (a queue per lcore), testpmd (DPDK's dpdk-testpmd from the node's DPDK, in forward_mode, with a queue per NIC queue and a forwarding core per lcore after the first), or custom: any DPDK program (command, or build), which lab knows ready and reads the counters of through DPDK's telemetry socket (it needs no output of its own for lab). */
  program: "l2_echo" | "l2_multi_echo" | "testpmd" | "custom";
  /** For program: testpmd, its --forward-mode, which also says what it does to frames: macswap echoes them with the MACs swapped (does: echo); io forwards them unchanged between its two ports (does: forward, rewrite: none); mac forwards them with l2fwd's MACs (does: forward, rewrite: l2fwd). lab gives testpmd --rxq and --txq (the NIC's queues), --nb-cores (the lcores after its main one), --stats-period and a pool that fits a node without hugepages; args come after them. */
  forward_mode: "macswap" | "io" | "mac";
  /** For program: custom, the executable run in place of the lab's apps, with the same EAL arguments, as root on the node (for a netns node, this host): a program name or path, no spaces and not starting with a dash (its own arguments go in args). With build, the binary the build makes instead. `lab validate` lists it. */
  command: string;
  build: AppBuildSpec;
  /** The node (a key of nodes) the app runs on. */
  node: string;
  /** The NIC (a name in that node's nics) the app takes over: its one port, port 0. For an app of two ports, give nics instead. */
  nic: string;
  /** The NICs the app takes over, one DPDK port each, instead of nic: an app that forwards (does: forward) takes two. In a namespace their ports are numbered in this order; in a VM, in the order of their PCI addresses, which is the order of the node's nics. */
  nics: Array<string>;
  /** What the app does to a frame, which decides the checks lab verify runs: echo sends it back out of the port it came in on with its MACs swapped (lab's apps, testpmd --forward-mode=macswap); forward sends it out of the other of its two ports (DPDK's skeleton and l2fwd, testpmd --forward-mode=io or mac), changed as rewrite says. */
  does: "echo" | "forward";
  /** For does: forward, what the app writes into a frame it forwards: none (it leaves as it came in: the skeleton, testpmd io), or l2fwd (source MAC the out port's own, destination 02:00:00:00:00:<out port id>: DPDK's l2fwd, testpmd --forward-mode=mac). */
  rewrite: "none" | "l2fwd";
  /** DPDK lcore list (-l), such as 1 or 1-2 or 0,2; empty means one lcore for l2_echo and one per queue for l2_multi_echo, leaving CPU 0 free where possible. */
  lcores: string;
  /** Extra EAL arguments, added after the ones lab sets (-l or --lcores, -a or --vdev and --no-pci, --file-prefix, --no-huge, -m), which they may not repeat. Those that load code or name files (-d, --vdev with a file or path, --file-prefix, --huge-dir, --proc-type, --trace-dir, --log-file) run as root on the node and are refused unless trust_eal_args is true. `lab validate` lists them. */
  eal_args: Array<string>;
  /** Allow eal_args that load code or name files on the node (-d, --vdev with a file or path, --file-prefix, --huge-dir, --proc-type, --trace-dir, --log-file). Say true only for a spec you would run as code: they run as root. */
  trust_eal_args: boolean;
  /** The app's own arguments, after EAL's "--" (lab's own apps get -p 0 before them; a custom app only these). lab fills {device} (the NIC's PCI address in a VM, its vdev string in a namespace), {lcores}, {queues}, {port} and {portmask} in them. */
  args: Array<string>;
}

/** Your own DPDK program's sources, built where the app runs (a netns node: this host; a QEMU node: the guest, the sources sent over SFTP) against that node's DPDK (pkg-config libdpdk), and built again only when their content changes: the build is never part of a node's provisioned snapshot. The app then runs the binary the build makes. */
export type AppBuildSpec = {
  /** The source folder, relative to the spec's folder (or absolute). Everything in it but .git is sent and hashed. */
  source: string;
  /** make: `make` in the folder; meson: `meson setup build` then `ninja -C build`; command: the command below, run by sh in the folder. */
  system: "make" | "meson" | "command";
  /** For system: command, the shell command that builds the binary, run in the source folder's copy. */
  command: string;
  /** Where the build leaves the program, relative to the source folder, such as build/basicfwd. */
  binary: string;
} | null;

/** What `lab verify` checks and the thresholds it holds the apps to. */
export interface VerifySpec {
  /** The tester: the node every check runs from (ping, l2probe, lab bench). "labns" is the lab namespace, at the far end of each NIC's own wire; a node name tests each app from that node's NIC on the app NIC's link, in the node's own namespace. */
  from: string;
  /** The checks to run, in this order. echo runs for an app that echoes (does: echo) and forward for one that forwards (does: forward); each is left out for the other kind. */
  checks: Array<"kernel_bypass" | "echo" | "forward" | "rss" | "latency" | "control">;
  /** The ping used by kernel_bypass (expects 100% loss) and control (expects answers). */
  ping: PingSpec;
  /** The l2probe run of the echo check: every frame must come back with its MACs swapped and every other byte as sent. */
  echo: ProbeRunSpec;
  /** The l2probe run of the forward check, once each way: every frame sent into one of the app's wires must come out of the other as sent, but for the MACs its rewrite declares. */
  forward: ProbeRunSpec;
  /** For l2_multi_echo: how many RX queues must have received traffic. */
  rss: RssSpec;
  /** Round-trip limits for the echo frames; 0 means report only. */
  latency: LatencySpec;
  /** The throughput check, run when min_pps is set (after latency, before control): l2probe's zero-loss throughput search (RFC 2544 section 26.1), the search `lab bench` runs per frame size. It passes if the highest rate that lost no more than loss_tolerance reaches min_pps. */
  throughput: ThroughputSpec;
}

/** The ping used by kernel_bypass (expects 100% loss) and control (expects answers). */
export interface PingSpec {
  /** Echo requests sent. */
  count: number;
  /** Seconds between requests. */
  interval: number;
  /** Largest loss (0..1) the control ping may show once the app has stopped. */
  max_control_loss: number;
}

/** An l2probe run: how many frames, over how many flows, how fast, how big, and how many may go missing. */
export interface ProbeRunSpec {
  /** Frames sent. */
  frames: number;
  /** Distinct flows (IP/UDP tuples) the frames are spread over. */
  flows: number;
  /** Offered rate, frames per second. */
  pps: number;
  /** Frame size in bytes, without FCS. */
  frame_size: number;
  /** Largest fraction of frames (0..1) allowed to go missing. */
  max_loss: number;
}

/** For l2_multi_echo: how many RX queues must have received traffic. */
export interface RssSpec {
  /** Queues that must see traffic; 0 means every queue the app runs. */
  min_queues: number;
}

/** Round-trip limits for the echo frames; 0 means report only. */
export interface LatencySpec {
  /** Largest allowed median RTT in microseconds; 0 means no limit. */
  p50_us: number;
  /** Largest allowed 99th-percentile RTT in microseconds; 0 means no limit. */
  p99_us: number;
}

/** The throughput check, run when min_pps is set (after latency, before control): l2probe's zero-loss throughput search (RFC 2544 section 26.1), the search `lab bench` runs per frame size. It passes if the highest rate that lost no more than loss_tolerance reaches min_pps. */
export interface ThroughputSpec {
  /** Lowest zero-loss rate the app must sustain, frames per second; the search starts there. 0 means no throughput check. */
  min_pps: number;
  /** Frame size in bytes including the 4-byte FCS, as RFC 2544 and `lab bench --sizes` count it. */
  frame_size: number;
  /** Seconds each trial of the search sends for. */
  trial_s: number;
  /** Largest fraction of frames (0..1) a passing trial may lose; 0 is RFC 2544's zero loss. */
  loss_tolerance: number;
  /** Distinct flows (IP/UDP tuples) the frames are spread over. */
  flows: number;
}

/** How `lab render --target kubevirt` maps the lab onto a Kubernetes cluster with KubeVirt and Multus (docs/cluster.md); a local lab ignores it. */
export interface ClusterSpec {
  /** The Kubernetes namespace every rendered object goes into (a DNS label); empty means lab-<name>. `lab render --namespace` overrides it. */
  namespace: string;
  /** The containerDisk image each VM boots: an image reference the cluster can pull; empty means localhost/lab-guest:<the image's content key>, the tag `lab images export --format containerdisk` gives the archive, for you to push. Empty with image: {url, sha256}: the cluster downloads the URL into a DataVolume instead (disk_size). */
  guest_image: string;
  /** For a lab that boots image: {url, sha256} and names no guest_image: the size of each VM's root disk, which the cluster downloads from the URL into a DataVolume (CDI); at least the image's virtual size. CDI checks no SHA-256: the cluster trusts the URL. */
  disk_size: string;
  /** The image of the tester Job's pod, which runs `lab test --target kubevirt` on the cluster's VMs (lab, Node.js, l2probe, ping, curl): an image reference the cluster can pull; empty means localhost/lab-tester:<lab's version>. */
  tester_image: string;
  /** Pin each vCPU to a dedicated host CPU and give the emulator thread one of its own (KubeVirt's dedicatedCpuPlacement and isolateEmulatorThread), so a busy-polling lcore is never preempted. Needs nodes with the CPU manager's static policy. */
  dedicated_cpus: boolean;
  /** Labels a cluster node must have for the VMs to be scheduled on it (nodeSelector), for example the nodes with hugepages or SR-IOV NICs. */
  node_selector: Record<string, string>;
  /** The guest driver DPDK binds every data-plane NIC to on the cluster, in place of the NICs' own: KubeVirt gives a guest no virtual IOMMU, and Debian's kernel has no vfio no-IOMMU mode, so a lab whose NICs use vfio-pci locally sets uio_pci_generic here. Empty keeps each NIC's own driver. A NIC in sriov.nics is a VF there and always binds to vfio-pci. */
  os_driver_for_dpdk: "" | "uio_pci_generic";
  /** NICs that are SR-IOV virtual functions on the cluster (virtio NICs on this host): KubeVirt passes each VF into the guest (an sriov interface), and DPDK binds it there with vfio-pci in no-IOMMU mode, which the guest's kernel must have (CONFIG_VFIO_NOIOMMU: Ubuntu's has it, Debian's does not, so such a lab boots an image: {url, sha256}). Both ends of a VF's link or every member of its network are VFs: a VF's wire is the NIC's switch, not a bridge. */
  sriov: ClusterSriov;
}

/** NICs that are SR-IOV virtual functions on the cluster (virtio NICs on this host): KubeVirt passes each VF into the guest (an sriov interface), and DPDK binds it there with vfio-pci in no-IOMMU mode, which the guest's kernel must have (CONFIG_VFIO_NOIOMMU: Ubuntu's has it, Debian's does not, so such a lab boots an image: {url, sha256}). Both ends of a VF's link or every member of its network are VFs: a VF's wire is the NIC's switch, not a bridge. */
export interface ClusterSriov {
  /** The SR-IOV device plugin's resource the VFs come from, bound to vfio-pci on the cluster node (for example intel.com/intel_sriov_vfio); the VFs' NetworkAttachmentDefinitions ask for it. */
  resource: string;
  /** The NICs that are VFs on the cluster, each as node.nic. */
  nics: Array<string>;
}
