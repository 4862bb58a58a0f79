import { useState, type ReactNode } from 'react';
import type { Deployment, DeploymentRevision, SlipwayClient } from '@slipway/client';
import { SlipwayApiError } from '../../api';
import { formatTime } from '../../format';
import { usePolled } from '../../lib/polling';
import { ErrorBox } from '../Common';
import { pct } from './shared';

type ShadowReport = Awaited<ReturnType<SlipwayClient['shadowReport']>>['report'];
type AbReport = Awaited<ReturnType<SlipwayClient['abReport']>>['report'];

/** Reports refresh this often while their mode is active. */
const REPORT_POLL_MS = 5000;
/** The server's default warm-up of the A/B test (labelled outcomes per arm before the first look). */
const MIN_PER_ARM = 10;

/** The latest shadow or A/B run of a deployment, from its revisions (newest first). */
export interface TestWindow {
  mode: 'shadow' | 'ab';
  stable: number;
  candidate: number;
  weight: number;
  /** The revision that started it. */
  since: string;
  /** The revision that ended it; null while it runs. */
  until: string | null;
  running: boolean;
}

export function lastTestOf(d: Deployment, revisions: DeploymentRevision[], mode: 'shadow' | 'ab'): TestWindow | null {
  const i = revisions.findIndex((r) => r.state.mode === mode && r.state.candidate !== null);
  if (i < 0) return null;
  const s = revisions[i]!.state;
  let first = i;
  // Earlier revisions of the same run (a weight change in shadow mode keeps comparing the same two versions).
  while (first + 1 < revisions.length) {
    const o = revisions[first + 1]!.state;
    if (o.mode !== mode || o.stable !== s.stable || o.candidate !== s.candidate || (mode === 'ab' && o.weight !== s.weight)) break;
    first++;
  }
  const running = i === 0 && d.mode === mode && d.revision === revisions[0]!.revision;
  return { mode, stable: s.stable, candidate: s.candidate!, weight: s.weight, since: revisions[first]!.at, until: i > 0 ? revisions[i - 1]!.at : null, running };
}

/** Which experiment cards the page shows: the running one, else the past ones (the latest first). */
export function experimentCards(d: Deployment, revisions: DeploymentRevision[]): { shadow: TestWindow | null; ab: TestWindow | null; shadowFirst: boolean } {
  const shadow = lastTestOf(d, revisions, 'shadow');
  const ab = lastTestOf(d, revisions, 'ab');
  const latest = revisions.find((r) => (r.state.mode === 'shadow' || r.state.mode === 'ab') && r.state.candidate !== null)?.state.mode;
  return {
    shadow: shadow && (d.mode === 'shadow' || (d.mode !== 'ab' && latest === 'shadow')) ? shadow : null,
    ab: ab && (d.mode === 'ab' || d.mode !== 'shadow') ? ab : null,
    shadowFirst: latest === 'shadow',
  };
}

// ---- formatting ----

/** 3 significant digits, one decimal from 100 on. */
const num = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : Number(x.toPrecision(3)).toString());
const signed = (x: number): string => (x > 0 ? `+${num(x)}` : x < 0 ? `−${num(-x)}` : '0');
const pValue = (p: number): string => (p < 0.0001 ? '< 0.0001' : p >= 0.9995 ? '1' : p.toFixed(p < 0.01 ? 4 : 3));
const ms = (x: number | null): string => (x === null ? '—' : `${x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)} ms`);
const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

function Verdict({ tone, title, children }: { tone: 'good' | 'neutral' | 'warn' | 'bad'; title: string; children?: ReactNode }) {
  return (
    <div className={`verdict verdict-${tone}`} role="status" data-testid="verdict">
      <div className="verdict-title">
        {tone !== 'neutral' && <span aria-hidden="true">{tone === 'good' ? '✓ ' : tone === 'bad' ? '⚠ ' : '✗ '}</span>}
        {title}
      </div>
      {children && <div className="verdict-text">{children}</div>}
    </div>
  );
}

function RunState({ t }: { t: TestWindow }) {
  return t.running ? (
    <span className="run-state live">● live · refreshes every {REPORT_POLL_MS / 1000} s</span>
  ) : (
    <span className="run-state">ended {formatTime(t.until)}</span>
  );
}

// ---- shadow ----

