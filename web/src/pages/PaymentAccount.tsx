// The service's payment account (#/payment-account, payment.account):
// the account payment runs pay from (holder, IBAN, BIC, address) and its
// QR-IBAN, which the debtor's QR-bills with a QR reference need
// (Alimentenhilfe answers ah_collect_no_qr_iban without it). Checked as
// the server checks it: the IBAN's check digits (mod 97); a QR-IBAN has
// the QR-IID 30000-31999 in positions 5-9 and is only allowed in its own
// field. Changing the account sends its ETag.
import { useEtagForm } from '../lib/etagForm';
import { t } from '../i18n';
import { splitError } from '../lib/errors';
import { ErrorBox, Field, Loading, Notice, PageTitle } from '../components/ui';
import { loadedFieldSetter } from '../lib/form';

interface Account {
  name: string; iban: string; bic: string | null; street: string | null; house_no: string | null;
  postcode: string | null; town: string; country: string; qr_iban: string | null; version: number;
}

const FIELDS = ['name', 'iban', 'bic', 'street', 'house_no', 'postcode', 'town', 'country', 'qr_iban'] as const;
type Form = Record<typeof FIELDS[number], string>;

const compact = (s: string) => s.replace(/\s+/g, '').toUpperCase();
const grouped = (s: string | null) => (s ?? '').replace(/(.{4})(?=.)/g, '$1 ');

/** ISO 13616: two letters, two check digits, the rest; mod 97 = 1. */
export function ibanValid(iban: string): boolean {
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const digits = (iban.slice(4) + iban.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let r = 0;
  for (const d of digits) r = (r * 10 + Number(d)) % 97;
  return r === 1;
}

/** A Swiss or Liechtenstein QR-IBAN: QR-IID 30000-31999 in positions 5-9. */
export function isQrIban(iban: string): boolean {
  if (!/^(CH|LI)/.test(iban)) return false;
  const iid = Number(iban.slice(4, 9));
  return /^[0-9]{5}$/.test(iban.slice(4, 9)) && iid >= 30000 && iid <= 31999;
}

const toForm = (a: Account | null): Form => ({
  name: a?.name ?? '', iban: grouped(a?.iban ?? ''), bic: a?.bic ?? '', street: a?.street ?? '', house_no: a?.house_no ?? '',
  postcode: a?.postcode ?? '', town: a?.town ?? '', country: a?.country ?? 'CH', qr_iban: grouped(a?.qr_iban ?? ''),
});

/** What is wrong with the form, field by field (empty: nothing). */
function check(v: Form): Record<string, string> {
  const fe: Record<string, string> = {};
  if (!v.name.trim()) fe.name = t('form.missing');
  if (!v.town.trim()) fe.town = t('form.missing');
  if (!/^[A-Za-z]{2}$/.test(v.country.trim())) fe.country = t('payaccount.country_rule');
  const iban = compact(v.iban);
  if (!iban) fe.iban = t('form.missing');
  else if (!ibanValid(iban)) fe.iban = t('payaccount.iban_rule');
  else if (isQrIban(iban)) fe.iban = t('payaccount.iban_is_qr');
  const qr = compact(v.qr_iban);
  if (qr && (!ibanValid(qr) || !/^(CH|LI)/.test(qr))) fe.qr_iban = t('payaccount.qr_iban_rule');
  else if (qr && !isQrIban(qr)) fe.qr_iban = t('payaccount.qr_iban_not_qr');
  return fe;
}

export function PaymentAccount() {
  const f = useEtagForm<Account, Form>('/api/v1/payment-account', toForm);
  const { v, fieldErr } = f;
  if (f.loadErr) return <section><PageTitle>{t('payaccount.title')}</PageTitle><ErrorBox error={f.loadErr} /></section>;
  if (!v) return <Loading />;
  const set = loadedFieldSetter(f.setV);

  function save(e: Event) {
    e.preventDefault();
    if (!v) return;
    void f.save(check(v), () => {
      const body: Record<string, string> = { name: v.name.trim(), iban: compact(v.iban), town: v.town.trim(), country: v.country.trim().toUpperCase() };
      for (const k of ['bic', 'street', 'house_no', 'postcode'] as const) if (v[k].trim()) body[k] = v[k].trim();
      if (compact(v.qr_iban)) body.qr_iban = compact(v.qr_iban);
      return body;
    }, (x) => splitError(x, [...FIELDS]));
  }

  return (
    <section>
      <PageTitle>{t('payaccount.title')}</PageTitle>
      <p>{t('payaccount.text')}</p>
      {f.note ? <Notice kind="success">{f.note}</Notice> : null}
      <form class="form card" onSubmit={save} noValidate>
        {f.formErr ? <ErrorBox error={f.formErr} /> : null}
        <Field label={t('payaccount.name')} value={v.name} onInput={set('name')} required error={fieldErr.name} name="name" />
        <Field label={t('payaccount.iban')} hint={t('payaccount.iban_hint')} value={v.iban} onInput={set('iban')} required
          error={fieldErr.iban} name="iban" spellcheck={false} />
        <Field label={t('payaccount.bic')} value={v.bic} onInput={set('bic')} error={fieldErr.bic} name="bic" spellcheck={false} />
        <Field label={t('payaccount.street')} value={v.street} onInput={set('street')} error={fieldErr.street} name="street" />
        <Field label={t('payaccount.house_no')} value={v.house_no} onInput={set('house_no')} error={fieldErr.house_no} name="house_no" />
        <Field label={t('payaccount.postcode')} value={v.postcode} onInput={set('postcode')} error={fieldErr.postcode} name="postcode" />
        <Field label={t('payaccount.town')} value={v.town} onInput={set('town')} required error={fieldErr.town} name="town" />
        <Field label={t('payaccount.country')} hint={t('payaccount.country_hint')} value={v.country} onInput={set('country')} required
          error={fieldErr.country} name="country" />
        <Field label={t('payaccount.qr_iban')} hint={t('payaccount.qr_iban_hint')} value={v.qr_iban} onInput={set('qr_iban')}
          error={fieldErr.qr_iban} name="qr_iban" spellcheck={false} />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={f.busy}>{t('form.save')}</button>
        </div>
      </form>
    </section>
  );
}
