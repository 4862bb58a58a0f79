import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPenguins } from '../examples/penguins.js';
import { SlipwayClient } from '../src/client/index.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

describe(`examples/penguins.ts runs end to end (${testDialect})`, () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-example-'));
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('promotes the better model through the gate and refuses the worse one', async () => {
    const client = new SlipwayClient({ url: server.url });
    const lines: string[] = [];
    const result = await runPenguins(client, dir, (l) => lines.push(l));
    expect(result.promoted).toEqual([1, 2]);
    expect(result.refused).toEqual([3]);
    expect((await client.getModelVersionByAlias('penguin-adelie', 'production')).version.version).toBe(2);
    const evaluations = (await client.listEvaluations('penguin-adelie')).evaluations;
    expect(evaluations).toHaveLength(2); // promotion reused the evaluations the example ran
    expect(lines.join('\n')).toMatch(/v3 refused: .*release checks failed/);
  });
});
