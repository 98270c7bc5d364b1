// The quick search in the top bar: persons (by name, the persons API)
// and dossiers (by number or the applicant's name, ?q= of the dossier
// list) as one types; Enter opens the first hit, Escape closes the list.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { get, withQuery, type Page } from '../api';
import { t } from '../i18n';
import { useApp } from '../ctx';
import { navigate } from '../router';
import { formatDate } from '../lib/format';
import type { Dossier, PersonHit } from './types';
import { useHref, useDebounced } from './common';
import './dossier.css';

interface Hits { q: string; persons: PersonHit[]; cases: Dossier[] }

export function QuickSearch() {
  const mh = useHref();
  const app = useApp();
  const persons = app.can('person.read');
  const cases = app.can('case.read');
  const id = useId();
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<Hits | null>(null);
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLFormElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const query = useDebounced(q.trim(), 250);
  useEffect(() => {
    if (query.length < 2) { setHits(null); return; }
    let live = true;
    // A query one side does not take (e.g. digits for the person search)
    // simply finds nothing there.
    const none = <T,>(): Promise<T[]> => Promise.resolve([]);
    Promise.all([
      persons ? get<Page<PersonHit>>(withQuery('/api/v1/persons', { q: query, limit: 5 })).then((r) => r.data.items, none<PersonHit>) : none<PersonHit>(),
      cases ? get<Page<Dossier>>(withQuery('/api/v1/cases', { q: query, limit: 5 })).then((r) => r.data.items, none<Dossier>) : none<Dossier>(),
    ]).then(([p, c]) => { if (live) { setHits({ q: query, persons: p, cases: c }); setOpen(true); } });
    return () => { live = false; };
  }, [query]);
  if (!persons && !cases) return null;

  const close = () => { setOpen(false); };
  const go = (to: string) => { setOpen(false); setQ(''); setHits(null); navigate(to); };
  const first = hits?.cases[0] ? mh('cases', hits.cases[0].id) : hits?.persons[0] ? mh('persons', hits.persons[0].id) : null;
  const n = hits ? hits.persons.length + hits.cases.length : 0;
  return (
    <form class="quick-search" role="search" aria-label={t('dossier.quick.label')} ref={box}
      onSubmit={(e) => { e.preventDefault(); if (first) go(first); }}
      onKeyDown={(e) => { if (e.key === 'Escape' && open) { e.preventDefault(); close(); input.current?.focus(); } }}
      onFocusOut={(e) => { if (!box.current?.contains(e.relatedTarget as Node | null)) close(); }}>
      <label for={`${id}-q`}>{t('dossier.quick.label')}</label>
      <input id={`${id}-q`} ref={input} type="search" value={q} placeholder={t('dossier.quick.placeholder')} autocomplete="off"
        aria-describedby={`${id}-status`} aria-controls={`${id}-results`}
        onInput={(e) => { setQ((e.currentTarget as HTMLInputElement).value); setOpen(true); }}
        onFocus={() => { if (hits) setOpen(true); }} />
      <p id={`${id}-status`} class="visually-hidden" role="status">
        {hits && open ? (n ? t('dossier.quick.found', { n }) : t('dossier.quick.nothing', { q: hits.q })) : ''}
      </p>
      <div id={`${id}-results`}>
        {hits && open ? (
          <div class="qs-results">
            {n === 0 ? <p>{t('dossier.quick.nothing', { q: hits.q })}</p> : null}
            {hits.cases.length ? (
              <>
                <h2 id={`${id}-cases`}>{t('dossier.quick.cases')}</h2>
                <ul aria-labelledby={`${id}-cases`}>{hits.cases.map((d) => (
                  <li key={d.id}><a href={mh('cases', d.id)} onClick={(e) => { e.preventDefault(); go(mh('cases', d.id)); }}>
                    {d.number} – {d.applicant.last_name} {d.applicant.first_name}
                    <span class="qs-sub">{d.municipality.name}</span></a></li>
                ))}</ul>
              </>
            ) : null}
            {hits.persons.length ? (
              <>
                <h2 id={`${id}-persons`}>{t('dossier.quick.persons')}</h2>
                <ul aria-labelledby={`${id}-persons`}>{hits.persons.map((p) => (
                  <li key={p.id}><a href={mh('persons', p.id)} onClick={(e) => { e.preventDefault(); go(mh('persons', p.id)); }}>
                    {p.last_name} {p.first_name}<span class="qs-sub">{formatDate(p.birth_date)}{p.town ? ` · ${p.town}` : ''}</span></a></li>
                ))}</ul>
              </>
            ) : null}
          </div>
        ) : null}
      </div>
    </form>
  );
}
