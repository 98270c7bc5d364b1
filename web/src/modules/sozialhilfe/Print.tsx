// Printing a dossier. Four documents have a view of their own made for
// paper (#/m/sozialhilfe/cases/<id>/print/<kind>): the dossier extract,
// the budget, the account statement and the goal agreement. They hold no
// form and no input; print.css takes the navigation and every button off
// the page, and the header names the social service, the dossier and the
// day it was printed. The same header goes on top of a dossier screen
// printed as it is (PrintHeader).
import { useEffect, useState } from 'preact/hooks';
import { get, withQuery, type ApiPath, type Page } from '../../api';
import { t, label, type MsgKey } from '../../i18n';
import { useApp } from '../../ctx';
import { useResource } from '../../lib/hooks';
import { ErrorBox, Facts, Loading, PageTitle } from '../../components/ui';
import { formatAmount, formatDate, formatDateTime, todayIso } from '../../lib/format';
import type { Budget, Checklist, Deadline, Decision, Dossier, Goal, Household, Ledger, LedgerEntry } from './types';
import { CHECKLIST_CODES } from './types';
import { M, dateOrDash, deadlineText, shHref } from './common';
import { LinesTable, ProvenanceList } from './Money';

export const PRINT_KINDS = ['extract', 'budget', 'account', 'goals'] as const;
export type PrintKind = typeof PRINT_KINDS[number];

/** The dossier's reference on paper: its number once it has one, else its id. */
export const dossierRef = (d: Dossier): string => String((d as Dossier & { number?: string | null }).number ?? d.id);

const clientName = (d: Dossier) => `${d.applicant.first_name} ${d.applicant.last_name}`;

/** Tenant, dossier number, client and the day of printing: on paper only, unless shown. */
export function PrintHeader({ dossier, title, screen = false }: { dossier: Dossier; title?: string; screen?: boolean }) {
  const app = useApp();
  return (
    <div class={`print-header${screen ? '' : ' print-only'}`}>
      <p class="print-tenant">{title ? t('letters.print.of', { tenant: app.me.tenant.name, title }) : app.me.tenant.name}</p>
      <p>
        <span>{t('letters.print.dossier_no', { ref: dossierRef(dossier) })}</span>
        <span>{t('letters.print.client', { name: clientName(dossier) })}</span>
        <span>{t('letters.print.printed_on', { date: formatDate(todayIso()) })}</span>
      </p>
    </div>
  );
}

/** What the dossier's header offers: writing a letter, the print views. */
export function DossierActions({ dossier }: { dossier: Dossier }) {
  const app = useApp();
  const kinds = PRINT_KINDS.filter((k) => k !== 'account' || app.can('ledger.read'));
  return (
    <nav class="dossier-actions no-print" aria-label={t('letters.actions')}>
      {app.can('case.write') && dossier.state !== 'closed'
        ? <a class="btn btn-secondary" href={shHref('cases', dossier.id, 'letters')}>{t('letters.write')}</a> : null}
      <span class="muted">{t('letters.print')}</span>
      <ul>
        {kinds.map((k) => (
          <li key={k}><a href={shHref('cases', dossier.id, 'print', k)}>{t(`letters.print.${k}` as MsgKey)}</a></li>
        ))}
      </ul>
    </nav>
  );
}

/** Every page of a cursor-paged list (the ledger), for paper. */
function useAll<T>(path: ApiPath<'get'> | null) {
  const [items, setItems] = useState<T[] | null>(null);
  const [extra, setExtra] = useState<Record<string, unknown>>({});
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!path) return;
    let live = true;
    (async () => {
      const all: T[] = [];
      let after: string | null = null;
      for (let i = 0; i < 100; i++) {
        const r: { data: Page<T> & Record<string, unknown> } = await get<Page<T> & Record<string, unknown>>(withQuery(path, { limit: 500, after }));
        all.push(...r.data.items);
        if (i === 0) setExtra(r.data);
        after = r.data.next;
        if (!after) break;
      }
      if (live) setItems(all);
    })().catch((e) => { if (live) setError(e); });
    return () => { live = false; };
  }, [path]);
  return { items, extra, error };
}

