// Every GitHub workflow of the project parses and validates against GitHub's workflow schema
// (@action-validator/core), and the lab workflow keeps the steps that make it worth running.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/lab.js';

const DIR = join(ROOT, '.github', 'workflows');
const workflows = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

interface Job {
  if?: string;
  environment?: string;
  'runs-on': string[];
  steps: Step[];
}

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, string | boolean>;
}

describe('GitHub workflows', () => {
  it('there is at least one', () => {
    expect(workflows.length).toBeGreaterThan(0);
  });

  it.each(workflows)('%s names only files that exist in its comments', (file) => {
    const named = readFileSync(join(DIR, file), 'utf8').match(/\b(?:test|docs|src)\/[\w./-]+\.(?:ts|md)\b/g) ?? [];
    expect(named.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
  });

  it.each(workflows)('%s is valid YAML and a valid workflow', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    expect(() => parse(text, { strict: true, uniqueKeys: true })).not.toThrow();
    expect(validateWorkflow(text).errors).toEqual([]);
  });

  it('the validator rejects a broken workflow, so the check can fail', () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo "works" : "no"\n';
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
    expect(validateWorkflow('on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n').errors.length).toBeGreaterThan(0);
  });

  it('lab.yml detects KVM, runs lab test with JUnit, HTML, step summary and evidence, uploads them all and always ends with lab down', () => {
    const wf = parse(readFileSync(join(DIR, 'lab.yml'), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    const runs = (re: RegExp) => steps.filter((s) => s.run && re.test(s.run));
    expect(runs(/lab doctor --fix/)).toHaveLength(1);
    expect(runs(/lab doctor --json/)).toHaveLength(1);
    expect(
      runs(
        /lab test --junit lab-junit\.xml --html lab-report\.html --summary "\$GITHUB_STEP_SUMMARY" --evidence lab-evidence/,
      ),
    ).toHaveLength(1);
    expect(runs(/bash test\/run\.sh/)).toHaveLength(1);
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload).toMatchObject({ if: 'always()' });
    expect(String(upload!.with!.path).split('\n').filter(Boolean)).toEqual([
      'lab-junit.xml',
      'lab-report.html',
      'lab-evidence/',
    ]);
    const last = steps[steps.length - 1]!;
    expect(last).toMatchObject({ if: 'always()', run: expect.stringMatching(/lab down/) });
  });

  it('lab.yml gives no untrusted code the self-hosted runner: no fork pull requests, a reviewed environment, a read-only token, no stored credentials, one job per branch', () => {
    const wf = parse(readFileSync(join(DIR, 'lab.yml'), 'utf8')) as {
      permissions: unknown;
      concurrency: { group: string };
      jobs: Record<string, Job>;
    };
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(wf.concurrency.group).toMatch(/\$\{\{ github\.ref \}\}/);
    for (const job of Object.values(wf.jobs).filter((j) => j['runs-on'].includes('self-hosted'))) {
      expect(job.if).toBe(
        "github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository",
      );
      expect(job.environment).toBeTruthy();
      const checkout = job.steps.filter((s) => s.uses?.startsWith('actions/checkout@'));
      expect(checkout.length).toBeGreaterThan(0);
      for (const step of checkout) expect(step.with?.['persist-credentials']).toBe(false);
    }
  });
});
