// Lab → the manifests that run it on a Kubernetes cluster with KubeVirt and Multus: a VirtualMachine
// and a cloud-init Secret per node, a NetworkAttachmentDefinition per wire, a Namespace and a
// kustomization.yaml, for `kubectl apply -k`. Pure: the seeds and the image reference are given.
import type { V1Interface, V1Network, V1VirtualMachine } from '@kubevirt-ui-ext/kubevirt-api/kubevirt';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import { stringify } from 'yaml';
import type { Lab, Nic, Node } from '../config/lab.js';
import { kubevirtMultiqueue } from '../config/targets.js';
import { CLUSTER_SERVICE, clusterBridgeName, CONTAINER_DISK, DPDK_DISK_SERIAL, GUEST } from '../layout.js';
import { besideTheLab, labLabels } from './kubevirt-labels.js';
import { renderTester, type TesterManifests, type TesterSettings } from './kubevirt-tester.js';
import type { SeedDocuments } from './cloud-init.js';
import { managementMac } from './qemu.js';

/** Multus' NetworkAttachmentDefinition (k8s.cni.cncf.io/v1): no npm package models it. */
export interface NetworkAttachmentDefinition {
  apiVersion: 'k8s.cni.cncf.io/v1';
  kind: 'NetworkAttachmentDefinition';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: { config: string };
}

export interface ClusterSettings {
  namespace: string;
  /** The containerDisk image each VM boots (and, for lab's own image, takes its kernel from), by node. */
  guestImages: ReadonlyMap<string, string>;
  /** Where the cluster downloads each VM's root disk into a DataVolume, in place of the containerDisk's. */
  download?: { url: string; size: string };
  /** The tester Job's image, and what its pod is given: the spec's text and the lab's SSH key. */
  tester: TesterSettings;
  /** What each node's kind gives it, by node name. */
  nodes: ReadonlyMap<string, ClusterGuest>;
}

/** A node's guest on the cluster, from its kind. */
export interface ClusterGuest {
  /** Its seed, from the renderer `lab up` uses, for this target. */
  seed: SeedDocuments;
  /** Its SSH host key's public half, which the tester pins. */
  hostPub: string;
  /** Its kernel's command line where it boots the kernel beside the image's disk (lab's Debian image), not the disk's own boot loader. */
  kernelArgs?: string;
}

export interface KubevirtManifests {
  namespace: INamespace;
  networks: NetworkAttachmentDefinition[];
  secrets: ISecret[];
  virtualMachines: V1VirtualMachine[];
  /** The headless Service that gives each VM its name, <node>.lab, for the tester's SSH. */
  service: IService;
  tester: TesterManifests;
}

/** The pod network's interface: the guest's management NIC, as on this host. */
const MGMT = 'mgmt';

/** What the lab's headless Service selects: its VMs, not the tester pod. */
const VM_ROLE = { 'lab-role': 'vm' };

export function renderKubevirt(lab: Lab, settings: ClusterSettings): KubevirtManifests {
  const wires = clusterWires(lab, settings.namespace);
  return {
    namespace: {
      apiVersion: 'v1',
      kind: 'Namespace',
      // The tester pod is privileged (it names and enters network namespaces): beyond the baseline level.
      metadata: {
        name: settings.namespace,
        labels: { ...labLabels(lab), 'pod-security.kubernetes.io/enforce': 'privileged' },
      },
    },
    networks: [...new Map([...wires.values()].map((w) => [w.name, w])).values()].map((w) =>
      networkAttachment(lab, settings.namespace, w),
    ),
    secrets: lab.nodes.map((node) => seedSecret(lab, node, settings)),
    virtualMachines: lab.nodes.map((node) => virtualMachine(lab, node, settings, wires)),
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: CLUSTER_SERVICE, namespace: settings.namespace, labels: labLabels(lab) },
      // Named before they are ready: the tester waits for cloud-init itself, and says what it is doing.
      spec: { clusterIP: 'None', selector: { ...labLabels(lab), ...VM_ROLE }, publishNotReadyAddresses: true },
    },
    tester: renderTester(lab, {
      ...settings.tester,
      namespace: settings.namespace,
      hostKeys: new Map(lab.nodes.map((node) => [node.name, guestOf(node, settings).hostPub])),
      // Each NIC's own wire, joined as the lab namespace's end of it.
      ends: [...wires.values()].flatMap((w) => (w.testerEnd ? [{ network: w.name, ifname: w.testerEnd.labnsIf }] : [])),
    }),
  };
}

