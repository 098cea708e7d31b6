// apt-get with a configuration of its own (sources, lists, architecture), so a test fetches a
// Debian source package or another architecture's package without touching the host's apt.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `apt-get update`, then each command, in a new folder whose sources.list is `sources`; hands
 * `keep` that folder (where apt-get source and download leave their files) before it is removed.
 */
export function withPrivateApt<T>(
  sources: string,
  commands: string[][],
  keep: (dir: string, files: string[]) => T,
  architecture?: string,
): T {
  const apt = mkdtempSync(join(tmpdir(), 'lab-apt-'));
  try {
    mkdirSync(join(apt, 'lists', 'partial'), { recursive: true });
    writeFileSync(join(apt, 'sources.list'), sources);
    const opts = [
      '-q',
      '-o',
      `Dir::Etc::SourceList=${join(apt, 'sources.list')}`,
      '-o',
      'Dir::Etc::SourceParts=/nonexistent',
      '-o',
      `Dir::State::Lists=${join(apt, 'lists')}`,
      ...(architecture
        ? ['-o', `APT::Architecture=${architecture}`, '-o', `APT::Architectures::=${architecture}`]
        : []),
    ];
    for (const args of [['update'], ...commands]) {
      const r = spawnSync('apt-get', [...opts, ...args], { cwd: apt, encoding: 'utf8', timeout: 600_000 });
      if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: ${r.stderr}`);
    }
    return keep(apt, readdirSync(apt));
  } finally {
    rmSync(apt, { recursive: true, force: true });
  }
}
