// A small QMP client: connect to a VM's monitor socket, negotiate, run commands, collect events.
import { connect, type Socket } from 'node:net';
import { LabError } from '../errors.js';
import { waitFor } from './wait.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export interface QmpEvent {
  event: string;
  data?: unknown;
}

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
    const qmp = await waitFor(async () => {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.once('error', reject);
        });
        const opened = new Qmp(socket);
        await opened.next(); // the greeting
        await opened.execute('qmp_capabilities');
        return opened;
      } catch (err) {
        lastError = (err as Error).message;
        return undefined;
      }
    }, { timeoutMs });
    if (!qmp) throw new LabError({ code: 'TIMEOUT', message: `no QMP monitor at ${path} within ${timeoutMs / 1000} s (${lastError})` });
    return qmp;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    const reply = this.next() as Promise<T>;
    this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }

  private next(): Promise<unknown> {
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
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
