// Budgets (list, lines with explanation and rule versions, four-eyes
// approval), the budget editor with a live preview, decisions (draft ->
// approve -> PDF) and the client account.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, download, etagOf, get, post } from '../../api';
import { t, tOpt, label, lang, type MsgKey } from '../../i18n';
import { useApp } from '../../ctx';
import { navigate } from '../../router';
import { useResource } from '../../lib/hooks';
import { splitError } from '../../lib/errors';
import { CheckboxField, ConfirmButton, ErrorBox, Facts, Field, Loading, Notice, PageTitle, SelectField, TextArea } from '../../components/ui';
import { formatAmount, formatDate, formatDateTime, todayIso } from '../../lib/format';
import type { Budget, BudgetInput, BudgetLine, BudgetPreview, Decision, Dossier, Ledger, Provenance } from './types';
import { AmountField, DateField, ProgressBar, Section, ShNav, checkAmount, checkDate, saveBlob, shHref, useDebounced } from './common';

/** A line's position; a benefit the screens have no name for is a situation-related one. */
const lineLabel = (code: string) => tOpt(`sozialhilfe.line.${code}`) ?? (code.startsWith('sil:') ? t('sozialhilfe.line.sil') : code);

/** Budget lines; each explained in the reader's language where the budget keeps both. */
export function LinesTable({ lines, need, income, payment, caption }: { lines: BudgetLine[]; need: number; income: number; payment: number; caption: string }) {
  return (
    <table class="table budget-lines">
      <caption>{caption}</caption>
      <thead><tr><th scope="col">{t('sozialhilfe.budget.position')}</th><th scope="col">{t('sozialhilfe.budget.explain')}</th><th scope="col" class="num">{t('sozialhilfe.budget.amount')}</th></tr></thead>
      <tbody>
        {lines.map((l, i) => (
          <tr key={`${l.code}-${i}`}><th scope="row">{lineLabel(l.code)}</th><td>{l.explains?.[lang()] ?? l.explain}</td><td class="num">{formatAmount(l.amount)}</td></tr>
        ))}
      </tbody>
      <tfoot>
        <tr><th scope="row" colSpan={2}>{t('sozialhilfe.budget.need')}</th><td class="num">{formatAmount(need)}</td></tr>
        <tr><th scope="row" colSpan={2}>{t('sozialhilfe.budget.income_counted')}</th><td class="num">{formatAmount(income)}</td></tr>
        <tr class="total"><th scope="row" colSpan={2}>{t('sozialhilfe.budget.payment')}</th><td class="num"><strong>{formatAmount(payment)}</strong></td></tr>
      </tfoot>
    </table>
  );
}

