// The lab's SSH key and each guest's host key, made once with ssh-keygen and kept in the state folder.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { run } from './exec.js';
import { makeDir } from './files.js';

export interface KeyPair {
  private: string;
  public: string;
}

/** Key pairs being made in this process, so nodes rendered in parallel share one lab key. */
const making = new Map<string, Promise<KeyPair>>();

/** An ed25519 key pair at `path` (private, 0600) and `path.pub`; created only if missing. */
export function ensureKeyPair(path: string, comment: string): Promise<KeyPair> {
  let pair = making.get(path);
  if (!pair) {
    pair = makeKeyPair(path, comment).finally(() => making.delete(path));
    making.set(path, pair);
  }
  return pair;
}

/** The key pair at `path` if it was made already; makes none (lab render's dry run). */
export function readKeyPair(path: string): KeyPair | undefined {
  if (!existsSync(path) || !existsSync(`${path}.pub`)) return undefined;
  return { private: readFileSync(path, 'utf8'), public: readFileSync(`${path}.pub`, 'utf8') };
}

async function makeKeyPair(path: string, comment: string): Promise<KeyPair> {
  if (!existsSync(path) || !existsSync(`${path}.pub`)) {
    makeDir(dirname(path));
    const tmp = `${path}.tmp-${process.pid}`;
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.pub`, { force: true });
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', tmp], {
      code: 'ENV_TOOL',
      what: 'making an SSH key',
    });
    renameSync(`${tmp}.pub`, `${path}.pub`);
    renameSync(tmp, path);
  }
  return { private: readFileSync(path, 'utf8'), public: readFileSync(`${path}.pub`, 'utf8') };
}
