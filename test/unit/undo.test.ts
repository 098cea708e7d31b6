import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors.js';
import { transaction } from '../../src/host/undo.js';

describe('transaction', () => {
  it('undoes what it made, newest first, when a step fails', async () => {
    const log: string[] = [];
    await expect(
      transaction(async (undo) => {
        log.push('make a');
        undo.push('a', async () => void log.push('undo a'));
        log.push('make b');
        undo.push('b', async () => void log.push('undo b'));
        throw new Error('step c failed');
      }),
    ).rejects.toThrow('step c failed');
    expect(log).toEqual(['make a', 'make b', 'undo b', 'undo a']);
  });

  it('turns Ctrl-C into an error at the next step and undoes, exit code 130', async () => {
    const log: string[] = [];
    const err = await transaction(async (undo, checkpoint) => {
      undo.push('a', async () => void log.push('undo a'));
      process.kill(process.pid, 'SIGINT');
      await new Promise((r) => setTimeout(r, 50));
      checkpoint();
      log.push('never');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).exitCode).toBe(130);
    expect(log).toEqual(['undo a']);
  });

  it('keeps nothing on success', async () => {
    const log: string[] = [];
    expect(await transaction(async (undo) => (undo.push('a', async () => void log.push('undo a')), 42))).toBe(42);
    expect(log).toEqual([]);
  });
});