/** p50 and p99 of both versions as bars on one scale. */
function LatencyBars({ r, t }: { r: ShadowReport; t: TestWindow }) {
  const { stable, shadow } = r.latency;
  const max = Math.max(stable.p50Ms ?? 0, stable.p99Ms ?? 0, shadow.p50Ms ?? 0, shadow.p99Ms ?? 0) || 1;
  const bar = (v: number | null, cls: string, who: string) => (
    <div className="latency-row">
      <span className="latency-who">{who}</span>
      <span className="latency-track">
        <span className={`latency-fill ${cls}`} style={{ width: `${v === null ? 0 : Math.max(1, (v / max) * 100)}%` }} />
      </span>
      <span className="latency-value mono">{ms(v)}</span>
    </div>
  );
  const ratio = stable.p99Ms && shadow.p99Ms !== null ? shadow.p99Ms / stable.p99Ms : null;
  return (
    <div className="latency" data-testid="shadow-latency">
      {(['p50', 'p99'] as const).map((q) => (
        <div key={q} className="latency-group">
          <div className="latency-q small muted">{q === 'p50' ? 'p50 (typical)' : 'p99 (slowest 1%)'}</div>
          {bar(q === 'p50' ? stable.p50Ms : stable.p99Ms, 'traffic-stable', `stable v${t.stable}`)}
          {bar(q === 'p50' ? shadow.p50Ms : shadow.p99Ms, 'traffic-shadow', `shadow v${t.candidate}`)}
        </div>
      ))}
      {ratio !== null && Number.isFinite(ratio) && (
        <p className="small muted">
          {ratio > 1.05 ? `The shadow is ${ratio.toFixed(1)}× slower at p99.` : ratio < 0.95 ? `The shadow is faster at p99 (${ratio.toFixed(2)}× stable's).` : 'Both are about as fast at p99.'}
        </p>
      )}
    </div>
  );
}

export function ShadowCard({ d, t }: { d: Deployment; t: TestWindow }) {
  const loaded = usePolled((c) => c.shadowReport(d.name, { since: t.since, ...(t.until ? { until: t.until } : {}) }).then((x) => x.report), [d.name, t.since, t.until], REPORT_POLL_MS, t.running);
  const r = loaded.data;
  const rate = r?.agreement.rate ?? null;
  return (
    <div className="experiment" data-testid="shadow-report">
      <div className="experiment-head">
        <strong>
          v{t.candidate} shadowing v{t.stable}
        </strong>
        <span className="muted small">copies of {pct(t.weight)} of requests</span>
        <span className="grow" />
        <RunState t={t} />
      </div>
      <ErrorBox error={loaded.error} />
      {!r ? (
        !loaded.error && <div className="loading">Loading the comparison…</div>
      ) : r.shadowPredictions === 0 ? (
        <Verdict tone="neutral" title="No mirrored predictions yet">
          {t.running
            ? `v${t.candidate} gets a copy of ${pct(t.weight)} of the requests sent to the endpoints below and its answers are only logged; the comparison fills in as they arrive.`
            : 'No shadow prediction was logged while this shadow ran.'}
        </Verdict>
      ) : (
        <>
          <div className="shadow-headline">
            {rate !== null ? (
              <div className="big-number" data-testid="shadow-agreement">
                <span className="big-number-value">{(rate * 100).toFixed(1)}%</span>
                <span className="big-number-label">agreement</span>
              </div>
            ) : (
              <div className="big-number muted">
                <span className="big-number-value">—</span>
                <span className="big-number-label">agreement</span>
              </div>
            )}
            <div className="shadow-words">
              {rate !== null ? (
                <p>
                  v{t.candidate} {r.agreement.kind === 'value' ? `gave the same value (within ${pct(r.agreement.tolerance)})` : 'predicted the same label'} as v{t.stable} on{' '}
                  <strong>
                    {r.agreement.agreeing.toLocaleString('en-US')} of {plural(r.compared, 'prediction')}
                  </strong>
                  .
                </p>
              ) : (
                <p>
                  {r.pairs === 0
                    ? 'No mirrored prediction has answered yet.'
                    : r.compared === 0
                      ? `${plural(r.pairs, 'pair')} answered, but none with both answers logged: raise the sampling rate (now ${pct(d.samplingRate)}) to compare them.`
                      : 'The answers carry neither labels nor values to compare.'}
                </p>
              )}
              <p data-testid="shadow-shift">
                {capital(r.score.shift)}.
                {/* The shift names the mean signed difference; the mean absolute one adds something only when they differ. */}
                {r.score.meanAbsDifference !== null && Math.abs(r.score.meanAbsDifference - Math.abs(r.score.meanDifference ?? 0)) > 1e-3 * r.score.meanAbsDifference && (
                  <span className="muted"> Scores differ by {num(r.score.meanAbsDifference)} on average, either way.</span>
                )}
              </p>
              <p className={r.shadowErrors > 0 ? 'fail-text' : 'muted'}>{r.shadowErrors === 0 ? 'No shadow errors.' : `${plural(r.shadowErrors, 'shadow call')} failed.`}</p>
            </div>
          </div>
          <h3>Latency</h3>
          <LatencyBars r={r} t={t} />
          <p className="small muted">
            {plural(r.shadowPredictions, 'mirrored prediction')} since {formatTime(t.since)} · {r.pairs.toLocaleString('en-US')} paired with stable's answer ·{' '}
            {r.compared.toLocaleString('en-US')} compared (both answers logged)
          </p>
        </>
      )}
    </div>
  );
}

