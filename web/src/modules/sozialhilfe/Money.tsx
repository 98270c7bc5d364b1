// Budgets (list, lines with explanation and rule versions, four-eyes
// approval), the budget editor with a live preview, decisions (draft ->
// approve -> PDF) and the client account with the recovery claims and
// their instalment plans and the one-off payments (and those waiting for
// a team lead, on the payments screen).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, download, etagOf, post, put, withQuery, type Page } from '../../api';
import { t, tOpt, label, lang, type MsgKey } from '../../i18n';
import { useApp } from '../../ctx';
import { navigate } from '../../router';
import { useResource } from '../../lib/hooks';
import { splitError, formIncomplete } from '../../lib/errors';
import { useEdit } from '../../lib/edit';
import { ConflictPanel, type ConflictField } from '../../components/conflict';
import { onEscape } from '../../components/inline';
import { CheckboxField, ConfirmButton, ErrorBox, Facts, Field, Loading, Notice, PageTitle, SelectField, TextArea } from '../../components/ui';
import { formatAmount, formatDate, formatDateTime, todayIso } from '../../lib/format';
import type { Budget, BudgetInput, BudgetLine, BudgetPreview, Claim, ClaimDetail, Decision, Dossier, Ledger, OneOff, Provenance } from './types';
import { AmountField, DateField, ProgressBar, Section, ShNav, amountText, checkAmount, checkDate, saveBlob, shHref, useDebounced } from './common';
import { fieldSetter } from '../../lib/form';

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
  const set = fieldSetter(setV);

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
    if (!built.body) { setErr(formIncomplete()); return; }
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
      <p class="breadcrumb"><a href={shHref('cases', x.id, 'budgets')}>{t('casework.case.title_name', { name: `${x.applicant.last_name} ${x.applicant.first_name}` })}</a></p>
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
              <Field label={t('casework.person.iban')} value={v.ll_iban} onInput={set('ll_iban')} error={fe.ll_iban} required />
              <div class="row-fields">
                <Field label={t('casework.person.street')} value={v.ll_street} onInput={set('ll_street')} />
                <Field label={t('casework.person.house_no')} value={v.ll_house_no} onInput={set('ll_house_no')} class="field-short" />
              </div>
              <div class="row-fields">
                <Field label={t('casework.person.postcode')} value={v.ll_postcode} onInput={set('ll_postcode')} class="field-short" />
                <Field label={t('casework.person.town')} value={v.ll_town} onInput={set('ll_town')} error={fe.ll_town} required />
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
        <form class="form revoke-form" onSubmit={revoke} noValidate aria-labelledby="dec-revoke" {...onEscape(() => setRevoking(null))}>
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

/**
 * The client account: balance and bookings, the recovery claims with
 * their instalment plans, and the one-off payments of the dossier.
 */
export function LedgerTab({ dossier }: { dossier: Dossier }) {
  const l = useResource<Ledger>(`/api/v1/cases/${dossier.id}/ledger?limit=200`);
  return (
    <>
      <Section id="led-title" title={t('sozialhilfe.section.account')}>
        {l.error ? <ErrorBox error={l.error} /> : !l.data ? <Loading /> : (
          <>
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
          </>
        )}
      </Section>
      <ClaimsSection dossier={dossier} onBooked={l.reload} />
      <OneOffsSection dossier={dossier} />
    </>
  );
}

