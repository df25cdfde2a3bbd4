// One flow in a real headless browser (Debian's Chromium, driven by playwright-core): the
// generated client bundled into a page served on an origin the API allows (CORS_ORIGINS), so
// the CORS preflights, the exposed x-trace-id header and the presigned upload happen as the apps
// meet them. And the API's reference page, /docs, rendered offline.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';
import { chromium } from 'playwright-core';

import { baseUrl, samplePdf, seed, signInDemo } from './helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const executablePath = process.env.INNOVA_CHROMIUM || '/usr/bin/chromium';
const pagePort = Number(process.env.INNOVA_PAGE_PORT);
const apiLog = process.env.INNOVA_API_LOG;
const screenshot = process.env.INNOVA_DOCS_SCREENSHOT;

let context;
let userDataDir;
let script;
const servers = [];

/** Serves the test page and its bundle on 127.0.0.1:port (0: any free port). */
async function servePage(port, script) {
  const html =
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>TS client</title></head>' +
    '<body><script type="module" src="/app.js"></script></body></html>';
  const server = createServer((req, res) => {
    const [type, body] =
      req.url === '/app.js' ? ['text/javascript', script] : ['text/html; charset=utf-8', html];
    res.writeHead(200, { 'content-type': type }).end(body);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}`;
}

async function openPage(origin) {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.innova !== undefined);
  return page;
}

before(async () => {
  assert.ok(pagePort > 0, 'INNOVA_PAGE_PORT (an origin in CORS_ORIGINS) is not set: run scripts/test-ts-client');
  const bundle = await build({
    entryPoints: [join(here, 'browser', 'app.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
  });
  script = bundle.outputFiles[0].text;
  userDataDir = await mkdtemp(join(tmpdir(), 'innova-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await context?.close();
  for (const server of servers) server.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

test('in the browser: sign-in, guide upload to the presigned URL, CORS and x-trace-id', async () => {
  const origin = await servePage(pagePort, script);
  const { password } = await signInDemo('teacher@innova.demo');
  const logStart = (await readFile(apiLog, 'utf8')).length;

  const page = await openPage(origin);
  const steps = await page.evaluate((args) => window.innova.teacherUploadsAGuide(args), {
    apiUrl: baseUrl,
    email: 'teacher@innova.demo',
    password,
    courseId: seed.courseId,
    pdf: [...samplePdf('Subida desde Chromium')],
  });

  assert.match(steps.loginTraceId ?? '', /^[0-9a-f-]{36}$/, 'x-trace-id is exposed to the page');
  assert.equal(steps.me.role, 'teacher');
  assert.equal(steps.putStatus, 200);
  assert.match(steps.putTraceId ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(steps.roundTrip, true, 'the PDF read back is the one uploaded');
  assert.deepEqual(
    { ...steps.error, traceId: typeof steps.error?.traceId },
    { statusCode: 404, code: 'Not Found', traceId: 'string', name: 'InnovaApiError' },
  );
  assert.ok(steps.tokenAsked >= 3);

  // The server saw the preflights (OPTIONS, answered 204) of the JSON POST and of the PUT.
  const access = (await readFile(apiLog, 'utf8'))
    .slice(logStart)
    .split('\n')
    .filter((l) => l.includes('"access"') || l.includes('"method"'))
    .map((l) => JSON.parse(l))
    .map((l) => l.fields ?? l);
  const preflights = access.filter((l) => l.method === 'OPTIONS' && l.status === 204).map((l) => l.path);
  assert.ok(preflights.includes('/auth/login'), `preflights: ${preflights}`);
  assert.ok(preflights.includes('/guides'), `preflights: ${preflights}`);
  assert.ok(preflights.some((p) => p.startsWith('/local-objects/')), `preflights: ${preflights}`);
  await page.close();
});

test('in the browser: a page on an origin the API does not allow is refused', async () => {
  const origin = await servePage(0, script);
  const page = await openPage(origin);
  assert.equal(await page.evaluate((apiUrl) => window.innova.refused({ apiUrl }), baseUrl), 'blocked');
  await page.close();
});

test('/docs renders the API reference offline, listing the operations', async () => {
  const page = await context.newPage();
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));
  const response = await page.goto(`${baseUrl}/docs`);
  assert.equal(response.status(), 200);
  assert.equal((await response.allHeaders())['content-encoding'], 'gzip');
  // Redoc has rendered the contract: one heading per operation, with its summary.
  await page.locator('h2', { hasText: 'Liveness.' }).first().waitFor({ timeout: 30_000 });
  for (const summary of ['Browse the error catalogue.', 'The pipeline snapshot.', 'Pause or resume a stage.']) {
    assert.equal(await page.locator('h2', { hasText: summary }).count(), 1, summary);
  }
  const headings = await page.locator('h2').count();
  assert.ok(headings >= 60, `only ${headings} operations rendered`);
  // Nothing was fetched from anywhere but the API.
  // (Redoc's search runs in a worker made from a blob: URL, which is the page's own.)
  const elsewhere = requested.filter((u) => /^(https?|wss?):/.test(u) && !u.startsWith(baseUrl));
  assert.deepEqual(elsewhere, []);
  if (screenshot) {
    await mkdir(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot });
  }
  await page.close();
});