// ---- A/B ----

/**
 * The difference B − A and its confidence interval on an axis centred on zero: an interval clear of zero is a
 * real difference, one across zero is not (yet).
 */
export function DifferenceBar({ diff, lo, hi, higherIsBetter }: { diff: number | null; lo: number | null; hi: number | null; higherIsBetter: boolean }) {
  const W = 400;
  const H = 64;
  const pad = 16;
  const bounded = lo !== null && hi !== null;
  const m = Math.max(Math.abs(diff ?? 0), bounded ? Math.max(Math.abs(lo), Math.abs(hi)) : 0) * 1.15 || 1;
  const x = (v: number) => pad + ((Math.max(-m, Math.min(m, v)) + m) / (2 * m)) * (W - 2 * pad);
  const side = bounded && lo > 0 ? 'up' : bounded && hi < 0 ? 'down' : 'none';
  const tone = side === 'none' ? 'neutral' : (side === 'up') === higherIsBetter ? 'good' : 'bad';
  const y = 38;
  // The interval's ends are labelled above it, both when they fit apart, else the one further from zero.
  const ends = bounded ? (x(hi) - x(lo) >= 56 ? [lo, hi] : [Math.abs(lo) > Math.abs(hi) ? lo : hi]) : [];
  return (
    <svg
      className={`diff-bar diff-${tone}`}
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`B − A = ${diff === null ? 'unknown' : signed(diff)}${bounded ? `, interval ${signed(lo)} to ${signed(hi)}` : ''}`}
      data-testid="difference-bar"
    >
      <text x={pad} y={11} className="diff-side" textAnchor="start">
        ← {higherIsBetter ? 'A better' : 'B better'}
      </text>
      <text x={W - pad} y={11} className="diff-side" textAnchor="end">
        {higherIsBetter ? 'B better' : 'A better'} →
      </text>
      <line x1={pad} x2={W - pad} y1={y} y2={y} className="diff-axis" />
      <line x1={x(0)} x2={x(0)} y1={y - 11} y2={y + 11} className="diff-zero" />
      <text x={x(0)} y={H - 3} textAnchor="middle" className="diff-label">
        0
      </text>
      {bounded && <rect x={x(lo)} y={y - 5} width={Math.max(2, x(hi) - x(lo))} height={10} rx={3} className="diff-interval" />}
      {ends.map((v) => (
        <text key={v} x={Math.min(W - 22, Math.max(22, x(v)))} y={y - 10} textAnchor="middle" className="diff-label">
          {signed(v)}
        </text>
      ))}
      {!bounded && (
        <text x={W / 2} y={y - 10} textAnchor="middle" className="diff-label">
          no interval yet
        </text>
      )}
      {diff !== null && <circle cx={x(diff)} cy={y} r={5} className="diff-point" />}
    </svg>
  );
}

/** Observed share of B against the configured weight. */
function SplitBar({ r }: { r: AbReport }) {
  const total = r.arms.a.requests + r.arms.b.requests;
  if (total === 0) return <p className="muted">No request has been assigned yet.</p>;
  const share = r.arms.b.requests / total;
  const srm = r.sampleRatio;
  return (
    <div className="split" data-testid="ab-split">
      <div className="split-bar" role="img" aria-label={`B got ${pct(share)} of requests, ${pct(r.weight)} configured`}>
        <div className="traffic-seg traffic-stable" style={{ width: `${(1 - share) * 100}%` }} />
        <div className="traffic-seg traffic-candidate" style={{ width: `${share * 100}%` }} />
        <div className="split-target" style={{ left: `${(1 - r.weight) * 100}%` }} title={`configured: ${pct(r.weight)} to B`} />
      </div>
      <p className="small">
        B got <strong>{pct(share)}</strong> of {plural(total, 'request')}; <strong>{pct(r.weight)}</strong> configured (the black tick).{' '}
        {srm && (srm.mismatch ? <span className="fail-text">Too far off to be chance (p = {pValue(srm.pValue)}).</span> : <span className="muted">Within chance (p = {pValue(srm.pValue)}).</span>)}
      </p>
    </div>
  );
}