/** Recovery claims of the dossier: the list with what each plan asks today, a new claim. */
function ClaimsSection({ dossier, onBooked }: { dossier: Dossier; onBooked: () => void }) {
  const app = useApp();
  const list = useResource<Page<Claim>>(`/api/v1/cases/${dossier.id}/claims?limit=100`);
  const [open, setOpen] = useState<number | null>(null);
  const [v, setV] = useState({ amount: '', instalment: '', first_due: '', reason: '' });
  const [fe, setFe] = useState<Record<string, string>>({});
  const [err, setErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = fieldSetter(setV);
  async function create(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null);
    const errors: Record<string, string> = {};
    const amount = checkAmount(v.amount, true), inst = checkAmount(v.instalment, true), first = checkDate(v.first_due, false);
    if (amount.error) errors.amount = amount.error;
    else if (!amount.rappen) errors.amount = t('casework.amount_rule');
    if (inst.error) errors.instalment = inst.error;
    else if (!inst.rappen) errors.instalment = t('casework.amount_rule');
    else if (amount.rappen && inst.rappen > amount.rappen) errors.instalment = t('money.claim.instalment_rule');
    if (first.error) errors.first_due = first.error;
    if (!v.reason.trim()) errors.reason = t('form.missing');
    setFe(errors);
    if (Object.keys(errors).length) return;
    setBusy(true);
    try {
      const r = await post<Claim>(`/api/v1/cases/${dossier.id}/claims`, {
        amount: amount.rappen, instalment: inst.rappen, reason: v.reason.trim(), ...(first.iso ? { first_due: first.iso } : {}),
      });
      setV({ amount: '', instalment: '', first_due: '', reason: '' });
      setNote(t('money.claim.created', { reference: r.data.reference }));
      list.reload();
      setOpen(r.data.id);
    } catch (x) {
      const sp = splitError(x, ['amount', 'instalment', 'first_due', 'reason']);
      setFe(sp.field); setErr(sp.form);
    } finally { setBusy(false); }
  }
  const items = list.data?.items ?? [];
  return (
    <Section id="claims-title" title={t('money.claim.title')}>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : items.length ? (
        <table class="table claims">
          <caption class="visually-hidden">{t('money.claim.title')}</caption>
          <thead><tr><th scope="col">{t('money.claim.reason')}</th><th scope="col" class="num">{t('money.claim.amount')}</th>
            <th scope="col" class="num">{t('money.claim.open')}</th><th scope="col">{t('money.claim.plan')}</th>
            <th scope="col">{t('money.claim.due')}</th><th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th></tr></thead>
          <tbody>{items.map((c) => [
            <tr key={c.id}>
              <td>{c.reason}<br /><span class="muted small">{c.reference}</span></td>
              <td class="num">{formatAmount(c.amount)}</td><td class="num">{formatAmount(c.open)}</td>
              <td>{t('money.claim.plan_text', { instalment: formatAmount(c.plan.instalment), date: formatDate(c.plan.first_due), n: c.plan.instalments })}</td>
              <td>{c.status === 'settled' ? label('money.cstatus', 'settled') : (
                <>
                  {c.plan.overdue ? <span class="badge badge-warn">{t('money.claim.overdue', { amount: formatAmount(c.plan.overdue) })}</span> : null}
                  {c.plan.next ? <><br />{t('money.claim.next', { date: formatDate(c.plan.next.due_on), amount: formatAmount(c.plan.next.amount) })}</> : null}
                </>)}</td>
              <td><button type="button" class="btn btn-link" id={`plan-btn-${c.id}`} aria-expanded={open === c.id ? 'true' : 'false'}
                onClick={() => setOpen(open === c.id ? null : c.id)}>{t('money.claim.show_plan')}<span class="visually-hidden"> – {c.reason}</span></button></td>
            </tr>,
            open === c.id ? <tr key={`${c.id}-plan`}><td colSpan={6}>
              <ClaimPlanView id={c.id} onChanged={() => { list.reload(); onBooked(); }}
                onClose={() => { setOpen(null); document.getElementById(`plan-btn-${c.id}`)?.focus(); }} />
            </td></tr> : null,
          ])}</tbody>
        </table>
      ) : <p>{t('money.claim.none')}</p>}
      {app.can('case.write') && dossier.state !== 'closed' ? (
        <form class="form" onSubmit={create} noValidate aria-labelledby="claim-new">
          <h3 id="claim-new">{t('money.claim.new')}</h3>
          {err ? <ErrorBox error={err} /> : null}
          <div class="row-fields">
            <AmountField label={t('money.claim.amount')} value={v.amount} onInput={set('amount')} error={fe.amount} required name="claim_amount" />
            <AmountField label={t('money.claim.instalment')} hint={t('money.claim.instalment_hint')} value={v.instalment} onInput={set('instalment')} error={fe.instalment} required name="claim_instalment" />
            <DateField label={t('money.claim.first_due')} hint={t('money.claim.first_due_hint')} value={v.first_due} onInput={set('first_due')} error={fe.first_due} name="claim_first_due" />
          </div>
          <TextArea label={t('money.claim.reason')} value={v.reason} onInput={set('reason')} error={fe.reason} name="claim_reason" />
          <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy}>{t('money.claim.create')}</button></div>
        </form>
      ) : null}
    </Section>
  );
}

