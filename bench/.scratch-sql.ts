import { openDatabase } from '../src/db/database.js';
import { parseFilter, parseOrderBy } from '../src/tracking/search/filter.js';
import { orderRuns, whereRunsMatch } from '../src/tracking/search/runs-query.js';
const d = await openDatabase('sqlite::memory:');
let q = d.db.selectFrom('runs').selectAll('runs').where('runs.experiment_id', 'in', [1]);
q = whereRunsMatch(q, parseFilter("metrics.m7 > 0.5 AND params.p3 = 'v1' AND tags.t IS NULL AND (status = 'x' OR datasets.context LIKE 'a%')", 'runs', { allowOr: true }), 'postgres');
q = orderRuns(q, parseOrderBy(['metrics.m12 DESC', 'params.p5'], 'runs'), 'postgres');
console.log(q.compile().sql, q.compile().parameters);
await d.close();