/** The files `lab render --target kubevirt` writes, by name: one per kind, and the kustomization. */
export function kubevirtFiles(m: KubevirtManifests): Record<string, string> {
  const t = m.tester;
  const resources: Record<string, unknown[]> = {
    'namespace.yaml': [m.namespace],
    'networks.yaml': m.networks,
    'secrets.yaml': m.secrets,
    'virtualmachines.yaml': m.virtualMachines,
    'tester.yaml': [m.service, t.serviceAccount, t.role, t.roleBinding, t.spec, t.keys, t.job],
  };
  const files: Record<string, string> = {};
  for (const [file, docs] of Object.entries(resources)) if (docs.length) files[file] = yamlDocuments(docs);
  files['kustomization.yaml'] = yamlDocuments([
    {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: m.namespace.metadata!.name,
      resources: Object.keys(files),
    },
  ]);
  return files;
}

/**
 * Kubernetes reads YAML as 1.1 (sigs.k8s.io/yaml), where an unquoted MAC is a base-60 number and
 * `on` a boolean: the 1.1 schema quotes every such string.
 */
function yamlDocuments(docs: unknown[]): string {
  return docs.map((d) => stringify(d, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

/** A wire on the cluster: a Linux bridge on the cluster node the lab's pods share. */
export interface ClusterWire {
  /** The NetworkAttachmentDefinition's name. */
  name: string;
  /** The bridge's name on the cluster node: unique there across namespaces and labs, at most 15 characters. */
  bridge: string;
  /** A NIC's own wire: the tester pod joins it as the lab namespace's end, this NIC. */
  testerEnd?: Nic;
  /** Its NICs are SR-IOV VFs from this device plugin resource: the NIC's switch is the wire. */
  sriov?: string;
}

/** Every NIC's wire: one per link, one per network, and one of its own for a NIC on neither. */
function clusterWires(lab: Lab, namespace: string): Map<Nic, ClusterWire> {
  const wires = new Map<Nic, ClusterWire>();
  for (const node of lab.nodes)
    for (const nic of node.nics) {
      const { peer } = nic;
      const name =
        peer.kind === 'nic'
          ? `link-${peer.link}`
          : peer.kind === 'network'
            ? `network-${peer.network}`
            : `${node.name}-${nic.name}`;
      const own = peer.kind !== 'nic' && peer.kind !== 'network';
      // The target's rules let a VF share its wire with VFs alone.
      wires.set(nic, {
        name,
        bridge: clusterBridgeName(namespace, lab.name, name),
        ...(own ? { testerEnd: nic } : {}),
        ...(nic.vf ? { sriov: lab.spec.cluster.sriov.resource } : {}),
      });
    }
  return wires;
}

function networkAttachment(lab: Lab, namespace: string, wire: ClusterWire): NetworkAttachmentDefinition {
  // Layer 2 only: the guest's kernel has the spec's address and DPDK none; no IPAM, no gateway.
  // A VF's: the SR-IOV CNI, its VF from the resource the device plugin hands the pod (the
  // annotation), its MAC the one KubeVirt gives it; frames with other sources (DPDK's tests) pass.
  const config = wire.sriov
    ? { cniVersion: '0.3.1', name: wire.name, type: 'sriov', spoofchk: 'off', trust: 'on', ipam: {} }
    : { cniVersion: '0.3.1', name: wire.name, type: 'bridge', bridge: wire.bridge, ipam: {} };
  return {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: {
      name: wire.name,
      namespace,
      labels: labLabels(lab),
      ...(wire.sriov ? { annotations: { 'k8s.v1.cni.cncf.io/resourceName': wire.sriov } } : {}),
    },
    spec: { config: JSON.stringify(config) },
  };
}

function rootDiskName(node: Pick<Node, 'name'>): string {
  return `${node.name}-root`;
}

function secretName(node: Pick<Node, 'name'>): string {
  return `${node.name}-cloud-init`;
}

/** The seed in a Secret, not in the VM: user-data holds the guest's private host key. */
function seedSecret(lab: Lab, node: Node, settings: ClusterSettings): ISecret {
  const { seed } = guestOf(node, settings);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: secretName(node), namespace: settings.namespace, labels: labLabels(lab) },
    stringData: { userdata: seed.userData, networkdata: seed.networkConfig },
  };
}

function virtualMachine(
  lab: Lab,
  node: Node,
  settings: ClusterSettings,
  wires: ReadonlyMap<Nic, ClusterWire>,
): V1VirtualMachine {
  const { cluster } = lab.spec;
  const { kernelArgs } = guestOf(node, settings);
  const guestImage = settings.guestImages.get(node.name)!;
  const release = lab.dpdk.source === 'release';
  const labels = { ...labLabels(lab), ...VM_ROLE, 'app.kubernetes.io/component': node.name };
  const interfaces: V1Interface[] = [
    { name: MGMT, masquerade: {}, macAddress: managementMac(lab.name, node.name) },
    ...node.nics.map((nic): V1Interface =>
      nic.vf
        ? { name: nic.name, sriov: {}, macAddress: nic.mac }
        : { name: nic.name, model: 'virtio', bridge: {}, macAddress: nic.mac },
    ),
  ];
  const networks: V1Network[] = [
    { name: MGMT, pod: {} },
    ...node.nics.map((nic): V1Network => ({ name: nic.name, multus: { networkName: wires.get(nic)!.name } })),
  ];
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: node.name, namespace: settings.namespace, labels },
    spec: {
      runStrategy: 'Always',
      ...(settings.download
        ? {
            dataVolumeTemplates: [
              {
                metadata: { name: rootDiskName(node), labels: labLabels(lab) },
                spec: {
                  source: { http: { url: settings.download.url } },
                  storage: { resources: { requests: { storage: settings.download.size } } },
                },
              },
            ],
          }
        : {}),
      template: {
        metadata: { labels },
        spec: {
          domain: {
            cpu: {
              cores: node.cpus,
              sockets: 1,
              threads: 1,
              ...(cluster.dedicated_cpus ? { dedicatedCpuPlacement: true, isolateEmulatorThread: true } : {}),
            },
            memory: {
              guest: `${node.memoryMiB}Mi`,
              hugepages: { pageSize: node.hugepages.size === '1G' ? '1Gi' : '2Mi' },
            },
            ...(kernelArgs !== undefined
              ? {
                  firmware: {
                    kernelBoot: {
                      kernelArgs,
                      container: {
                        image: guestImage,
                        kernelPath: CONTAINER_DISK.kernel,
                        initrdPath: CONTAINER_DISK.initrd,
                        imagePullPolicy: 'IfNotPresent',
                      },
                    },
                  },
                }
              : {}),
            devices: {
              // One queue per vCPU on every virtio NIC; the seed sets each NIC's own count.
              ...(kubevirtMultiqueue(node) ? { networkInterfaceMultiqueue: true } : {}),
              disks: [
                { name: 'root', disk: { bus: 'virtio' } },
                { name: 'cloud-init', disk: { bus: 'virtio' } },
                // The guest installs the build from the disk with this serial, as it does here.
                ...(release ? [{ name: 'dpdk', serial: DPDK_DISK_SERIAL, disk: { bus: 'virtio' } }] : []),
              ],
              interfaces,
            },
          },
          networks,
          // <node>.lab in the namespace: where the tester's SSH finds it.
          hostname: node.name,
          subdomain: CLUSTER_SERVICE,
          volumes: [
            settings.download
              ? { name: 'root', dataVolume: { name: rootDiskName(node) } }
              : { name: 'root', containerDisk: { image: guestImage, path: CONTAINER_DISK.disk } },
            ...(release ? [{ name: 'dpdk', containerDisk: { image: guestImage, path: CONTAINER_DISK.dpdk } }] : []),
            {
              name: 'cloud-init',
              cloudInitNoCloud: {
                secretRef: { name: secretName(node) },
                networkDataSecretRef: { name: secretName(node) },
              },
            },
          ],
          // Ready once cloud-init has installed DPDK and built the apps, not when the guest boots.
          readinessProbe: {
            exec: { command: ['test', '-e', GUEST.configured] },
            initialDelaySeconds: 30,
            periodSeconds: 10,
            timeoutSeconds: 5,
          },
          ...(Object.keys(cluster.node_selector).length ? { nodeSelector: cluster.node_selector } : {}),
          // The wires are bridges on one cluster node: every pod of the lab goes where the first went.
          affinity: besideTheLab(lab),
        },
      },
    },
  };
}

function guestOf(node: Node, settings: ClusterSettings): ClusterGuest {
  const guest = settings.nodes.get(node.name);
  if (!guest) throw new Error(`no cluster guest rendered for node ${node.name}`);
  return guest;
}