function abVerdict(r: AbReport, what: string, t: TestWindow): { tone: 'good' | 'neutral' | 'warn' | 'bad'; title: string; text: ReactNode } {
  const { a, b } = r.arms;
  if (r.verdict === 'sample ratio mismatch: fix assignment before reading results') {
    return {
      tone: 'bad',
      title: 'Sample ratio mismatch: fix assignment before reading results',
      text: `A got ${plural(a.requests, 'request')} and B ${b.requests.toLocaleString('en-US')} where ${pct(1 - r.weight)} / ${pct(r.weight)} was configured: too far off to be chance. Callers without the sticky header, bots or a cache in front usually cause it; until it is fixed the outcomes below are biased.`,
    };
  }
  if (a.requests + b.requests === 0) return { tone: 'neutral', title: 'No requests yet', text: t.running ? 'Send traffic to the endpoints below; callers are split by their sticky header.' : 'No request was served during this test.' };
  if (a.n === 0 || b.n === 0) {
    return {
      tone: 'neutral',
      title: 'No labelled outcomes yet',
      text: (
        <>
          {a.n === 0 && b.n === 0 ? 'Neither arm has' : `Arm ${a.n === 0 ? 'A' : 'B'} has no`} outcomes to compare: send them with <code>POST /api/v1/feedback</code> (the prediction ids are in the <code>x-prediction-id</code> header) or{' '}
          <code>slipway load --label-column</code>.
        </>
      ),
    };
  }
  if (r.verdict === 'B is better' || r.verdict === 'A is better') {
    const bWins = r.verdict === 'B is better';
    const [win, lose] = bWins ? [b, a] : [a, b];
    return {
      tone: bWins ? 'good' : 'warn',
      title: r.verdict,
      text: `v${win.version} (${bWins ? 'B, the candidate' : 'A, the stable version'}) does better on ${what}: ${num(win.mean!)} against ${num(lose.mean!)}, a gap too large to be chance (p = ${pValue(r.test.pValue)}, below ${r.test.alpha}). ${bWins ? `Promoting v${b.version} is backed by the data.` : `Keep v${a.version}: roll the candidate back.`}`,
    };
  }
  if (r.test.looks === 0) {
    return {
      tone: 'neutral',
      title: 'No difference yet',
      text: `Too few labelled outcomes to judge: each arm needs ${MIN_PER_ARM} (A has ${a.n}, B has ${b.n}).`,
    };
  }
  return {
    tone: 'neutral',
    title: 'No difference yet',
    text: t.running
      ? 'The arms could still be equal: keep the test running. Checking often is fine, the p-value stays valid at every look.'
      : 'The test ended before the arms could be told apart.',
  };
}

export function AbCard({ d, t }: { d: Deployment; t: TestWindow }) {
  const [draft, setDraft] = useState('');
  const [metric, setMetric] = useState('');
  const [direction, setDirection] = useState<'higher' | 'lower'>('higher');
  const loaded = usePolled(
    (c) => c.abReport(d.name, metric || undefined, { direction }).then((x) => x.report),
    [d.name, metric, direction, t.since, t.until],
    REPORT_POLL_MS,
    t.running,
  );
  const notRun = loaded.error instanceof SlipwayApiError && loaded.error.status === 409;
  const r = loaded.data && (loaded.data.metric ?? '') === metric ? loaded.data : undefined;
  const higherIsBetter = direction === 'higher';
  const what = metric ? `"${metric}"` : 'the outcome';
  return (
    <div className="experiment" data-testid="ab-report">
      <div className="experiment-head">
        <strong>
          A = v{t.stable} (stable) · B = v{t.candidate} (candidate)
        </strong>
        <span className="muted small">{pct(t.weight)} of callers to B</span>
        <span className="grow" />
        <RunState t={t} />
      </div>
      <form
        className="toolbar ab-options"
        onSubmit={(e) => {
          e.preventDefault();
          setMetric(draft.trim());
        }}
      >
        <label>
          Metric{' '}
          <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="the label itself" aria-label="Metric" maxLength={200} onBlur={() => setMetric(draft.trim())} />
        </label>
        <label>
          <select value={direction} onChange={(e) => setDirection(e.target.value as 'higher' | 'lower')} aria-label="Better when">
            <option value="higher">higher is better</option>
            <option value="lower">lower is better</option>
          </select>
        </label>
        <button type="submit" className="secondary small-button">
          Apply
        </button>
        <span className="small muted">the outcome is the fed-back label, or its field of this name</span>
      </form>
      {notRun ? (
        <Verdict tone="neutral" title="No A/B test to report">
          {loaded.error!.message}
        </Verdict>
      ) : (
        <ErrorBox error={loaded.error} />
      )}
      {!r ? (
        !loaded.error && <div className="loading">Loading the test…</div>
      ) : (
        <AbBody r={r} t={t} what={what} higherIsBetter={higherIsBetter} />
      )}
    </div>
  );
}

