import { useApi } from '../api';
import { Link, path } from '../router';

/** The tabs of a model version: its overview and its evaluations (with their count). */
export function VersionNav({ name, version, active }: { name: string; version: number; active: 'overview' | 'evaluations' }) {
  // The list carries no reports, so counting this way stays cheap; the server caps it at 100.
  const evaluations = useApi((c) => c.listEvaluations(name, version), [name, version]);
  const n = evaluations.data?.evaluations.length;
  return (
    <nav className="tabs" aria-label="Model version">
      <Link href={path('models', name, 'versions', version)} className={active === 'overview' ? 'tab active' : 'tab'} aria-current={active === 'overview' ? 'page' : undefined}>
        Overview
      </Link>
      <Link href={path('models', name, 'versions', version, 'evaluations')} className={active === 'evaluations' ? 'tab active' : 'tab'} aria-current={active === 'evaluations' ? 'page' : undefined}>
        Evaluations{n !== undefined ? ` (${n >= 100 ? '100+' : n})` : ''}
      </Link>
    </nav>
  );
}
