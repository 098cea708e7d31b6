// A small QMP client: connect to a VM's monitor socket, negotiate, run commands, collect events.
import { connect, type Socket } from 'node:net';
import { LabError } from '../errors.js';
import { waitFor, withDeadline } from './wait.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export interface QmpEvent {
  event: string;
  data?: unknown;
}

/** How long a QMP reply may take by default; commands that run long (savevm, loadvm) pass their own. */
const REPLY_MS = 30_000;

/** No QMP reply lab reads comes near this; a peer that sends more is not a QEMU to trust. */
const MAX_LINE = 4 * 2 ** 20;

export class Qmp {
  private buffer = '';
  private pending: Pending[] = [];
  readonly events: QmpEvent[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.failAll(new Error('QMP connection closed')));
    socket.on('error', (err) => this.failAll(err));
  }

  /** Connects and negotiates capabilities, retrying until the socket appears or the deadline passes. */
  static async open(path: string, timeoutMs = 10_000): Promise<Qmp> {
    let lastError = '';
    const qmp = await waitFor(
      async () => {
        try {
          const socket = await new Promise<Socket>((resolve, reject) => {
            const s = connect(path, () => resolve(s));
            s.once('error', reject);
          });
          const opened = new Qmp(socket);
          try {
            await withDeadline(opened.next(), Math.min(REPLY_MS, timeoutMs), `QMP at ${path}`); // the greeting
            await opened.execute('qmp_capabilities');
          } catch (err) {
            opened.close();
            throw err;
          }
          return opened;
        } catch (err) {
          lastError = (err as Error).message;
          return undefined;
        }
      },
      { timeoutMs },
    );
    if (!qmp)
      throw new LabError({
        code: 'TIMEOUT',
        message: `no QMP monitor at ${path} within ${timeoutMs / 1000} s (${lastError})`,
      });
    return qmp;
  }

  /** A command's reply, or a TIMEOUT: a wedged QEMU accepts the socket and never answers. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = REPLY_MS): Promise<T> {
    const reply = this.next() as Promise<T>;
    this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    return withDeadline(reply, timeoutMs, `QMP ${command}`);
  }

  close(): void {
    this.socket.destroy();
  }

  private next(): Promise<unknown> {
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length > MAX_LINE) {
      this.socket.destroy(new Error(`QMP sent a line of more than ${MAX_LINE} bytes`));
      return;
    }
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(JSON.parse(line) as Record<string, unknown>);
    }
  }

  private onMessage(msg: Record<string, unknown>): void {
    if ('event' in msg) {
      this.events.push(msg as unknown as QmpEvent);
      return;
    }
    const waiter = this.pending.shift();
    if (!waiter) return;
    if ('error' in msg) {
      const e = msg.error as { class: string; desc: string };
      waiter.reject(new Error(`QMP ${e.class}: ${e.desc}`));
    } else {
      waiter.resolve('QMP' in msg ? msg.QMP : msg.return);
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}
