import { useState } from 'react';
import type { Evaluation } from '@slipway/client';
import { useApiState } from '../../api';
import { formatTime } from '../../format';
import { ErrorBox } from '../Common';

/** Who approved the selected evaluation, and a form to approve it when the policy asks for a reviewer. */
export function SignOff({ evaluation: e, onChanged }: { evaluation: Evaluation | undefined; onChanged(): void }) {
  const { client } = useApiState();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const approve = async () => {
    if (!e) return;
    setBusy(true);
    setError(undefined);
    try {
      await client.approveEvaluation(e.id, note.trim());
      setNote('');
      onChanged();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h2>Sign-off</h2>
      <p className="small muted">The policy needs a reviewer other than the person who starts the evaluation or promotes to approve it.</p>
      {e && e.approvals.length > 0 ? (
        <ul className="approvals">
          {e.approvals.map((a) => (
            <li key={a.approver}>
              <span className="pass-text">✓ {a.approver}</span> <span className="small muted">{formatTime(a.at)}</span>
              {a.note && <div className="small">{a.note}</div>}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">{e ? 'Not approved yet.' : 'No evaluation selected.'}</p>
      )}
      {e && e.status === 'completed' && (
        <form
          className="stack"
          onSubmit={(ev) => {
            ev.preventDefault();
            void approve();
          }}
        >
          <textarea value={note} onChange={(ev) => setNote(ev.target.value)} rows={2} placeholder="Note (what you checked)" aria-label="Approval note" maxLength={2000} />
          <div>
            <button type="submit" disabled={busy}>
              {busy ? 'Approving…' : 'Approve'}
            </button>
          </div>
        </form>
      )}
      <ErrorBox error={error} />
    </>
  );
}
