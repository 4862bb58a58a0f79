import { pct, type QualityColumn, type QualityIssue, type WindowResult } from './shared';

const CHECK_LABEL: Record<QualityIssue['check'], string> = {
  missing: 'missing values',
  out_of_range: 'out of range',
  non_finite: 'infinite values',
  new_category: 'new categories',
  type_mismatch: 'wrong type',
  constant: 'constant',
  missing_column: 'missing column',
  extra_column: 'extra column',
};

function Share({ value, flagged }: { value: number | null; flagged: boolean }) {
  if (value === null) return <span className="muted">—</span>;
  return <span className={flagged ? 'fail-text mon-flag' : value > 0 ? '' : 'muted'}>{pct(value)}</span>;
}

function Row({ c, issues, selected }: { c: QualityColumn; issues: QualityIssue[]; selected: boolean }) {
  const has = (check: QualityIssue['check']) => issues.some((i) => i.check === check);
  return (
    <tr className={`${issues.length > 0 ? 'mon-quality-bad' : ''}${selected ? ' selected' : ''}`} data-column={c.column}>
      <td>
        <code>{c.column}</code> <span className="muted small">{c.type}</span>
      </td>
      <td className="num">{c.rows.toLocaleString('en-US')}</td>
      <td className="num">
        <Share value={c.missingShare} flagged={has('missing')} /> <span className="muted small">(ref {pct(c.referenceMissingShare)})</span>
      </td>
      <td className="num">
        <Share value={c.outOfRangeShare} flagged={has('out_of_range')} />
      </td>
      <td className="num">
        <Share value={c.newCategoryShare} flagged={has('new_category')} />
        {c.newCategories.length > 0 && <div className="small muted">{c.newCategories.slice(0, 4).join(', ')}</div>}
      </td>
      <td className="num">
        <Share value={c.typeMismatchShare} flagged={has('type_mismatch')} />
      </td>
      <td>{c.constant ? <span className={has('constant') ? 'fail-text' : ''}>yes{c.referenceConstant ? ' (as in the reference)' : ''}</span> : <span className="muted">no</span>}</td>
    </tr>
  );
}

/** The selected window's data-quality checks: issues in words first, then every column's shares. */
export function QualityTable({ result, feature }: { result: WindowResult; feature: string | null }) {
  const q = result.quality;
  if (!q || q.columns.length === 0) return <p className="muted">No rows in this window, so nothing to check.</p>;
  return (
    <div data-testid="quality">
      {q.issues.length === 0 ? (
        <p className="notice ok">
          <strong>✓ No data-quality issues</strong> in this window.
        </p>
      ) : (
        <ul className="mon-issues" aria-label="Data-quality issues">
          {q.issues.map((i, k) => (
            <li key={k}>
              <span className="mon-issue-check">{CHECK_LABEL[i.check] ?? i.check}</span> {i.column && <code>{i.column}</code>} {i.message}
            </li>
          ))}
        </ul>
      )}
      {(q.missingColumns.length > 0 || q.extraColumns.length > 0) && (
        <p className="small">
          {q.missingColumns.length > 0 && (
            <>
              Missing from requests: <code>{q.missingColumns.join(', ')}</code>.{' '}
            </>
          )}
          {q.extraColumns.length > 0 && (
            <>
              Not in the reference: <code>{q.extraColumns.join(', ')}</code>.
            </>
          )}
        </p>
      )}
      <div className="table-scroll mon-quality-scroll">
        <table className="grid mon-quality">
          <thead>
            <tr>
              <th>Column</th>
              <th className="num">Rows</th>
              <th className="num">Missing</th>
              <th className="num">Out of range</th>
              <th className="num">New categories</th>
              <th className="num">Wrong type</th>
              <th>Constant</th>
            </tr>
          </thead>
          <tbody>
            {q.columns.map((c) => (
              <Row key={c.column} c={c} issues={q.issues.filter((i) => i.column === c.column)} selected={c.column === feature} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
