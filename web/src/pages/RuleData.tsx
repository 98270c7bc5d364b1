// A tenant admin's own rule data: the rent ceilings per municipality and
// household size, within the canton's bounds. Every change is checked
// against the bounds while typing (each violation named beside its cell and
// in a summary); a saved version applies from its date. Below: the versions
// so far and what was in force on a date.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, get, post, withQuery } from '../api';
import { lang, t } from '../i18n';
import { useApp } from '../ctx';
import { formatAmount, formatDate, formatDateTime, parseAmount, parseDate, todayIso } from '../lib/format';
import { Badge, ErrorBox, Field, Loading, Notice, PageTitle, TextArea } from '../components/ui';
import { AsOfLookup, type AsOfItem } from './RulePacks';

const RD = '/api/v1/rule-data';
const PACK = 'rent-ceilings';

type Text = { de: string; fr: string };
interface Column { size: number; max: number; min: number; label: Text }
interface Ceiling { bfs: number; name: string; by_size: number[] }
interface BoundsAnswer {
  name: string; date: string;
  bounds: { sizes: number; min: number; max_by_size: number[]; columns: Column[]; rules: Text };
  pack: { name: string; version: string; valid_from: string };
  municipalities: { bfs: number; name: string }[];
  current: { id: number; version: string; valid_from: string; data: { ceilings: Ceiling[] } } | null;
}
interface Violation { path: string; bound: string; limit?: number; value?: number; message: Text }
interface DataVersion {
  id: number; name: string; version: string; valid_from: string; sha256: string; status: string;
  data: { ceilings?: Ceiling[] }; author_id: number | null; created_at: string; comment?: string | null;
}

/** The first day of next month (the usual start of new ceilings). */
function nextMonthStart(): string {
  const [y, m] = todayIso().split('-').map(Number);
  const ny = m === 12 ? y + 1 : y;
  const nm = m === 12 ? 1 : m + 1;
  return `${ny}-${String(nm).padStart(2, '0')}-01`;
}

/** "ceilings[2].by_size[3]" -> row 1, column 2 (the API counts from 1). */
function cellOf(path: string): [number, number] | null {
  const m = /^ceilings\[(\d+)\]\.by_size\[(\d+)\]$/.exec(path);
  return m ? [Number(m[1]) - 1, Number(m[2]) - 1] : null;
}

const cellId = (r: number, c: number) => `rd-cell-${r}-${c}`;

