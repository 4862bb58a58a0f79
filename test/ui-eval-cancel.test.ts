import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { churnModel, churnRows, churnServerAnswer, registerCsv, registerOnnx, writeCsv } from './eval-fixtures.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

const ROOT = join(import.meta.dirname, '..');
const UI = join(ROOT, 'dist/ui');
const CHROMIUM = process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium';
const ready = existsSync(CHROMIUM) && existsSync(join(UI, 'index.html'));

// As test/ui-browser.test.ts: one dialect is enough for the UI; CI fails instead of skipping when a piece is missing.
describe.skipIf(testDialect !== 'sqlite' || (!ready && !process.env.CI))('cancelling evaluations from the web UI', () => {
  let server: TestServer;
  let upstream: Server;
  let browser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-ui-cancel-'));
  /** Model-server answers held back, so the evaluation on it stays running until the test lets them go. */
  const held: (() => void)[] = [];

  beforeAll(async () => {
    if (!ready) throw new Error(`Browser tests need ${CHROMIUM} (apt-get install chromium) and a built UI (npm run build).`);
    upstream = createServer((req, res: ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(churnServerAnswer(body)))));
    });
    await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
    const port = (upstream.address() as { port: number }).port;
    server = await startTestServer({ uiRoot: UI, trust: { maxConcurrentEvaluations: 1, modelServerHosts: [`127.0.0.1:${port}`] } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });
  afterAll(async () => {
    for (const release of held.splice(0)) release();
    await browser?.close();
    await server?.close();
    await new Promise((ok) => upstream?.close(ok));
    rmSync(dir, { recursive: true, force: true });
  });

  it('cancels a queued and a running evaluation with the Cancel button', async () => {
    const client = new SlipwayClient({ url: server.url });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const dataset = await registerCsv(client, writeCsv(dir, 'eval.csv', churnRows(200) as unknown as Record<string, unknown>[]), 'cancel-eval');
    await client.createModel({ name: 'slow' });
    const port = (upstream.address() as { port: number }).port;
    await client.createModelVersion('slow', { source: `http://127.0.0.1:${port}/invocations`, tags: { 'slipway.classes': '0,1' } });
    await registerOnnx(client, 'slow', churnModel());
    const request = (version: number) => ({ model: 'slow', version, dataset, label: 'churned', ignoreColumns: ['plan', 'region'], against: null });
    const running = (await client.startEvaluation(request(1))).evaluation;
    const queued = (await client.startEvaluation(request(2))).evaluation;
    expect([running.status, queued.status]).toEqual(['running', 'queued']);

    await page.goto(`${server.url}/evaluations/${queued.id}`);
    await page.waitForURL(new RegExp(`/models/slow/versions/2/evaluations/${queued.id}$`));
    await page.locator('.eval-running').getByText('QUEUED').waitFor();
    await page.getByRole('button', { name: 'Cancel evaluation' }).click();
    await page.locator('.eval-failed').getByText('Evaluation cancelled').waitFor();
    expect(await page.locator('.eval-list tbody tr.selected').innerText()).toContain('CANCELLED');
    expect((await client.getEvaluation(queued.id)).evaluation.status).toBe('cancelled');

    await page.goto(`${server.url}/evaluations/${running.id}`);
    await page.waitForURL(new RegExp(`/models/slow/versions/1/evaluations/${running.id}$`));
    await page.locator('.eval-running').getByText('RUNNING').waitFor();
    await page.getByRole('button', { name: 'Cancel evaluation' }).click();
    const cancelled = page.locator('.eval-failed');
    await cancelled.waitFor();
    expect(await cancelled.innerText()).toMatch(/Cancelled by .*It records no gate result/s);
    expect(await page.getByRole('button', { name: 'Cancel evaluation' }).count()).toBe(0);
    expect((await client.getEvaluation(running.id)).evaluation).toMatchObject({ status: 'cancelled', gatePassed: null });
    expect(errors).toEqual([]);
  });
});
