// Tenant administration: the social service's teams. A team is a record;
// users and dossiers name it. Renaming reaches them all (and signs the
// team's members out, their sessions carry the old name); a team someone
// still belongs to is not removed. Members are added and removed here.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, call, etagOf, get, patch, post, type Page, type User } from '../api';
import { t } from '../i18n';
import { href, navigate } from '../router';
import { useResource } from '../lib/hooks';
import { changedFields, useEdit } from '../lib/edit';
import { splitError } from '../lib/errors';
import { ConfirmButton, ErrorBox, Facts, Field, Loading, Notice, PageTitle, SelectField } from '../components/ui';
import { ConflictPanel, type ConflictField } from '../components/conflict';
import type { Team, TeamDetail } from '../casework/types';

type Member = User & { team: string | null };

export function TeamsList() {
  const list = useResource<{ items: Team[] }>('/api/v1/teams');
  const [name, setName] = useState('');
  const [fe, setFe] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  async function create(e: Event) {
    e.preventDefault();
    setErr(null); setFe(null);
    if (!name.trim()) { setFe(t('form.missing')); return; }
    try {
      const r = await post<Team>('/api/v1/admin/teams', { name: name.trim() });
      navigate(href('teams', r.data.id) + '?created=1');
    } catch (x) {
      if (x instanceof ApiError && x.code === 'already_exists') setFe(t('teams.name_taken'));
      else { const sp = splitError(x, ['name']); setFe(sp.field.name ?? null); setErr(sp.form); }
    }
  }
  return (
    <section>
      <PageTitle>{t('teams.title')}</PageTitle>
      <p>{t('teams.intro')}</p>
      {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length ? (
        <table class="table">
          <caption class="visually-hidden">{t('teams.title')}</caption>
          <thead><tr><th scope="col">{t('teams.name')}</th><th scope="col" class="num">{t('teams.members')}</th>
            <th scope="col" class="num">{t('teams.open_dossiers')}</th></tr></thead>
          <tbody>{list.data.items.map((x) => (
            <tr key={x.id}><td><a href={href('teams', x.id)}>{x.name}</a></td><td class="num">{x.members}</td><td class="num">{x.open_dossiers}</td></tr>
          ))}</tbody>
        </table>
      ) : <p>{t('teams.none')}</p>}
      <form class="form card" onSubmit={create} noValidate aria-labelledby="team-new">
        <h2 id="team-new">{t('teams.new')}</h2>
        {err ? <ErrorBox error={err} /> : null}
        <Field label={t('teams.name')} value={name} onInput={setName} error={fe} required maxLength={60} name="team_name" />
        <div class="actions"><button type="submit" class="btn btn-primary">{t('teams.create')}</button></div>
      </form>
    </section>
  );
}

type NameForm = { name: string };