type PlanForm = { instalment: string; first_due: string };
const toPlanForm = (c: Claim): PlanForm => ({ instalment: amountText(c.plan.instalment), first_due: formatDate(c.plan.first_due) });

/**
 * One claim's instalment plan (each instalment due, paid or overdue) and
 * its repayments; a new plan over what is still owed (case workers), a
 * repayment booked by hand (accounting). Both send the claim's ETag.
 * Escape closes it.
 */
function ClaimPlanView({ id, onChanged, onClose }: { id: number; onChanged: () => void; onClose: () => void }) {
  const app = useApp();
  const c = useResource<ClaimDetail>(`/api/v1/claims/${id}`);
  const edit = useEdit<PlanForm>();
  const [pe, setPe] = useState<Record<string, string>>({});
  const [rep, setRep] = useState({ amount: '', date: formatDate(todayIso()) });
  const setR = fieldSetter(setRep);
  const [re, setRe] = useState<Record<string, string>>({});
  const [err, setErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => { if (c.data) edit.load(toPlanForm(c.data), c.etag); }, [c.data?.version]);
  const fields: ConflictField<PlanForm>[] = [
    { key: 'instalment', label: t('money.claim.instalment') }, { key: 'first_due', label: t('money.claim.first_due') },
  ];
  if (c.error) return <ErrorBox error={c.error} />;
  if (!c.data || !edit.state) return <Loading />;
  const x = c.data, s = edit.state;
  async function plan(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null);
    const inst = checkAmount(s.values.instalment, true), first = checkDate(s.values.first_due, false);
    const errors: Record<string, string> = {};
    if (inst.error || !inst.rappen) errors.instalment = inst.error ?? t('casework.amount_rule');
    if (first.error) errors.first_due = first.error;
    setPe(errors);
    if (Object.keys(errors).length) return;
    try {
      const r = await put<Claim>(`/api/v1/claims/${x.id}/plan`, { instalment: inst.rappen, ...(first.iso ? { first_due: first.iso } : {}) }, s.etag);
      setNote(t('money.claim.planned'));
      c.reload(); onChanged();
      return r;
    } catch (e2) {
      if (e2 instanceof ApiError && e2.code === 'conflict' && e2.current) {
        const cur = e2.current as unknown as Claim;
        edit.setConflict(toPlanForm(cur), etagOf(cur.version));
      } else {
        const sp = splitError(e2, ['instalment', 'first_due']);
        setPe(sp.field); setErr(sp.form);
      }
    }
  }
  async function repay(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null);
    const amount = checkAmount(rep.amount, true), date = checkDate(rep.date, true);
    const errors: Record<string, string> = {};
    if (amount.error || !amount.rappen) errors.amount = amount.error ?? t('casework.amount_rule');
    if (date.error) errors.date = date.error;
    setRe(errors);
    if (Object.keys(errors).length) return;
    try {
      await post(`/api/v1/claims/${x.id}/repayments`, { amount: amount.rappen, date: date.iso }, { ifMatch: c.etag });
      setRep({ amount: '', date: rep.date });
      setNote(t('money.claim.repaid', { amount: formatAmount(amount.rappen ?? 0) }));
      c.reload(); onChanged();
    } catch (e2) {
      const sp = splitError(e2, ['amount', 'date']);
      setRe(sp.field); setErr(sp.form);
      if (e2 instanceof ApiError && e2.status === 409) c.reload();
    }
  }
  return (
    <div class="claim-plan" {...onEscape(onClose)}>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      <table class="table">
        <caption>{t('money.claim.schedule', { reference: x.reference })}</caption>
        <thead><tr><th scope="col">{t('money.claim.no')}</th><th scope="col">{t('money.claim.due_on')}</th>
          <th scope="col" class="num">{t('money.claim.instalment')}</th><th scope="col" class="num">{t('money.claim.paid')}</th>
          <th scope="col">{t('money.claim.state')}</th></tr></thead>
        <tbody>{x.schedule.map((i) => (
          <tr key={i.no}><td>{i.no}</td><td>{formatDate(i.due_on)}</td><td class="num">{formatAmount(i.amount)}</td>
            <td class="num">{formatAmount(i.paid)}</td>
            <td>{i.state === 'overdue' ? <span class="badge badge-warn">{label('money.istate', i.state)}</span> : label('money.istate', i.state)}</td></tr>
        ))}</tbody>
      </table>
      {x.plan.over < x.amount ? <p class="muted small">{t('money.claim.plan_over', { amount: formatAmount(x.plan.over) })}</p> : null}
      <table class="table">
        <caption>{t('money.claim.repayments')}</caption>
        <thead><tr><th scope="col">{t('money.claim.paid_on')}</th><th scope="col" class="num">{t('sozialhilfe.budget.amount')}</th>
          <th scope="col">{t('money.claim.source')}</th></tr></thead>
        <tbody>{x.repayments.length ? x.repayments.map((r) => (
          <tr key={r.id}><td>{formatDate(r.paid_on)}</td><td class="num">{formatAmount(r.amount)}</td>
            <td>{label('money.rsource', r.source)}{r.created_by.display_name ? ` – ${r.created_by.display_name}` : ''}</td></tr>
        )) : <tr><td colSpan={3}>{t('money.claim.no_repayments')}</td></tr>}</tbody>
      </table>
      {x.status === 'open' && app.can('case.write') ? (
        <form class="form" onSubmit={plan} noValidate aria-labelledby={`plan-${x.id}`}>
          <h3 id={`plan-${x.id}`}>{t('money.claim.new_plan')}</h3>
          <p class="hint">{t('money.claim.new_plan_hint', { amount: formatAmount(x.open) })}</p>
          {s.conflict ? <ConflictPanel state={s} fields={fields}
            onReapply={() => { edit.reapply(); setNote(t('conflict.reapplied')); }}
            onDiscard={() => { edit.discard(); setNote(t('conflict.discarded')); }} /> : null}
          <div class="row-fields">
            <AmountField label={t('money.claim.instalment')} value={s.values.instalment} onInput={(v) => edit.set('instalment', v)} error={pe.instalment} required name="plan_instalment" />
            <DateField label={t('money.claim.first_due')} value={s.values.first_due} onInput={(v) => edit.set('first_due', v)} error={pe.first_due} name="plan_first_due" />
          </div>
          <div class="actions"><button type="submit" class="btn btn-primary" disabled={!!s.conflict}>{t('money.claim.save_plan')}</button></div>
        </form>
      ) : null}
      {x.status === 'open' && app.can('payment.run') ? (
        <form class="form" onSubmit={repay} noValidate aria-labelledby={`repay-${x.id}`}>
          <h3 id={`repay-${x.id}`}>{t('money.claim.book_repayment')}</h3>
          <div class="row-fields">
            <AmountField label={t('money.claim.repayment_amount')} value={rep.amount} onInput={setR('amount')} error={re.amount} required name="repay_amount" />
            <DateField label={t('money.claim.paid_on')} value={rep.date} onInput={setR('date')} error={re.date} required name="repay_date" />
          </div>
          <div class="actions"><button type="submit" class="btn btn-primary">{t('money.claim.book')}</button></div>
        </form>
      ) : null}
    </div>
  );
}

