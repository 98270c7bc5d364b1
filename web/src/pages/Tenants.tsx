// Canton administration: tenants (social services), their municipalities,
// their first administrator (another one only with their consent), and
// which modules they use from when.
import { useEffect, useMemo, useState } from 'preact/hooks';
import {
  ApiError, del, etagOf, get, patch, post, put, withQuery,
  type Municipality, type ModuleSwitch, type Page, type Tenant,
} from '../api';
import { t, label, langName, langOptions } from '../i18n';
import { useApp } from '../ctx';
import { href, navigate } from '../router';
import { usePagedList } from '../lib/hooks';
import { changedFields, useEdit } from '../lib/edit';
import { splitError, fieldsChecked } from '../lib/errors';
import { formatDate, formatInteger, parseDate, todayIso } from '../lib/format';
import { Badge, CheckboxField, ConfirmButton, ErrorBox, Field, PagedTable, Loading, Notice, PageTitle, SelectField } from '../components/ui';
import { ConflictPanel, type ConflictField } from '../components/conflict';
import { TenantAdministration } from './AdminRequests';
import { fieldSetter } from '../lib/form';

const kindName = (k: string) => label('tenant.kind', k);

export function TenantsList() {
  const list = usePagedList<Tenant>('/api/v1/admin/tenants', 20);
  return (
    <section>
      <div class="page-head">
        <PageTitle>{t('tenants.title')}</PageTitle>
        <a class="btn btn-primary" href="#/tenants/new">{t('tenants.new')}</a>
      </div>
      <PagedTable list={list} caption={t('tenants.title')} pager={t('tenants.pager')} empty={t('tenants.none')}
        head={<>
          <th scope="col">{t('tenants.slug')}</th>
          <th scope="col">{t('tenants.name')}</th>
          <th scope="col">{t('tenants.kind')}</th>
          <th scope="col">{t('tenants.language')}</th>
          <th scope="col">{t('tenants.status')}</th>
        </>}
        row={(x) => (
          <tr key={x.id}>
            <td><a href={href('tenants', x.slug)}>{x.slug}</a></td>
            <td>{x.name}</td>
            <td>{kindName(x.kind)}</td>
            <td>{langName(x.language)}</td>
            <td>{x.active ? <Badge kind="ok">{t('tenants.active')}</Badge> : <Badge kind="off">{t('tenants.inactive')}</Badge>}</td>
          </tr>
        )} />
    </section>
  );
}

export function TenantNew() {
  const [v, setV] = useState({ slug: '', name: '', language: 'de' });
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = fieldSetter(setV);
  async function submit(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(v.slug)) fe.slug = t('tenants.slug_rule');
    if (!v.name.trim()) fe.name = t('form.missing');
    setFormErr(null);
    if (!fieldsChecked(fe, setFieldErr, setFormErr)) return;
    setBusy(true);
    try {
      const r = await post<Tenant>('/api/v1/admin/tenants', { slug: v.slug, name: v.name.trim(), language: v.language });
      navigate(href('tenants', r.data.slug) + '?created=1');
    } catch (x) {
      if (x instanceof ApiError && x.code === 'already_exists') setFieldErr({ slug: t('tenants.slug_taken') });
      const sp = splitError(x, ['slug', 'name', 'language']);
      if (!(x instanceof ApiError && x.code === 'already_exists')) setFieldErr(sp.field);
      setFormErr(sp.form && !(x instanceof ApiError && x.code === 'already_exists') ? sp.form : null);
    } finally { setBusy(false); }
  }
  return (
    <section>
      <p class="breadcrumb"><a href="#/tenants">{t('tenants.title')}</a></p>
      <PageTitle>{t('tenants.new_title')}</PageTitle>
      <form class="form card" onSubmit={submit} noValidate>
        {formErr ? <ErrorBox error={formErr} /> : null}
        <Field label={t('tenants.slug')} hint={t('tenants.slug_hint')} value={v.slug} onInput={set('slug')} required
          error={fieldErr.slug} spellcheck={false} name="slug" />
        <Field label={t('tenants.name')} value={v.name} onInput={set('name')} required error={fieldErr.name} name="name" />
        <SelectField label={t('tenants.language')} value={v.language} onChange={set('language')} options={langOptions()} />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('tenants.create')}</button>
          <a class="btn btn-secondary" href="#/tenants">{t('common.cancel')}</a>
        </div>
      </form>
    </section>
  );
}