function Members({ dossier }: { dossier: Dossier }) {
  const hh = useResource<Household>(`/api/v1/households/${dossier.household_id}`);
  if (hh.error) return <ErrorBox error={hh.error} />;
  if (!hh.data) return <Loading />;
  return (
    <table class="table">
      <caption class="visually-hidden">{t('casework.section.household')}</caption>
      <thead><tr><th scope="col">{t('letters.print.member')}</th><th scope="col">{t('casework.person.birth_date')}</th>
        <th scope="col">{t('casework.household.role')}</th><th scope="col">{t('casework.household.valid_from')}</th>
        <th scope="col">{t('casework.household.valid_to')}</th></tr></thead>
      <tbody>{hh.data.members.map((m) => (
        <tr key={m.id}><td>{m.last_name} {m.first_name}</td><td>{formatDate(m.birth_date)}</td><td>{label('casework.role', m.role)}</td>
          <td>{formatDate(m.valid_from)}</td><td>{dateOrDash(m.valid_to)}</td></tr>
      ))}</tbody>
    </table>
  );
}

function ChecklistTable({ dossier }: { dossier: Dossier }) {
  const cl = useResource<Checklist>(`/api/v1/cases/${dossier.id}/checklist`);
  if (cl.error) return <ErrorBox error={cl.error} />;
  if (!cl.data) return <Loading />;
  return (
    <table class="table">
      <caption class="visually-hidden">{t('sozialhilfe.section.checklist')}</caption>
      <thead><tr><th scope="col">{t('casework.checklist.document')}</th><th scope="col">{t('letters.print.received')}</th>
        <th scope="col">{t('casework.checklist.note')}</th></tr></thead>
      <tbody>{CHECKLIST_CODES.map((c) => {
        const it = cl.data!.items.find((i) => i.code === c);
        return (
          <tr key={c}><td>{label('sozialhilfe.doc', c)}</td>
            <td>{it?.received_on ? formatDate(it.received_on) : cl.data!.missing.includes(c) ? t('letters.print.missing') : '–'}</td>
            <td>{it?.note || '–'}</td></tr>
        );
      })}</tbody>
    </table>
  );
}

function GoalsTable({ goals }: { goals: Goal[] }) {
  if (!goals.length) return <p>{t('sozialhilfe.goals.none')}</p>;
  return (
    <table class="table">
      <caption class="visually-hidden">{t('sozialhilfe.section.goals')}</caption>
      <thead><tr><th scope="col">{t('sozialhilfe.goals.title_field')}</th><th scope="col">{t('sozialhilfe.goals.measures')}</th>
        <th scope="col">{t('sozialhilfe.goals.due_on')}</th><th scope="col">{t('sozialhilfe.goals.status')}</th></tr></thead>
      <tbody>{goals.map((g) => (
        <tr key={g.id}><td>{g.title}</td><td>{g.measures ?? '–'}</td><td>{formatDate(g.due_on)}</td><td>{label('sozialhilfe.goal_status', g.status)}</td></tr>
      ))}</tbody>
    </table>
  );
}

function Goals({ dossier, agreement }: { dossier: Dossier; agreement: boolean }) {
  const g = useResource<{ items: Goal[] }>(`/api/v1/cases/${dossier.id}/goals`);
  if (g.error) return <ErrorBox error={g.error} />;
  if (!g.data) return <Loading />;
  const signed = g.data.items.find((x) => x.signed_on)?.signed_on ?? null;
  return (
    <>
      {agreement ? <p>{t('letters.print.goals_intro')}</p> : null}
      <GoalsTable goals={g.data.items} />
      <p>{signed ? t('sozialhilfe.goals.signed_on', { date: formatDate(signed) }) : t('sozialhilfe.goals.not_signed')}</p>
      {agreement ? (
        <div class="signatures" role="group" aria-label={t('letters.print.signatures')}>
          {[t('letters.print.sign_client'), t('letters.print.sign_worker')].map((who) => (
            <div key={who} class="signature">
              <p class="signature-line">{t('letters.print.place_date')}</p>
              <p class="signature-line">{who}{who === t('letters.print.sign_worker') && dossier.caseworker ? `: ${dossier.caseworker.display_name}` : ''}</p>
            </div>
          ))}
        </div>
      ) : null}
    </>
  );
}

