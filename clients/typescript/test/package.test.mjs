// The package itself: its version is the contract's, and its generated code is what the contract
// generates (scripts/gen-ts-client --check runs the full comparison; this is the quick guard).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import * as client from '../dist/index.js';

const root = new URL('../../../', import.meta.url);

test("the package's version is the contract's info.version", async () => {
  const pkg = JSON.parse(await readFile(new URL('clients/typescript/package.json', root), 'utf8'));
  const contract = await readFile(new URL('openapi.yaml', root), 'utf8');
  // info.version: the `  version:` line of the top-level `info:` block.
  const lines = contract.split('\n');
  const start = lines.indexOf('info:') + 1;
  const end = lines.findIndex((l, i) => i >= start && /^[^ ]/.test(l));
  const version = lines
    .slice(start, end)
    .map((l) => /^ {2}version: *['"]?([^'"]+)/.exec(l)?.[1])
    .find(Boolean);
  assert.ok(version, 'info.version not found in openapi.yaml');
  assert.equal(pkg.version, version);
});

test('every operation of the contract is a function of the package', async () => {
  const contract = await readFile(new URL('openapi.yaml', root), 'utf8');
  const ids = [...contract.matchAll(/^ {6}operationId: (\w+)$/gm)].map((m) => m[1]);
  assert.ok(ids.length > 50);
  const camel = (id) => id.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
  const missing = ids.map(camel).filter((name) => typeof client[name] !== 'function');
  assert.deepEqual(missing, []);
});

test('enums are validated at run time as the contract lists them', () => {
  const status = client.schemas.zGuideStatus;
  assert.equal(status.parse('PUBLISHED'), 'PUBLISHED');
  assert.throws(() => status.parse('published'));
});
