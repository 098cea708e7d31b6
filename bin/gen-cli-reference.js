#!/usr/bin/env node
// Regenerates docs/cli.md from the command definitions (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { cliReference } from '../dist/cli.js';

writeFileSync(new URL('../docs/cli.md', import.meta.url), cliReference());