function AbBody({ r, t, what, higherIsBetter }: { r: AbReport; t: TestWindow; what: string; higherIsBetter: boolean }) {
  const column = r.metric ?? 'outcome';
  const v = abVerdict(r, what, t);
  const { a, b } = r.arms;
  const [lo, hi] = r.test.confidenceSequence;
  const total = a.requests + b.requests;
  const level = `${Number(((1 - r.test.alpha) * 100).toFixed(1))}%`;
  return (
    <>
      <Verdict tone={v.tone} title={v.title}>
        {v.text}
      </Verdict>
      <table className="grid ab-arms" data-testid="ab-arms">
        <thead>
          <tr>
            <th>Arm</th>
            <th className="num">Requests</th>
            <th className="num">Share</th>
            <th className="num">Errors</th>
            <th className="num">Labelled</th>
            <th className="num">Mean {column}</th>
          </tr>
        </thead>
        <tbody>
          {(
            [
              ['A', a, 'traffic-stable', 'stable'],
              ['B', b, 'traffic-candidate', 'candidate'],
            ] as const
          ).map(([k, arm, cls, role]) => (
            <tr key={k}>
              <td>
                <span className={`swatch ${cls}`} />
                <strong>{k}</strong> v{arm.version} <span className="muted small">{role}</span>
              </td>
              <td className="num">{arm.requests.toLocaleString('en-US')}</td>
              <td className="num">{total > 0 ? pct(arm.requests / total) : '—'}</td>
              <td className={`num${arm.errors > 0 ? ' fail-text' : ''}`}>{arm.errors.toLocaleString('en-US')}</td>
              <td className="num">{arm.n.toLocaleString('en-US')}</td>
              <td className="num">{arm.mean === null ? '—' : num(arm.mean)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {r.unusableLabels > 0 && (
        <p className="small warn-text">
          {plural(r.unusableLabels, 'label')} had no number for {r.metric ? `the field "${r.metric}"` : 'the outcome'}: {r.metric ? 'check the metric name' : 'for object labels, name the field in Metric'}.
        </p>
      )}
      <div className="ab-numbers">
        {/* Without outcomes in both arms there is nothing to test yet: only the split is shown. */}
        {a.n > 0 && b.n > 0 && (
          <div>
            <h3>Difference B − A</h3>
            <div className="ab-diff">
              <span className="big-number-value small-big">{r.test.difference === null ? '—' : signed(r.test.difference)}</span>
              <span className="small muted">
                {lo !== null && hi !== null ? (
                  <>
                    {level} sure it lies in{' '}
                    <strong className="mono">
                      [{signed(lo)}, {signed(hi)}]
                    </strong>
                  </>
                ) : (
                  'no interval yet'
                )}
              </span>
            </div>
            <DifferenceBar diff={r.test.difference} lo={lo} hi={hi} higherIsBetter={higherIsBetter} />
            <p className="small muted">The bar is the interval: clear of 0, one version really does better; across 0, they could still be equal.</p>
          </div>
        )}
        <div>
          {a.n > 0 && b.n > 0 && (
            <>
              <h3>p-value</h3>
              <div className="ab-p">
                <span className={`big-number-value small-big${r.test.pValue < r.test.alpha ? ' pass-text' : ''}`}>{pValue(r.test.pValue)}</span>
                <span className="small muted">{r.test.pValue < r.test.alpha ? `below ${r.test.alpha}: a real difference` : `a real difference needs below ${r.test.alpha}`}</span>
              </div>
              <p className="small muted">
                Always valid (mSPRT, {plural(r.test.looks, 'look')}): safe to read as often as you like.
              </p>
            </>
          )}
          <h3>Split</h3>
          <SplitBar r={r} />
        </div>
      </div>
      <p className="small muted">
        Since {formatTime(r.since)}
        {t.running ? '' : ` until ${formatTime(r.until)}`}; outcomes are compared in the order their labels arrived.
      </p>
    </>
  );
}
