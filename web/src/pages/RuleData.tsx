// A tenant admin's own rule data, within the canton's bounds, in two tabs
// on one screen (#/rule-data, the tab in the query): the rent ceilings per
// municipality and household size, and the social service's local benefits
// (#/rule-data?tab=local-benefits). Every change is checked against the
// bounds while typing (each violation named beside its field and in a
// summary); a saved version applies from its date. Each tab lists its
// versions; below both, what was in force on a date. A tab once opened
// stays mounted (hidden), so switching does not lose what was typed.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, get, post, withQuery } from '../api';
import { lang, t } from '../i18n';
import { useApp } from '../ctx';
import { useRoute } from '../router';
import { formatAmount, formatDate, formatDateTime, parseAmount, parseDate, todayIso } from '../lib/format';
import { Badge, ErrorBox, Field, Loading, Notice, TextArea, PageTitle, ScrollTable } from '../components/ui';
import { AsOfLookup, type AsOfItem } from './RulePacks';
import { formIncomplete } from '../lib/errors';

const RD = '/api/v1/rule-data';
const RENT = 'rent-ceilings';
const LOCAL = 'local-benefits';
type Tab = typeof RENT | typeof LOCAL;

type Text = { de: string; fr: string };
interface Violation { path: string; bound: string; limit?: number; value?: number; message: Text }
interface PackRef { name: string; version: string; valid_from: string }
interface Current<D> { id: number; version: string; valid_from: string; data: D }
interface BoundsAnswer<B, D> {
  name: string; date: string; bounds: B; pack: PackRef;
  municipalities: { bfs: number; name: string }[];
  current: Current<D> | null;
}
interface DataVersion<D> {
  id: number; name: string; version: string; valid_from: string; sha256: string; status: string;
  data: D; author_id: number | null; created_at: string; comment?: string | null; author_name?: string | null;
}

/** The first day of next month (the usual start of new values). */
function nextMonthStart(): string {
  const [y, m] = todayIso().split('-').map(Number);
  const ny = m === 12 ? y + 1 : y;
  const nm = m === 12 ? 1 : m + 1;
  return `${ny}-${String(nm).padStart(2, '0')}-01`;
}

const incomplete = () => formIncomplete();

