/**
 * The API's two pages for people, rendered by a real browser (Debian's
 * `chromium`, headless): with authentication on (API_KEYS and ADMIN_KEY),
 * Bull Board at `/admin/queues` asks for the admin key (HTTP Basic, as a
 * browser's dialog answers it), then shows the prediction queue and the jobs
 * just submitted; the docs page at `/docs` needs no key and lists every
 * operation of the OpenAPI document. One screenshot of each lands in the
 * temporary directory, to look at. Skipped, saying so, where no Chromium
 * is on the PATH.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  type PrivateRedis,
  type ServiceProcess,
  startPrivateRedis,
  startServiceProcess,
  waitUntilReady,
} from '@ensembles/redis-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from './testing/find-executable.js';
import { type HeadlessChromium, startHeadlessChromium } from './testing/headless-chromium.js';
import { apiMain, workerMain } from './testing/service-stack.js';
import { tinyUpload } from './testing/tiny-ensemble.js';

const TENANT_KEY = 'browser-tenant-key';
const ADMIN_KEY = 'browser-admin-key';
const screenshots = join(tmpdir(), 'ensembles-screenshots');

const chromium = findExecutable('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable');
if (!chromium) {
  console.warn(
    'browser-pages.test.ts skipped: no Chromium on the PATH (chromium, chromium-browser, google-chrome; Debian: apt-get install chromium)',
  );
}

describe.skipIf(!chromium)('the pages in a real browser, authentication on', () => {
  let redis: PrivateRedis;
  let processes: ServiceProcess[] = [];
  let browser: HeadlessChromium;
  let base: string;
  const jobIds: string[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = {
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'browser',
      LOG_LEVEL: 'warn',
      ENSEMBLE_THREADS: '1',
      API_KEYS: `acme:${TENANT_KEY}`,
      ADMIN_KEY,
    };
    const api = startServiceProcess(apiMain, { ...env, PORT: String(port) });
    processes = [api, startServiceProcess(workerMain, env)];
    await Promise.all([
      startHeadlessChromium(chromium as string).then((started) => {
        browser = started;
      }),
      waitUntilReady(`${base}/v2/health/ready`, api),
    ]);
    const authorization = `Bearer ${TENANT_KEY}`;
    const { payload, headers } = tinyUpload();
    const upload = await fetch(`${base}/v1/ensembles`, { method: 'POST', body: payload, headers: { ...headers, authorization } });
    expect(upload.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      // Waited for (up to the API's cap of 30 s): the worker may still be starting.
      const answer = await fetch(`${base}/v1/ensembles/tiny/predictions`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', prefer: 'wait=30' },
        body: JSON.stringify({ input: { shape: [1, 3], data: [1, 2, 3 + i] } }),
      });
      const job = (await answer.json()) as { id: string; status: string };
      expect([answer.status, job.status]).toEqual([200, 'completed']);
      jobIds.push(job.id);
    }
    mkdirSync(screenshots, { recursive: true });
  }, 120_000); // Three processes and a browser to start, on a machine that may be busy.

  afterAll(async () => {
    await browser?.close();
    await Promise.all(processes.map((child) => child.kill('SIGKILL')));
    await redis?.stop();
  });

  it('shows the queue dashboard, after the admin key, with the prediction queue and its jobs', async () => {
    const page = await browser.open({ basicAuth: { username: 'admin', password: ADMIN_KEY } });
    await page.goto(`${base}/admin/queues`);
    // The browser was challenged for the key (401, WWW-Authenticate: Basic) and answered it.
    expect(page.authChallenges).toBeGreaterThan(0);
    await page.waitFor(`document.body.innerText.includes('predictions')`);
    await page.goto(`${base}/admin/queues/queue/predictions?status=completed`);
    const ids = JSON.stringify(jobIds);
    await page.waitFor(`${ids}.every((id) => document.body.innerText.includes(id))`);
    const path = join(screenshots, 'queue-dashboard.png');
    await page.screenshot(path);
    console.log(`browser-pages.test.ts: the queue dashboard, as rendered: ${path}`);
  });

  it('refuses the queue dashboard to a tenant key', async () => {
    // The key refused, the dialog is cancelled: the browser shows the 401.
    const page = await browser.open({ basicAuth: { username: 'admin', password: TENANT_KEY } });
    await page.goto(`${base}/admin/queues`);
    expect(page.authChallenges).toBe(2);
    await page.waitFor(`document.body.innerText.includes('UNAUTHORIZED')`);
    expect(await page.evaluate<string>('document.body.innerText')).not.toContain('predictions');
  });

  it('shows the docs without a key, with every operation of the OpenAPI document', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations).toContain('POST /v1/ensembles/{name}/predictions');
    const page = await browser.open();
    await page.goto(`${base}/docs`);
    await page.waitFor(`document.querySelectorAll('.opblock').length >= ${operations.length}`);
    const rendered = await page.evaluate<string[]>(
      `[...document.querySelectorAll('.opblock-summary')].map((summary) =>
        summary.querySelector('.opblock-summary-method').textContent + ' ' + summary.querySelector('.opblock-summary-path').dataset.path)`,
    );
    expect(rendered.sort()).toEqual(operations.sort());
    const path = join(screenshots, 'docs.png');
    await page.screenshot(path);
    console.log(`browser-pages.test.ts: the docs page, as rendered: ${path}`);
  });
});
