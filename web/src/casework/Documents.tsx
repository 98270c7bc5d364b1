// Documents of a dossier: upload by drag and drop (or the file field, for
// the keyboard) with progress, the list of versions, preview of images
// inline and of PDFs in a new tab, download.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, download, upload, withQuery, type Page } from '../api';
import { t, label } from '../i18n';
import { useApp } from '../ctx';
import { useResource } from '../lib/hooks';
import { ErrorBox, Field, Loading, Notice, SelectField } from '../components/ui';
import { formatDateTime, formatInteger } from '../lib/format';
import type { Doc, Dossier } from './types';
import { DOC_CATEGORIES } from './types';
import { ProgressBar, Section, saveBlob } from './common';

const TYPES = ['application/pdf', 'image/jpeg', 'image/png'];

export function DocumentsTab({ dossier }: { dossier: Dossier }) {
  const app = useApp();
  const list = useResource<Page<Doc>>(`/api/v1/cases/${dossier.id}/documents?limit=200`);
  const [file, setFile] = useState<File | null>(null);
  const [cat, setCat] = useState('id');
  const [title, setTitle] = useState('');
  const [over, setOver] = useState(false);
  const [prog, setProg] = useState<{ done: number; total: number | null } | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [note, setNote] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ doc: Doc; url: string } | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const previewRef = useRef<HTMLDivElement>(null);
  useEffect(() => () => { if (preview) URL.revokeObjectURL(preview.url); }, [preview]);
  useEffect(() => { if (preview) previewRef.current?.focus(); }, [preview]);

  function choose(f: File | null | undefined) {
    setNote(null); setErr(null);
    if (!f) return;
    setFile(f);
    if (!title) setTitle(f.name.replace(/\.[a-z0-9]+$/i, ''));
    setFe(TYPES.includes(f.type) || f.type === '' ? {} : { file: t('sozialhilfe.doc.type_rule') });
  }
  async function send(e: Event) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!file) errs.file = t('sozialhilfe.doc.choose_file');
    if (!title.trim()) errs.title = t('form.missing');
    setFe(errs);
    if (Object.keys(errs).length) { setErr(new ApiError(400, { code: 'form_incomplete', message: '' })); return; }
    setErr(null); setNote(null);
    setProg({ done: 0, total: file!.size });
    try {
      await upload<Doc>(withQuery(`/api/v1/cases/${dossier.id}/documents`, { category: cat, title: title.trim() }), file!,
        'application/octet-stream', (done, total) => setProg({ done, total }));
      setNote(t('sozialhilfe.doc.uploaded', { title: title.trim() }));
      setFile(null); setTitle('');
      if (input.current) input.current.value = '';
      list.reload();
    } catch (x) { setErr(x); } finally { setProg(null); }
  }
  async function show(d: Doc, open: boolean) {
    setErr(null);
    try {
      const r = await download(`/api/v1/documents/${d.id}/content`);
      if (open) {
        const url = URL.createObjectURL(new Blob([r.blob], { type: d.mime }));
        if (d.mime.startsWith('image/')) setPreview({ doc: d, url });
        else { window.open(url, '_blank', 'noopener'); setTimeout(() => URL.revokeObjectURL(url), 60000); }
      } else saveBlob(r.blob, r.filename ?? d.title);
    } catch (x) { setErr(x); }
  }
  return (
    <>
      {app.can('document.write') && dossier.state !== 'closed' ? (
        <Section id="doc-up" title={t('sozialhilfe.doc.upload')}>
          {note ? <Notice kind="success">{note}</Notice> : null}
          {err ? <ErrorBox error={err} /> : null}
          <form class="form" onSubmit={send} noValidate>
            <div class={`dropzone${over ? ' dropzone-over' : ''}${fe.file ? ' field-invalid' : ''}`}
              onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)}
              onDrop={(e) => { e.preventDefault(); setOver(false); choose(e.dataTransfer?.files?.[0]); }}>
              <p>{t('sozialhilfe.doc.drop')}</p>
              <div class="field">
                <label for="doc-file">{t('sozialhilfe.doc.file')}</label>
                <p class="hint" id="doc-file-hint">{t('sozialhilfe.doc.file_hint')}</p>
                <input id="doc-file" ref={input} type="file" accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
                  aria-describedby={fe.file ? 'doc-file-hint doc-file-err' : 'doc-file-hint'} aria-invalid={fe.file ? 'true' : undefined}
                  onChange={(e) => choose((e.currentTarget as HTMLInputElement).files?.[0])} />
                {fe.file ? <p id="doc-file-err" class="field-error">{fe.file}</p> : null}
              </div>
              {file ? <p class="chosen">{t('sozialhilfe.doc.chosen', { name: file.name, kb: formatInteger(Math.ceil(file.size / 1024)) })}</p> : null}
            </div>
            <SelectField label={t('sozialhilfe.doc.category')} value={cat} onChange={setCat}
              options={DOC_CATEGORIES.map((c) => ({ value: c, label: label('sozialhilfe.dcat', c) }))} />
            <Field label={t('sozialhilfe.doc.title')} value={title} onInput={setTitle} error={fe.title} required name="doc_title" />
            {prog ? <ProgressBar label={t('sozialhilfe.doc.uploading')} done={prog.done} total={prog.total} /> : null}
            <div class="actions"><button type="submit" class="btn btn-primary" disabled={!!prog}>{t('sozialhilfe.doc.send')}</button></div>
          </form>
        </Section>
      ) : null}
      <Section id="doc-list" title={t('sozialhilfe.section.documents')}>
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('sozialhilfe.section.documents')}</caption>
            <thead><tr><th scope="col">{t('sozialhilfe.doc.title')}</th><th scope="col">{t('sozialhilfe.doc.category')}</th>
              <th scope="col">{t('sozialhilfe.doc.version')}</th><th scope="col">{t('sozialhilfe.doc.uploaded_at')}</th>
              <th scope="col" class="num">{t('sozialhilfe.doc.size')}</th><th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th></tr></thead>
            <tbody>{list.data.items.map((d) => (
              <tr key={d.id}>
                <td>{d.title}{!d.latest ? <span class="badge badge-off">{t('sozialhilfe.doc.replaced')}</span> : null}</td>
                <td>{label('sozialhilfe.dcat', d.category)}</td><td>{d.version_no}</td><td>{formatDateTime(d.uploaded_at)}</td>
                <td class="num">{formatInteger(Math.ceil(d.size / 1024))} kB</td>
                <td class="row-actions">
                  {/* Who only uploads (reception) sees what is there, but opens nothing. */}
                  {app.can('document.read') ? (
                    <>
                      <button type="button" class="btn btn-secondary" onClick={() => show(d, true)}>{t('sozialhilfe.doc.preview')}<span class="visually-hidden"> – {d.title}</span></button>
                      <button type="button" class="btn btn-link" onClick={() => show(d, false)}>{t('sozialhilfe.doc.download')}<span class="visually-hidden"> – {d.title}</span></button>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}</tbody>
          </table>
        ) : <p>{t('sozialhilfe.doc.none')}</p>}
        {preview ? (
          <div class="doc-preview" tabIndex={-1} ref={previewRef} role="group" aria-label={t('sozialhilfe.doc.preview_of', { title: preview.doc.title })}>
            <h3>{t('sozialhilfe.doc.preview_of', { title: preview.doc.title })}</h3>
            <img src={preview.url} alt={preview.doc.title} />
            <div class="actions"><button type="button" class="btn btn-secondary" onClick={() => setPreview(null)}>{t('sozialhilfe.doc.preview_close')}</button></div>
          </div>
        ) : null}
      </Section>
    </>
  );
}
