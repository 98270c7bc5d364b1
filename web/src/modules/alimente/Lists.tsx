// The module's own parts of the shared work list (its lists in GET
// /api/v1/worklist: missing debtor payments, advances ending soon,
// limitation dates, for a team lead the decisions awaiting approval), the
// team lead's overview of advance decisions awaiting approval across
// dossiers (GET /api/v1/alimente/advances?state=submitted) and the
// community's net cost of advances per month (GET
// /api/v1/alimente/net-cost), which feeds the canton's burden sharing.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { withQuery } from '../../api';
import { t, label } from '../../i18n';
import { useApp } from '../../ctx';
import { usePagedList, useResource } from '../../lib/hooks';
import { ErrorBox, Field, PagedTable, Loading, PageTitle } from '../../components/ui';
import { formatAmount, formatDate, formatDateTime, todayIso } from '../../lib/format';
import { ModuleNav, Section, modHref, useDebounced } from '../../casework/common';
import { monthText } from './Schedule';
import type { Advance } from './types';

interface AhLists {
  ah_missing_payments?: { dossier_id: number; state: string; name: string; month: string; due: number }[];
  ah_advances_ending?: { id: number; dossier_id: number; first_name: string; last_name: string; ends_on: string; reason: string }[];
  ah_advances_awaiting?: { id: number; dossier_id: number; first_name: string; last_name: string; amount: number; valid_from: string; submitted_at: string }[];
  ah_limitation?: { dossier_id: number; creditor_id: number; number: string; client: string; creditor_first_name: string; creditor_last_name: string; month: string; outstanding: number; limitation_on: string }[];
}

const href = (id: number, tab: string) => modHref('alimente', 'cases', id, tab);

