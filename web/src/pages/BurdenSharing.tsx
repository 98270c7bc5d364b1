// The burden-sharing report (Lastenausgleich) per period: sums only.
// The eligible social-assistance costs of all municipalities are pooled;
// the canton carries its percentage, the municipalities the rest by
// population. A municipality whose share is above its own costs pays the
// difference into the pool, one below receives it.
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api';
import { t, label, lang } from '../i18n';
import { useResource } from '../lib/hooks';
import { formatAmount, formatDate, formatInteger } from '../lib/format';
import { ErrorBox, Facts, Loading, PageTitle, SelectField } from '../components/ui';
import { BILLING_API, ShortSha, packLabel, periodRange, type PackRef, type PeriodItem } from './Billing';
import './billing.css';

interface BurdenRow {
  bfs: number; name: string; tenant_id: number | null; tenant_name: string | null;
  population: number; costs: number; share: number; balance: number; explain: { de: string; fr: string };
}
interface Burden {
  period: { id: number; code: string; starts_on: string; ends_on: string };
  pack: PackRef; canton_percent: number; total_costs: number; canton: number; municipalities_total: number;
  rows: BurdenRow[];
}

const direction = (balance: number): string =>
  label('burden.direction', balance > 0 ? 'pays' : balance < 0 ? 'receives' : 'even');

export function BurdenSharing() {
  const periods = useResource<{ items: PeriodItem[] }>(`${BILLING_API}/periods`);
  const items = [...(periods.data?.items ?? [])].sort((x, y) => y.starts_on.localeCompare(x.starts_on) || y.id - x.id);
  const [sel, setSel] = useState<string>(() => new URLSearchParams(location.hash.split('?')[1] ?? '').get('period') ?? '');
  const [data, setData] = useState<Burden | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  // The latest period unless one was chosen (or named in ?period=).
  useEffect(() => {
    if (!periods.data) return;
    // A functional update: a choice made before this effect ran (it runs after paint) wins.
    setSel((cur) => (cur && items.some((p) => String(p.id) === cur) ? cur : items.length ? String(items[0].id) : ''));
  }, [periods.data]);

  useEffect(() => {
    if (!sel || !periods.data) return;
    let live = true;
    setLoading(true); setErr(null);
    get<Burden>(`${BILLING_API}/periods/${sel}/burden-sharing`)
      .then((r) => { if (live) setData(r.data); })
      .catch((e) => { if (live) { setErr(e); setData(null); } })
      .finally(() => { if (live) setLoading(false); });
    return () => { live = false; };
  }, [sel, periods.data]);

  const l = lang();
  const d = data && String(data.period.id) === sel ? data : null;
  const sum = (k: 'population' | 'costs' | 'share' | 'balance') => (d ? d.rows.reduce((s, r) => s + r[k], 0) : 0);
  return (
    <section class="billing">
      <PageTitle>{t('burden.title')}</PageTitle>
      <p class="lead">{t('burden.intro')}</p>
      {periods.error ? <ErrorBox error={periods.error} /> : null}
      {!periods.data && !periods.error ? <Loading /> : null}
      {periods.data && !items.length ? <p>{t('burden.no_periods')} <a href="#/billing">{t('billing.title')}</a></p> : null}
      {items.length ? (
        <div class="card burden-choose">
          <SelectField label={t('burden.period')} value={sel} onChange={setSel}
            options={items.map((p) => ({ value: String(p.id), label: `${p.code} (${periodRange(p)})` }))} />
        </div>
      ) : null}
      {err ? <ErrorBox error={err} /> : null}
      {loading && !d ? <Loading /> : null}
      {d ? (
        <div aria-busy={loading ? 'true' : undefined}>
          <section class="card" aria-labelledby="burden-sum-title">
            <h2 id="burden-sum-title">{t('burden.summary', { code: d.period.code })}</h2>
            <Facts items={[
              [t('burden.period'), periodRange(d.period)],
              [t('burden.total_costs'), <span class="burden-total">{formatAmount(d.total_costs)}</span>],
              [t('burden.canton_part', { percent: formatInteger(d.canton_percent) }), <span class="burden-canton">{formatAmount(d.canton)}</span>],
              [t('burden.municipalities_part', { percent: formatInteger(100 - d.canton_percent) }), <span class="burden-munis">{formatAmount(d.municipalities_total)}</span>],
              [t('billing.pack'), <span class="burden-pack">{packLabel(d.pack)}</span>],
              [t('billing.valid_from'), formatDate(d.pack.valid_from)],
              [t('billing.sha'), <ShortSha sha={d.pack.sha256} />],
            ]} />
            <p>
              <a class="btn btn-secondary" href={`${BILLING_API}/periods/${d.period.id}/burden-sharing.csv`}
                download={`burden-sharing-${d.period.code}.csv`}>{t('burden.csv')}</a>
            </p>
          </section>
          <table class="table burden-table">
            <caption>{t('burden.caption', { code: d.period.code })}</caption>
            <thead><tr>
              <th scope="col">{t('billing.municipality')}</th>
              <th scope="col" class="num">{t('billing.population')}</th>
              <th scope="col" class="num">{t('burden.costs')}</th>
              <th scope="col" class="num">{t('burden.share')}</th>
              <th scope="col" class="num">{t('burden.balance')}</th>
              <th scope="col">{t('burden.explain')}</th>
            </tr></thead>
            <tbody>
              {d.rows.map((r) => (
                <tr key={r.bfs}>
                  <th scope="row">
                    {r.name}
                    <span class="party-sub">{t('burden.bfs_tenant', { bfs: r.bfs, tenant: r.tenant_name ?? t('billing.no_tenant') })}</span>
                  </th>
                  <td class="num">{formatInteger(r.population)}</td>
                  <td class="num">{formatAmount(r.costs)}</td>
                  <td class="num">{formatAmount(r.share)}</td>
                  <td class="num">
                    {formatAmount(r.balance)}
                    <span class={`balance-dir balance-${r.balance > 0 ? 'pays' : r.balance < 0 ? 'receives' : 'even'}`}>{direction(r.balance)}</span>
                  </td>
                  <td class="explain">{r.explain[l] ?? r.explain.de}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr class="burden-sum">
                <th scope="row">{t('burden.total_municipalities')}</th>
                <td class="num">{formatInteger(sum('population'))}</td>
                <td class="num">{formatAmount(sum('costs'))}</td>
                <td class="num">{formatAmount(sum('share'))}</td>
                <td class="num">{formatAmount(sum('balance'))}</td>
                <td />
              </tr>
              <tr class="burden-canton-row">
                <th scope="row">{t('burden.canton_part', { percent: formatInteger(d.canton_percent) })}</th>
                <td />
                <td />
                <td class="num">{formatAmount(d.canton)}</td>
                <td />
                <td />
              </tr>
              <tr class="burden-grand">
                <th scope="row">{t('burden.total')}</th>
                <td />
                <td class="num">{formatAmount(d.total_costs)}</td>
                <td class="num">{formatAmount(d.canton + d.municipalities_total)}</td>
                <td />
                <td />
              </tr>
            </tfoot>
          </table>
          {d.rows.length === 0 ? <p>{t('burden.no_rows')}</p> : null}
        </div>
      ) : null}
    </section>
  );
}
