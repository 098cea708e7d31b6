// The words lab fills in an app's args for the node it runs on, so one spec serves a VM and a
// namespace: `args: [-p, "{portmask}", --rxq, "{queues}"]`.

export const APP_PLACEHOLDERS = {
  device: 'the NIC as EAL names it: its PCI address in a QEMU node, its vdev string in a netns node',
  lcores: 'the lcore list the app runs on',
  queues: 'the RX/TX queue pairs the NIC offers the app',
  port: "the NIC's DPDK port id (0: lab gives an app one NIC)",
  portmask: 'a port mask of that port, as l2fwd takes it (0x1)',
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
