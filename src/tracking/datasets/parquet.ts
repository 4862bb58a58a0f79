/**
 * Parquet reading for dataset profiles, through hyparquet (pure JavaScript, no native build) with
 * hyparquet-compressors for the codecs hyparquet lacks (zstd, gzip, brotli, lz4: polars and Spark write zstd).
 *
 * Parquet keeps its index at the end of the file, so it cannot be parsed front to back like CSV. Rows are read
 * one row group at a time: memory is bounded by the largest row group, not by the file.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { invalid } from '../../core/errors.js';

/**
 * Calls `columns` with the top-level column names, then `row` for every row, row group by row group.
 * @throws SlipwayError INVALID_ARGUMENT when the file is not Parquet or a row group cannot be decoded.
 */
export async function readParquet(
  path: string,
  columns: (names: string[]) => void,
  row: (values: Record<string, unknown>) => void,
): Promise<void> {
  const file = await asyncBufferFromFile(path);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw invalid(`${path} is not a readable Parquet file (${(err as Error).message}); check that it was fully written`);
  }
  columns(parquetSchema(metadata).children.map((c) => c.element.name));
  let start = 0;
  for (const [i, group] of metadata.row_groups.entries()) {
    const end = start + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, compressors });
    } catch (err) {
      throw invalid(`row group ${i + 1} (rows ${start + 1}-${end}) cannot be decoded: ${(err as Error).message}`, { rowGroup: i + 1 });
    }
    for (const r of rows) row(r);
    start = end;
  }
}
