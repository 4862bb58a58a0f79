import { useCallback, useEffect, useState } from 'react';
import { SlipwayApiError, useApi } from '../api';
import { ErrorBox, Loading } from '../components/Common';
import { EvaluationTable } from '../components/evaluation/EvaluationTable';
import { ReleasePanel } from '../components/evaluation/ReleasePanel';
import { SelectedEvaluation } from '../components/evaluation/SelectedEvaluation';
import { evaluationHref, isActive } from '../components/evaluation/shared';
import { VersionNav } from '../components/VersionNav';
import { usePolling } from '../lib/polling';
import { Link, navigate, path } from '../router';

/** `/evaluations/:id`: finds the evaluation's model version and shows it on that version's evaluation page. */
export function EvaluationRedirect({ id }: { id: string }) {
  const e = useApi((c) => c.getEvaluation(id), [id]);
  const ev = e.data?.evaluation;
  useEffect(() => {
    if (ev) navigate(evaluationHref(ev.model, ev.version, ev.id), true);
  }, [ev]);
  return (
    <section>
      <ErrorBox error={e.error} />
      <Loading when={e.loading || Boolean(ev)} />
    </section>
  );
}

/** The evaluations of a model version: the list, the selected one (`id`, else the newest) and the release panel. */
export function EvaluationsPage({ name, version, id }: { name: string; version: number; id?: string }) {
  const [listNonce, setListNonce] = useState(0);
  const [selectedNonce, setSelectedNonce] = useState(0);
  const [pollList, setPollList] = useState(false);
  const tick = usePolling(pollList);
  const list = useApi((c) => c.listEvaluations(name, version), [name, version, tick, listNonce]);
  const evaluations = list.data?.evaluations;
  const selectedId = id ?? evaluations?.[0]?.id;
  const row = evaluations?.find((e) => e.id === selectedId);

  const [pollSelected, setPollSelected] = useState(false);
  const selectedTick = usePolling(pollSelected);
  const selected = useApi((c) => (selectedId ? c.getEvaluation(selectedId) : Promise.resolve(null)), [selectedId, selectedTick, selectedNonce]);
  const ev = selected.data?.evaluation.id === selectedId ? selected.data?.evaluation : undefined;
  // An evaluation of another version can be selected by its ID; it is only linked to, not shown here.
  const evHere = ev && ev.model === name && ev.version === version ? ev : undefined;

  useEffect(() => setPollList(Boolean(evaluations?.some(isActive))), [evaluations]);
  useEffect(() => setPollSelected(Boolean(ev && isActive(ev)) || (Boolean(row && isActive(row)) && !ev)), [ev, row]);
  // The list says the selected one finished before the polled copy does: fetch it once more.
  useEffect(() => {
    if (row && ev && !isActive(row) && isActive(ev)) setSelectedNonce((n) => n + 1);
  }, [row, ev]);

  const policy = useApi(
    (c) =>
      c.getGatePolicy(name).then(
        (r) => r.policy,
        (e: unknown) => {
          if (e instanceof SlipwayApiError && e.status === 404) return null;
          throw e;
        },
      ),
    [name],
  );
  const [modelNonce, setModelNonce] = useState(0);
  const model = useApi((c) => c.getModel(name), [name, modelNonce]);

  const refresh = useCallback(() => {
    setListNonce((n) => n + 1);
    setSelectedNonce((n) => n + 1);
    setModelNonce((n) => n + 1);
  }, []);

  return (
    <section>
      <nav className="crumbs">
        <Link href="/models">Models</Link> / <Link href={path('models', name)}>{name}</Link> / <Link href={path('models', name, 'versions', version)}>v{version}</Link> / <span>Evaluations</span>
      </nav>
      <h1>
        {name} v{version}: evaluations
      </h1>
      <VersionNav name={name} version={version} active="evaluations" />
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !evaluations} />
      {evaluations && <EvaluationTable name={name} version={version} evaluations={evaluations} selectedId={selectedId} />}
      <div className="eval-layout">
        <div className="eval-main">
          {selectedId && (
            <>
              <ErrorBox error={selected.error} />
              <Loading when={!ev && !selected.error} />
            </>
          )}
          {evHere && <SelectedEvaluation evaluation={evHere} onChanged={refresh} />}
          {ev && !evHere && (
            <p className="error">
              Evaluation <span className="mono">{ev.id}</span> is of {ev.model} v{ev.version}, not of this version.{' '}
              <Link href={evaluationHref(ev.model, ev.version, ev.id)}>Open it there</Link>.
            </p>
          )}
        </div>
        <aside className="release-panel" aria-label="Release">
          <ReleasePanel name={name} version={version} policy={policy.data} policyError={policy.error} aliases={model.data?.model.aliases} evaluation={evHere} onChanged={refresh} />
        </aside>
      </div>
    </section>
  );
}
