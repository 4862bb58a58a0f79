import { describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { parseCsv } from '../ui/src/lib/csv.js';
import { byTime, loadHistory } from '../ui/src/lib/history.js';
import { smooth } from '../ui/src/lib/smooth.js';
import { testDialect } from './db.js';
import { startTestServer } from './server.js';

describe('web UI helpers', () => {
  it('parses CSV previews: quotes, doubled quotes, separators and newlines inside quotes, row limit', () => {
    const text = 'a,b,c\r\n1,"x, y",3\n2,"say ""hi""","multi\nline"\n4,5,6\n';
    expect(parseCsv(text, ',', 10)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', '3'],
      ['2', 'say "hi"', 'multi\nline'],
      ['4', '5', '6'],
    ]);
    expect(parseCsv(text, ',', 2)).toHaveLength(2);
    expect(parseCsv('a\tb\n1\t2', '\t', 10)).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('smooths with a debiased moving average and keeps gaps', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const s = smooth([10, null, 10, 10], 0.9);
    expect(s[0]).toBeCloseTo(10);
    expect(s[1]).toBeNull();
    expect(s[3]).toBeCloseTo(10);
    const ramp = smooth([0, 1], 0.5);
    expect(ramp[1]).toBeCloseTo((0.5 * 0 * 0.5 + 0.5 * 1) / (1 - 0.25));
  });
});

describe(`web UI metric loading (${testDialect})`, () => {
  it('reads a 100,000-point history across pages, non-finite values as gaps', async () => {
    const server = await startTestServer();
    try {
      const client = new SlipwayClient({ url: server.url });
      const { run } = await client.createRun({ experimentId: '0' });
      const n = 100_000;
      const t0 = Date.UTC(2026, 0, 1);
      for (let start = 0; start < n; start += 1000) {
        const metrics = Array.from({ length: 1000 }, (_, i) => {
          const step = start + i;
          return { key: 'loss', value: step === 5 ? ('NaN' as const) : 1 / (step + 1), step, timestamp: t0 + (n - step) * 1000 };
        });
        await client.log(run.id, { metrics });
      }
      const h = await loadHistory(client, run.id, 'loss');
      expect(h.steps.length).toBe(n);
      expect(h.steps[0]).toBe(0);
      expect(h.steps[n - 1]).toBe(n - 1);
      expect(h.values[5]).toBeNull();
      expect(h.values[9]).toBeCloseTo(0.1);
      const t = byTime(h);
      expect(t.times[0]).toBeLessThan(t.times[1]!);
      expect(t.steps[0]).toBe(n - 1);
    } finally {
      await server.close();
    }
  });
});
