#!/usr/bin/env node
// Regenerates src/config/spec-types.ts from schemas/lab.schema.json (run after `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { schemaToTs } from '../dist/config/schema-to-ts.js';

const root = new URL('..', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('schemas/lab.schema.json', root), 'utf8'));
writeFileSync(new URL('src/config/spec-types.ts', root), schemaToTs(schema));
