// The "Zahlungsplan" tab: per creditor and month what is due (indexed by
// the title's clause, with the index inputs shown), received from the
// debtor, advanced by the community and outstanding; the totals and the
// arrears (outstanding of the months before the current one), to the
// Rappen, as GET /cases/{id}/schedule computes them.
import { ApiError } from '../../api';
import { t } from '../../i18n';
import { useResource } from '../../lib/hooks';
import { ErrorBox, Facts, Loading, ScrollTable } from '../../components/ui';
import { formatAmount } from '../../lib/format';
import { Section } from '../../casework/common';
import type { Dossier } from '../../casework/types';
import type { Schedule, ScheduleMonth, ScheduleTotals } from './types';

/** "11.2026": a schedule's month ("2026-11", or its first day). */
export const monthText = (iso: string) => `${iso.slice(5, 7)}.${iso.slice(0, 4)}`;
const points = (tenths: number | null) => (tenths === null ? '–' : (tenths / 10).toFixed(1));

function indexText(m: ScheduleMonth): string {
  if (!m.index) return '–';
  return t('alimente.schedule.index_is', {
    points: points(m.index.points), base: points(m.index.base),
    rounding: formatAmount(m.index.rounding ?? 0), month: m.index.month ? monthText(m.index.month) : '–',
  });
}

function Totals({ x }: { x: ScheduleTotals }) {
  return (
    <Facts items={[
      [t('alimente.schedule.due'), formatAmount(x.due)],
      [t('alimente.schedule.received'), formatAmount(x.received)],
      [t('alimente.schedule.advanced'), formatAmount(x.advanced)],
      [t('alimente.schedule.recovered'), formatAmount(x.recovered)],
      [t('alimente.schedule.outstanding'), formatAmount(x.outstanding)],
      [t('alimente.schedule.arrears'), <strong>{formatAmount(x.arrears)}</strong>],
    ]} />
  );
}

export function ScheduleTab({ dossier }: { dossier: Dossier }) {
  const s = useResource<Schedule>(`/api/v1/cases/${dossier.id}/schedule`);
  if (s.error instanceof ApiError && s.error.code === 'ah_title_missing')
    return <Section id="ah-schedule" title={t('alimente.section.schedule')}><p>{t('alimente.schedule.no_title')}</p></Section>;
  if (s.error) return <ErrorBox error={s.error} />;
  if (!s.data) return <Loading />;
  const x = s.data;
  return (
    <>
      <Section id="ah-schedule" title={t('alimente.section.schedule')}>
        <p>{t('alimente.schedule.explain', { month: monthText(x.current_month) })}</p>
        <Totals x={x.totals} />
      </Section>
      {x.creditors.length === 0 ? <p>{t('alimente.creditor.none')}</p> : null}
      {x.creditors.map((c) => (
        <Section key={c.creditor_id} id={`ah-sch-${c.creditor_id}`} title={t('alimente.schedule.for', { name: c.name ?? '–' })}>
          <Totals x={c.totals} />
          {c.months.length ? (
            <ScrollTable label={t('alimente.schedule.for', { name: c.name ?? '–' })}>
              <table class="table table-amounts">
                <caption class="visually-hidden">{t('alimente.schedule.for', { name: c.name ?? '–' })}</caption>
                <thead><tr>
                  <th scope="col">{t('alimente.schedule.month')}</th>
                  <th scope="col" class="num">{t('alimente.schedule.title_amount')}</th>
                  <th scope="col">{t('alimente.schedule.index')}</th>
                  <th scope="col" class="num">{t('alimente.schedule.due')}</th>
                  <th scope="col" class="num">{t('alimente.schedule.received')}</th>
                  <th scope="col" class="num">{t('alimente.schedule.advanced')}</th>
                  <th scope="col" class="num">{t('alimente.schedule.outstanding')}</th>
                </tr></thead>
                <tbody>{c.months.map((m) => (
                  <tr key={m.month} class={m.month === x.current_month ? 'current' : undefined}>
                    <th scope="row">{monthText(m.month)}</th>
                    <td class="num">{formatAmount(m.title_amount)}</td>
                    <td>{indexText(m)}</td>
                    <td class="num">{formatAmount(m.due)}{m.family_allowance ? <span class="muted small"> {t('alimente.schedule.fa_incl', { amount: formatAmount(m.family_allowance) })}</span> : null}</td>
                    <td class="num">{formatAmount(m.received)}</td>
                    <td class="num">{formatAmount(m.advanced)}</td>
                    <td class="num">{formatAmount(m.outstanding)}</td>
                  </tr>
                ))}</tbody>
              </table>
            </ScrollTable>
          ) : <p>{t('alimente.schedule.no_months')}</p>}
        </Section>
      ))}
    </>
  );
}