export function ProvenanceList({ items }: { items: Provenance[] }) {
  return (
    <div class="provenance">
      <h3>{t('sozialhilfe.budget.rules')}</h3>
      <ul>
        {items.map((p) => (
          <li key={`${p.name}-${p.version}`}>
            {t('sozialhilfe.budget.rule_line', { name: p.name, version: p.version, scope: label('sozialhilfe.scope', p.scope) })}
            {p.valid_from ? ` · ${t('sozialhilfe.budget.valid_from_short', { date: formatDate(p.valid_from) })}` : ''}
            {' '}<code class="code-hint" title="SHA-256">{p.sha256.slice(0, 12)}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function BudgetsTab({ dossier }: { dossier: Dossier }) {
  const app = useApp();
  const list = useResource<{ items: Budget[] }>(`/api/v1/cases/${dossier.id}/budgets`);
  const [sel, setSel] = useState<number | null>(null);
  const one = useResource<Budget>(sel ? `/api/v1/budgets/${sel}` : null);
  const [err, setErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => { const first = list.data?.items[0]; if (first) setSel((cur) => cur || first.id); }, [list.data]);
  async function approve(b: Budget) {
    setErr(null); setNote(null);
    try {
      const r = await post<Budget>(`/api/v1/budgets/${b.id}/approve`, undefined, { ifMatch: one.etag ?? etagOf(b.version) });
      one.setData(r.data); one.setEtag(r.etag); list.reload(); setNote(t('sozialhilfe.budget.approved_note'));
    } catch (x) {
      // Changed meanwhile: show it as it is now before anyone approves it.
      if (x instanceof ApiError && x.status === 409) { one.reload(); list.reload(); }
      setErr(x);
    }
  }
  const b = one.data;
  return (
    <>
      <Section id="bud-title" title={t('sozialhilfe.section.budgets')}
        actions={app.can('case.write') && dossier.state !== 'closed' ? <a class="btn btn-primary" href={shHref('cases', dossier.id, 'budget-new')}>{t('sozialhilfe.budget.new')}</a> : null}>
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('sozialhilfe.section.budgets')}</caption>
            <thead><tr><th scope="col">{t('sozialhilfe.budget.valid_from')}</th><th scope="col" class="num">{t('sozialhilfe.budget.payment')}</th>
              <th scope="col">{t('sozialhilfe.budget.status')}</th><th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th></tr></thead>
            <tbody>{list.data.items.map((x) => (
              <tr key={x.id}>
                <td>{formatDate(x.valid_from)}</td><td class="num">{formatAmount(x.payment)}</td>
                <td>{label('sozialhilfe.bstatus', x.status)}</td>
                <td><button type="button" class="btn btn-link" aria-pressed={sel === x.id ? 'true' : 'false'} onClick={() => setSel(x.id)}>
                  {t('sozialhilfe.budget.show')}<span class="visually-hidden"> – {formatDate(x.valid_from)}</span></button></td>
              </tr>
            ))}</tbody>
          </table>
        ) : <p>{t('sozialhilfe.budget.none')}</p>}
      </Section>
      {b ? (
        <Section id="bud-one" title={t('sozialhilfe.budget.one', { date: formatDate(b.valid_from) })}>
          {note ? <Notice kind="success">{note}</Notice> : null}
          {err ? <ErrorBox error={err} /> : null}
          <Facts items={[
            [t('sozialhilfe.budget.status'), label('sozialhilfe.bstatus', b.status)],
            [t('sozialhilfe.budget.created_at'), formatDateTime(b.created_at)],
            [t('dossier.prepared_by'), b.created_by_name ?? '–'],
            ...(b.approved_at ? [[t('sozialhilfe.budget.approved_at'), formatDateTime(b.approved_at)] as [string, string],
              [t('dossier.approved_by'), b.approved_by_name ?? '–'] as [string, string]] : []),
            [t('sozialhilfe.budget.rent_direct'), b.rent_direct ? t('common.yes') : t('common.no')],
          ]} />
          <LinesTable lines={b.lines ?? []} need={b.need} income={b.income_counted} payment={b.payment} caption={t('sozialhilfe.budget.lines')} />
          <ProvenanceList items={b.provenance} />
          {b.status === 'draft' && app.can('case.approve') ? (
            b.created_by === app.me.user.id
              ? <p class="muted">{t('sozialhilfe.budget.own_draft')}</p>
              : <div class="actions"><ConfirmButton label={t('sozialhilfe.budget.approve')} question={t('dossier.budget_approve_q')}
                confirmLabel={t('dossier.approve_yes')} onConfirm={() => approve(b)} /></div>
          ) : null}
        </Section>
      ) : null}
    </>
  );
}

interface SilRow { code: string; amount: string }
const SIL_CODES = ['medical', 'dental', 'transport', 'childcare', 'furniture', 'other'];

/** First day of the current month (ISO). */
function monthFirst(): string {
  const [y, m] = todayIso().split('-').map(Number);
  return `${y}-${String(m).padStart(2, '0')}-01`;
}

export function BudgetEditor({ id }: { id: string }) {
  const app = useApp();
  const d = useResource<Dossier>(`/api/v1/cases/${id}`);
  const [v, setV] = useState({
    valid_from: formatDate(monthFirst()), rent: '', kvg_premium: '', assets: '0', employment: '', other: '', integration: '',
    rent_direct: false, ll_name: '', ll_iban: '', ll_street: '', ll_house_no: '', ll_postcode: '', ll_town: '',
  });
  const [sil, setSil] = useState<SilRow[]>([]);
  const [preview, setPreview] = useState<BudgetPreview | null>(null);
  const [pErr, setPErr] = useState<unknown>(null);
  const [busyPreview, setBusyPreview] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof v) => (x: string | boolean) => setV({ ...v, [k]: x });

  /** The request body, or the field errors. */
  function build(): { body: BudgetInput | null; errors: Record<string, string> } {
    const errors: Record<string, string> = {};
    const vf = checkDate(v.valid_from, true);
    if (vf.error) errors.valid_from = vf.error;
    else if (!vf.iso!.endsWith('-01')) errors.valid_from = t('sozialhilfe.budget.first_of_month');
    const amt = (k: string, text: string, req: boolean) => { const a = checkAmount(text, req); if (a.error) errors[k] = a.error; return a.rappen ?? 0; };
    const body: BudgetInput = {
      valid_from: vf.iso ?? '', rent: amt('rent', v.rent, true), kvg_premium: amt('kvg_premium', v.kvg_premium, true), assets: amt('assets', v.assets, true),
    };
    const emp = amt('employment', v.employment, false), oth = amt('other', v.other, false);
    if (emp || oth) body.income = { employment: emp, other: oth };
    const ia = amt('integration', v.integration, false);
    if (ia) body.integration_allowance = ia;
    const rows = sil.filter((r) => r.amount.trim());
    if (rows.length) body.sil = rows.map((r, i) => ({ code: r.code, amount: amt(`sil${i}`, r.amount, true) }));
    if (v.rent_direct) {
      body.rent_direct = true;
      if (!v.ll_name.trim()) errors.ll_name = t('form.missing');
      if (!v.ll_iban.trim()) errors.ll_iban = t('form.missing');
      if (!v.ll_town.trim()) errors.ll_town = t('form.missing');
      body.landlord = { name: v.ll_name.trim(), iban: v.ll_iban.replace(/\s+/g, '').toUpperCase(), town: v.ll_town.trim(), country: 'CH',
        ...(v.ll_street.trim() ? { street: v.ll_street.trim() } : {}), ...(v.ll_house_no.trim() ? { house_no: v.ll_house_no.trim() } : {}),
        ...(v.ll_postcode.trim() ? { postcode: v.ll_postcode.trim() } : {}) };
    }
    return { body: Object.keys(errors).length ? null : body, errors };
  }
  const built = build();
  // Live preview: asked again 400 ms after the inputs stop changing.
  const wanted = useDebounced(built.body, 400);
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    setBusyPreview(true);
    post<BudgetPreview>(`/api/v1/cases/${id}/budgets/preview`, wanted)
      .then((r) => { if (live) { setPreview(r.data); setPErr(null); } })
      .catch((e) => { if (live) setPErr(e); })
      .finally(() => { if (live) setBusyPreview(false); });
    return () => { live = false; };
  }, [JSON.stringify(wanted)]);

  const [shown, setShown] = useState<Record<string, string>>({});
  async function save(e: Event) {
    e.preventDefault();
    setShown(built.errors);
    setErr(null);
    if (!built.body) { setErr(new ApiError(400, { code: 'form_incomplete', message: '' })); return; }
    setBusy(true);
    try {
      await post<Budget>(`/api/v1/cases/${id}/budgets`, built.body);
      navigate(shHref('cases', id, 'budgets'));
    } catch (x) {
      if (x instanceof ApiError && x.code === 'household_empty') { setErr(null); setShown({ valid_from: t('sozialhilfe.budget.no_members') }); return; }
      const sp = splitError(x, ['valid_from', 'rent', 'kvg_premium', 'assets']);
      setShown(sp.field); setErr(sp.form);
    } finally { setBusy(false); }
  }
  if (d.error) return <ErrorBox error={d.error} />;
  if (!d.data) return <Loading />;
  if (!app.can('case.write')) return <section><PageTitle>{t('noaccess.title')}</PageTitle><p>{t('noaccess.text')}</p></section>;
  const fe = { ...shown };
  // Errors of fields the person has typed into show at once (amounts, dates).
  for (const [k, m] of Object.entries(built.errors)) if (m !== t('form.missing')) fe[k] = m;
  const x = d.data;
  return (
    <section>
      <ShNav current="cases" />
      <p class="breadcrumb"><a href={shHref('cases', x.id, 'budgets')}>{t('sozialhilfe.case.title_name', { name: `${x.applicant.last_name} ${x.applicant.first_name}` })}</a></p>
      <PageTitle>{t('sozialhilfe.budget.editor_title')}</PageTitle>
      <div class="budget-editor">
        <form class="form card" onSubmit={save} noValidate aria-labelledby="be-form">
          <h2 id="be-form">{t('sozialhilfe.budget.inputs')}</h2>
          {err ? <ErrorBox error={err} /> : null}
          <DateField label={t('sozialhilfe.budget.valid_from')} hint={t('sozialhilfe.budget.valid_from_hint')} value={v.valid_from} onInput={set('valid_from')} error={fe.valid_from} required name="valid_from" />
          <AmountField label={t('sozialhilfe.budget.rent')} value={v.rent} onInput={set('rent')} error={fe.rent} required name="rent" />
          <AmountField label={t('sozialhilfe.budget.kvg')} value={v.kvg_premium} onInput={set('kvg_premium')} error={fe.kvg_premium} required name="kvg_premium" />
          <AmountField label={t('sozialhilfe.budget.assets')} value={v.assets} onInput={set('assets')} error={fe.assets} required name="assets" />
          <AmountField label={t('sozialhilfe.budget.employment')} value={v.employment} onInput={set('employment')} error={fe.employment} name="employment" />
          <AmountField label={t('sozialhilfe.budget.other_income')} value={v.other} onInput={set('other')} error={fe.other} name="other_income" />
          <AmountField label={t('sozialhilfe.budget.integration')} value={v.integration} onInput={set('integration')} error={fe.integration} name="integration" />
          <fieldset class="fieldset">
            <legend>{t('sozialhilfe.budget.sil')}</legend>
            {sil.map((r, i) => (
              <div class="row-fields" key={i}>
                <SelectField label={t('sozialhilfe.budget.sil_kind', { n: i + 1 })} value={r.code} onChange={(c) => setSil(sil.map((y, j) => (j === i ? { ...y, code: c } : y)))}
                  options={SIL_CODES.map((c) => ({ value: c, label: label('sozialhilfe.sil', c) }))} />
                <AmountField label={t('sozialhilfe.budget.sil_amount', { n: i + 1 })} value={r.amount} onInput={(a) => setSil(sil.map((y, j) => (j === i ? { ...y, amount: a } : y)))} error={fe[`sil${i}`]} />
                <button type="button" class="btn btn-secondary" onClick={() => setSil(sil.filter((_, j) => j !== i))}>{t('sozialhilfe.budget.sil_remove', { n: i + 1 })}</button>
              </div>
            ))}
            <button type="button" class="btn btn-secondary" onClick={() => setSil([...sil, { code: 'medical', amount: '' }])}>{t('sozialhilfe.budget.sil_add')}</button>
          </fieldset>
          <CheckboxField label={t('sozialhilfe.budget.rent_direct')} hint={t('sozialhilfe.budget.rent_direct_hint')} checked={v.rent_direct} onChange={set('rent_direct')} />
          {v.rent_direct ? (
            <fieldset class="fieldset">
              <legend>{t('sozialhilfe.budget.landlord')}</legend>
              <Field label={t('sozialhilfe.budget.ll_name')} value={v.ll_name} onInput={set('ll_name')} error={fe.ll_name} required />
              <Field label={t('sozialhilfe.person.iban')} value={v.ll_iban} onInput={set('ll_iban')} error={fe.ll_iban} required />
              <div class="row-fields">
                <Field label={t('sozialhilfe.person.street')} value={v.ll_street} onInput={set('ll_street')} />
                <Field label={t('sozialhilfe.person.house_no')} value={v.ll_house_no} onInput={set('ll_house_no')} class="field-short" />
              </div>
              <div class="row-fields">
                <Field label={t('sozialhilfe.person.postcode')} value={v.ll_postcode} onInput={set('ll_postcode')} class="field-short" />
                <Field label={t('sozialhilfe.person.town')} value={v.ll_town} onInput={set('ll_town')} error={fe.ll_town} required />
              </div>
            </fieldset>
          ) : null}
          <div class="actions">
            <button type="submit" class="btn btn-primary" disabled={busy}>{t('sozialhilfe.budget.save')}</button>
            <a class="btn btn-secondary" href={shHref('cases', x.id, 'budgets')}>{t('common.cancel')}</a>
          </div>
        </form>
        <section class="card preview" aria-labelledby="be-preview" aria-busy={busyPreview ? 'true' : 'false'}>
          <h2 id="be-preview">{t('sozialhilfe.budget.preview')}</h2>
          <p class="muted" role="status">{busyPreview ? t('sozialhilfe.budget.computing')
            : !built.body ? t('sozialhilfe.budget.preview_waiting')
            : preview ? t('sozialhilfe.budget.preview_result', { amount: formatAmount(preview.output.payment) }) : ''}</p>
          {pErr ? (pErr instanceof ApiError && pErr.code === 'household_empty'
            ? <ErrorBox error={pErr}>{t('sozialhilfe.budget.no_members')}</ErrorBox> : <ErrorBox error={pErr} />) : null}
          {preview ? (
            <>
              <LinesTable lines={preview.output.lines} need={preview.output.need} income={preview.output.income_counted}
                payment={preview.output.payment} caption={t('sozialhilfe.budget.preview_lines')} />
              <ProvenanceList items={preview.provenance} />
            </>
          ) : null}
        </section>
      </div>
    </section>
  );
}