export function TeamEdit({ id }: { id: string }) {
  const tm = useResource<TeamDetail>(`/api/v1/teams/${id}`);
  const users = useResource<Page<Member>>('/api/v1/admin/users?limit=500');
  const edit = useEdit<NameForm>();
  const [note, setNote] = useState<string | null>(location.hash.includes('created=1') ? t('teams.created') : null);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<string | null>(null);
  const [add, setAdd] = useState('');
  useEffect(() => { if (tm.data) edit.load({ name: tm.data.name }, tm.etag ?? etagOf(tm.data.version)); }, [tm.data?.version]);
  const fields: ConflictField<NameForm>[] = useMemo(() => [{ key: 'name', label: t('teams.name') }], []);
  if (tm.error) return <section><p class="breadcrumb"><a href="#/teams">{t('teams.title')}</a></p><PageTitle>{t('teams.title')}</PageTitle><ErrorBox error={tm.error} /></section>;
  const s = edit.state;
  if (!tm.data || !s) return <Loading />;
  const x = tm.data;
  const others = (users.data?.items ?? []).filter((u) => u.active && u.team !== x.name);

  async function rename(e: Event) {
    e.preventDefault();
    if (!s) return;
    setErr(null); setNote(null); setFe(null);
    if (!changedFields(s).length) { setNote(t('form.nothing_changed')); return; }
    if (!s.values.name.trim()) { setFe(t('form.missing')); return; }
    try {
      const r = await patch<Team>(`/api/v1/admin/teams/${x.id}`, { name: s.values.name.trim() }, s.etag);
      tm.setEtag(r.etag);
      tm.reload();
      setNote(t('teams.renamed'));
    } catch (e2) {
      if (e2 instanceof ApiError && e2.status === 409 && e2.current) {
        const cur = e2.current as unknown as Team;
        edit.setConflict({ name: cur.name }, etagOf(cur.version));
      } else if (e2 instanceof ApiError && e2.code === 'already_exists') setFe(t('teams.name_taken'));
      else setErr(e2);
    }
  }
  /** Put a user into this team (or, with null, out of it). */
  async function member(u: Member | undefined, team: string | null) {
    if (!u) return;
    setErr(null); setNote(null);
    try {
      const cur = await get<Member>(`/api/v1/admin/users/${u.id}`);
      await patch(`/api/v1/admin/users/${u.id}`, { team }, cur.etag);
      setAdd('');
      setNote(team ? t('teams.member_added', { name: u.display_name }) : t('teams.member_removed', { name: u.display_name }));
      tm.reload(); users.reload();
    } catch (e2) { setErr(e2); }
  }
  async function remove() {
    setErr(null); setNote(null);
    try {
      await call('DELETE', `/api/v1/admin/teams/${x.id}`, { ifMatch: tm.etag ?? etagOf(x.version) });
      navigate('#/teams');
    } catch (e2) { if (e2 instanceof ApiError && e2.status === 409) tm.reload(); setErr(e2); }
  }
  return (
    <section>
      <p class="breadcrumb"><a href="#/teams">{t('teams.title')}</a></p>
      <PageTitle>{t('teams.one', { name: x.name })}</PageTitle>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      <div class="card">
        <Facts items={[[t('teams.members'), String(x.members)], [t('teams.open_dossiers'), String(x.open_dossiers)]]} />
      </div>
      <form class="form card" onSubmit={rename} noValidate aria-labelledby="team-rename">
        <h2 id="team-rename">{t('teams.rename')}</h2>
        <p class="hint">{t('teams.rename_hint')}</p>
        {s.conflict ? <ConflictPanel state={s} fields={fields}
          onReapply={() => { edit.reapply(); setNote(t('conflict.reapplied')); }}
          onDiscard={() => { edit.discard(); setNote(t('conflict.discarded')); }} /> : null}
        <Field label={t('teams.name')} value={s.values.name} onInput={(v) => edit.set('name', v)} error={fe} required maxLength={60} name="team_name" />
        <div class="actions"><button type="submit" class="btn btn-primary" disabled={!!s.conflict}>{t('form.save')}</button></div>
      </form>
      <section class="card" aria-labelledby="team-members">
        <h2 id="team-members">{t('teams.members')}</h2>
        {x.users.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('teams.members')}</caption>
            <thead><tr><th scope="col">{t('users.display_name')}</th><th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th></tr></thead>
            <tbody>{x.users.map((u) => (
              <tr key={u.id}><td><a href={href('users', u.id)}>{u.display_name}</a></td>
                <td><button type="button" class="btn btn-secondary" onClick={() => member(users.data?.items.find((y) => y.id === u.id), null)}>
                  {t('teams.remove_member')}<span class="visually-hidden"> – {u.display_name}</span></button></td></tr>
            ))}</tbody>
          </table>
        ) : <p>{t('teams.no_members')}</p>}
        {others.length ? (
          <form class="inline-form" onSubmit={(e) => { e.preventDefault(); void member(others.find((u) => String(u.id) === add), x.name); }} noValidate>
            <SelectField label={t('teams.add_member')} value={add} onChange={setAdd}
              options={[{ value: '', label: t('casework.transition.choose') },
                ...others.map((u) => ({ value: String(u.id), label: u.team ? t('teams.user_in', { name: u.display_name, team: u.team }) : u.display_name }))]} />
            <button type="submit" class="btn btn-secondary" disabled={!add}>{t('teams.add')}</button>
          </form>
        ) : null}
      </section>
      <section class="card" aria-labelledby="team-remove">
        <h2 id="team-remove">{t('teams.remove')}</h2>
        {x.members || x.open_dossiers ? <p>{t('teams.in_use')}</p> : (
          <ConfirmButton label={t('teams.remove')} question={t('teams.remove_q', { name: x.name })} variant="danger"
            confirmLabel={t('teams.remove_yes')} onConfirm={remove} />
        )}
      </section>
    </section>
  );
}
