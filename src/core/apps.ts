// lab run / lab stop: an app takes its NIC from the node's kernel, runs until stopped, gives the NIC
// back. The same steps on every kind of node; the node's AppHost says how each is done there.
import type { CountersEvent, ReadyEvent } from '../apps/events.js';
import { startApp, stopApp, type RunningApp } from '../apps/runner.js';
import type { AppPort } from '../apps/command.js';
import { placeOf, type Lab, type Node } from '../config/lab.js';
import type { AppHost } from '../nodes/node.js';
import { openContext, type LabContext } from '../nodes/registry.js';
import { LabError } from '../errors.js';
import { catchingSignals, isInterrupt, throwIfInterrupted } from '../host/interrupt.js';
import { withLock } from '../host/lock.js';
import type { StopHow } from '../host/process.js';
import { transaction } from '../host/undo.js';
import { sleep } from '../host/wait.js';
import { quiet } from '../progress.js';
import { ensureBuilt } from '../apps/build.js';
import { dpdkFilePrefix } from '../layout.js';
import { recordNics, type AppRecord, type LabState } from '../state/store.js';

export interface AppStarted {
  app: string;
  alreadyRunning: boolean;
  node: string;
  nic: string;
  where: string;
  pid: number;
  log: string;
  argv: string[];
  pci?: string;
  /** The DPDK port each of its NICs became. */
  ports: AppPort[];
  ready: ReadyEvent;
  /** An app built from the spec's sources: its build key, and whether this run built it. */
  build?: { key: string; built: boolean };
}

function upState(ctx: LabContext, node: string): LabState {
  const { lab } = ctx.session;
  const state = ctx.state();
  if (!state?.nodes[node])
    throw new LabError({
      code: 'STATE',
      message: `lab ${lab.name} is not up (node ${node} is not running)`,
      hint: 'Run `lab up` first.',
    });
  return state;
}

/** Opens the node's app host for the length of `fn`. */
export async function withHost<T>(
  ctx: LabContext,
  node: Node,
  state: LabState | undefined,
  fn: (host: AppHost) => Promise<T>,
): Promise<T> {
  const host = await ctx.of(node.kind).openAppHost(node, state?.nodes[node.name]);
  try {
    return await fn(host);
  } finally {
    host.close();
  }
}

export function runningApp(host: AppHost, s: AppRecord): RunningApp {
  return { target: host.target, ref: s.proc, log: s.log };
}

export async function labRun(lab: Lab, name: string): Promise<AppStarted> {
  const ctx = openContext(lab, quiet);
  const { paths } = ctx.session;
  const { app, node, nic, nics } = placeOf(lab, name);
  return withLock(paths.lock, 'run', async () => {
    const state = upState(ctx, node.name);
    return withHost(ctx, node, state, async (host) => {
      const current = state.apps[name];
      if (current && (await host.target.alive(current.proc))) {
        return {
          app: name,
          alreadyRunning: true,
          node: node.name,
          nic: nic.name,
          where: host.target.where,
          pid: current.proc.pid,
          log: current.log,
          argv: [],
          ports: current.ports ?? [],
          ready: current.ready,
        };
      }
      for (const [other, s] of Object.entries(state.apps)) {
        const shared = nics.find((n) => recordNics(s).includes(n.name));
        if (other !== name && s.node === node.name && shared && (await host.target.alive(s.proc))) {
          throw new LabError({
            code: 'STATE',
            message: `${node.name}.${shared.name} is taken by app ${other}`,
            hint: `Run \`lab stop ${other}\` first.`,
          });
        }
      }
      // Before the NIC is taken: a build that fails leaves the lab as it was.
      const built = app.build ? await ensureBuilt(host.target, { name, build: app.build }) : undefined;
      const program = built ? { ...app, command: built.program } : app;
      return transaction(async (undo, checkpoint) => {
        const taken = [];
        for (const n of nics) {
          taken.push(await host.take(n));
          undo.push(`give ${node.name}.${n.name} back to the kernel`, () => host.give(n));
          checkpoint();
        }
        const { argv, ports } = host.launch(program, nics, taken);
        const { app: running, ready } = await startApp(host.target, argv, ctx.of(node.kind).appLogPath(name), {
          app,
          filePrefix: dpdkFilePrefix(lab.name, name),
          ports: ports.length,
        });
        undo.push(`stop ${name}`, async () => void (await stopApp(running)));
        checkpoint();
        state.apps[name] = {
          node: node.name,
          nic: nic.name,
          nics: nics.map((n) => n.name),
          ports,
          program: app.program,
          proc: running.ref,
          log: running.log,
          startedAt: new Date().toISOString(),
          ready,
        };
        ctx.saveState(state);
        return {
          app: name,
          alreadyRunning: false,
          node: node.name,
          nic: nic.name,
          where: host.target.where,
          pid: running.ref.pid,
          log: running.log,
          argv,
          ...(taken[0]?.pci ? { pci: taken[0].pci } : {}),
          ports,
          ready,
          ...(built ? { build: { key: built.key, built: built.built } } : {}),
        };
      });
    });
  });
}

