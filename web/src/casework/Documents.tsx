// Documents of a dossier: upload by drag and drop (or the file field, for
// the keyboard) with progress, the list of versions, preview of images
// inline and of PDFs in a new tab, download.
import { useEffect, useRef, useState } from 'preact/hooks';
import { download, upload, withQuery, type Page } from '../api';
import { t } from '../i18n';
import { useApp } from '../ctx';
import { useResource } from '../lib/hooks';
import { ErrorBox, Field, Loading, Notice, SelectField } from '../components/ui';
import { formatDateTime, formatInteger } from '../lib/format';
import type { Doc, Dossier } from './types';
import { ProgressBar, Section, saveBlob, useModule } from './common';
import { useVocabularies, vocabCodes, vocabText } from './vocabulary';
import { fieldsChecked } from '../lib/errors';

const TYPES = ['application/pdf', 'image/jpeg', 'image/png'];

export function DocumentsTab({ dossier }: { dossier: Dossier }) {
  const app = useApp();
  const mod = useModule().code;
  const list = useResource<Page<Doc>>(`/api/v1/cases/${dossier.id}/documents?limit=200`);
  const vocab = useVocabularies().data;
  const cats = vocabCodes(vocab, 'document_category', mod);
  const catText = (c: string) => vocabText('document_category', c, mod, vocab) ?? c;
  const [file, setFile] = useState<File | null>(null);
  const [chosenCat, setCat] = useState('');
  const cat = chosenCat || cats[0] || 'other';
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
    setFe(TYPES.includes(f.type) || f.type === '' ? {} : { file: t('casework.doc.type_rule') });
  }
  async function send(e: Event) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!file) errs.file = t('casework.doc.choose_file');
    if (!title.trim()) errs.title = t('form.missing');
    if (!fieldsChecked(errs, setFe, setErr)) return;
    setErr(null); setNote(null);
    setProg({ done: 0, total: file!.size });
    try {
      await upload<Doc>(withQuery(`/api/v1/cases/${dossier.id}/documents`, { category: cat, title: title.trim() }), file!,
        'application/octet-stream', (done, total) => setProg({ done, total }));
      setNote(t('casework.doc.uploaded', { title: title.trim() }));
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
        <Section id="doc-up" title={t('casework.doc.upload')}>
          {note ? <Notice kind="success">{note}</Notice> : null}
          {err ? <ErrorBox error={err} /> : null}
          <form class="form" onSubmit={send} noValidate>
            <div class={`dropzone${over ? ' dropzone-over' : ''}${fe.file ? ' field-invalid' : ''}`}
              onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)}
              onDrop={(e) => { e.preventDefault(); setOver(false); choose(e.dataTransfer?.files?.[0]); }}>
              <p>{t('casework.doc.drop')}</p>
              <div class="field">
                <label for="doc-file">{t('casework.doc.file')}</label>
                <p class="hint" id="doc-file-hint">{t('casework.doc.file_hint')}</p>
                <input id="doc-file" ref={input} type="file" accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
                  aria-describedby={fe.file ? 'doc-file-hint doc-file-err' : 'doc-file-hint'} aria-invalid={fe.file ? 'true' : undefined}
                  onChange={(e) => choose((e.currentTarget as HTMLInputElement).files?.[0])} />
                {fe.file ? <p id="doc-file-err" class="field-error">{fe.file}</p> : null}
              </div>
              {file ? <p class="chosen">{t('casework.doc.chosen', { name: file.name, kb: formatInteger(Math.ceil(file.size / 1024)) })}</p> : null}
            </div>
            <SelectField label={t('casework.doc.category')} value={cat} onChange={setCat}
              options={cats.map((c) => ({ value: c, label: catText(c) }))} />
            <Field label={t('casework.doc.title')} value={title} onInput={setTitle} error={fe.title} required name="doc_title" />
            {prog ? <ProgressBar label={t('casework.doc.uploading')} done={prog.done} total={prog.total} /> : null}
            <div class="actions"><button type="submit" class="btn btn-primary" disabled={!!prog}>{t('casework.doc.send')}</button></div>
          </form>
        </Section>
      ) : null}
      <Section id="doc-list" title={t('casework.section.documents')}>
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('casework.section.documents')}</caption>
            <thead><tr><th scope="col">{t('casework.doc.title')}</th><th scope="col">{t('casework.doc.category')}</th>
              <th scope="col">{t('casework.doc.version')}</th><th scope="col">{t('casework.doc.uploaded_at')}</th>
              <th scope="col" class="num">{t('casework.doc.size')}</th><th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th></tr></thead>
            <tbody>{list.data.items.map((d) => (
              <tr key={d.id}>
                <td>{d.title}{!d.latest ? <span class="badge badge-off">{t('casework.doc.replaced')}</span> : null}</td>
                <td>{catText(d.category)}</td><td>{d.version_no}</td><td>{formatDateTime(d.uploaded_at)}</td>
                <td class="num">{formatInteger(Math.ceil(d.size / 1024))} kB</td>
                <td class="row-actions">
                  {/* Who only uploads (reception) sees what is there, but opens nothing. */}
                  {app.can('document.read') ? (
                    <>
                      <button type="button" class="btn btn-secondary" onClick={() => show(d, true)}>{t('casework.doc.preview')}<span class="visually-hidden"> – {d.title}</span></button>
                      <button type="button" class="btn btn-link" onClick={() => show(d, false)}>{t('casework.doc.download')}<span class="visually-hidden"> – {d.title}</span></button>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}</tbody>
          </table>
        ) : <p>{t('casework.doc.none')}</p>}
        {preview ? (
          <div class="doc-preview" tabIndex={-1} ref={previewRef} role="group" aria-label={t('casework.doc.preview_of', { title: preview.doc.title })}>
            <h3>{t('casework.doc.preview_of', { title: preview.doc.title })}</h3>
            <img src={preview.url} alt={preview.doc.title} />
            <div class="actions"><button type="button" class="btn btn-secondary" onClick={() => setPreview(null)}>{t('casework.doc.preview_close')}</button></div>
          </div>
        ) : null}
      </Section>
    </>
  );
}