/** The newest budget (the list is newest first) with its lines. */
function BudgetPart({ dossier, heading }: { dossier: Dossier; heading: boolean }) {
  const list = useResource<{ items: Budget[] }>(`/api/v1/cases/${dossier.id}/budgets`);
  const first = list.data?.items[0];
  const one = useResource<Budget>(first ? `/api/v1/budgets/${first.id}` : null);
  if (list.error || one.error) return <ErrorBox error={list.error ?? one.error} />;
  if (!list.data) return <Loading />;
  if (!first) return <p>{t('letters.print.no_budget')}</p>;
  if (!one.data) return <Loading />;
  const b = one.data;
  return (
    <>
      {heading ? <h3>{t('letters.print.budget_of', { date: formatDate(b.valid_from) })}</h3> : null}
      <Facts items={[
        [t('sozialhilfe.budget.valid_from'), formatDate(b.valid_from)],
        [t('sozialhilfe.budget.status'), label('sozialhilfe.bstatus', b.status)],
        ...(b.approved_at ? [[t('sozialhilfe.budget.approved_at'), formatDateTime(b.approved_at)] as [string, string]] : []),
      ]} />
      <LinesTable lines={b.lines ?? []} need={b.need} income={b.income_counted} payment={b.payment} caption={t('sozialhilfe.budget.lines')} />
      <ProvenanceList items={b.provenance} />
    </>
  );
}

function Decisions({ dossier }: { dossier: Dossier }) {
  const list = useResource<{ items: Decision[] }>(`/api/v1/cases/${dossier.id}/decisions`);
  if (list.error) return <ErrorBox error={list.error} />;
  if (!list.data) return <Loading />;
  if (!list.data.items.length) return <p>{t('sozialhilfe.decision.none')}</p>;
  return (
    <table class="table">
      <caption class="visually-hidden">{t('sozialhilfe.section.decisions')}</caption>
      <thead><tr><th scope="col">{t('sozialhilfe.decision.created_at')}</th><th scope="col">{t('sozialhilfe.decision.status')}</th>
        <th scope="col">{t('sozialhilfe.decision.drafted_by')}</th><th scope="col">{t('sozialhilfe.decision.approved_by')}</th></tr></thead>
      <tbody>{list.data.items.map((d) => (
        <tr key={d.id}><td>{formatDate(d.created_at)}</td><td>{label('sozialhilfe.dstatus', d.status)}</td>
          <td>{d.drafted_by.display_name}</td><td>{d.approved_by?.display_name ?? '–'}</td></tr>
      ))}</tbody>
    </table>
  );
}

function Deadlines({ dossier }: { dossier: Dossier }) {
  const dl = useResource<{ items: Deadline[] }>(`/api/v1/cases/${dossier.id}/deadlines`);
  if (dl.error) return <ErrorBox error={dl.error} />;
  if (!dl.data) return <Loading />;
  const open = dl.data.items.filter((d) => !d.done_on);
  if (!open.length) return <p>{t('casework.deadline.none')}</p>;
  return (
    <table class="table">
      <caption>{t('letters.print.open_deadlines')}</caption>
      <thead><tr><th scope="col">{t('casework.deadline.due_on')}</th><th scope="col">{t('casework.deadline.text')}</th></tr></thead>
      <tbody>{open.map((d) => <tr key={d.id}><td>{formatDate(d.due_on)}</td><td>{deadlineText(d, M)}</td></tr>)}</tbody>
    </table>
  );
}

function Account({ dossier }: { dossier: Dossier }) {
  const l = useAll<LedgerEntry>(`/api/v1/cases/${dossier.id}/ledger`);
  if (l.error) return <ErrorBox error={l.error} />;
  if (!l.items) return <Loading />;
  const x = l.extra as Partial<Ledger>;
  return (
    <>
      <Facts items={[[t('sozialhilfe.ledger.balance'), formatAmount(x.balance ?? 0)], [t('sozialhilfe.ledger.claims_open'), formatAmount(x.claims_open ?? 0)]]} />
      {l.items.length ? (
        <table class="table">
          <caption>{t('letters.print.entries')}</caption>
          <thead><tr><th scope="col">{t('sozialhilfe.ledger.booked_on')}</th><th scope="col">{t('sozialhilfe.ledger.kind')}</th>
            <th scope="col">{t('sozialhilfe.ledger.text')}</th><th scope="col" class="num">{t('sozialhilfe.budget.amount')}</th></tr></thead>
          <tbody>{l.items.map((e) => (
            <tr key={e.id}><td>{formatDate(e.booked_on)}</td><td>{label('sozialhilfe.lkind', e.kind)}</td><td>{e.text}</td><td class="num">{formatAmount(e.amount)}</td></tr>
          ))}</tbody>
        </table>
      ) : <p>{t('sozialhilfe.ledger.none')}</p>}
    </>
  );
}