export function DecisionsTab({ dossier, reloadDossier }: { dossier: Dossier; reloadDossier: () => void }) {
  const app = useApp();
  const list = useResource<{ items: Decision[] }>(`/api/v1/cases/${dossier.id}/decisions`);
  const budgets = useResource<{ items: Budget[] }>(`/api/v1/cases/${dossier.id}/budgets`);
  // A budget has one decision unless that one was revoked.
  const decided = new Set((list.data?.items ?? []).filter((d) => d.status !== 'revoked').map((d) => d.budget_id));
  const approvedBudgets = (budgets.data?.items ?? []).filter((b) => b.status === 'approved' && !decided.has(b.id));
  const [revoking, setRevoking] = useState<Decision | null>(null);
  const [why, setWhy] = useState('');
  const [whyErr, setWhyErr] = useState<string | null>(null);
  const [bid, setBid] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [prog, setProg] = useState<{ done: number; total: number | null } | null>(null);
  useEffect(() => {
    setBid((cur) => (approvedBudgets.some((b) => String(b.id) === cur) ? cur : approvedBudgets.length ? String(approvedBudgets[0].id) : ''));
  }, [approvedBudgets.map((b) => b.id).join()]);
  async function draft(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null);
    try { await post(`/api/v1/cases/${dossier.id}/decisions`, { budget_id: Number(bid) }); setNote(t('sozialhilfe.decision.drafted')); list.reload(); } catch (x) { setErr(x); }
  }
  async function approve(d: Decision) {
    setErr(null); setNote(null);
    try {
      const r = await post<Decision>(`/api/v1/decisions/${d.id}/approve`, undefined, { ifMatch: etagOf(d.version) });
      // Say what really happened (support started, review ended, support goes on).
      setNote(t(`dossier.decision.${r.data.effect ?? 'support_continues'}` as MsgKey, { date: formatDate(r.data.valid_from) }));
      list.reload(); reloadDossier();
    } catch (x) { if (x instanceof ApiError && x.status === 409) list.reload(); setErr(x); }
  }
  async function revoke(e: Event) {
    e.preventDefault();
    if (!revoking) return;
    setErr(null); setNote(null);
    if (!why.trim()) { setWhyErr(t('form.missing')); return; }
    try {
      await post(`/api/v1/decisions/${revoking.id}/revoke`, { reason: why.trim() }, { ifMatch: etagOf(revoking.version) });
      setNote(t('dossier.decision.revoked_note')); setRevoking(null); setWhy(''); setWhyErr(null);
      list.reload(); budgets.reload();
    } catch (x) { if (x instanceof ApiError && x.status === 409) list.reload(); setErr(x); }
  }
  const mayRevoke = (d: Decision) => (d.status === 'draft' && app.can('case.write')) || (d.status === 'approved' && app.can('case.approve'));
  async function pdf(d: Decision) {
    setErr(null);
    setProg({ done: 0, total: null });
    try {
      const r = await download(`/api/v1/decisions/${d.id}/pdf`, (done, total) => setProg({ done, total }));
      saveBlob(r.blob, r.filename ?? `decision-${d.id}.pdf`);
      setNote(t('sozialhilfe.decision.pdf_saved'));
    } catch (x) { setErr(x); } finally { setProg(null); }
  }
  return (
    <Section id="dec-title" title={t('sozialhilfe.section.decisions')}>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      {prog ? <ProgressBar label={t('sozialhilfe.decision.pdf_loading')} done={prog.done} total={prog.total} /> : null}
      {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length ? (
        <table class="table">
          <caption class="visually-hidden">{t('sozialhilfe.section.decisions')}</caption>
          <thead><tr><th scope="col">{t('sozialhilfe.decision.created_at')}</th><th scope="col">{t('sozialhilfe.decision.status')}</th>
            <th scope="col">{t('sozialhilfe.decision.drafted_by')}</th><th scope="col">{t('sozialhilfe.decision.approved_by')}</th>
            <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th></tr></thead>
          <tbody>{list.data.items.map((d) => (
            <tr key={d.id}>
              <td>{formatDateTime(d.created_at)}</td>
              <td>{label('sozialhilfe.dstatus', d.status)}{d.status === 'revoked' ? (
                <span class="small block">{t('dossier.decision.revoked_by', { name: d.revoked_by?.display_name ?? '–', date: formatDateTime(d.revoked_at ?? '') })}: {d.revoke_reason}</span>
              ) : null}</td>
              <td>{d.drafted_by.display_name}</td><td>{d.approved_by?.display_name ?? '–'}</td>
              <td class="row-actions">
                <button type="button" class="btn btn-secondary" onClick={() => pdf(d)}>{t('sozialhilfe.decision.pdf')}<span class="visually-hidden"> – {formatDateTime(d.created_at)}</span></button>
                {d.status === 'draft' && app.can('case.approve') && d.drafted_by.id !== app.me.user.id ? (
                  <ConfirmButton label={t('sozialhilfe.decision.approve')} question={t('dossier.decision.approve_q')}
                    confirmLabel={t('dossier.approve_yes')} onConfirm={() => approve(d)} />
                ) : null}
                {mayRevoke(d) && revoking?.id !== d.id ? (
                  <button type="button" class="btn btn-link" onClick={() => { setRevoking(d); setWhy(''); setWhyErr(null); }}>
                    {t(d.status === 'draft' ? 'dossier.decision.discard' : 'dossier.decision.revoke')}<span class="visually-hidden"> – {formatDateTime(d.created_at)}</span></button>
                ) : null}
              </td>
            </tr>
          ))}</tbody>
        </table>
      ) : <p>{t('sozialhilfe.decision.none')}</p>}
      {revoking ? (
        <form class="form revoke-form" onSubmit={revoke} noValidate aria-labelledby="dec-revoke">
          <h3 id="dec-revoke">{t(revoking.status === 'draft' ? 'dossier.decision.discard_title' : 'dossier.decision.revoke_title', { date: formatDateTime(revoking.created_at) })}</h3>
          <p>{t(revoking.status === 'draft' ? 'dossier.decision.discard_explain' : 'dossier.decision.revoke_explain')}</p>
          <TextArea label={t('dossier.decision.revoke_reason')} value={why} onInput={setWhy} error={whyErr} rows={2} />
          <div class="actions">
            <button type="submit" class="btn btn-danger">{t(revoking.status === 'draft' ? 'dossier.decision.discard_yes' : 'dossier.decision.revoke_yes')}</button>
            <button type="button" class="btn btn-secondary" onClick={() => setRevoking(null)}>{t('common.cancel')}</button>
          </div>
        </form>
      ) : null}
      {app.can('case.write') && dossier.state !== 'closed' ? (
        approvedBudgets.length ? (
          <form class="inline-form" onSubmit={draft} noValidate>
            <SelectField label={t('sozialhilfe.decision.budget')} value={bid} onChange={setBid}
              options={approvedBudgets.map((b) => ({ value: String(b.id), label: `${formatDate(b.valid_from)} – ${formatAmount(b.payment)}` }))} />
            <button type="submit" class="btn btn-primary">{t('sozialhilfe.decision.draft')}</button>
          </form>
        ) : <p class="muted">{t('dossier.decision.needs_budget')}</p>
      ) : null}
    </Section>
  );
}

