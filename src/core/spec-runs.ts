// What a spec makes lab run or fetch beyond its own programs: a spec is code, and a reviewer of a
// pull request that changes one should see that code, listed.
import { buildScript } from '../apps/build.js';
import { findNode, type Lab } from '../config/lab.js';
import { formatPath } from '../config/path.js';

export interface SpecRun {
  /** The spec field, as a path a person reads (apps.fwd.command). */
  field: string;
  value: string;
  /** Where and how it runs. */
  where: string;
}

export function specRuns(lab: Lab): SpecRun[] {
  const out: SpecRun[] = [];
  const add = (at: Array<string | number>, value: string, where: string) =>
    out.push({ field: formatPath(at), value, where });
  const image = lab.image;
  if ('url' in image) add(['image', 'url'], image.url, 'downloaded on this host; QEMU boots it');
  else {
    if (image.debian.mirror)
      add(
        ['image', 'debian', 'mirror'],
        image.debian.mirror,
        'mmdebstrap installs the guest image from it on this host',
      );
    if (image.debian.packages.length)
      add(
        ['image', 'debian', 'packages'],
        image.debian.packages.join(' '),
        'installed into the guest image, their maintainer scripts run',
      );
  }
  if (lab.dpdk.source === 'release') {
    add(['dpdk', 'url'], lab.dpdk.url, 'fetched and built inside each QEMU guest');
    const { meson_options: options } = lab.dpdk.build;
    if (options.length) add(['dpdk', 'build', 'meson_options'], options.join(' '), 'passed to meson in the guest');
  }
  for (const app of lab.apps) {
    const node = findNode(lab, app.node);
    const where = node?.kind === 'netns' ? `on this host, in node ${app.node}'s namespace` : `in guest ${app.node}`;
    if (app.build)
      add(
        ['apps', app.name, 'build'],
        `${buildScript(app.build)} in a copy of ${app.build.dir}, then ${app.build.binary}`,
        where,
      );
    else if (app.program === 'custom') add(['apps', app.name, 'command'], app.command, where);
    if (app.eal_args.length)
      add(
        ['apps', app.name, 'eal_args'],
        app.eal_args.join(' '),
        `${where}${app.trust_eal_args ? ', trusted to load code or name files (trust_eal_args)' : ''}`,
      );
    if (app.args.length) add(['apps', app.name, 'args'], app.args.join(' '), where);
  }
  return out;
}
