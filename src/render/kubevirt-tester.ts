// The tester on a cluster: a Job whose pod joins every NIC's own wire as the lab namespace's end
// (Multus names each pod interface as lab names that end here), runs `lab test --target kubevirt`
// on the VMs over SSH, prints the JSON report and the JUnit in its log, and leaves both in a
// ConfigMap; with the ServiceAccount, Role and RoleBinding that ConfigMap needs, the spec in a
// ConfigMap and the lab's SSH key in a Secret. Pure: the keys and the spec's text are given.
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { Lab } from '../config/lab.js';
import { nodePaths } from '../layout.js';
import { besideTheLab, labLabels } from './kubevirt-labels.js';

export interface TesterSettings {
  image: string;
  /** The spec file's text, as the pod runs it. */
  spec: string;
  labKey: { private: string; public: string };
}

interface TesterPlace extends TesterSettings {
  namespace: string;
  /** Each VM's pinned host key (public), by node. */
  hostKeys: ReadonlyMap<string, string>;
  /** The wires the pod joins, each with the interface name the lab namespace's end has. */
  ends: Array<{ network: string; ifname: string }>;
}

export interface TesterManifests {
  serviceAccount: IServiceAccount;
  role: IRole;
  roleBinding: IRoleBinding;
  spec: IConfigMap;
  keys: ISecret;
  job: IJob;
}

const NAME = 'lab-tester';
const REPORT = 'lab-report';
const SPEC_DIR = '/etc/lab/spec';
const KEYS_DIR = '/etc/lab/keys';
const WORK = '/var/lib/lab-tester';

/** The Secret's key for a node's pinned host key (a key has no "/"); mounted where lab keeps it. */
function hostKeyItem(node: string): { key: string; path: string } {
  return { key: `${node}.pub`, path: nodePaths('', node).hostPub.replace(/^\//, '') };
}

/** The pod's command: the test, both reports in the log and in a ConfigMap, and the test's exit code. */
function testerScript(): string {
  const spec = `${WORK}/lab.yaml`;
  return [
    'set -u',
    `mkdir -p ${WORK} && cp ${SPEC_DIR}/lab.yaml ${spec} && cd ${WORK}`,
    `lab test -f ${spec} --target kubevirt --keys ${KEYS_DIR} --junit junit.xml --json > report.json`,
    'rc=$?',
    'cat report.json',
    'touch junit.xml && cat junit.xml',
    `kubectl create configmap ${REPORT} --from-file=report.json --from-file=junit.xml --dry-run=client -o yaml | kubectl apply -f - || rc=$((rc ? rc : 1))`,
    'exit $rc',
  ].join('\n');
}

export function renderTester(lab: Lab, t: TesterPlace): TesterManifests {
  const { namespace } = t;
  const metadata = (name: string) => ({ name, namespace, labels: labLabels(lab) });
  const networks = t.ends.map((e) => ({ name: e.network, namespace, interface: e.ifname }));
  return {
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(NAME) },
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: metadata(NAME),
      // Its report only: the VMs are reached over SSH, not through the API.
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'update', 'patch'] }],
    },
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: metadata(NAME),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME },
      subjects: [{ kind: 'ServiceAccount', name: NAME, namespace }],
    },
    spec: { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata('lab-spec'), data: { 'lab.yaml': t.spec } },
    keys: {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: metadata('lab-keys'),
      stringData: {
        id_ed25519: t.labKey.private,
        'id_ed25519.pub': t.labKey.public,
        ...Object.fromEntries(lab.nodes.map((node) => [hostKeyItem(node.name).key, t.hostKeys.get(node.name) ?? ''])),
      },
    },
    job: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: metadata(NAME),
      spec: {
        // One run: a second would test VMs the first left changed.
        backoffLimit: 0,
        template: {
          metadata: {
            labels: { ...labLabels(lab), 'lab-role': 'tester' },
            annotations: { 'k8s.v1.cni.cncf.io/networks': JSON.stringify(networks) },
          },
          spec: {
            serviceAccountName: NAME,
            restartPolicy: 'Never',
            ...(Object.keys(lab.spec.cluster.node_selector).length
              ? { nodeSelector: lab.spec.cluster.node_selector }
              : {}),
            affinity: besideTheLab(lab),
            containers: [
              {
                name: 'lab',
                image: t.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/sh', '-c', testerScript()],
                // ip netns attach and exec mount (/run/netns, /sys), which the runtimes' default
                // AppArmor and seccomp profiles refuse whatever the capabilities; with addresses
                // (NET_ADMIN), l2probe's raw frames and ping (NET_RAW).
                securityContext: { privileged: true },
                volumeMounts: [
                  { name: 'spec', mountPath: SPEC_DIR, readOnly: true },
                  { name: 'keys', mountPath: KEYS_DIR, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'spec', configMap: { name: 'lab-spec' } },
              {
                name: 'keys',
                secret: {
                  secretName: 'lab-keys',
                  defaultMode: 0o400,
                  items: [
                    { key: 'id_ed25519', path: 'id_ed25519' },
                    { key: 'id_ed25519.pub', path: 'id_ed25519.pub' },
                    ...lab.nodes.map((node) => hostKeyItem(node.name)),
                  ],
                },
              },
            ],
          },
        },
      },
    },
  };
}