type TenantForm = { name: string; language: string; active: boolean };
const toForm = (x: Tenant): TenantForm => ({ name: x.name, language: x.language, active: x.active });

export function TenantDetail({ slug }: { slug: string }) {
  const edit = useEdit<TenantForm>();
  const [tenant, setTenant] = useState<Tenant | null>(null);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(() =>
    location.hash.includes('created=1') ? t('tenants.created_notice') : null);
  const [busy, setBusy] = useState(false);
  const path = `/api/v1/admin/tenants/${encodeURIComponent(slug)}` as const;

  async function load(resetForm = true) {
    try {
      const r = await get<Tenant>(path);
      setTenant(r.data);
      if (resetForm) edit.load(toForm(r.data), r.etag);
    } catch (e) { setLoadErr(e); }
  }
  useEffect(() => { void load(); }, [slug]);

  const fields: ConflictField<TenantForm>[] = useMemo(() => [
    { key: 'name', label: t('tenants.name') },
    { key: 'language', label: t('tenants.language'), show: (x) => langName(x as string) },
    { key: 'active', label: t('tenants.active_field'), show: (x) => (x ? t('common.yes') : t('common.no')) },
  ], [t('tenants.name')]);

  if (loadErr) return <section><PageTitle>{t('tenants.title')}</PageTitle><ErrorBox error={loadErr} /></section>;
  const s = edit.state;
  if (!s || !tenant) return <Loading />;
  const v = s.values;

  async function save(e: Event) {
    e.preventDefault();
    if (!s) return;
    setFieldErr({}); setFormErr(null); setSaved(null);
    const ch = changedFields(s);
    if (!ch.length) { setSaved(t('form.nothing_changed')); return; }
    if (!v.name.trim()) { setFieldErr({ name: t('form.missing') }); return; }
    const body: Record<string, unknown> = {};
    for (const k of ch) body[k] = k === 'name' ? v.name.trim() : v[k];
    setBusy(true);
    try {
      const r = await patch<Tenant>(path, body, s.etag);
      setTenant({ ...tenant!, ...r.data });
      edit.load(toForm(r.data), r.etag);
      setSaved(t('form.saved'));
    } catch (x) {
      if (x instanceof ApiError && x.status === 409 && x.current) {
        const cur = x.current as unknown as Tenant;
        edit.setConflict(toForm(cur), etagOf(cur.version));
      } else {
        const sp = splitError(x, Object.keys(v));
        setFieldErr(sp.field); setFormErr(sp.form);
      }
    } finally { setBusy(false); }
  }

  const isCanton = tenant.kind === 'canton';
  return (
    <section>
      <p class="breadcrumb"><a href="#/tenants">{t('tenants.title')}</a></p>
      <PageTitle>{tenant.name}</PageTitle>
      <p class="muted">{t('tenants.slug')}: <code>{tenant.slug}</code> · {kindName(tenant.kind)} · {t('tenants.created_at', { date: formatDate(tenant.created_at) })}</p>
      {saved ? <Notice kind="success">{saved}</Notice> : null}
      {s.conflict ? (
        <ConflictPanel state={s} fields={fields}
          onReapply={() => { edit.reapply(); setSaved(t('conflict.reapplied')); }}
          onDiscard={() => { edit.discard(); setSaved(t('conflict.discarded')); }} />
      ) : null}
      <form class="form card" onSubmit={save} noValidate aria-labelledby="tenant-form-title">
        <h2 id="tenant-form-title">{t('tenants.settings')}</h2>
        {formErr ? <ErrorBox error={formErr} /> : null}
        <Field label={t('tenants.name')} value={v.name} onInput={(x) => edit.set('name', x)} required error={fieldErr.name} name="name" />
        <SelectField label={t('tenants.language')} value={v.language} onChange={(x) => edit.set('language', x)}
          options={langOptions()} error={fieldErr.language} />
        {!isCanton ? (
          <CheckboxField label={t('tenants.active_field')} hint={t('tenants.active_hint')} checked={v.active}
            onChange={(x) => edit.set('active', x)} error={fieldErr.active} />
        ) : null}
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy || !!s.conflict}>{t('form.save')}</button>
        </div>
      </form>
      {!isCanton ? <TenantModules slug={slug} /> : null}
      {!isCanton ? <TenantMunicipalities tenant={tenant} reload={() => load(false)} /> : null}
      <TenantAdministration key={String(tenant.has_admin)} slug={slug} hasAdmin={!!tenant.has_admin} />
    </section>
  );
}

