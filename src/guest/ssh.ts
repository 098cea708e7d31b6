// SSH to a lab guest with ssh2: the lab's key, and the guest's host key pinned from the first
// connection (lab generated it); a different host key is an error, never a prompt.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import { LabError } from '../errors.js';
import { spawnPiped, type Piped } from '../host/exec.js';
import { waitFor } from '../host/wait.js';
import { makeDir } from '../host/files.js';
import { packagePath } from '../assets.js';

export interface SshEndpoint {
  /** QEMU runs inside the lab namespace (to open its taps), so its SSH forward listens on that namespace's 127.0.0.1. */
  netns: string;
  /** Where the guest's SSH answers, seen from that namespace: 127.0.0.1 (QEMU's forward) unless a cluster runs the VM. */
  host?: string;
  port: number;
  user: string;
  privateKey: string;
  /** The pinned host key, one OpenSSH line: "ssh-ed25519 AAAA… comment". */
  hostKey: string;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function keyBlob(line: string): Buffer {
  const b64 = line.trim().split(/\s+/)[1];
  if (!b64) throw new Error(`not an OpenSSH public key line: ${line}`);
  return Buffer.from(b64, 'base64');
}

class HostKeyMismatch extends Error {}

/** Where an endpoint's SSH answers, as messages say it. */
export function sshAddress(ep: Pick<SshEndpoint, 'host' | 'port'>): string {
  return `${ep.host ?? '127.0.0.1'}:${ep.port}`;
}

/** A TCP stream to host:port inside a namespace: tcp-relay.ts, run by this Node under ip netns exec. */
function relay(netns: string, host: string, port: number): { sock: Duplex; child: Piped } {
  const program = packagePath('dist', 'guest', 'tcp-relay.js');
  const child = spawnPiped(['ip', 'netns', 'exec', netns, process.execPath, program, String(port), host]);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  void child.exited.then(({ code, error }) => {
    if (code !== 0) sock.destroy(error ?? new Error(stderr.trim() || `relay exited with ${code}`));
  });
  return { sock, child };
}

export function sshConnect(ep: SshEndpoint, timeoutMs = 15_000): Promise<Client> {
  const pinned = keyBlob(ep.hostKey);
  return new Promise((resolve, reject) => {
    const conn = new Client();
    const { sock, child } = relay(ep.netns, ep.host ?? '127.0.0.1', ep.port);
    conn.once('close', () => child.kill());
    let mismatch = false;
    const config: ConnectConfig = {
      sock,
      username: ep.user,
      privateKey: ep.privateKey,
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        mismatch = !key.equals(pinned);
        return !mismatch;
      },
    };
    let ready = false;
    conn.once('ready', () => {
      ready = true;
      resolve(conn);
    });
    // A connection that closes before it is ready (the relay died, the guest hung up) must end the attempt, not leave it pending.
    conn.once('close', () => {
      if (!ready) reject(new Error('the SSH connection closed before it was ready'));
    });
    // `on`, not `once`: a failing connection can emit several errors, and an unheard one kills the process.
    conn.on('error', (err) => {
      conn.end();
      child.kill();
      reject(
        mismatch
          ? new HostKeyMismatch(
              `the guest on ${sshAddress(ep)} (namespace ${ep.netns}) presented a host key other than the one lab pinned`,
            )
          : err,
      );
    });
    conn.connect(config);
  });
}

/** Keeps trying until SSH answers with the pinned key; a wrong key stops the wait at once. */
export async function waitForSsh(
  ep: SshEndpoint,
  timeoutMs: number,
  onWait: (lastError: string) => void,
): Promise<Client> {
  let lastError = '';
  const conn = await waitFor(
    async () => {
      try {
        return await sshConnect(ep, 10_000);
      } catch (err) {
        if (err instanceof HostKeyMismatch)
          throw new LabError({
            code: 'ENV_HOST',
            message: err.message,
            hint: 'Something else answers on that port, or the guest was not provisioned by this lab. Run `lab down` and `lab up` again.',
          });
        lastError = (err as Error).message;
        return undefined;
      }
    },
    { timeoutMs, everyMs: 2000, onWait: () => onWait(lastError) },
  );
  if (!conn)
    throw new LabError({
      code: 'TIMEOUT',
      message: `no SSH on ${sshAddress(ep)} in namespace ${ep.netns} within ${timeoutMs / 1000} s (last: ${lastError})`,
    });
  return conn;
}

/** The most a guest command's stdout or stderr may hold. */
const MAX_EXEC_OUTPUT = 16 * 2 ** 20;