export function RuleData() {
  const app = useApp();
  const l = lang();
  const [bounds, setBounds] = useState<BoundsAnswer | null>(null);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [cells, setCells] = useState<string[][] | null>(null);
  const [validFrom, setValidFrom] = useState(() => formatDate(nextMonthStart()));
  const [comment, setComment] = useState('');
  const [violations, setViolations] = useState<Violation[] | null>(null);
  const [checkErr, setCheckErr] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);
  const [saveErr, setSaveErr] = useState<unknown>(null);
  const [saved, setSaved] = useState<{ version: string; valid_from: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [history, setHistory] = useState<DataVersion[] | null>(null);
  const [inForce, setInForce] = useState<Set<number>>(new Set());
  const [historyErr, setHistoryErr] = useState<unknown>(null);
  const seq = useRef(0);

  const vf = parseDate(validFrom);

  // The canton's bounds (and the columns) for the date the new version applies from.
  useEffect(() => {
    let live = true;
    get<BoundsAnswer>(withQuery(`${RD}/${PACK}/bounds`, { date: vf ?? todayIso() }))
      .then((r) => {
        if (!live) return;
        setBounds(r.data);
        setLoadErr(null);
        setCells((cur) => cur ?? r.data.municipalities.map((m) => {
          const c = r.data.current?.data.ceilings.find((x) => x.bfs === m.bfs);
          return r.data.bounds.columns.map((_, i) => (c && typeof c.by_size[i] === 'number' ? formatAmount(c.by_size[i], false) : ''));
        }));
      })
      .catch((e) => { if (live && !bounds) setLoadErr(e); });
    return () => { live = false; };
  }, [vf]);

  async function loadHistory() {
    try {
      const [h, a] = await Promise.all([
        get<{ items: DataVersion[] }>(RD),
        get<{ items: AsOfItem[] }>(withQuery(`${RD}/as-of`, { date: todayIso() })),
      ]);
      setHistory(h.data.items.filter((i) => i.name === PACK)
        .sort((x, y) => (x.valid_from < y.valid_from ? 1 : x.valid_from > y.valid_from ? -1 : y.id - x.id)));
      setInForce(new Set(a.data.items.map((i) => i.id)));
      setHistoryErr(null);
    } catch (e) { setHistoryErr(e); }
  }
  useEffect(() => { void loadHistory(); }, []);

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

  const data = (): { ceilings: Ceiling[] } | null => {
    if (!bounds || Object.keys(parsed.errs).length) return null;
    return {
      ceilings: bounds.municipalities.map((m, r) => ({ bfs: m.bfs, name: m.name, by_size: parsed.rows[r] as number[] })),
    };
  };

  // Live check against the canton's bounds, a moment after the last change.
  useEffect(() => {
    if (!cells || !bounds) return;
    const d = data();
    if (!d || !vf) { setViolations(null); setChecking(false); return; }
    const n = ++seq.current;
    setChecking(true);
    const timer = setTimeout(() => {
      post<{ ok: boolean; violations: Violation[] }>(`${RD}/${PACK}/check`, { valid_from: vf, data: d })
        .then((r) => { if (n === seq.current) { setViolations(r.data.violations); setCheckErr(null); } })
        .catch((e) => { if (n === seq.current) { setViolations(null); setCheckErr(e); } })
        .finally(() => { if (n === seq.current) setChecking(false); });
    }, 350);
    return () => clearTimeout(timer);
  }, [cells, vf, bounds !== null]);

  if (loadErr) return <section><PageTitle>{t('ruledata.title')}</PageTitle><ErrorBox error={loadErr} /></section>;
  if (!bounds || !cells) return <Loading />;

  // Violations of one cell are shown beside it; the others (a municipality
  // missing or twice) only in the summary.
  const byCell = new Map<string, Violation[]>();
  for (const v of violations ?? []) {
    const c = cellOf(v.path);
    if (c && c[0] < cells.length && c[1] < bounds.bounds.columns.length) {
      const k = cellId(c[0], c[1]);
      byCell.set(k, [...(byCell.get(k) ?? []), v]);
    }
  }
  const localErrs = Object.entries(parsed.errs);
  const problems = (violations?.length ?? 0) + localErrs.length;
  const who = (uid: number | null) =>
    (uid === null ? t('rules.system') : uid === app.me.user.id ? t('rules.you') : t('rules.user_id', { id: uid }));

  const setCell = (r: number, c: number, v: string) =>
    setCells((cur) => (cur ? cur.map((row, i) => (i === r ? row.map((x, j) => (j === c ? v : x)) : row)) : cur));
  const tidy = (r: number, c: number) => {
    const v = parseAmount(cells[r][c]);
    if (v !== null && v >= 0 && formatAmount(v, false) !== cells[r][c]) setCell(r, c, formatAmount(v, false));
  };
  const focusCell = (id: string) => document.getElementById(id)?.focus();

  async function save(e: Event) {
    e.preventDefault();
    setSaved(null); setSaveErr(null);
    const d = data();
    if (!vf) { setSaveErr(new ApiError(400, { code: 'form_incomplete', message: '' })); return; }
    if (!d) { setSaveErr(new ApiError(400, { code: 'form_incomplete', message: '' })); return; }
    // Known violations or not: the server checks again and refuses with them.
    setBusy(true);
    try {
      const body: Record<string, unknown> = { valid_from: vf, data: d };
      if (comment.trim()) body.comment = comment.trim();
      const r = await post<{ id: number; version: string; valid_from: string }>(`${RD}/${PACK}`, body);
      setSaved({ version: r.data.version, valid_from: r.data.valid_from });
      setComment('');
      await loadHistory();
    } catch (x) {
      if (x instanceof ApiError && x.code === 'rule_bounds') {
        const vs = (x.detail as { violations?: Violation[] } | undefined)?.violations;
        if (Array.isArray(vs)) setViolations(vs);
      }
      setSaveErr(x);
    } finally { setBusy(false); }
  }

  const cols = bounds.bounds.columns;
  // The comment goes to the audit log; the list carries it where the server keeps it.
  const withComments = !!history?.some((h) => h.comment);
  return (
    <section>
      <PageTitle>{t('ruledata.title')}</PageTitle>
      <p>{t('ruledata.intro')}</p>
      {saved ? (
        <Notice kind="success">{t('ruledata.saved', { version: saved.version, date: formatDate(saved.valid_from) })}</Notice>
      ) : null}
      <form class="card" onSubmit={save} noValidate aria-labelledby="rd-form-h">
        <h2 id="rd-form-h">{t('ruledata.ceilings_title')}</h2>
        <p>{bounds.bounds.rules[l]}</p>
        <p class="muted small">{t('ruledata.bounds_from', {
          name: bounds.pack.name, version: bounds.pack.version, date: formatDate(bounds.date),
        })}</p>
        {saveErr ? <ErrorBox error={saveErr} /> : null}
        <Field label={t('ruledata.valid_from')} hint={t('ruledata.valid_from_hint')} value={validFrom} onInput={setValidFrom}
          error={vf ? null : t('rules.date_invalid')} required name="valid_from" class="field-short-date" />
        <div class="table-scroll">
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
                      <td key={c} class={`num${msgs.length ? ' cell-invalid' : ''}`}>
                        <input id={id} type="text" inputMode="decimal" class="amount-input" value={cells[r][c]}
                          aria-labelledby={`rd-row-${r} rd-col-${c}`}
                          aria-invalid={msgs.length ? 'true' : undefined}
                          aria-describedby={msgs.length ? `${id}-err` : undefined}
                          onInput={(e) => setCell(r, c, (e.currentTarget as HTMLInputElement).value)}
                          onBlur={() => tidy(r, c)} autocomplete="off" />
                        {msgs.length ? <p id={`${id}-err`} class="cell-error">{msgs.join(' ')}</p> : null}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="check-summary" aria-busy={checking ? 'true' : undefined}>
          <p role="status" class={problems ? 'result-bad' : violations ? 'result-good' : 'muted'}>
            {problems ? t('ruledata.problems', { n: problems }) : violations ? t('ruledata.all_within') : ''}
          </p>
          {checkErr ? <ErrorBox error={checkErr} /> : null}
          {problems ? (
            <ul class="violations">
              {localErrs.map(([id, msg]) => {
                const [r, c] = id.replace('rd-cell-', '').split('-').map(Number);
                return (
                  <li key={id}>
                    <button type="button" class="btn btn-link" onClick={() => focusCell(id)}>
                      {t('ruledata.cell_problem', {
                        municipality: bounds.municipalities[r]?.name ?? '', size: cols[c]?.label[l] ?? '', problem: msg,
                      })}
                    </button>
                  </li>
                );
              })}
              {(violations ?? []).map((v, i) => {
                const c = cellOf(v.path);
                return (
                  <li key={`v-${i}`}>
                    {c ? (
                      <button type="button" class="btn btn-link" onClick={() => focusCell(cellId(c[0], c[1]))}>{v.message[l]}</button>
                    ) : <span>{v.message[l]}</span>}
                  </li>
                );
              })}
            </ul>
          ) : null}
        </div>
        <TextArea label={t('ruledata.comment')} hint={t('ruledata.comment_hint')} value={comment} onInput={setComment} rows={2} />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('ruledata.save')}</button>
        </div>
      </form>

      <section class="card" aria-labelledby="rd-history-h">
        <h2 id="rd-history-h">{t('ruledata.history')}</h2>
        {historyErr ? <ErrorBox error={historyErr} /> : null}
        {!history && !historyErr ? <Loading /> : null}
        {history ? (
          history.length === 0 ? <p>{t('ruledata.history_none')}</p> : (
            <table class="table">
              <caption class="visually-hidden">{t('ruledata.history')}</caption>
              <thead><tr>
                <th scope="col">{t('rules.version')}</th>
                <th scope="col">{t('rules.valid_from')}</th>
                <th scope="col">{t('rules.in_force')}</th>
                <th scope="col">{t('ruledata.values')}</th>
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
                      <td>
                        <ul class="plain-list">
                          {(h.data.ceilings ?? []).map((c) => (
                            <li key={c.bfs}>{c.name}: {c.by_size.map((x) => formatAmount(x, false)).join(' · ')}</li>
                          ))}
                        </ul>
                      </td>
                      {withComments ? <td>{h.comment || '–'}</td> : null}
                      <td>{who(h.author_id)}<br /><span class="small">{formatDateTime(h.created_at)}</span></td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        ) : null}
      </section>
      <AsOfLookup path={`${RD}/as-of`} intro={t('ruledata.asof_intro')} />
    </section>
  );
}
