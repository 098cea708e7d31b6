// The words lab fills in an app's args for the node it runs on, so one spec serves a VM and a
// namespace: `args: [-p, "{portmask}", --rxq, "{queues}"]`.

export const APP_PLACEHOLDERS = {
  device: "the app's (first) NIC as EAL names it: its PCI address in a QEMU node, its vdev string in a netns node",
  lcores: 'the lcore list the app runs on',
  queues: 'the RX/TX queue pairs its (first) NIC offers the app',
  port: "its (first) NIC's DPDK port id",
  portmask: 'a port mask of all its ports, as l2fwd takes it (0x3 for two)',
} as const;

export type PlaceholderName = keyof typeof APP_PLACEHOLDERS;

/** The {name}s in an argument, in order. */
export function placeholdersIn(arg: string): string[] {
  return [...arg.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
}

export function isPlaceholder(name: string): name is PlaceholderName {
  return Object.hasOwn(APP_PLACEHOLDERS, name);
}

/** The argument with every known placeholder filled. */
export function fillPlaceholders(arg: string, values: Record<PlaceholderName, string>): string {
  return arg.replace(/\{([^{}]*)\}/g, (whole, name: string) => (isPlaceholder(name) ? values[name] : whole));
}
