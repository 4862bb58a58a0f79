import { useCallback, useEffect, useRef, useState } from 'react';
import { useApiState } from '../../api';
import { ErrorBox } from '../Common';

/**
 * The scorecard is a whole HTML page with its own styles: an iframe keeps them apart. The sandbox allows no
 * scripts; same-origin only so the height of its content can be read and the frame grown to fit it.
 */
export function ScorecardFrame({ html, title }: { html: string; title: string }) {
  const ref = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState(900);
  const measure = useCallback(() => {
    const doc = ref.current?.contentDocument;
    if (!doc?.documentElement) return;
    const h = Math.ceil(doc.documentElement.getBoundingClientRect().height);
    if (h > 0) setHeight(Math.max(200, h + 2));
  }, []);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    let width = el.clientWidth;
    // Re-measure when the frame gets narrower or wider (its content reflows), not when its own height changes.
    const ro = new ResizeObserver(() => {
      if (el.clientWidth !== width) {
        width = el.clientWidth;
        measure();
      }
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [measure]);
  return <iframe ref={ref} className="scorecard-frame" title={title} sandbox="allow-same-origin" srcDoc={html} style={{ height }} onLoad={measure} />;
}

/** Opens `text` in a new tab, or saves it as `download` when given. */
function openBlob(text: string, type: string, download?: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  if (download) a.download = download;
  else a.target = '_blank';
  a.rel = 'noopener';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The API needs the token in a header, so plain links to the scorecard would fail with auth on: hand out blobs. */
export function ScorecardLinks({ id, html }: { id: string; html: string }) {
  const { client } = useApiState();
  const [error, setError] = useState<Error | undefined>();
  return (
    <div className="scorecard-links small">
      <button type="button" className="secondary" onClick={() => openBlob(html, 'text/html')}>
        Open in a new tab
      </button>{' '}
      <button
        type="button"
        className="secondary"
        onClick={() => {
          setError(undefined);
          client.scorecard(id, 'md').then((md) => openBlob(md, 'text/markdown', `scorecard-${id}.md`), setError);
        }}
      >
        Download Markdown
      </button>
      <ErrorBox error={error} />
    </div>
  );
}
