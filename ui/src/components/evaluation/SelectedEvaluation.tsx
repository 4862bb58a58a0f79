import { useState } from 'react';
import type { Evaluation } from '@slipway/client';
import { useApi, useApiState } from '../../api';
import { formatTime } from '../../format';
import { Link, path } from '../../router';
import { ErrorBox, Loading } from '../Common';
import { ScorecardFrame, ScorecardLinks } from './Scorecard';
import { EvaluationStatus, isActive } from './shared';

/** Stops a queued or running evaluation. */
function CancelButton({ evaluation: e, onChanged }: { evaluation: Evaluation; onChanged(): void }) {
  const { client } = useApiState();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const cancel = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await client.cancelEvaluation(e.id);
      onChanged();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="danger" disabled={busy} onClick={() => void cancel()}>
        {busy ? 'Cancelling…' : 'Cancel evaluation'}
      </button>
      <ErrorBox error={error} />
    </>
  );
}

/** One evaluation: what it compared, then its scorecard, its progress or why it failed or was cancelled. */
export function SelectedEvaluation({ evaluation: e, onChanged }: { evaluation: Evaluation; onChanged(): void }) {
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
      {e.status === 'cancelled' && (
        <div className="eval-failed" role="status">
          <strong>Evaluation cancelled</strong>
          <p>{e.error?.message ?? 'Cancelled.'} It records no gate result.</p>
        </div>
      )}
      {isActive(e) && (
        <div className="eval-running">
          <EvaluationStatus e={e} />
          <p className="muted">{e.status === 'queued' ? 'Waiting for a free slot: other evaluations are running.' : 'The scorecard appears here when the evaluation completes.'}</p>
          <CancelButton evaluation={e} onChanged={onChanged} />
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