/** One-off payments of the dossier: proposed by case workers, approved by a team lead (asked first). */
function OneOffsSection({ dossier }: { dossier: Dossier }) {
  const app = useApp();
  const list = useResource<Page<OneOff>>(`/api/v1/cases/${dossier.id}/one-off-payments?limit=100`);
  const empty = { amount: '', text: '', third: false, name: '', iban: '', street: '', house_no: '', postcode: '', town: '' };
  const [v, setV] = useState(empty);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [err, setErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = fieldSetter(setV);
  const active = dossier.state === 'ongoing' || dossier.state === 'review';
  async function propose(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null);
    const errors: Record<string, string> = {};
    const amount = checkAmount(v.amount, true);
    if (amount.error || !amount.rappen) errors.amount = amount.error ?? t('casework.amount_rule');
    if (!v.text.trim()) errors.text = t('form.missing');
    if (v.third) for (const k of ['name', 'iban', 'town'] as const) if (!v[k].trim()) errors[`creditor.${k}`] = t('form.missing');
    setFe(errors);
    if (Object.keys(errors).length) return;
    const creditor = v.third ? {
      name: v.name.trim(), iban: v.iban.replace(/\s+/g, '').toUpperCase(), town: v.town.trim(), country: 'CH',
      ...(v.street.trim() ? { street: v.street.trim() } : {}), ...(v.house_no.trim() ? { house_no: v.house_no.trim() } : {}),
      ...(v.postcode.trim() ? { postcode: v.postcode.trim() } : {}),
    } : undefined;
    setBusy(true);
    try {
      await post(`/api/v1/cases/${dossier.id}/one-off-payments`, { amount: amount.rappen, text: v.text.trim(), ...(creditor ? { creditor } : {}) });
      setV(empty);
      setNote(t('money.oneoff.proposed'));
      list.reload();
    } catch (x) {
      const sp = splitError(x, ['amount', 'text', 'creditor.name', 'creditor.iban', 'creditor.town', 'creditor.street', 'creditor.house_no', 'creditor.postcode']);
      setFe(sp.field); setErr(sp.form);
    } finally { setBusy(false); }
  }
  const items = list.data?.items ?? [];
  const approved = (n: string | null, e: unknown) => { setNote(n); setErr(e); list.reload(); };
  return (
    <Section id="oneoffs-title" title={t('money.oneoff.title')}>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : items.length ? (
        <table class="table">
          <caption class="visually-hidden">{t('money.oneoff.title')}</caption>
          <thead><tr><th scope="col">{t('money.oneoff.text')}</th><th scope="col" class="num">{t('sozialhilfe.budget.amount')}</th>
            <th scope="col">{t('money.oneoff.creditor')}</th><th scope="col">{t('money.oneoff.state')}</th>
            <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th></tr></thead>
          <tbody>{items.map((o) => (
            <tr key={o.id}>
              <td>{o.text}</td><td class="num">{formatAmount(o.amount)}</td>
              <td>{o.creditor ? o.creditor.name : t('money.oneoff.applicant')}</td>
              <td>{label('money.ostatus', o.run_id ? 'in_run' : o.status)}<br />
                <span class="muted small">{t('money.oneoff.by', { name: o.created_by_name ?? '–' })}
                  {o.approved_by_name ? ` · ${t('money.oneoff.approved_by', { name: o.approved_by_name })}` : ''}</span></td>
              <td class="row-actions">{o.status === 'proposed' && app.can('case.approve') ? <OneOffApprove o={o} onDone={approved} /> : null}</td>
            </tr>
          ))}</tbody>
        </table>
      ) : <p>{t('money.oneoff.none')}</p>}
      {app.can('case.write') && active ? (
        <form class="form" onSubmit={propose} noValidate aria-labelledby="oneoff-new">
          <h3 id="oneoff-new">{t('money.oneoff.new')}</h3>
          <div class="row-fields">
            <AmountField label={t('sozialhilfe.budget.amount')} value={v.amount} onInput={set('amount')} error={fe.amount} required name="oneoff_amount" />
            <Field label={t('money.oneoff.text')} hint={t('money.oneoff.text_hint')} value={v.text} onInput={set('text')} error={fe.text} required name="oneoff_text" maxLength={140} />
          </div>
          <CheckboxField label={t('money.oneoff.third')} hint={t('money.oneoff.third_hint')} checked={v.third} onChange={set('third')} />
          {v.third ? (
            <fieldset class="fieldset">
              <legend>{t('money.oneoff.creditor')}</legend>
              <Field label={t('money.oneoff.creditor_name')} value={v.name} onInput={set('name')} error={fe['creditor.name']} required name="creditor_name" />
              <Field label={t('casework.person.iban')} value={v.iban} onInput={set('iban')} error={fe['creditor.iban']} required name="creditor_iban" />
              <div class="row-fields">
                <Field label={t('casework.person.street')} value={v.street} onInput={set('street')} error={fe['creditor.street']} name="creditor_street" />
                <Field label={t('casework.person.house_no')} value={v.house_no} onInput={set('house_no')} class="field-short" name="creditor_house_no" />
              </div>
              <div class="row-fields">
                <Field label={t('casework.person.postcode')} value={v.postcode} onInput={set('postcode')} class="field-short" name="creditor_postcode" />
                <Field label={t('casework.person.town')} value={v.town} onInput={set('town')} error={fe['creditor.town']} required name="creditor_town" />
              </div>
            </fieldset>
          ) : null}
          <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy}>{t('money.oneoff.propose')}</button></div>
        </form>
      ) : null}
    </Section>
  );
}

