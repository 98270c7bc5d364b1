// The team lead's list of what waits for approval (GET /api/v1/approvals):
// draft budgets, draft decisions (with the dossier's state: a decision is
// approved only in the decision step), proposed one-off payments, draft
// payment runs. Each line leads to the record, where it is checked and
// approved (four eyes: what one prepared oneself is marked).
import type { ComponentChildren } from 'preact';
import { t } from '../../i18n';
import { useApp } from '../../ctx';
import { useResource } from '../../lib/hooks';
import { ErrorBox, Loading, PageTitle } from '../../components/ui';
import { formatAmount, formatDate, formatDateTime } from '../../lib/format';
import type { Approvals as Data, Pending } from './types';
import { Section, ShNav, StateBadge, shHref } from './common';

function Prepared({ p }: { p: { own: boolean; created_at: string; created_by: { display_name: string | null } } }) {
  return (
    <>
      {p.created_by.display_name ?? '–'}, {formatDateTime(p.created_at)}
      {p.own ? <span class="own small block">{t('dossier.approvals.own')}</span> : null}
    </>
  );
}

function Table({ id, title, items, what, open }: {
  id: string; title: string; items: Pending[]; what: (p: Pending) => ComponentChildren; open: (p: Pending) => string;
}) {
  return (
    <Section id={id} title={`${title} (${items.length})`}>
      {items.length ? (
        <table class="table">
          <caption class="visually-hidden">{title}</caption>
          <thead><tr>
            <th scope="col">{t('dossier.number')}</th><th scope="col">{t('casework.client')}</th>
            <th scope="col">{t('dossier.approvals.what')}</th><th scope="col">{t('dossier.prepared_by')}</th>
            <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th>
          </tr></thead>
          <tbody>{items.map((p) => (
            <tr key={p.id}>
              <td class="dossier-number">{p.dossier.number}</td>
              <td>{p.dossier.client.last_name} {p.dossier.client.first_name}</td>
              <td>{what(p)}</td>
              <td><Prepared p={p} /></td>
              <td><a href={open(p)}>{t('dossier.approvals.check')}<span class="visually-hidden"> – {p.dossier.number}</span></a></td>
            </tr>
          ))}</tbody>
        </table>
      ) : <p>{t('dossier.approvals.nothing')}</p>}
    </Section>
  );
}

export function Approvals() {
  const app = useApp();
  const ap = useResource<Data>('/api/v1/approvals');
  return (
    <section class="approvals">
      <ShNav current="approvals" />
      <PageTitle>{t('dossier.approvals.title')}</PageTitle>
      <p>{t('dossier.approvals.intro')}</p>
      {ap.error ? <ErrorBox error={ap.error} /> : !ap.data ? <Loading /> : (
        <>
          <Table id="ap-budgets" title={t('dossier.approvals.budgets')} items={ap.data.budgets}
            what={(p) => t('dossier.approvals.budget_line', { date: formatDate(p.valid_from ?? ''), amount: formatAmount(p.payment ?? 0) })}
            open={(p) => shHref('cases', p.dossier.id, 'budgets')} />
          <Table id="ap-decisions" title={t('dossier.approvals.decisions')} items={ap.data.decisions}
            what={(p) => (
              <>
                {t('dossier.approvals.decision_line', { date: formatDate(p.valid_from ?? ''), amount: formatAmount(p.payment ?? 0) })}
                {p.dossier_state && !['decision', 'ongoing', 'review'].includes(p.dossier_state)
                  ? <> <StateBadge state={p.dossier_state} /> <span class="small block">{t('dossier.approvals.not_ready')}</span></> : null}
              </>
            )}
            open={(p) => shHref('cases', p.dossier.id, 'decisions')} />
          <Table id="ap-oneoffs" title={t('dossier.approvals.one_offs')} items={ap.data.one_offs}
            what={(p) => `${p.text ?? ''} – ${formatAmount(p.amount ?? 0)}`}
            open={(p) => shHref('cases', p.dossier.id, 'account')} />
          {app.can('payment.approve') ? (
            <Section id="ap-runs" title={`${t('dossier.approvals.runs')} (${ap.data.payment_runs.length})`}>
              {ap.data.payment_runs.length ? (
                <table class="table">
                  <caption class="visually-hidden">{t('dossier.approvals.runs')}</caption>
                  <thead><tr>
                    <th scope="col">{t('dossier.approvals.month')}</th><th scope="col">{t('dossier.approvals.lines')}</th>
                    <th scope="col" class="num">{t('sozialhilfe.budget.amount')}</th><th scope="col">{t('dossier.prepared_by')}</th>
                    <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th>
                  </tr></thead>
                  <tbody>{ap.data.payment_runs.map((r) => (
                    <tr key={r.id}>
                      <td>{formatDate(r.month).slice(3)}</td><td>{r.lines}</td><td class="num">{formatAmount(r.total)}</td>
                      <td><Prepared p={r} /></td>
                      <td><a href={shHref('payments', r.id)}>{t('dossier.approvals.check')}<span class="visually-hidden"> – {formatDate(r.month).slice(3)}</span></a></td>
                    </tr>
                  ))}</tbody>
                </table>
              ) : <p>{t('dossier.approvals.nothing')}</p>}
            </Section>
          ) : null}
        </>
      )}
    </section>
  );
}