function List<T>({ id, title, items, empty, head, row }: {
  id: string; title: string; items: T[]; empty: string; head: string[]; row: (x: T) => ComponentChildren;
}) {
  return (
    <Section id={id} title={`${title} (${items.length})`}>
      {items.length ? (
        <table class="table">
          <caption class="visually-hidden">{title}</caption>
          <thead><tr>{head.map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
          <tbody>{items.map(row)}</tbody>
        </table>
      ) : <p>{empty}</p>}
    </Section>
  );
}

/** On the work list, for those who read Alimentenhilfe dossiers. */
export function AhWorklistSection() {
  const app = useApp();
  if (!app.can('alimente.read')) return null;
  return <AhLists />;
}

function AhLists() {
  const wl = useResource<AhLists>('/api/v1/worklist');
  if (wl.error) return <ErrorBox error={wl.error} />;
  if (!wl.data) return <Loading />;
  const d = wl.data;
  return (
    <div class="grid-2">
      <List id="ah-wl-missing" title={t('alimente.worklist.missing')} items={d.ah_missing_payments ?? []} empty={t('alimente.worklist.missing_none')}
        head={[t('casework.client'), t('alimente.schedule.month'), t('alimente.schedule.due')]}
        row={(x) => <tr key={`${x.dossier_id}-${x.month}`}><td><a href={href(x.dossier_id, 'schedule')}>{x.name}</a></td><td>{monthText(x.month)}</td><td class="num">{formatAmount(x.due)}</td></tr>} />
      <List id="ah-wl-ending" title={t('alimente.worklist.ending')} items={d.ah_advances_ending ?? []} empty={t('alimente.worklist.ending_none')}
        head={[t('alimente.advance.child'), t('alimente.worklist.ends_on'), t('alimente.advance.end_reason')]}
        row={(x) => <tr key={x.id}><td><a href={href(x.dossier_id, 'advances')}>{x.first_name} {x.last_name}</a></td><td>{formatDate(x.ends_on)}</td><td>{label('alimente.end_reason', x.reason)}</td></tr>} />
      {d.ah_advances_awaiting ? (
        <List id="ah-wl-awaiting" title={t('alimente.worklist.awaiting')} items={d.ah_advances_awaiting} empty={t('alimente.worklist.awaiting_none')}
          head={[t('alimente.advance.child'), t('alimente.advance.amount'), t('alimente.advance.valid_from'), t('alimente.awaiting.submitted_at')]}
          row={(x) => <tr key={x.id}><td><a href={href(x.dossier_id, 'advances')}>{x.first_name} {x.last_name}</a></td><td class="num">{formatAmount(x.amount)}</td>
            <td>{formatDate(x.valid_from)}</td><td>{formatDateTime(x.submitted_at)}</td></tr>} />
      ) : null}
      <List id="ah-wl-limitation" title={t('alimente.worklist.limitation')} items={d.ah_limitation ?? []} empty={t('alimente.worklist.limitation_none')}
        head={[t('casework.client'), t('alimente.schedule.month'), t('alimente.schedule.outstanding'), t('alimente.worklist.limitation_on')]}
        row={(x) => <tr key={`${x.dossier_id}-${x.creditor_id}-${x.month}`}><td><a href={href(x.dossier_id, 'schedule')}>{x.client}</a> <span class="small">{x.creditor_first_name} {x.creditor_last_name}</span></td>
          <td>{monthText(x.month)}</td><td class="num">{formatAmount(x.outstanding)}</td><td>{formatDate(x.limitation_on)}</td></tr>} />
    </div>
  );
}

/** "11.2026" typed → "2026-11"; null when it is not a month. */
function parseMonth(s: string): string | null {
  const m = /^\s*(\d{1,2})\.(\d{4})\s*$/.exec(s);
  return m && Number(m[1]) >= 1 && Number(m[1]) <= 12 ? `${m[2]}-${m[1].padStart(2, '0')}` : null;
}

interface NetCost { from: string; to: string; items: { month: string; advanced: number; recovered: number; net_cost: number }[]; totals: { advanced: number; recovered: number; net_cost: number } }

/** #/m/alimente/net-cost: what the advances cost the community per month. */
export function NetCostPage() {
  const today = todayIso();
  const [from, setFrom] = useState(`01.${today.slice(0, 4)}`);
  const [to, setTo] = useState(`${today.slice(5, 7)}.${today.slice(0, 4)}`);
  const q = useDebounced({ from: parseMonth(from), to: parseMonth(to) }, 300);
  const res = useResource<NetCost>(q.from && q.to ? withQuery('/api/v1/alimente/net-cost', { from: q.from, to: q.to }) : null);
  return (
    <section>
      <ModuleNav current="net-cost" />
      <PageTitle>{t('alimente.netcost.title')}</PageTitle>
      <p>{t('alimente.netcost.explain')}</p>
      <div class="card inline-form" role="group" aria-label={t('alimente.netcost.period')}>
        <Field label={t('alimente.netcost.from')} hint={t('alimente.netcost.month_hint')} value={from} onInput={setFrom} name="from" error={parseMonth(from) ? null : t('alimente.netcost.month_rule')} />
        <Field label={t('alimente.netcost.to')} hint={t('alimente.netcost.month_hint')} value={to} onInput={setTo} name="to" error={parseMonth(to) ? null : t('alimente.netcost.month_rule')} />
      </div>
      {res.error ? <ErrorBox error={res.error} /> : !res.data ? <Loading /> : (
        <table class="table">
          <caption class="visually-hidden">{t('alimente.netcost.title')}</caption>
          <thead><tr><th scope="col">{t('alimente.schedule.month')}</th><th scope="col" class="num">{t('alimente.schedule.advanced')}</th>
            <th scope="col" class="num">{t('alimente.collect.recovered')}</th><th scope="col" class="num">{t('alimente.netcost.net')}</th></tr></thead>
          <tbody>{res.data.items.map((m) => (
            <tr key={m.month}><th scope="row">{monthText(m.month)}</th><td class="num">{formatAmount(m.advanced)}</td>
              <td class="num">{formatAmount(m.recovered)}</td><td class="num">{formatAmount(m.net_cost)}</td></tr>
          ))}</tbody>
          <tfoot><tr><th scope="row">{t('alimente.collect.total')}</th><td class="num">{formatAmount(res.data.totals.advanced)}</td>
            <td class="num">{formatAmount(res.data.totals.recovered)}</td><td class="num">{formatAmount(res.data.totals.net_cost)}</td></tr></tfoot>
        </table>
      )}
    </section>
  );
}

type Awaiting = Advance & { dossier_number: string; client: string };

/**
 * #/m/alimente/advances: the advance decisions awaiting approval across
 * the service's dossiers, for the team lead, who opens a dossier's
 * advance tab from here to approve or reject.
 */
export function AwaitingPage() {
  const list = usePagedList<Awaiting>('/api/v1/alimente/advances', 50);
  return (
    <section>
      <ModuleNav current="advances" />
      <PageTitle>{t('alimente.awaiting.title')}</PageTitle>
      <p>{t('alimente.awaiting.explain')}</p>
      <PagedTable list={list} id="ah-awaiting" caption={t('alimente.awaiting.title')} pager={t('alimente.awaiting.title')}
        empty={t('alimente.awaiting.none')}
        head={<>
          <th scope="col">{t('alimente.awaiting.dossier')}</th><th scope="col">{t('alimente.advance.child')}</th>
          <th scope="col" class="num">{t('alimente.advance.amount')}</th><th scope="col">{t('alimente.advance.valid_from')}</th>
          <th scope="col">{t('alimente.awaiting.submitted_by')}</th><th scope="col">{t('alimente.awaiting.submitted_at')}</th>
        </>}
        row={(a) => (
          <tr key={a.id}>
            <td><a href={href(a.dossier_id, 'advances')}>{a.dossier_number}</a> <span class="small">{a.client}</span></td>
            <td>{a.child.first_name} {a.child.last_name}</td>
            <td class="num">{formatAmount(a.amount)}</td>
            <td>{formatDate(a.valid_from)}</td>
            <td>{a.submitted_by?.display_name ?? ''}</td>
            <td>{a.submitted_at ? formatDateTime(a.submitted_at) : ''}</td>
          </tr>
        )} />
    </section>
  );
}
