// The invoices the canton issued to the own social service (#/invoices),
// newest first: period, when issued, amount, QR reference, whether a later
// invoice replaced it, and the PDF (with the QR-bill payment part).
import { t } from '../i18n';
import { useResource } from '../lib/hooks';
import { formatAmount, formatDateTime } from '../lib/format';
import { ErrorBox, Loading, PageTitle } from '../components/ui';
import { formatReference, periodRange } from './Billing';

interface MyInvoice {
  run_id: number;
  period: { code: string; starts_on: string; ends_on: string };
  issued_at: string;
  amount: number;
  reference: string | null;
  reference_type: string | null;
  replaced_by: number | null;
}

export function Invoices() {
  const list = useResource<{ items: MyInvoice[] }>('/api/v1/invoices');
  const items = list.data?.items;
  return (
    <section class="billing">
      <PageTitle>{t('invoices.title')}</PageTitle>
      <p>{t('invoices.intro')}</p>
      {list.error ? <ErrorBox error={list.error} /> : !items ? <Loading /> : items.length === 0 ? <p>{t('invoices.none')}</p> : (
        <table class="table my-invoices">
          <caption>{t('invoices.caption')}</caption>
          <thead><tr>
            <th scope="col">{t('billing.period')}</th>
            <th scope="col">{t('invoices.issued_at')}</th>
            <th scope="col" class="num">{t('billing.amount')}</th>
            <th scope="col">{t('billing.reference')}</th>
            <th scope="col">{t('invoices.state')}</th>
            <th scope="col">{t('billing.invoice')}</th>
          </tr></thead>
          <tbody>
            {items.map((x) => (
              <tr key={x.run_id} data-run={x.run_id} class={x.replaced_by ? 'replaced' : undefined}>
                <th scope="row">{x.period.code} <span class="muted">({periodRange(x.period)})</span></th>
                <td>{formatDateTime(x.issued_at)}</td>
                <td class="num">{formatAmount(x.amount)}</td>
                <td><span class="reference">{formatReference(x.reference, x.reference_type)}</span></td>
                <td>{x.replaced_by ? t('invoices.replaced') : t('invoices.current')}</td>
                <td>
                  <a href={`/api/v1/invoices/${x.run_id}/pdf`} target="_blank" rel="noopener">
                    {t('invoices.pdf')}
                    <span class="visually-hidden"> – {t('invoices.pdf_for', { code: x.period.code, at: formatDateTime(x.issued_at) })}</span>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