function Extract({ dossier: x }: { dossier: Dossier }) {
  const app = useApp();
  return (
    <>
      <section class="print-part" aria-labelledby="px-overview">
        <h2 id="px-overview">{t('casework.case.overview')}</h2>
        <Facts items={[
          [t('casework.case.state'), label('sozialhilfe.state', x.state)],
          [t('casework.case.municipality'), x.municipality.name],
          [t('casework.case.caseworker'), x.caseworker?.display_name ?? t('casework.case.unassigned')],
          [t('casework.case.team'), x.team ?? '–'],
          [t('casework.case.opened_on'), formatDate(x.opened_on)],
          ...(x.closed_on ? [[t('letters.print.closed_on'), formatDate(x.closed_on)] as [string, string],
            [t('letters.print.closure'), x.closure_reason ? label('sozialhilfe.closure', x.closure_reason) : '–'] as [string, string]] : []),
        ]} />
      </section>
      {app.can('person.read') ? (
        <section class="print-part" aria-labelledby="px-household"><h2 id="px-household">{t('casework.section.household')}</h2><Members dossier={x} /></section>
      ) : null}
      <section class="print-part" aria-labelledby="px-checklist"><h2 id="px-checklist">{t('sozialhilfe.section.checklist')}</h2><ChecklistTable dossier={x} /></section>
      <section class="print-part" aria-labelledby="px-goals"><h2 id="px-goals">{t('sozialhilfe.section.goals')}</h2><Goals dossier={x} agreement={false} /></section>
      <section class="print-part" aria-labelledby="px-budget"><h2 id="px-budget">{t('sozialhilfe.section.budgets')}</h2><BudgetPart dossier={x} heading /></section>
      <section class="print-part" aria-labelledby="px-decisions"><h2 id="px-decisions">{t('sozialhilfe.section.decisions')}</h2><Decisions dossier={x} /></section>
      <section class="print-part" aria-labelledby="px-deadlines"><h2 id="px-deadlines">{t('casework.section.deadlines')}</h2><Deadlines dossier={x} /></section>
      <section class="print-part" aria-labelledby="px-history">
        <h2 id="px-history">{t('casework.case.history')}</h2>
        <table class="table">
          <caption class="visually-hidden">{t('casework.case.history')}</caption>
          <thead><tr><th scope="col">{t('casework.case.when')}</th><th scope="col">{t('casework.case.state')}</th><th scope="col">{t('casework.transition.reason')}</th></tr></thead>
          <tbody>{(x.history ?? []).map((h, i) => (
            <tr key={i}><td>{formatDateTime(h.at)}</td><td>{label('sozialhilfe.state', h.to)}</td><td>{h.reason ? label('sozialhilfe.closure', h.reason) : '–'}</td></tr>
          ))}</tbody>
        </table>
      </section>
    </>
  );
}

/** #/m/sozialhilfe/cases/<id>/print/<kind> */
export function PrintView({ id, kind }: { id: string; kind: PrintKind }) {
  const app = useApp();
  const d = useResource<Dossier>(`/api/v1/cases/${id}`);
  if (d.error) return <section><PageTitle>{t('casework.case.title')}</PageTitle><ErrorBox error={d.error} /></section>;
  if (!d.data) return <Loading />;
  const x = d.data;
  const name = `${x.applicant.last_name} ${x.applicant.first_name}`;
  const title = t(`letters.print.title_${kind}` as MsgKey, { name });
  const refused = kind === 'account' && !app.can('ledger.read');
  return (
    <article class="print-doc">
      <div class="print-toolbar no-print">
        <a href={shHref('cases', x.id)}>{t('letters.print.back')}</a>
        <button type="button" class="btn btn-primary" onClick={() => window.print()}>{t('letters.print.now')}</button>
        <p class="muted">{t('letters.print.hint')}</p>
      </div>
      <PrintHeader dossier={x} screen />
      <PageTitle>{title}</PageTitle>
      {refused ? <p>{t('noaccess.text')}</p> : null}
      {kind === 'extract' ? <Extract dossier={x} /> : null}
      {kind === 'budget' ? <BudgetPart dossier={x} heading={false} /> : null}
      {kind === 'account' && !refused ? <Account dossier={x} /> : null}
      {kind === 'goals' ? <Goals dossier={x} agreement /> : null}
    </article>
  );
}