/** All municipalities of the canton (every page). */
async function allMunicipalities(): Promise<Municipality[]> {
  const out: Municipality[] = [];
  let after: string | null = null;
  for (let i = 0; i < 100; i++) {
    const r: { data: Page<Municipality> } = await get<Page<Municipality>>(withQuery('/api/v1/admin/municipalities', { limit: 500, after }));
    out.push(...r.data.items);
    if (!r.data.next) break;
    after = r.data.next;
  }
  return out;
}

function TenantMunicipalities({ tenant, reload }: { tenant: Tenant; reload: () => Promise<void> }) {
  const app = useApp();
  const [all, setAll] = useState<Municipality[] | null>(null);
  const [pick, setPick] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const canList = app.can('canton.municipalities');
  useEffect(() => {
    if (!canList) return;
    allMunicipalities().then(setAll).catch(setErr);
  }, []);
  const assigned = tenant.municipalities ?? [];
  const free = (all ?? []).filter((m) => !assigned.some((a) => a.bfs === m.bfs));
  const base = `/api/v1/admin/tenants/${encodeURIComponent(tenant.slug)}/municipalities/` as const;

  async function add(e: Event) {
    e.preventDefault();
    setErr(null); setDone(null);
    const bfs = pick || (free[0] ? String(free[0].bfs) : '');
    if (!bfs) return;
    try {
      await put(`${base}${encodeURIComponent(bfs)}`, undefined);
      const m = free.find((x) => String(x.bfs) === bfs);
      setDone(t('tenants.muni_added', { name: m?.name ?? bfs }));
      setPick('');
      await reload();
    } catch (x) { setErr(x); }
  }

  return (
    <section class="card" aria-labelledby="tenant-munis">
      <h2 id="tenant-munis">{t('tenants.municipalities')}</h2>
      {done ? <Notice kind="success">{done}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      {assigned.length === 0 ? <p>{t('tenants.no_municipalities')}</p> : (
        <table class="table">
          <caption class="visually-hidden">{t('tenants.municipalities')}</caption>
          <thead><tr>
            <th scope="col">{t('muni.bfs')}</th>
            <th scope="col">{t('muni.name')}</th>
            <th scope="col">{t('muni.population')}</th>
            <th scope="col">{t('tenants.muni_since')}</th>
            <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th>
          </tr></thead>
          <tbody>
            {assigned.map((m) => (
              <tr key={m.bfs}>
                <td>{m.bfs}</td>
                <td>{m.name}</td>
                <td class="num">{formatInteger(m.population)}</td>
                <td>{formatDate(m.since)}</td>
                <td>
                  <ConfirmButton label={t('tenants.muni_remove')} srSuffix={t('tenants.muni_remove_which', { name: m.name })}
                    question={t('tenants.muni_remove_q', { name: m.name, tenant: tenant.name })}
                    confirmLabel={t('tenants.muni_remove_yes')} variant="danger"
                    onConfirm={async () => {
                      setErr(null); setDone(null);
                      try {
                        await del(`${base}${m.bfs}`);
                        setDone(t('tenants.muni_removed', { name: m.name }));
                        await reload();
                      } catch (x) { setErr(x); }
                    }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canList && all ? (
        free.length ? (
          <form class="inline-form" onSubmit={add} noValidate>
            <SelectField label={t('tenants.muni_add_label')} value={pick || String(free[0].bfs)} onChange={setPick}
              options={free.map((m) => ({ value: String(m.bfs), label: `${m.name} (${m.bfs})` }))} />
            <button type="submit" class="btn btn-secondary">{t('tenants.muni_add')}</button>
          </form>
        ) : <p class="muted">{t('tenants.muni_all_assigned')}</p>
      ) : null}
    </section>
  );
}

function TenantModules({ slug }: { slug: string }) {
  const [items, setItems] = useState<ModuleSwitch[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const path = `/api/v1/admin/tenants/${encodeURIComponent(slug)}/modules` as const;
  const load = async () => {
    try { setItems((await get<{ items: ModuleSwitch[] }>(path)).data.items); } catch (x) { setErr(x); }
  };
  useEffect(() => { void load(); }, [slug]);
  return (
    <section class="card" aria-labelledby="tenant-modules">
      <h2 id="tenant-modules">{t('modules.title')}</h2>
      <p>{t('modules.intro')}</p>
      {err ? <ErrorBox error={err} /> : null}
      {!items && !err ? <Loading /> : null}
      {items && items.length === 0 ? <p>{t('modules.none_loaded')}</p> : null}
      {items ? items.map((m) => <ModuleRow key={m.module} path={`${path}/${encodeURIComponent(m.module)}`} sw={m} />) : null}
    </section>
  );
}

function ModuleRow({ path, sw }: { path: `/api/v1/admin/tenants/${string}/modules/${string}`; sw: ModuleSwitch }) {
  const [cur, setCur] = useState<ModuleSwitch>(sw);
  const [enabled, setEnabled] = useState(sw.enabled);
  const [date, setDate] = useState(formatDate(sw.start_date ?? todayIso()));
  const [dateErr, setDateErr] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [conflict, setConflict] = useState<ModuleSwitch | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const name = label('module', sw.module);

  async function save(e: Event) {
    e.preventDefault();
    setErr(null); setSaved(false);
    const iso = parseDate(date);
    if (!iso) { setDateErr(t('form.date_rule')); return; }
    setDateErr(null);
    setBusy(true);
    try {
      const r = await put<ModuleSwitch>(path, { enabled, start_date: iso }, cur.version > 0 ? etagOf(cur.version) : null);
      setCur(r.data);
      setConflict(null);
      setSaved(true);
    } catch (x) {
      if (x instanceof ApiError && (x.status === 409 || x.code === 'precondition_required')) {
        // Someone else changed (or created) the switch: show it, keep the input.
        let now = x.current as unknown as ModuleSwitch | undefined;
        if (!now) {
          try {
            const list = await get<{ items: ModuleSwitch[] }>(path.replace(/\/[^/]+$/, '') as `/api/v1/admin/tenants/${string}/modules`);
            now = list.data.items.find((m) => m.module === sw.module);
          } catch { /* show the error instead */ }
        }
        if (now) { setConflict(now); setCur(now); } else setErr(x);
      } else if (x instanceof ApiError && x.field === 'start_date') {
        setDateErr(t('form.date_rule'));
      } else setErr(x);
    } finally { setBusy(false); }
  }

  const stateText = (m: ModuleSwitch) => m.enabled
    ? t('modules.on_since', { date: formatDate(m.start_date) }) : t('modules.off');

  return (
    <form class="module-row" onSubmit={save} noValidate aria-labelledby={`mod-${sw.module}`}>
      <h3 id={`mod-${sw.module}`}>{name} <Badge kind={cur.enabled ? 'ok' : 'off'}>{stateText(cur)}</Badge></h3>
      {conflict ? (
        <div class="alert alert-warning" role="alert">
          <p>{t('modules.conflict', { state: stateText(conflict) })}</p>
        </div>
      ) : null}
      {saved ? <Notice kind="success">{t('modules.saved', { module: name, state: stateText(cur) })}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      <div class="row-fields">
        <CheckboxField label={t('modules.enabled', { module: name })} checked={enabled} onChange={setEnabled} />
        <Field label={t('modules.start_date')} hint={t('form.date_hint')} value={date} onInput={setDate}
          error={dateErr} inputMode="numeric" name={`start_${sw.module}`} />
        <button type="submit" class="btn btn-primary" disabled={busy}>{t('modules.save', { module: name })}</button>
      </div>
    </form>
  );
}