export function RuleData() {
  const route = useRoute();
  const tab: Tab = route.query.get('tab') === LOCAL ? LOCAL : RENT;
  // A tab is mounted when first shown and kept (hidden) after.
  const opened = useRef(new Set<Tab>());
  opened.current.add(tab);
  const tabs: { id: Tab; href: string; label: string }[] = [
    { id: RENT, href: '#/rule-data', label: t('ruledata.title') },
    { id: LOCAL, href: `#/rule-data?tab=${LOCAL}`, label: t('ruledata.lb_title') },
  ];
  return (
    <section>
      <PageTitle>{t('ruledata.page_title')}</PageTitle>
      <p>{t('ruledata.page_intro')}</p>
      <nav class="tabs" aria-label={t('ruledata.tabs')}>
        <ul>
          {tabs.map((x) => (
            <li key={x.id}>
              <a href={x.href} aria-current={x.id === tab ? 'page' : undefined} class={x.id === tab ? 'active' : undefined}>{x.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      {opened.current.has(RENT) ? <div hidden={tab !== RENT}><RentCeilings /></div> : null}
      {opened.current.has(LOCAL) ? <div hidden={tab !== LOCAL}><LocalBenefits /></div> : null}
      <AsOfLookup path={`${RD}/as-of`} intro={t('ruledata.asof_intro')} />
    </section>
  );
}

/* --- shared: bounds, live check, save, versions ------------------------- */

/**
 * The canton's bounds for the date a new version applies from (reloaded
 * when the date changes, or on reload()); init is called once, with the first answer, to
 * fill the editor from the version in force then.
 */
function useBounds<B, D>(name: string, vf: string | null, init: (b: BoundsAnswer<B, D>) => void) {
  const [bounds, setBounds] = useState<BoundsAnswer<B, D> | null>(null);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const first = useRef(true);
  useEffect(() => {
    let live = true;
    get<BoundsAnswer<B, D>>(withQuery(`${RD}/${name}/bounds`, { date: vf ?? todayIso() }))
      .then((r) => {
        if (!live) return;
        setBounds(r.data);
        setLoadErr(null);
        if (first.current) { first.current = false; init(r.data); }
      })
      .catch((e) => { if (live && first.current) setLoadErr(e); });
    return () => { live = false; };
  }, [vf, tick]);
  /** Ask again (after a save: the version in force on the date changed). */
  const reload = () => setTick((n) => n + 1);
  return { bounds, loadErr, reload };
}

/**
 * Check data against the canton's bounds a moment after the last change;
 * data null (the form has errors of its own) means no check.
 */
function useLiveCheck(name: string, vf: string | null, data: unknown, deps: unknown[]) {
  const [violations, setViolations] = useState<Violation[] | null>(null);
  const [checkErr, setCheckErr] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);
  const seq = useRef(0);
  useEffect(() => {
    const n = ++seq.current;
    if (data === null || !vf) { setViolations(null); setChecking(false); return; }
    setChecking(true);
    const timer = setTimeout(() => {
      post<{ ok: boolean; violations: Violation[] }>(`${RD}/${name}/check`, { valid_from: vf, data })
        .then((r) => { if (n === seq.current) { setViolations(r.data.violations); setCheckErr(null); } })
        .catch((e) => { if (n === seq.current) { setViolations(null); setCheckErr(e); } })
        .finally(() => { if (n === seq.current) setChecking(false); });
    }, 350);
    return () => clearTimeout(timer);
  }, deps);
  return { violations, setViolations, checkErr, checking };
}

/** Save a version; a refusal for the bounds shows the server's violations. */
function useSave(name: string, onViolations: (v: Violation[]) => void, onSaved: () => Promise<void>) {
  const [saveErr, setSaveErr] = useState<unknown>(null);
  const [saved, setSaved] = useState<{ version: string; valid_from: string } | null>(null);
  const [busy, setBusy] = useState(false);
  async function save(vf: string | null, data: unknown, comment: string): Promise<boolean> {
    setSaved(null); setSaveErr(null);
    if (!vf || data === null) { setSaveErr(incomplete()); return false; }
    // Known violations or not: the server checks again and refuses with them.
    setBusy(true);
    try {
      const body: Record<string, unknown> = { valid_from: vf, data };
      if (comment.trim()) body.comment = comment.trim();
      const r = await post<{ id: number; version: string; valid_from: string }>(`${RD}/${name}`, body);
      setSaved({ version: r.data.version, valid_from: r.data.valid_from });
      await onSaved();
      return true;
    } catch (x) {
      if (x instanceof ApiError && x.code === 'rule_bounds') {
        const vs = (x.detail as { violations?: Violation[] } | undefined)?.violations;
        if (Array.isArray(vs)) onViolations(vs);
      }
      setSaveErr(x);
      return false;
    } finally { setBusy(false); }
  }
  return { save, saveErr, saved, busy };
}

/** The versions of one kind of rule data, newest first, and which are in force today. */
function useHistory<D>(name: string): HistoryState<D> {
  const [history, setHistory] = useState<DataVersion<D>[] | null>(null);
  const [inForce, setInForce] = useState<Set<number>>(new Set());
  const [historyErr, setHistoryErr] = useState<unknown>(null);
  async function reload() {
    try {
      const [h, a] = await Promise.all([
        get<{ items: DataVersion<D>[] }>(RD),
        get<{ items: AsOfItem[] }>(withQuery(`${RD}/as-of`, { date: todayIso() })),
      ]);
      setHistory(h.data.items.filter((i) => i.name === name)
        .sort((x, y) => (x.valid_from < y.valid_from ? 1 : x.valid_from > y.valid_from ? -1 : y.id - x.id)));
      setInForce(new Set(a.data.items.map((i) => i.id)));
      setHistoryErr(null);
    } catch (e) { setHistoryErr(e); }
  }
  useEffect(() => { void reload(); }, []);
  return { history, inForce, historyErr, reload };
}

interface HistoryState<D> {
  history: DataVersion<D>[] | null; inForce: Set<number>; historyErr: unknown; reload: () => Promise<void>;
}

function History<D>(p: {
  headingId: string; h: HistoryState<D>; values: (d: D) => ComponentChildren; valuesLabel: string;
}) {
  const app = useApp();
  const { history, inForce, historyErr } = p.h;
  // People by name; the number only if the name is not known.
  const who = (uid: number | null, name?: string | null) => (uid === null ? t('rules.system')
    : uid === app.me.user.id ? t('rules.you_named', { name: name ?? t('rules.user_id', { id: uid }) })
      : name ?? t('rules.user_id', { id: uid }));
  // The comment goes to the audit log; the list carries it where the server keeps it.
  const withComments = !!history?.some((h) => h.comment);
  return (
    <section class="card" aria-labelledby={p.headingId}>
      <h3 id={p.headingId}>{t('ruledata.history')}</h3>
      {historyErr ? <ErrorBox error={historyErr} /> : null}
      {!history && !historyErr ? <Loading /> : null}
      {history ? (
        history.length === 0 ? <p>{t('ruledata.history_none')}</p> : (
          <table class="table rd-history">
            <caption class="visually-hidden">{t('ruledata.history')}</caption>
            <thead><tr>
              <th scope="col">{t('rules.version')}</th>
              <th scope="col">{t('rules.valid_from')}</th>
              <th scope="col">{t('rules.in_force')}</th>
              <th scope="col">{p.valuesLabel}</th>
              {withComments ? <th scope="col">{t('ruledata.comment')}</th> : null}
              <th scope="col">{t('ruledata.saved_by')}</th>
            </tr></thead>
            <tbody>
              {history.map((h) => {
                const marker = inForce.has(h.id) ? 'in_force' : h.valid_from > todayIso() ? 'scheduled' : 'superseded';
                return (
                  <tr key={h.id}>
                    <th scope="row">{h.version}</th>
                    <td>{formatDate(h.valid_from)}</td>
                    <td><Badge kind={marker === 'in_force' ? 'ok' : marker === 'scheduled' ? 'info' : 'off'}>{t(`rules.marker.${marker}`)}</Badge></td>
                    <td>{p.values(h.data)}</td>
                    {withComments ? <td>{h.comment || '–'}</td> : null}
                    <td>{who(h.author_id, h.author_name)}<br /><span class="small">{formatDateTime(h.created_at)}</span></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )
      ) : null}
    </section>
  );
}

/** "N problems:" or "all within", and the list; each entry can move focus to its field. */
interface Problem { key: string; text: string; field: string | null }

function CheckSummary(p: { checking: boolean; checkErr: unknown; ok: string; problems: Problem[]; checked: boolean }) {
  const n = p.problems.length;
  return (
    <div class="check-summary" aria-busy={p.checking ? 'true' : undefined}>
      <p role="status" class={n ? 'result-bad' : p.checked ? 'result-good' : 'muted'}>
        {n ? t('ruledata.problems', { n }) : p.checked ? p.ok : ''}
      </p>
      {p.checkErr ? <ErrorBox error={p.checkErr} /> : null}
      {n ? (
        <ul class="violations">
          {p.problems.map((x) => (
            <li key={x.key}>
              {x.field ? (
                <button type="button" class="btn btn-link" onClick={() => document.getElementById(x.field as string)?.focus()}>{x.text}</button>
              ) : <span>{x.text}</span>}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** One tab's section: its heading, then the editor (or why it could not load). */
function TabSection(p: { headingId: string; title: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={p.headingId}>
      <h2 id={p.headingId}>{p.title}</h2>
      {p.children}
    </section>
  );
}

/**
 * The form for a new version around a tab's table: the canton's rules and
 * the pack they come from, the date it applies from, the live check, a
 * comment and "save"; the saved notice above it.
 */
function VersionForm(p: {
  headingId: string; rules: string; lead?: ComponentChildren; pack: PackRef; date: string;
  saving: ReturnType<typeof useSave>; onSave: () => void;
  validFrom: string; setValidFrom: (v: string) => void; vfOk: boolean;
  check: ReturnType<typeof useLiveCheck>; problems: Problem[]; ok: string;
  comment: string; setComment: (v: string) => void; children: ComponentChildren;
}) {
  const { saving, check } = p;
  return (
    <>
      {saving.saved ? (
        <Notice kind="success">{t('ruledata.saved', { version: saving.saved.version, date: formatDate(saving.saved.valid_from) })}</Notice>
      ) : null}
      <form class="card" onSubmit={(e) => { e.preventDefault(); p.onSave(); }} noValidate aria-labelledby={p.headingId}>
        <h3 id={p.headingId}>{t('ruledata.ceilings_title')}</h3>
        <p>{p.rules}</p>
        {p.lead}
        <p class="muted small">{t('ruledata.bounds_from', { name: p.pack.name, version: p.pack.version, date: formatDate(p.date) })}</p>
        {saving.saveErr ? <ErrorBox error={saving.saveErr} /> : null}
        <Field label={t('ruledata.valid_from')} hint={t('ruledata.valid_from_hint')} value={p.validFrom} onInput={p.setValidFrom}
          error={p.vfOk ? null : t('rules.date_invalid')} required name="valid_from" class="field-short-date" />
        {p.children}
        <CheckSummary checking={check.checking} checkErr={check.checkErr} ok={p.ok}
          problems={p.problems} checked={check.violations !== null} />
        <TextArea label={t('ruledata.comment')} hint={t('ruledata.comment_hint')} value={p.comment} onInput={p.setComment} rows={2} />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={saving.busy}>{t('ruledata.save')}</button>
        </div>
      </form>
    </>
  );
}

/** A table cell holding one control, named by its row and column headers; its messages below it. */
function GridCell(p: {
  id: string; labelledBy: string; msgs: string[]; num?: boolean;
  children: (aria: Record<string, string | undefined>) => ComponentChildren;
}) {
  const bad = p.msgs.length > 0;
  const cls = [p.num ? 'num' : '', bad ? 'cell-invalid' : ''].filter(Boolean).join(' ');
  return (
    <td class={cls || undefined}>
      {p.children({
        id: p.id, 'aria-labelledby': p.labelledBy,
        'aria-invalid': bad ? 'true' : undefined, 'aria-describedby': bad ? `${p.id}-err` : undefined,
      })}
      {bad ? <p id={`${p.id}-err`} class="cell-error">{p.msgs.join(' ')}</p> : null}
    </td>
  );
}

/* --- rent ceilings ------------------------------------------------------ */

interface Column { size: number; max: number; min: number; label: Text }
interface Ceiling { bfs: number; name: string; by_size: number[] }
interface CeilingBounds { sizes: number; min: number; max_by_size: number[]; columns: Column[]; rules: Text }
type CeilingData = { ceilings: Ceiling[] };

/** "ceilings[2].by_size[3]" -> row 1, column 2 (the API counts from 1). */
function cellOf(path: string): [number, number] | null {
  const m = /^ceilings\[(\d+)\]\.by_size\[(\d+)\]$/.exec(path);
  return m ? [Number(m[1]) - 1, Number(m[2]) - 1] : null;
}

const cellId = (r: number, c: number) => `rd-cell-${r}-${c}`;

function RentCeilings() {
  const l = lang();
  const [cells, setCells] = useState<string[][] | null>(null);
  const [validFrom, setValidFrom] = useState(() => formatDate(nextMonthStart()));
  const [comment, setComment] = useState('');
  const vf = parseDate(validFrom);
  const { bounds, loadErr } = useBounds<CeilingBounds, CeilingData>(RENT, vf, (b) => {
    setCells(b.municipalities.map((m) => {
      const c = b.current?.data.ceilings.find((x) => x.bfs === m.bfs);
      return b.bounds.columns.map((_, i) => (c && typeof c.by_size[i] === 'number' ? formatAmount(c.by_size[i], false) : ''));
    }));
  });
  const hist = useHistory<Partial<CeilingData>>(RENT);

  // What the person typed, as Rappen; a message per cell that is not an amount.
  const parsed = useMemo(() => {
    const errs: Record<string, string> = {};
    const rows = (cells ?? []).map((row, r) => row.map((text, c) => {
      if (!text.trim()) { errs[cellId(r, c)] = t('ruledata.amount_missing'); return null; }
      const v = parseAmount(text);
      if (v === null || v < 0) { errs[cellId(r, c)] = t('ruledata.amount_invalid'); return null; }
      return v;
    }));
    return { rows, errs };
  }, [cells, l]);

  const data: CeilingData | null = !bounds || !cells || Object.keys(parsed.errs).length ? null : {
    ceilings: bounds.municipalities.map((m, r) => ({ bfs: m.bfs, name: m.name, by_size: parsed.rows[r] as number[] })),
  };
  const check = useLiveCheck(RENT, vf, data, [cells, vf, bounds !== null]);
  const saving = useSave(RENT, check.setViolations, async () => { setComment(''); await hist.reload(); });

  if (loadErr) return <TabSection headingId="rd-rc-h" title={t('ruledata.title')}><ErrorBox error={loadErr} /></TabSection>;
  if (!bounds || !cells) return <Loading />;

  // Violations of one cell are shown beside it; the others (a municipality
  // missing or twice) only in the summary.
  const cols = bounds.bounds.columns;
  const byCell = new Map<string, Violation[]>();
  for (const v of check.violations ?? []) {
    const c = cellOf(v.path);
    if (c && c[0] < cells.length && c[1] < cols.length) {
      const k = cellId(c[0], c[1]);
      byCell.set(k, [...(byCell.get(k) ?? []), v]);
    }
  }
  const problems = [
    ...Object.entries(parsed.errs).map(([id, msg]) => {
      const [r, c] = id.replace('rd-cell-', '').split('-').map(Number);
      return {
        key: id, field: id, text: t('ruledata.cell_problem', {
          municipality: bounds.municipalities[r]?.name ?? '', size: cols[c]?.label[l] ?? '', problem: msg,
        }),
      };
    }),
    ...(check.violations ?? []).map((v, i) => {
      const c = cellOf(v.path);
      return { key: `v-${i}`, field: c ? cellId(c[0], c[1]) : null, text: v.message[l] };
    }),
  ];

  const setCell = (r: number, c: number, v: string) =>
    setCells((cur) => (cur ? cur.map((row, i) => (i === r ? row.map((x, j) => (j === c ? v : x)) : row)) : cur));
  const tidy = (r: number, c: number) => {
    const v = parseAmount(cells[r][c]);
    if (v !== null && v >= 0 && formatAmount(v, false) !== cells[r][c]) setCell(r, c, formatAmount(v, false));
  };

  return (
    <TabSection headingId="rd-rc-h" title={t('ruledata.title')}>
      <p>{t('ruledata.intro')}</p>
      <VersionForm headingId="rd-form-h" rules={bounds.bounds.rules[l]} pack={bounds.pack} date={bounds.date}
        saving={saving} onSave={() => void saving.save(vf, data, comment)}
        validFrom={validFrom} setValidFrom={setValidFrom} vfOk={vf !== null}
        check={check} problems={problems} ok={t('ruledata.all_within')} comment={comment} setComment={setComment}>
        <ScrollTable label={t('ruledata.table_caption')}>
          <table class="table ceilings-table">
            <caption>{t('ruledata.table_caption')}</caption>
            <thead><tr>
              <th scope="col">{t('ruledata.municipality')}</th>
              {cols.map((c, i) => (
                <th scope="col" id={`rd-col-${i}`} key={c.size} class="num">
                  {c.label[l]} <span class="small col-max">{t('ruledata.max', { amount: formatAmount(c.max) })}</span>
                </th>
              ))}
            </tr></thead>
            <tbody>
              {bounds.municipalities.map((m, r) => (
                <tr key={m.bfs}>
                  <th scope="row" id={`rd-row-${r}`}>{m.name} <span class="muted small">({m.bfs})</span></th>
                  {cols.map((_, c) => {
                    const id = cellId(r, c);
                    const msgs = [...(parsed.errs[id] ? [parsed.errs[id]] : []), ...(byCell.get(id) ?? []).map((v) => v.message[l])];
                    return (
                      <GridCell key={c} id={id} labelledBy={`rd-row-${r} rd-col-${c}`} msgs={msgs} num>
                        {(aria) => (
                          <input {...aria} type="text" inputMode="decimal" class="amount-input" value={cells[r][c]}
                            onInput={(e) => setCell(r, c, (e.currentTarget as HTMLInputElement).value)}
                            onBlur={() => tidy(r, c)} autocomplete="off" />
                        )}
                      </GridCell>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      </VersionForm>
      <History headingId="rd-history-h" h={hist} valuesLabel={t('ruledata.values')} values={(d) => (
        <ul class="plain-list">
          {(d.ceilings ?? []).map((c) => (
            <li key={c.bfs}>{c.name}: {c.by_size.map((x) => formatAmount(x, false)).join(' · ')}</li>
          ))}
        </ul>
      )} />
    </TabSection>
  );
}

/* --- local benefits ----------------------------------------------------- */

type Per = 'household' | 'person';
interface Benefit { code: string; label: Text; amount: number; per: Per }
interface BenefitBounds { max_amount: number; max_benefits: number; per: Per[]; rules: Text }
type BenefitData = { benefits: Benefit[] };
/** One row as typed; key stays with the row when others are removed. */
interface Row { key: number; code: string; de: string; fr: string; amount: string; per: Per }
type RowField = 'code' | 'de' | 'fr' | 'amount' | 'per';

const fieldId = (key: number, f: RowField) => `lb-${key}-${f}`;

/** "benefits[2].label.fr" -> row 1, field "fr" (the API counts from 1). */
function fieldOf(path: string): [number, RowField] | null {
  const m = /^benefits\[(\d+)\]\.(code|amount|per|label\.de|label\.fr)$/.exec(path);
  return m ? [Number(m[1]) - 1, m[2].replace('label.', '') as RowField] : null;
}

const perText = (p: Per) => (p === 'person' ? t('ruledata.lb_per_person') : t('ruledata.lb_per_household'));

function LocalBenefits() {
  const l = lang();
  const nextKey = useRef(1);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [validFrom, setValidFrom] = useState(() => formatDate(nextMonthStart()));
  const [comment, setComment] = useState('');
  const focusNext = useRef<string | null>(null);
  const vf = parseDate(validFrom);
  const toRow = (b: Benefit): Row => ({
    key: nextKey.current++, code: b.code, de: b.label?.de ?? '', fr: b.label?.fr ?? '',
    amount: typeof b.amount === 'number' ? formatAmount(b.amount, false) : '', per: b.per === 'person' ? 'person' : 'household',
  });
  const { bounds, loadErr, reload } = useBounds<BenefitBounds, BenefitData>(LOCAL, vf, (b) => {
    setRows((b.current?.data.benefits ?? []).map(toRow));
  });
  const hist = useHistory<Partial<BenefitData>>(LOCAL);

  // Move focus where an added or removed row leaves it.
  useEffect(() => {
    if (focusNext.current) { document.getElementById(focusNext.current)?.focus(); focusNext.current = null; }
  });

  // Amounts as Rappen; a message per amount that is not one.
  const parsed = useMemo(() => {
    const errs: Record<string, string> = {};
    const amounts = (rows ?? []).map((r) => {
      if (!r.amount.trim()) { errs[fieldId(r.key, 'amount')] = t('ruledata.amount_missing'); return null; }
      const v = parseAmount(r.amount);
      if (v === null || v < 0) { errs[fieldId(r.key, 'amount')] = t('ruledata.lb_amount_invalid'); return null; }
      return v;
    });
    return { amounts, errs };
  }, [rows, l]);

  // The rows are independent: the other fields are checked while an
  // amount is still unreadable (sent as 0; the canton's "positive" verdict
  // on it is not shown, the screen's own message is). Saving waits for all.
  const asData = (amounts: number[]): BenefitData => ({
    benefits: (rows ?? []).map((r, i) => ({
      code: r.code.trim(), label: { de: r.de.trim(), fr: r.fr.trim() }, amount: amounts[i], per: r.per,
    })),
  });
  const checkData = !bounds || !rows ? null : asData(parsed.amounts.map((a) => a ?? 0));
  const data = checkData && !Object.keys(parsed.errs).length ? checkData : null;
  const check = useLiveCheck(LOCAL, vf, checkData, [rows, vf, bounds !== null]);
  const saving = useSave(LOCAL, check.setViolations, async () => { setComment(''); reload(); await hist.reload(); });

  if (loadErr) return <TabSection headingId="lb-h" title={t('ruledata.lb_title')}><ErrorBox error={loadErr} /></TabSection>;
  if (!bounds || !rows) return <Loading />;

  const b = bounds.bounds;
  // Violations of one field are shown beside it; the others (too many
  // benefits, an entry that is no object) only in the summary.
  const byField = new Map<string, string[]>();
  for (const [id, msg] of Object.entries(parsed.errs)) byField.set(id, [msg]);
  const fieldOfViolation = (v: Violation) => {
    const f = fieldOf(v.path);
    return f && f[0] < rows.length ? fieldId(rows[f[0]].key, f[1]) : null;
  };
  const violations = (check.violations ?? []).filter((v) => {
    const id = fieldOfViolation(v);
    return !(id && parsed.errs[id]);
  });
  for (const v of violations) {
    const id = fieldOfViolation(v);
    if (id) byField.set(id, [...(byField.get(id) ?? []), v.message[l]]);
  }
  const problems = [
    ...rows.flatMap((r, i) => {
      const id = fieldId(r.key, 'amount');
      return parsed.errs[id]
        ? [{ key: id, field: id, text: t('ruledata.lb_field_problem', { n: i + 1, field: t('ruledata.lb_amount'), problem: parsed.errs[id] }) }]
        : [];
    }),
    ...violations.map((v, i) => ({ key: `v-${i}`, field: fieldOfViolation(v), text: v.message[l] })),
  ];

  const setField = (key: number, f: RowField, v: string) =>
    setRows((cur) => (cur ? cur.map((r) => (r.key === key ? { ...r, [f]: v } : r)) : cur));
  const tidy = (r: Row) => {
    const v = parseAmount(r.amount);
    if (v !== null && v >= 0 && formatAmount(v, false) !== r.amount) setField(r.key, 'amount', formatAmount(v, false));
  };
  const full = rows.length >= b.max_benefits;
  const add = () => {
    if (full) return;
    const r: Row = { key: nextKey.current++, code: '', de: '', fr: '', amount: '', per: b.per[0] ?? 'household' };
    focusNext.current = fieldId(r.key, 'code');
    setRows([...rows, r]);
  };
  const remove = (i: number) => {
    // Focus goes to the row that takes this one's place, else the one before, else "add".
    const next = rows[i + 1] ?? rows[i - 1];
    focusNext.current = next ? `lb-${next.key}-remove` : 'lb-add';
    setRows(rows.filter((_, j) => j !== i));
  };

  const input = (r: Row, f: Exclude<RowField, 'per'>, cls: string, extra: Record<string, unknown> = {}) => {
    const id = fieldId(r.key, f);
    return (
      <GridCell id={id} labelledBy={`lb-row-${r.key} lb-col-${f}`} msgs={byField.get(id) ?? []}>
        {(aria) => (
          <input {...aria} type="text" class={cls} value={r[f]}
            onInput={(e) => setField(r.key, f, (e.currentTarget as HTMLInputElement).value)}
            autocomplete="off" {...extra} />
        )}
      </GridCell>
    );
  };

  return (
    <TabSection headingId="lb-h" title={t('ruledata.lb_title')}>
      <p>{t('ruledata.lb_intro')}</p>
      <VersionForm headingId="lb-form-h" rules={b.rules[l]} lead={<p>{t('ruledata.lb_budget')}</p>} pack={bounds.pack} date={bounds.date}
        saving={saving} onSave={() => void saving.save(vf, data, comment)}
        validFrom={validFrom} setValidFrom={setValidFrom} vfOk={vf !== null}
        check={check} problems={problems} ok={t('ruledata.lb_all_within')} comment={comment} setComment={setComment}>
        <p class="muted small">{bounds.current
          ? t('ruledata.lb_current', { date: formatDate(bounds.date), version: bounds.current.version, n: bounds.current.data.benefits?.length ?? 0 })
          : t('ruledata.lb_current_none', { date: formatDate(bounds.date) })}</p>
        {rows.length ? (
          <ScrollTable label={t('ruledata.lb_caption')}>
            <table class="table benefits-table">
              <caption>{t('ruledata.lb_caption')}</caption>
              <thead><tr>
                <th scope="col">{t('ruledata.lb_no')}</th>
                <th scope="col" id="lb-col-code">{t('ruledata.lb_code')}</th>
                <th scope="col" id="lb-col-de">{t('ruledata.lb_label_de')}</th>
                <th scope="col" id="lb-col-fr">{t('ruledata.lb_label_fr')}</th>
                <th scope="col" class="num"><span id="lb-col-amount">{t('ruledata.lb_amount')}</span>{' '}
                  <span class="small col-max">{t('ruledata.max', { amount: formatAmount(b.max_amount) })}</span></th>
                <th scope="col" id="lb-col-per">{t('ruledata.lb_per')}</th>
                <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th>
              </tr></thead>
              <tbody>
                {rows.map((r, i) => {
                  const perId = fieldId(r.key, 'per');
                  const amountId = fieldId(r.key, 'amount');
                  return (
                    <tr key={r.key}>
                      <th scope="row" id={`lb-row-${r.key}`}>
                        <span class="visually-hidden">{t('ruledata.lb_row_prefix')} </span>{i + 1}
                      </th>
                      {input(r, 'code', 'text-input code-field', { spellcheck: false, autocapitalize: 'off' })}
                      {input(r, 'de', 'text-input label-field', { lang: 'de' })}
                      {input(r, 'fr', 'text-input label-field', { lang: 'fr' })}
                      <GridCell id={amountId} labelledBy={`lb-row-${r.key} lb-col-amount`} msgs={byField.get(amountId) ?? []} num>
                        {(aria) => (
                          <input {...aria} type="text" inputMode="decimal" class="amount-input" value={r.amount}
                            onInput={(e) => setField(r.key, 'amount', (e.currentTarget as HTMLInputElement).value)}
                            onBlur={() => tidy(r)} autocomplete="off" />
                        )}
                      </GridCell>
                      <GridCell id={perId} labelledBy={`lb-row-${r.key} lb-col-per`} msgs={byField.get(perId) ?? []}>
                        {(aria) => (
                          <select {...aria} class="per-select" value={r.per}
                            onChange={(e) => setField(r.key, 'per', (e.currentTarget as HTMLSelectElement).value)}>
                            {(b.per.length ? b.per : (['household', 'person'] as Per[])).map((p) => (
                              <option key={p} value={p}>{perText(p)}</option>
                            ))}
                          </select>
                        )}
                      </GridCell>
                      <td>
                        <button type="button" id={`lb-${r.key}-remove`} class="btn btn-secondary" onClick={() => remove(i)}>
                          {t('ruledata.lb_remove')}<span class="visually-hidden"> {t('ruledata.lb_row', { n: i + 1 })}</span>
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </ScrollTable>
        ) : (
          <p class="alert alert-info">{t('ruledata.lb_empty', { date: vf ? formatDate(vf) : validFrom })}</p>
        )}
        <div class="actions lb-add">
          <button type="button" id="lb-add" class="btn btn-secondary" onClick={add}
            aria-disabled={full ? 'true' : undefined} aria-describedby={full ? 'lb-full' : undefined}>
            {t('ruledata.lb_add')}
          </button>
          {full ? <p id="lb-full" class="muted small">{t('ruledata.lb_full', { n: b.max_benefits })}</p> : null}
        </div>
      </VersionForm>
      <History headingId="lb-history-h" h={hist} valuesLabel={t('ruledata.lb_values')} values={(d) => (
        (d.benefits ?? []).length ? (
          <ul class="plain-list">
            {(d.benefits ?? []).map((x) => (
              <li key={x.code}>
                {t('ruledata.lb_value', { name: x.label?.[l] || x.code, amount: formatAmount(x.amount), per: perText(x.per) })}
                {' '}<code class="small">sil:local:{x.code}</code>
              </li>
            ))}
          </ul>
        ) : <span>{t('ruledata.lb_values_none')}</span>
      )} />
    </TabSection>
  );
}
