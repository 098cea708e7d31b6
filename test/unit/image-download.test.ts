// The download path of guest images against a real HTTP server on loopback: checksum, resume, cache.
import type { DpdkSpec } from '../../src/config/spec-types.js';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors.js';
import { ensureImage } from '../../src/image/build.js';
import { imagePlan } from '../../src/image/recipe.js';
import { quiet } from '../../src/progress.js';

const dpdk: DpdkSpec = {
  source: 'distro',
  version: '',
  sha256: '',
  url: '',
  build: { drivers: [], apps: [], meson_options: [] },
};
/** A real qcow2 of 3 MiB of random data: lab takes only a standalone qcow2 as a downloaded image. */
function qcow2Body(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'lab-qcow2-body-'));
  try {
    writeFileSync(join(dir, 'raw'), randomBytes(3 * 2 ** 20));
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', join(dir, 'raw'), join(dir, 'disk.qcow2')]);
    return readFileSync(join(dir, 'disk.qcow2'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const body = qcow2Body();
const sha256 = createHash('sha256').update(body).digest('hex');

/** Serves `body` with Range support; while `dropNext` (or `dropAll`) is set, a request gets half the rest and a reset. */
let dropNext = false;
let dropAll = false;
const ranges: Array<string | undefined> = [];
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    ranges.push(req.headers.range);
    const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const part = body.subarray(from);
    res.writeHead(from ? 206 : 200, { 'content-length': part.length, 'accept-ranges': 'bytes' });
    if (dropNext || dropAll) {
      dropNext = false;
      res.write(part.subarray(0, part.length / 2), () => res.destroy());
      return;
    }
    res.end(part);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let cache = '';
beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'lab-cache-'));
  ranges.length = 0;
});
/** The locks the builds held: host-wide files outside the cache folder, so removed with it. */
const locks = new Set<string>();
afterEach(() => {
  rmSync(cache, { recursive: true, force: true });
  for (const lock of locks) rmSync(lock, { force: true });
});

/** A loopback port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

const fetchImage = (image: { url: string; sha256: string }) => {
  const plan = imagePlan({ image, dpdk }, cache);
  locks.add(plan.lock);
  return ensureImage({ image }, plan, quiet);
};

describe('downloaded guest images', () => {
  it('are checked against their sha256 and cached by it; the second time nothing is fetched', async () => {
    const image = { url: `${base}/disk.img`, sha256 };
    expect(await fetchImage(image)).toBe(false);
    const dir = join(cache, `sha256-${sha256}`);
    expect(readdirSync(cache)).toEqual([`sha256-${sha256}`]);
    expect(readFileSync(join(dir, 'disk.img')).equals(body)).toBe(true);
    expect(await fetchImage(image)).toBe(true);
    expect(ranges).toHaveLength(1);
  });

  it('resume where a dropped connection left off', async () => {
    dropNext = true;
    expect(await fetchImage({ url: `${base}/disk.img`, sha256 })).toBe(false);
    // The second request asks for the rest of what arrived before the reset (at most the half sent).
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBeUndefined();
    const from = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(body.length / 2);
    expect(readFileSync(join(cache, `sha256-${sha256}`, 'disk.img')).equals(body)).toBe(true);
  }, 20_000);

  it('keep what arrived when every attempt fails, and the next lab up resumes from it', async () => {
    dropAll = true;
    const image = { url: `${base}/disk.img`, sha256 };
    const err = await fetchImage(image).catch((e: unknown) => e);
    dropAll = false;
    expect(err).toBeInstanceOf(LabError);
    const kept = readFileSync(join(cache, `sha256-${sha256}.download`, 'disk.img'));
    expect(kept.length).toBeGreaterThan(body.length / 2);
    expect(kept.equals(body.subarray(0, kept.length))).toBe(true);
    ranges.length = 0;
    expect(await fetchImage(image)).toBe(false);
    expect(ranges, 'the next attempt asks only for the rest').toEqual([`bytes=${kept.length}-`]);
    expect(readdirSync(cache)).toEqual([`sha256-${sha256}`]);
    expect(readFileSync(join(cache, `sha256-${sha256}`, 'disk.img')).equals(body)).toBe(true);
  }, 30_000);

  it('with a wrong checksum fail clearly and leave nothing in the cache', async () => {
    const wrong = 'f'.repeat(64);
    const err = await fetchImage({ url: `${base}/disk.img`, sha256: wrong }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).message).toContain(`has SHA-256 ${sha256}, not ${wrong}`);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('that cannot be fetched fail with the URL and the reason, after retrying', async () => {
    const closed = await freePort();
    const err = await fetchImage({ url: `http://127.0.0.1:${closed}/disk.img`, sha256 }).catch((e: unknown) => e);
    expect((err as LabError).message).toBe(
      `cannot download http://127.0.0.1:${closed}/disk.img: fetch failed (connect ECONNREFUSED 127.0.0.1:${closed})`,
    );
    expect(readdirSync(cache)).toEqual([]);
  }, 30_000);
});
