// SSH to a lab guest with ssh2: the lab's key, and the guest's host key pinned from the first
// connection (lab generated it); a different host key is an error, never a prompt.
import { Client, type ConnectConfig } from 'ssh2';
import { LabError } from '../errors.js';

export interface SshEndpoint {
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

export function sshConnect(ep: SshEndpoint, timeoutMs = 15_000): Promise<Client> {
  const pinned = keyBlob(ep.hostKey);
  return new Promise((resolve, reject) => {
    const conn = new Client();
    let mismatch = false;
    const config: ConnectConfig = {
      host: '127.0.0.1',
      port: ep.port,
      username: ep.user,
      privateKey: ep.privateKey,
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        mismatch = !key.equals(pinned);
        return !mismatch;
      },
    };
    conn.once('ready', () => resolve(conn));
    conn.once('error', (err) => {
      conn.end();
      reject(mismatch ? new HostKeyMismatch(`the guest on 127.0.0.1:${ep.port} presented a host key other than the one lab pinned`) : err);
    });
    conn.connect(config);
  });
}

/** Keeps trying until SSH answers with the pinned key; a wrong key stops the wait at once. */
export async function waitForSsh(ep: SshEndpoint, timeoutMs: number, onWait: (lastError: string) => void): Promise<Client> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  let lastReport = Date.now();
  for (;;) {
    try {
      return await sshConnect(ep, 10_000);
    } catch (err) {
      if (err instanceof HostKeyMismatch) throw new LabError({ code: 'ENV_HOST', message: err.message, hint: 'Something else answers on that port, or the guest was not provisioned by this lab. Run `lab down` and `lab up` again.' });
      lastError = (err as Error).message;
    }
    if (Date.now() >= deadline) throw new LabError({ code: 'TIMEOUT', message: `no SSH on 127.0.0.1:${ep.port} within ${timeoutMs / 1000} s (last: ${lastError})` });
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      onWait(lastError);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export function sshExec(conn: Client, command: string, timeoutMs = 60_000): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    conn.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => {
        stream.close();
        reject(new LabError({ code: 'TIMEOUT', message: `guest command did not finish within ${timeoutMs / 1000} s: ${command}` }));
      }, timeoutMs);
      stream.on('data', (d: Buffer) => (stdout += d.toString()));
      stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      stream.on('close', (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        resolve({ code: code ?? null, signal: signal ?? null, stdout, stderr });
      });
    });
  });
}

/** Runs a guest command that must succeed; the error carries its output. */
export async function sshRun(conn: Client, command: string, timeoutMs = 60_000): Promise<string> {
  const r = await sshExec(conn, command, timeoutMs);
  if (r.code !== 0) throw new LabError({ code: 'PROCESS', message: `guest command failed (exit ${r.code ?? r.signal}): ${command}`, hint: (r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n') });
  return r.stdout;
}
