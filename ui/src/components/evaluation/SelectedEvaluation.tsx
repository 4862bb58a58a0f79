import type { Evaluation } from '@slipway/client';
import { useApi } from '../../api';
import { formatTime } from '../../format';
import { Link, path } from '../../router';
import { ErrorBox, Loading } from '../Common';
import { ScorecardFrame, ScorecardLinks } from './Scorecard';
import { EvaluationStatus } from './shared';

/** One evaluation: what it compared, then its scorecard, its progress or why it failed. */
export function SelectedEvaluation({ evaluation: e }: { evaluation: Evaluation }) {
  const scorecard = useApi((c) => (e.status === 'completed' ? c.scorecard(e.id, 'html').then((html) => ({ id: e.id, html })) : Promise.resolve(null)), [e.id, e.status]);
  const html = scorecard.data && scorecard.data.id === e.id ? scorecard.data.html : undefined;
  return (
    <div>
      <h2>
        {e.status === 'completed' ? 'Scorecard' : 'Evaluation'}{' '}
        <span className="small muted mono" title="Evaluation ID">
          {e.id}
        </span>
      </h2>
      <p className="small muted">
        Started {formatTime(e.createdAt)} by {e.createdBy}
        {e.finishedAt ? `, finished ${formatTime(e.finishedAt)}` : ''} · {e.dataset.name}@v{e.dataset.version} · {e.championVersion !== null ? `against ${e.against ? `@${e.against} ` : ''}v${e.championVersion}` : 'no champion'} · policy{' '}
        {e.policyVersion !== null ? `v${e.policyVersion}` : 'none'}
        {e.runId && (
          <>
            {' '}
            · <Link href={path('runs', e.runId)}>tracking run</Link>
          </>
        )}
      </p>
      {e.status === 'failed' && (
        <div className="error eval-failed" role="alert">
          <strong>Evaluation failed{e.error ? ` (${e.error.code})` : ''}</strong>
          <p>{e.error?.message ?? 'No error message was recorded.'}</p>
        </div>
      )}
      {e.status === 'running' && (
        <div className="eval-running">
          <EvaluationStatus e={e} />
          <p className="muted">The scorecard appears here when the evaluation completes.</p>
        </div>
      )}
      {e.status === 'completed' && (
        <>
          <ErrorBox error={scorecard.error} />
          <Loading when={!html && !scorecard.error} />
          {html !== undefined && (
            <>
              <ScorecardFrame key={e.id} html={html} title={`Scorecard of evaluation ${e.id}`} />
              <ScorecardLinks id={e.id} html={html} />
            </>
          )}
        </>
      )}
    </div>
  );
}