/**
 * A team lead approves a proposed one-off payment after the browser asked
 * (with its ETag); the proposer sees that someone else approves.
 * onDone(note, error) after the answer.
 */
export function OneOffApprove({ o, onDone }: { o: OneOff; onDone: (note: string | null, err: unknown) => void }) {
  const app = useApp();
  if (o.created_by === app.me.user.id) return <span class="muted small">{t('money.oneoff.own')}</span>;
  async function approve() {
    try {
      await post(`/api/v1/one-off-payments/${o.id}/approve`, undefined, { ifMatch: etagOf(o.version) });
      onDone(t('money.oneoff.approved', { client: o.client ?? '', amount: formatAmount(o.amount) }), null);
    } catch (x) { onDone(null, x); }
  }
  return (
    <ConfirmButton label={t('money.oneoff.approve')} srSuffix={`– ${o.client ?? ''}, ${o.text}`}
      question={t('money.oneoff.approve_q', { amount: formatAmount(o.amount), client: o.client ?? '', text: o.text })}
      confirmLabel={t('money.oneoff.approve_yes')} onConfirm={approve} />
  );
}

/** One-off payments the case workers proposed, for a team lead to approve. */
export function OneOffsWaiting() {
  const list = useResource<Page<OneOff>>(withQuery('/api/v1/one-off-payments', { status: 'proposed', limit: 50 }));
  const [err, setErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const approved = (n: string | null, e: unknown) => { setNote(n); setErr(e); list.reload(); };
  return (
    <Section id="oneoff-waiting" title={t('money.oneoff.waiting')}>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length ? (
        <table class="table">
          <caption class="visually-hidden">{t('money.oneoff.waiting')}</caption>
          <thead><tr><th scope="col">{t('money.oneoff.client')}</th><th scope="col">{t('money.oneoff.text')}</th>
            <th scope="col" class="num">{t('sozialhilfe.budget.amount')}</th><th scope="col">{t('money.oneoff.proposed_by')}</th>
            <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th></tr></thead>
          <tbody>{list.data.items.map((o) => (
            <tr key={o.id}>
              <td><a href={shHref('cases', o.dossier_id, 'account')}>{o.client}</a></td>
              <td>{o.text}{o.creditor ? <><br /><span class="muted small">{t('money.oneoff.to', { name: o.creditor.name })}</span></> : null}</td>
              <td class="num">{formatAmount(o.amount)}</td>
              <td>{o.created_by_name ?? '–'}<br /><span class="muted small">{formatDateTime(o.created_at)}</span></td>
              <td class="row-actions"><OneOffApprove o={o} onDone={approved} /></td>
            </tr>
          ))}</tbody>
        </table>
      ) : <p>{t('money.oneoff.none_waiting')}</p>}
    </Section>
  );
}
