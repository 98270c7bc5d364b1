// Canton administration: the canton's municipalities (BFS number, name,
// population).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, etagOf, get, patch, post, type Municipality } from '../api';
import { t } from '../i18n';
import { href, navigate } from '../router';
import { usePagedList } from '../lib/hooks';
import { changedFields, useEdit } from '../lib/edit';
import { splitError, fieldsChecked } from '../lib/errors';
import { formatInteger } from '../lib/format';
import { ErrorBox, Field, PagedTable, Loading, Notice, PageTitle } from '../components/ui';
import { ConflictPanel, type ConflictField } from '../components/conflict';
import { fieldSetter } from '../lib/form';

/** "43'900", "43 900" or "43900" -> 43900; null when not a whole number. */
function parseCount(s: string): number | null {
  const x = s.replace(/['’\s]/g, '');
  return /^\d{1,9}$/.test(x) ? Number(x) : null;
}

export function MunicipalitiesList() {
  const list = usePagedList<Municipality>('/api/v1/admin/municipalities', 20);
  return (
    <section>
      <div class="page-head">
        <PageTitle>{t('muni.title')}</PageTitle>
        <a class="btn btn-primary" href="#/municipalities/new">{t('muni.new')}</a>
      </div>
      <PagedTable list={list} caption={t('muni.title')} pager={t('muni.pager')} empty={t('muni.none')}
        head={<>
          <th scope="col">{t('muni.bfs')}</th>
          <th scope="col">{t('muni.name')}</th>
          <th scope="col" class="num">{t('muni.population')}</th>
        </>}
        row={(m) => (
          <tr key={m.bfs}>
            <td>{m.bfs}</td>
            <td><a href={href('municipalities', m.bfs)}>{m.name}</a></td>
            <td class="num">{formatInteger(m.population)}</td>
          </tr>
        )} />
    </section>
  );
}

export function MunicipalityNew() {
  const [v, setV] = useState({ bfs: '', name: '', population: '' });
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = fieldSetter(setV);
  async function submit(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    const bfs = /^\d{1,4}$/.test(v.bfs.trim()) ? Number(v.bfs.trim()) : 0;
    if (bfs < 1) fe.bfs = t('muni.bfs_rule');
    if (!v.name.trim()) fe.name = t('form.missing');
    const pop = parseCount(v.population);
    if (pop === null) fe.population = t('muni.population_rule');
    setFormErr(null);
    if (!fieldsChecked(fe, setFieldErr, setFormErr)) return;
    setBusy(true);
    try {
      const r = await post<Municipality>('/api/v1/admin/municipalities', { bfs, name: v.name.trim(), population: pop });
      navigate(href('municipalities', r.data.bfs) + '?created=1');
    } catch (x) {
      if (x instanceof ApiError && x.code === 'already_exists') setFieldErr({ bfs: t('muni.bfs_taken') });
      else {
        const sp = splitError(x, ['bfs', 'name', 'population']);
        setFieldErr(sp.field); setFormErr(sp.form);
      }
    } finally { setBusy(false); }
  }
  return (
    <section>
      <p class="breadcrumb"><a href="#/municipalities">{t('muni.title')}</a></p>
      <PageTitle>{t('muni.new_title')}</PageTitle>
      <form class="form card" onSubmit={submit} noValidate>
        {formErr ? <ErrorBox error={formErr} /> : null}
        <Field label={t('muni.bfs')} hint={t('muni.bfs_hint')} value={v.bfs} onInput={set('bfs')} required inputMode="numeric"
          error={fieldErr.bfs} name="bfs" />
        <Field label={t('muni.name')} value={v.name} onInput={set('name')} required error={fieldErr.name} name="name" />
        <Field label={t('muni.population')} value={v.population} onInput={set('population')} required inputMode="numeric"
          error={fieldErr.population} name="population" />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('muni.create')}</button>
          <a class="btn btn-secondary" href="#/municipalities">{t('common.cancel')}</a>
        </div>
      </form>
    </section>
  );
}

type MuniForm = { name: string; population: string };
const toForm = (m: Municipality): MuniForm => ({ name: m.name, population: formatInteger(m.population) });

export function MunicipalityEdit({ bfs }: { bfs: string }) {
  const edit = useEdit<MuniForm>();
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(() =>
    location.hash.includes('created=1') ? t('muni.created_notice') : null);
  const [busy, setBusy] = useState(false);
  const path = `/api/v1/admin/municipalities/${encodeURIComponent(bfs)}` as const;
  useEffect(() => {
    get<Municipality>(path).then((r) => edit.load(toForm(r.data), r.etag)).catch(setLoadErr);
  }, [bfs]);
  const fields: ConflictField<MuniForm>[] = useMemo(() => [
    { key: 'name', label: t('muni.name') },
    { key: 'population', label: t('muni.population') },
  ], [t('muni.name')]);
  if (loadErr) return <section><PageTitle>{t('muni.title')}</PageTitle><ErrorBox error={loadErr} /></section>;
  const s = edit.state;
  if (!s) return <Loading />;
  const v = s.values;

  async function save(e: Event) {
    e.preventDefault();
    if (!s) return;
    setFieldErr({}); setFormErr(null); setSaved(null);
    const ch = changedFields(s);
    if (!ch.length) { setSaved(t('form.nothing_changed')); return; }
    const body: Record<string, unknown> = {};
    if (ch.includes('name')) {
      if (!v.name.trim()) { setFieldErr({ name: t('form.missing') }); return; }
      body.name = v.name.trim();
    }
    if (ch.includes('population')) {
      const pop = parseCount(v.population);
      if (pop === null) { setFieldErr({ population: t('muni.population_rule') }); return; }
      body.population = pop;
    }
    setBusy(true);
    try {
      const r = await patch<Municipality>(path, body, s.etag);
      edit.load(toForm(r.data), r.etag);
      setSaved(t('form.saved'));
    } catch (x) {
      if (x instanceof ApiError && x.status === 409 && x.current) {
        const cur = x.current as unknown as Municipality;
        edit.setConflict(toForm(cur), etagOf(cur.version));
      } else {
        const sp = splitError(x, ['name', 'population']);
        setFieldErr(sp.field); setFormErr(sp.form);
      }
    } finally { setBusy(false); }
  }

  return (
    <section>
      <p class="breadcrumb"><a href="#/municipalities">{t('muni.title')}</a></p>
      <PageTitle>{s.base.name} <span class="muted">({t('muni.bfs_short', { bfs })})</span></PageTitle>
      {saved ? <Notice kind="success">{saved}</Notice> : null}
      {s.conflict ? (
        <ConflictPanel state={s} fields={fields}
          onReapply={() => { edit.reapply(); setSaved(t('conflict.reapplied')); }}
          onDiscard={() => { edit.discard(); setSaved(t('conflict.discarded')); }} />
      ) : null}
      <form class="form card" onSubmit={save} noValidate>
        {formErr ? <ErrorBox error={formErr} /> : null}
        <Field label={t('muni.name')} value={v.name} onInput={(x) => edit.set('name', x)} required error={fieldErr.name} name="name" />
        <Field label={t('muni.population')} value={v.population} onInput={(x) => edit.set('population', x)} required
          inputMode="numeric" error={fieldErr.population} name="population" />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy || !!s.conflict}>{t('form.save')}</button>
        </div>
      </form>
    </section>
  );
}
