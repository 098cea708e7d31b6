// HTTP(S) download with progress, resume and retries.
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { LabError } from '../errors.js';
import type { Reporter } from '../progress.js';
import { sleep } from '../host/wait.js';

const ATTEMPTS = 4;

/** Far above any cloud image (Ubuntu's is 0.6 GiB): a server that sends more is not sending one, and would fill the disk. */
export const MAX_DOWNLOAD_BYTES = 8 * 2 ** 30;

class TooLarge extends Error {}

export async function download(url: string, file: string, reporter: Reporter): Promise<void> {
  let lastError = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      await fetchInto(url, file, reporter);
      return;
    } catch (err) {
      if (err instanceof TooLarge)
        throw new LabError({
          code: 'ENV_HOST',
          message: `cannot download ${url}: ${err.message}`,
          hint: 'Is image.url the image itself, and not a listing or an archive of many?',
        });
      lastError = reason(err as Error);
      if (attempt === ATTEMPTS) break;
      reporter.note(`download: ${lastError}; retrying (${attempt}/${ATTEMPTS - 1})`);
      await sleep(1000 * attempt);
    }
  }
  throw new LabError({ code: 'ENV_HOST', message: `cannot download ${url}: ${lastError}` });
}

/** fetch() says only "fetch failed"; the socket's own error (ECONNREFUSED, ENOTFOUND…) is in its cause. */
function reason(err: Error): string {
  const cause = err.cause as Error | undefined;
  return cause?.message ? `${err.message} (${cause.message})` : err.message;
}

/** Resumes from what a previous attempt wrote when the server allows ranges. */
async function fetchInto(url: string, file: string, reporter: Reporter): Promise<void> {
  const have = existsSync(file) ? statSync(file).size : 0;
  const res = await fetch(url, { headers: have ? { range: `bytes=${have}-` } : {} });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const resumed = res.status === 206;
  const total = Number(res.headers.get('content-length') ?? 0) + (resumed ? have : 0);
  const tooLarge = (bytes: number) =>
    new TooLarge(
      `it is more than ${MAX_DOWNLOAD_BYTES / 2 ** 30} GiB (${(bytes / 2 ** 30).toFixed(1)} GiB so far), the most lab takes for an image`,
    );
  if (total > MAX_DOWNLOAD_BYTES) {
    await res.body.cancel();
    throw tooLarge(total);
  }
  const out = createWriteStream(file, { flags: resumed ? 'a' : 'w' });
  let done = resumed ? have : 0;
  let shown = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      done += chunk.length;
      if (done > MAX_DOWNLOAD_BYTES) throw tooLarge(done);
      if (Date.now() - shown > 1000) {
        shown = Date.now();
        reporter.progress(
          `${(done / 2 ** 20).toFixed(0)} MiB${total ? ` of ${(total / 2 ** 20).toFixed(0)} MiB (${Math.floor((100 * done) / total)}%)` : ''}`,
        );
      }
    }
  } finally {
    // Also after a dropped connection: what was received is on disk before the next attempt measures it.
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