export function LedgerTab({ dossier }: { dossier: Dossier }) {
  const l = useResource<Ledger>(`/api/v1/cases/${dossier.id}/ledger?limit=200`);
  if (l.error) return <ErrorBox error={l.error} />;
  if (!l.data) return <Loading />;
  return (
    <Section id="led-title" title={t('sozialhilfe.section.account')}>
      <Facts items={[[t('sozialhilfe.ledger.balance'), <strong>{formatAmount(l.data.balance)}</strong>], [t('sozialhilfe.ledger.claims_open'), formatAmount(l.data.claims_open)]]} />
      {l.data.items.length ? (
        <table class="table">
          <caption class="visually-hidden">{t('sozialhilfe.section.account')}</caption>
          <thead><tr><th scope="col">{t('sozialhilfe.ledger.booked_on')}</th><th scope="col">{t('sozialhilfe.ledger.kind')}</th>
            <th scope="col">{t('sozialhilfe.ledger.text')}</th><th scope="col" class="num">{t('sozialhilfe.budget.amount')}</th></tr></thead>
          <tbody>{l.data.items.map((e) => (
            <tr key={e.id}><td>{formatDate(e.booked_on)}</td><td>{label('sozialhilfe.lkind', e.kind)}</td><td>{e.text}</td><td class="num">{formatAmount(e.amount)}</td></tr>
          ))}</tbody>
        </table>
      ) : <p>{t('sozialhilfe.ledger.none')}</p>}
    </Section>
  );
}

export { get };