export interface StopAppResult {
  app: string;
  wasRunning: boolean;
  how: StopHow;
  final?: CountersEvent;
}

export async function labStop(lab: Lab, name: string): Promise<StopAppResult> {
  const ctx = openContext(lab, quiet);
  const { node } = placeOf(lab, name);
  return withLock(ctx.session.paths.lock, 'stop', () =>
    withHost(ctx, node, ctx.state(), (host) => stopAndGiveBack(ctx, name, host)),
  );
}

/** Stops an app, gives its NIC back and forgets it; the caller holds the lab lock and the host. */
export async function stopAndGiveBack(ctx: LabContext, name: string, host: AppHost): Promise<StopAppResult> {
  const { lab } = ctx.session;
  const { nics } = placeOf(lab, name);
  const state = ctx.state();
  const s = state?.apps[name];
  if (!state || !s) return { app: name, wasRunning: false, how: 'gone' };
  const stopped = await stopApp(runningApp(host, s));
  for (const nic of nics) await host.give(nic);
  delete state.apps[name];
  ctx.saveState(state);
  return { app: name, wasRunning: stopped.how !== 'gone', ...stopped };
}

/**
 * `lab run APP` without --detach: streams the app's log until Ctrl-C (or until the app exits by
 * itself), then stops it as `lab stop` does, so nothing is left running behind the terminal.
 */
export async function followApp(lab: Lab, name: string, write: (text: string) => void): Promise<StopAppResult> {
  const ctx = openContext(lab, quiet);
  const { node } = placeOf(lab, name);
  const state = ctx.state();
  await catchingSignals(() =>
    withHost(ctx, node, state, async (host) => {
      const s = state?.apps[name];
      if (!s) return;
      let shown = 0;
      try {
        for (;;) {
          const log = await host.target.readLog(s.log);
          if (log.length > shown) write(log.slice(shown));
          shown = Math.max(shown, log.length);
          if (!(await host.target.alive(s.proc))) return;
          await sleep(500);
          throwIfInterrupted();
        }
      } catch (err) {
        if (!isInterrupt(err)) throw err;
      }
    }),
  );
  return labStop(lab, name);
}

/** The app a verb was given, else every app the state says runs; none is an error naming how to start one. */
export function appsToCheck(ctx: LabContext, name: string | undefined): string[] {
  const { lab } = ctx.session;
  const names = name ? [name] : Object.keys(ctx.state()?.apps ?? {});
  if (!names.length)
    throw new LabError({
      code: 'STATE',
      message: `no app of lab ${lab.name} is running`,
      hint: `Start one: lab run ${lab.apps[0]?.name ?? 'APP'} --detach`,
    });
  return names;
}