/** The largest file lab copies out of a guest (a DPDK build is about 60 MiB). */
const MAX_DOWNLOAD_BYTES = 2 * 2 ** 30;

export function sshExec(conn: Client, command: string, timeoutMs = 60_000): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    // ssh2 never calls back an exec on a connection that has closed, nor one whose channel the guest
    // never opens: the deadline runs from the start, and a closed connection ends the wait at once.
    let close = () => undefined as void;
    const done = () => {
      clearTimeout(timer);
      conn.off('close', closed);
    };
    const closed = () => {
      done();
      reject(
        new LabError({
          code: 'PROCESS',
          message: `the SSH connection to the guest closed before this command finished: ${command}`,
        }),
      );
    };
    const timer = setTimeout(() => {
      done();
      close();
      reject(
        new LabError({
          code: 'TIMEOUT',
          message: `guest command did not finish within ${timeoutMs / 1000} s: ${command}`,
        }),
      );
    }, timeoutMs);
    conn.once('close', closed);
    conn.exec(command, (err, stream) => {
      if (err) {
        done();
        return reject(err);
      }
      close = () => stream.close();
      let stdout = '';
      let stderr = '';
      // A guest command lab runs prints little; one that floods is cut off rather than held in memory.
      const capped = (text: string, d: Buffer) => {
        if (text.length + d.length <= MAX_EXEC_OUTPUT) return text + d.toString();
        done();
        close();
        reject(
          new LabError({
            code: 'PROCESS',
            message: `guest command printed more than ${MAX_EXEC_OUTPUT / 2 ** 20} MiB, which lab does not hold: ${command}`,
          }),
        );
        return text;
      };
      stream.on('data', (d: Buffer) => (stdout = capped(stdout, d)));
      stream.stderr.on('data', (d: Buffer) => (stderr = capped(stderr, d)));
      stream.on('close', (code: number | null, signal: string | null) => {
        done();
        resolve({ code: code ?? null, signal: signal ?? null, stdout, stderr });
      });
    });
  });
}

/** Runs a guest command that must succeed; the error carries its output. */
export async function sshRun(conn: Client, command: string, timeoutMs = 60_000): Promise<string> {
  const r = await sshExec(conn, command, timeoutMs);
  if (r.code !== 0)
    throw new LabError({
      code: 'PROCESS',
      message: `guest command failed (exit ${r.code ?? r.signal}): ${command}`,
      hint: (r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n'),
    });
  return r.stdout;
}

/** Copies a guest file to `local` over SFTP: into a file beside it, renamed into place only once complete. */
export async function sshDownload(conn: Client, remote: string, local: string): Promise<void> {
  makeDir(dirname(local));
  // Two VMs of one lab may build the same DPDK at once: each writes a file of its own.
  const tmp = `${local}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await new Promise<void>((resolve, reject) => {
      conn.sftp((err, sftp) => {
        if (err) return reject(err);
        const fail = (message: string) => {
          sftp.end();
          reject(new LabError({ code: 'PROCESS', message: `could not copy ${remote} from the guest: ${message}` }));
        };
        sftp.stat(remote, (se, st) => {
          if (se) return fail(se.message);
          if (st.size > MAX_DOWNLOAD_BYTES)
            return fail(
              `it is ${(st.size / 2 ** 30).toFixed(1)} GiB, more than the ${MAX_DOWNLOAD_BYTES / 2 ** 30} GiB lab takes from a guest`,
            );
          sftp.fastGet(remote, tmp, (e) => {
            if (e) return fail(e.message);
            sftp.end();
            resolve();
          });
        });
      });
    });
    renameSync(tmp, local);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Files written over SFTP, as the SSH user, each with its mode, into guest folders that are there. */
export async function sshUpload(
  conn: Client,
  dir: string,
  files: Array<{ path: string; content: Buffer; executable: boolean }>,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    conn.sftp((err, sftp) => {
      if (err) return reject(err);
      const next = (i: number): void => {
        const f = files[i];
        if (!f) {
          sftp.end();
          return resolve();
        }
        sftp.writeFile(`${dir}/${f.path}`, f.content, { mode: f.executable ? 0o755 : 0o644 }, (e) => {
          if (!e) return next(i + 1);
          sftp.end();
          reject(
            new LabError({
              code: 'PROCESS',
              message: `could not copy ${f.path} into the guest's ${dir}: ${e.message}`,
            }),
          );
        });
      };
      next(0);
    });
  });
}
