// Canton administration of the rule packs: the versions of each pack with
// their status and whether they are in force, scheduled or superseded;
// what was in force on a date; a version's source in a code editor (edited
// while it is a draft, tested or rejected), its example cases, a dry run,
// the comparison with another version, submitting for approval and the
// four-eyes review; a new version made from any version.
import { useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, get, post, put, withQuery, type ApiPath, type RulePack } from '../api';
import { t, label, type MsgKey } from '../i18n';
import { useApp } from '../ctx';
import { href, navigate } from '../router';
import { formatDate, formatDateTime, parseDate, todayIso } from '../lib/format';
import { Badge, ConfirmButton, ErrorBox, Facts, Field, Loading, Notice, PageTitle, SelectField, TextArea } from '../components/ui';
import { LuaEditor, type LuaEditorApi } from '../components/LuaEditor';
import { Diff } from '../components/Diff';
import { formIncomplete } from '../lib/errors';

const RP = '/api/v1/admin/rule-packs';

type Example = { title?: string; function: string; input: unknown; expected: unknown; data?: unknown };

/** A version as the API lists it (the source only from GET /{id}). */
type Pack = RulePack & {
  kind?: string; submitted_at?: string | null; retired_at?: string | null; examples?: Example[];
  author_name?: string | null; approver_name?: string | null;
};

/** One pack name's version in force on a date. */
export interface AsOfItem { id: number; name: string; version: string; valid_from: string; sha256: string }

interface TestRun {
  passed: number; failed: number; status: string;
  results: { index: number; function: string; ok: boolean; output?: unknown; error?: string; message?: string; detail?: { lua?: string } }[];
}

/** The states in which a version's source and examples can still be edited. */
const EDITABLE = ['draft', 'tested', 'rejected'];

type Action = 'submit' | 'approve' | 'reject' | 'retire';

const statusKind = (s: string): 'ok' | 'info' | 'warn' | 'off' =>
  s === 'approved' ? 'ok' : s === 'tested' || s === 'submitted' ? 'info' : s === 'draft' || s === 'rejected' ? 'warn' : 'off';

function StatusBadge({ status }: { status: string }) {
  return <Badge kind={statusKind(status)}>{label('rules.status', status)}</Badge>;
}

type Marker = 'in_force' | 'scheduled' | 'superseded';

/** Where an approved version stands on today's date. */
function markerOf(p: Pack, inForce: Set<number>, today: string): Marker | null {
  if (p.status !== 'approved') return null;
  if (inForce.has(p.id)) return 'in_force';
  return p.valid_from > today ? 'scheduled' : 'superseded';
}

function MarkerBadge({ marker }: { marker: Marker | null }) {
  if (!marker) return null;
  const kind = marker === 'in_force' ? 'ok' : marker === 'scheduled' ? 'info' : 'off';
  return <Badge kind={kind}>{t(`rules.marker.${marker}`)}</Badge>;
}

/** Newest first: by valid_from, then by creation. */
const byValidFrom = (a: Pack, b: Pack) =>
  (a.valid_from < b.valid_from ? 1 : a.valid_from > b.valid_from ? -1 : b.id - a.id);

/** The version in force today per name, as the server decides it. */
function useInForce(): Set<number> | null {
  const [ids, setIds] = useState<Set<number> | null>(null);
  useEffect(() => {
    get<{ items: AsOfItem[] }>(withQuery(`${RP}/as-of`, { date: todayIso() }))
      .then((r) => setIds(new Set(r.data.items.map((i) => i.id))))
      .catch(() => setIds(new Set()));
  }, []);
  return ids;
}

/**
 * "What was in force on a date": a date field and the list the API gives
 * for it (rule packs here, a tenant's rule data on the rule data screen).
 */
export function AsOfLookup(p: { path: ApiPath<'get'>; link?: (i: AsOfItem) => string | null; intro: string }) {
  const id = useId();
  const [text, setText] = useState(() => formatDate(todayIso()));
  const [fieldErr, setFieldErr] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [res, setRes] = useState<{ date: string; items: AsOfItem[] } | null>(null);
  const [busy, setBusy] = useState(false);

  async function lookup(e?: Event) {
    e?.preventDefault();
    const d = parseDate(text);
    if (!d) { setFieldErr(t('rules.date_invalid')); return; }
    setFieldErr(null); setErr(null); setBusy(true);
    try {
      const r = await get<{ date: string; items: AsOfItem[] }>(withQuery(p.path, { date: d }));
      setRes(r.data);
    } catch (x) { setErr(x); } finally { setBusy(false); }
  }
  useEffect(() => { void lookup(); }, []);

  return (
    <form class="card" onSubmit={lookup} noValidate aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('rules.asof_title')}</h2>
      <p>{p.intro}</p>
      <div class="inline-form">
        <Field label={t('rules.asof_date')} hint={t('rules.date_hint')} value={text} onInput={setText}
          error={fieldErr} class="field-short-date" name="asof_date" />
        <button type="submit" class="btn btn-secondary" disabled={busy}>{t('rules.asof_show')}</button>
      </div>
      {err ? <ErrorBox error={err} /> : null}
      <div class="asof-result">
        {res ? (
          <>
            <p role="status">{res.items.length
              ? t('rules.asof_summary', { date: formatDate(res.date), n: res.items.length })
              : t('rules.asof_none', { date: formatDate(res.date) })}</p>
            {res.items.length ? (
              <table class="table">
                <caption class="visually-hidden">{t('rules.asof_caption', { date: formatDate(res.date) })}</caption>
                <thead><tr>
                  <th scope="col">{t('rules.name')}</th>
                  <th scope="col">{t('rules.version')}</th>
                  <th scope="col">{t('rules.valid_from')}</th>
                </tr></thead>
                <tbody>
                  {res.items.map((i) => {
                    const to = p.link?.(i);
                    return (
                      <tr key={i.id}>
                        <th scope="row">{i.name}</th>
                        <td>{to ? <a href={to}>{i.version}</a> : i.version}</td>
                        <td>{formatDate(i.valid_from)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            ) : null}
          </>
        ) : null}
      </div>
    </form>
  );
}

export function RulePacks() {
  const [items, setItems] = useState<Pack[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const inForce = useInForce();
  useEffect(() => {
    get<{ items: Pack[] }>(RP).then((r) => setItems(r.data.items)).catch(setErr);
  }, []);
  const groups = useMemo(() => {
    const m = new Map<string, Pack[]>();
    for (const p of items ?? []) m.set(p.name, [...(m.get(p.name) ?? []), p]);
    return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, vs]) => ({ name, versions: vs.sort(byValidFrom) }));
  }, [items]);
  const today = todayIso();
  return (
    <section>
      <PageTitle>{t('rules.title')}</PageTitle>
      <p>{t('rules.intro')}</p>
      <AsOfLookup path={`${RP}/as-of`} intro={t('rules.asof_intro')} link={(i) => href('rule-packs', i.id)} />
      {err ? <ErrorBox error={err} /> : null}
      {(!items || !inForce) && !err ? <Loading /> : null}
      {items && inForce ? (
        groups.length === 0 ? <p>{t('rules.none')}</p> : groups.map((g) => (
          <section class="card" key={g.name} aria-labelledby={`pack-${g.name}`}>
            <div class="card-head">
              <h2 id={`pack-${g.name}`}>{g.name}</h2>
              <a class="btn btn-secondary" href={`${href('rule-packs', g.versions[0].id)}?new=1`}>
                {t('rules.new_version')}<span class="visually-hidden"> {t('rules.of_pack', { name: g.name })}</span>
              </a>
            </div>
            <table class="table">
              <caption class="visually-hidden">{t('rules.versions_of', { name: g.name })}</caption>
              <thead><tr>
                <th scope="col">{t('rules.version')}</th>
                <th scope="col">{t('rules.valid_from')}</th>
                <th scope="col">{t('rules.status')}</th>
                <th scope="col">{t('rules.in_force')}</th>
                <th scope="col" class="num">{t('rules.examples')}</th>
                <th scope="col">{t('rules.created')}</th>
              </tr></thead>
              <tbody>
                {g.versions.map((p) => (
                  <tr key={p.id}>
                    <th scope="row"><a href={href('rule-packs', p.id)}>{t('rules.version_label', { version: p.version })}</a></th>
                    <td>{formatDate(p.valid_from)}</td>
                    <td><StatusBadge status={p.status} /></td>
                    <td>{markerOf(p, inForce, today) ? <MarkerBadge marker={markerOf(p, inForce, today)} /> : '–'}</td>
                    <td class="num">{p.examples?.length ?? 0}</td>
                    <td>{formatDateTime(p.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))
      ) : null}
    </section>
  );
}

// ------------------------------------------------------------ helpers

/**
 * The line of a Lua error: detail.lua reads "<name>@<version>:<line>: <message>".
 * Returns the line and the message without the chunk name.
 */
export function luaError(detail: unknown, chunk: string): { line: number | null; text: string } | null {
  const lua = (detail as { lua?: unknown } | undefined)?.lua;
  if (typeof lua !== 'string') return null;
  let rest: string | null = lua.startsWith(chunk + ':') ? lua.slice(chunk.length + 1) : null;
  if (rest === null) {
    const m = /^[^\s:]+:(\d+:.*)$/s.exec(lua);
    rest = m ? m[1] : null;
  }
  const m = rest !== null ? /^(\d+):\s*(.*)$/s.exec(rest) : null;
  return m ? { line: Number(m[1]), text: m[2] } : { line: null, text: lua };
}

const json = (v: unknown): string => JSON.stringify(v);
const pretty = (v: unknown): string => JSON.stringify(v, null, 2);

/** Example cases typed as JSON: the cases, or what is wrong with them. */
function parseExamples(text: string): { ok: true; value: Example[] } | { ok: false; error: string } {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return { ok: false, error: t('rules.json_invalid') }; }
  if (!Array.isArray(v)) return { ok: false, error: t('rules.examples_not_list') };
  for (let i = 0; i < v.length; i++) {
    const e = v[i] as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || Array.isArray(e) || typeof e.function !== 'string' || !('input' in e) || !('expected' in e))
      return { ok: false, error: t('rules.example_shape', { n: i + 1 }) };
  }
  return { ok: true, value: v as Example[] };
}

/** An object typed as JSON (dry-run input, rule data). */
function parseObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false } {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return { ok: true, value: v as Record<string, unknown> };
  } catch { /* below */ }
  return { ok: false };
}

/** The functions a Lua source defines (for the dry run's hint). */
const functionsOf = (src: string): string[] =>
  [...new Set([...src.matchAll(/^\s*(?:local\s+)?function\s+([A-Za-z_][\w.]*)\s*\(/gm)].map((m) => m[1]))];

/** A Lua error with its line and a button that shows the line in the editor. */
function LuaErrorBox(p: { error: unknown; chunk: string; onShowLine: (n: number) => void; title: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => { ref.current?.focus(); }, [p.error]);
  const e = p.error as ApiError;
  const le = luaError(e?.detail, p.chunk);
  return (
    <div class="alert alert-error" role="alert" tabIndex={-1} ref={ref}>
      <p><strong>{p.title}</strong></p>
      {le?.line ? <p>{t('rules.error_at_line', { line: le.line, message: le.text })}</p>
        : le ? <p><code>{le.text}</code></p> : null}
      <p class="small">{label('rules.error_code', e?.code ?? '')}</p>
      {le?.line ? (
        <button type="button" class="btn btn-secondary" onClick={() => p.onShowLine(le.line as number)}>
          {t('rules.show_line', { line: le.line })}
        </button>
      ) : null}
    </div>
  );
}

// ------------------------------------------------------------ one version

interface Draft { source: string; examples: string; validFrom: string }

const draftOf = (p: Pack): Draft => ({
  source: p.source ?? '', examples: pretty(p.examples ?? []), validFrom: formatDate(p.valid_from),
});

export function RulePackView({ id }: { id: string }) {
  const app = useApp();
  const path = `${RP}/${encodeURIComponent(id)}` as const;
  const [pack, setPack] = useState<Pack | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [siblings, setSiblings] = useState<Pack[] | null>(null);
  const inForce = useInForce();
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [base, setBase] = useState<Draft | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [done, setDone] = useState<string | null>(() =>
    location.hash.includes('created=1') ? t('rules.created_notice') : null);
  const [actionErr, setActionErr] = useState<unknown>(null);
  const [saveErr, setSaveErr] = useState<unknown>(null);
  const [fieldErr, setFieldErr] = useState<{ examples?: string; validFrom?: string }>({});
  const [conflict, setConflict] = useState<Pack | null>(null);
  const [busy, setBusy] = useState(false);
  const [markLine, setMarkLine] = useState<number | null>(null);
  const editor = useRef<LuaEditorApi | null>(null);
  const ids = { source: useId(), hint: useId() };

  async function load(keepDraft = false) {
    try {
      const r = await get<Pack>(path);
      setPack(r.data);
      setEtag(r.etag);
      const d = draftOf(r.data);
      setBase(d);
      // Typed changes survive a reload only while the version can still take them.
      if (!keepDraft || !EDITABLE.includes(r.data.status)) setDraft(d);
      return r.data;
    } catch (e) { setLoadErr(e); return null; }
  }
  // A marked error line belongs to the text it was found in.
  useEffect(() => { setMarkLine(null); }, [draft?.source]);
  useEffect(() => {
    void load().then((p) => {
      if (!p) return;
      get<{ items: Pack[] }>(RP)
        .then((r) => setSiblings(r.data.items.filter((x) => x.name === p.name).sort(byValidFrom)))
        .catch(() => setSiblings([]));
    });
  }, [id]);

  if (loadErr) return <section><PageTitle>{t('rules.title')}</PageTitle><ErrorBox error={loadErr} /></section>;
  if (!pack || !draft || !base) return <Loading />;

  const me = app.me.user.id;
  const mine = pack.author_id !== null && pack.author_id === me;
  const editable = EDITABLE.includes(pack.status);
  const dirty = draft.source !== base.source || draft.examples !== base.examples || draft.validFrom !== base.validFrom;
  const chunk = `${pack.name}@${pack.version}`;
  // People by name; the number only if the name is not known.
  const who = (uid: number | null, name?: string | null) => (uid === null ? t('rules.system')
    : uid === me ? t('rules.you_named', { name: name ?? t('rules.user_id', { id: uid }) })
      : name ?? t('rules.user_id', { id: uid }));
  const marker = inForce ? markerOf(pack, inForce, todayIso()) : null;
  const showLine = (n: number) => { setMarkLine(n); editor.current?.focusLine(n); };
  const set = (k: keyof Draft) => (v: string) => setDraft((d) => (d ? { ...d, [k]: v } : d));

  async function save(e: Event) {
    e.preventDefault();
    if (!draft || !pack) return;
    setSaveErr(null); setDone(null); setActionErr(null);
    const ex = parseExamples(draft.examples);
    const vf = parseDate(draft.validFrom);
    const fe: typeof fieldErr = {};
    if (!ex.ok) fe.examples = ex.error;
    if (!vf) fe.validFrom = t('rules.date_invalid');
    setFieldErr(fe);
    if (!ex.ok || !vf) return;
    if (!draft.source.trim()) { setSaveErr(formIncomplete()); return; }
    setBusy(true);
    try {
      const body: Record<string, unknown> = { source: draft.source, examples: ex.value };
      if (vf !== pack.valid_from) body.valid_from = vf;
      await put(path, body, etag);
      setMarkLine(null);
      const fresh = await load(true);
      if (fresh) setDraft(draftOf(fresh));
      setDone(t('rules.saved'));
    } catch (x) {
      if (x instanceof ApiError && x.code === 'conflict') {
        try { setConflict((await get<Pack>(path)).data); } catch { setConflict(pack); }
      } else {
        if (x instanceof ApiError && x.code === 'rule_error') {
          const le = luaError(x.detail, chunk);
          if (le?.line) setMarkLine(le.line);
        }
        setSaveErr(x);
      }
    } finally { setBusy(false); }
  }

  async function action(kind: Action, body?: Record<string, unknown>, doneKey?: MsgKey) {
    setActionErr(null); setDone(null);
    try {
      await post(`${path}/${kind}`, body);
      await load(dirty);
      if (doneKey) setDone(t(doneKey));
    } catch (x) { setActionErr(x); await load(dirty); }
  }

  return (
    <section>
      <p class="breadcrumb"><a href="#/rule-packs">{t('rules.title')}</a></p>
      <PageTitle>{t('rules.pack_title', { name: pack.name, version: pack.version })}</PageTitle>
      <p class="status-line">
        <StatusBadge status={pack.status} /> <MarkerBadge marker={marker} />
      </p>
      {done ? <Notice kind="success">{done}</Notice> : null}
      {actionErr ? <ErrorBox error={actionErr} /> : null}
      <div class="card">
        <Facts items={[
          [t('rules.status'), <StatusBadge status={pack.status} />],
          [t('rules.valid_from'), formatDate(pack.valid_from)],
          [t('rules.author'), who(pack.author_id, pack.author_name)],
          [t('rules.reviewer'), pack.approver_id === null ? '–' : who(pack.approver_id, pack.approver_name)],
          [t('rules.review_comment'), pack.review_comment || '–'],
          [t('rules.created'), formatDateTime(pack.created_at)],
          [t('rules.submitted_at'), pack.submitted_at ? formatDateTime(pack.submitted_at) : '–'],
          [t('rules.approved_at'), pack.approved_at ? formatDateTime(pack.approved_at) : '–'],
          ...(pack.retired_at ? [[t('rules.retired_at'), formatDateTime(pack.retired_at)] as [string, string]] : []),
          [t('rules.imported_from'), pack.imported_from || '–'],
          [t('rules.checksum'), <code class="hash">{pack.sha256}</code>],
        ]} />
      </div>

      <Workflow pack={pack} mine={mine} dirty={dirty} onAction={action} />

      <form class="card" onSubmit={save} noValidate aria-labelledby={`${ids.source}-h`}>
        <h2 id={`${ids.source}-h`}>{editable ? t('rules.edit_title') : t('rules.source')}</h2>
        {conflict ? (
          <ConflictBox current={conflict} mine={draft.source}
            onReload={async () => { setConflict(null); await load(); setDone(t('rules.reloaded')); }}
            onKeep={async () => { setConflict(null); await load(true); setDone(t('rules.kept_mine')); }} />
        ) : null}
        {saveErr ? (
          saveErr instanceof ApiError && saveErr.code === 'rule_error'
            ? <LuaErrorBox error={saveErr} chunk={chunk} onShowLine={showLine} title={t('rules.compile_error')} />
            : <ErrorBox error={saveErr} />
        ) : null}
        {editable ? (
          <Field label={t('rules.valid_from')} hint={t('rules.valid_from_hint')} value={draft.validFrom}
            onInput={set('validFrom')} error={fieldErr.validFrom} class="field-short-date" name="valid_from" required />
        ) : null}
        <div class="field">
          <p class="field-label" id={ids.source}>{t('rules.source')}</p>
          <p class="hint" id={ids.hint}>{editable ? t('rules.editor_hint') : t('rules.source_readonly')}</p>
          <LuaEditor value={draft.source} onChange={set('source')} readOnly={!editable} labelId={ids.source}
            describedBy={ids.hint} markLine={markLine} apiRef={editor} />
        </div>
        <TextArea code label={t('rules.examples_json')} hint={t('rules.examples_json_hint')} value={draft.examples}
          onInput={set('examples')} readOnly={!editable} error={fieldErr.examples} rows={10} name="examples" />
        {editable ? (
          <div class="actions">
            <button type="submit" class="btn btn-primary" disabled={busy || !!conflict}>{t('rules.save')}</button>
            {dirty ? <span class="muted">{t('rules.unsaved')}</span> : null}
          </div>
        ) : null}
      </form>

      <ExampleRun pack={pack} path={path} dirty={dirty} chunk={chunk} onShowLine={showLine}
        onTested={() => load(true)} />
      <DryRun pack={pack} path={path} dirty={dirty} chunk={chunk} source={draft.source}
        onLine={(n) => setMarkLine(n)} onShowLine={showLine} />
      {siblings ? <Compare pack={pack} siblings={siblings} /> : null}
      {siblings ? <NewVersion pack={pack} siblings={siblings} /> : null}
    </section>
  );
}

/** The step the version is at, and what can be done next. */
function Workflow(p: {
  pack: Pack; mine: boolean; dirty: boolean;
  onAction: (kind: Action, body?: Record<string, unknown>, doneKey?: MsgKey) => Promise<void>;
}) {
  const [comment, setComment] = useState('');
  const [commentErr, setCommentErr] = useState<string | null>(null);
  const { pack } = p;
  const id = useId();
  const act = async (kind: Action, doneKey: MsgKey) => {
    if (kind === 'reject' && !comment.trim()) { setCommentErr(t('rules.reject_needs_comment')); return; }
    setCommentErr(null);
    await p.onAction(kind, comment.trim() ? { comment: comment.trim() } : {}, doneKey);
    setComment('');
  };
  let body;
  switch (pack.status) {
    case 'draft':
      body = <p>{t('rules.step_draft')}</p>;
      break;
    case 'rejected':
      body = <p>{t('rules.step_rejected')}</p>;
      break;
    case 'tested':
      body = (
        <>
          <p>{t('rules.step_tested')}</p>
          {p.dirty ? <p class="muted">{t('rules.submit_unsaved')}</p> : null}
          <Field label={t('rules.comment')} hint={t('rules.submit_comment_hint')} value={comment} onInput={setComment} name="submit_comment" />
          <div class="actions">
            <button type="button" class="btn btn-primary" onClick={() => act('submit', 'rules.submitted_done')}>{t('rules.submit')}</button>
          </div>
        </>
      );
      break;
    case 'submitted':
      body = p.mine ? (
        <div class="alert alert-info four-eyes"><p>{t('rules.four_eyes_own')}</p></div>
      ) : (
        <>
          <p>{t('rules.review_submitted')}</p>
          {pack.review_comment ? <p>{t('rules.submit_comment_was', { comment: pack.review_comment })}</p> : null}
          <Field label={t('rules.review_comment_label')} hint={t('rules.comment_hint')} value={comment} onInput={setComment}
            error={commentErr} name="review_comment" />
          <div class="actions">
            <button type="button" class="btn btn-primary" onClick={() => act('approve', 'rules.approved_done')}>{t('rules.approve')}</button>
            <button type="button" class="btn btn-danger" onClick={() => act('reject', 'rules.rejected_done')}>{t('rules.reject')}</button>
          </div>
        </>
      );
      break;
    case 'approved':
      body = (
        <>
          <p>{t('rules.step_approved', { date: formatDate(pack.valid_from) })}</p>
          <ConfirmButton label={t('rules.retire')} question={t('rules.retire_q')} confirmLabel={t('rules.retire_yes')}
            variant="danger" onConfirm={() => p.onAction('retire', undefined, 'rules.retired_done')} />
        </>
      );
      break;
    default:
      body = <p>{t('rules.step_retired')}</p>;
  }
  return (
    <section class="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('rules.review')}</h2>
      <ol class="steps" aria-label={t('rules.steps')}>
        {['draft', 'tested', 'submitted', 'approved'].map((s) => (
          <li key={s} aria-current={pack.status === s ? 'step' : undefined} class={pack.status === s ? 'current' : undefined}>
            {label('rules.status', s)}
          </li>
        ))}
      </ol>
      {body}
    </section>
  );
}

/** After a 409: the version as it is now next to what this person typed. */
function ConflictBox(p: { current: Pack; mine: string; onReload: () => void; onKeep: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => { ref.current?.focus(); }, []);
  return (
    <div class="alert alert-warning conflict" role="alert" tabIndex={-1} ref={ref}>
      <h3>{t('rules.conflict_title')}</h3>
      <p>{t('rules.conflict_text')}</p>
      {p.current.source !== undefined ? (
        <Diff before={p.current.source} after={p.mine} caption={t('rules.conflict_diff')} />
      ) : null}
      <div class="actions">
        <button type="button" class="btn btn-primary" onClick={p.onReload}>{t('rules.conflict_reload')}</button>
        <button type="button" class="btn btn-secondary" onClick={p.onKeep}>{t('rules.conflict_keep')}</button>
      </div>
    </div>
  );
}

function ExampleRun(p: { pack: Pack; path: `${typeof RP}/${string}`; dirty: boolean; chunk: string; onShowLine: (n: number) => void; onTested: () => void }) {
  const id = useId();
  const [run, setRun] = useState<TestRun | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const examples = p.pack.examples ?? [];
  async function go() {
    setErr(null); setBusy(true);
    try {
      const r = await post<TestRun>(`${p.path}/test`);
      setRun(r.data);
      p.onTested();
    } catch (x) { setErr(x); } finally { setBusy(false); }
  }
  return (
    <section class="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('rules.examples_title', { n: examples.length })}</h2>
      <p>{t('rules.examples_intro')}</p>
      {p.dirty ? <p class="alert alert-warning">{t('rules.runs_saved')}</p> : null}
      <button type="button" class="btn btn-primary" onClick={go} disabled={busy} aria-busy={busy ? 'true' : undefined}>
        {t('rules.run_examples')}
      </button>
      {err ? <ErrorBox error={err} /> : null}
      <div class="test-result">
        {run ? (
          <>
            <p role="status" class={run.failed ? 'result-bad' : 'result-good'}>
              {t('rules.test_summary', { passed: run.passed, failed: run.failed })}
              {run.failed === 0 && run.passed > 0 ? ` ${t('rules.test_all_passed')}` : ''}
            </p>
            <table class="table">
              <caption class="visually-hidden">{t('rules.examples_result_caption')}</caption>
              <thead><tr>
                <th scope="col">{t('rules.example_no')}</th>
                <th scope="col">{t('rules.example_title')}</th>
                <th scope="col">{t('rules.function')}</th>
                <th scope="col">{t('rules.result')}</th>
                <th scope="col">{t('rules.expected')}</th>
                <th scope="col">{t('rules.output')}</th>
              </tr></thead>
              <tbody>
                {run.results.map((r) => {
                  const le = r.ok ? null : luaError(r.detail, p.chunk);
                  return (
                    <tr key={r.index} class={r.ok ? undefined : 'row-failed'}>
                      <td>{r.index + 1}</td>
                      <td>{examples[r.index]?.title ?? '–'}</td>
                      <td><code>{r.function}</code></td>
                      <td>{r.ok ? <Badge kind="ok">{t('rules.ok')}</Badge> : <Badge kind="warn">{t('rules.failed')}</Badge>}</td>
                      <td><code class="json">{json(examples[r.index]?.expected)}</code></td>
                      <td>
                        {r.error ? (
                          <>
                            <span>{le?.line ? t('rules.error_at_line', { line: le.line, message: le.text })
                              : le ? le.text : label('rules.error_code', r.error)}</span>
                            {le?.line ? (
                              <> <button type="button" class="btn btn-link" onClick={() => p.onShowLine(le.line as number)}>
                                {t('rules.show_line', { line: le.line })}
                              </button></>
                            ) : null}
                          </>
                        ) : <code class="json">{json(r.output)}</code>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        ) : null}
      </div>
    </section>
  );
}

function DryRun(p: {
  pack: Pack; path: `${typeof RP}/${string}`; dirty: boolean; chunk: string; source: string;
  onLine: (n: number | null) => void; onShowLine: (n: number) => void;
}) {
  const id = useId();
  const fns = useMemo(() => functionsOf(p.source), [p.source]);
  const [fn, setFn] = useState(() => p.pack.examples?.[0]?.function ?? '');
  const [input, setInput] = useState(() => pretty(p.pack.examples?.[0]?.input ?? {}));
  const [data, setData] = useState('');
  const [fe, setFe] = useState<{ fn?: string; input?: string; data?: string }>({});
  const [out, setOut] = useState<{ output: unknown } | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function go(e: Event) {
    e.preventDefault();
    const f: typeof fe = {};
    if (!fn.trim()) f.fn = t('form.missing');
    const i = parseObject(input);
    if (!i.ok) f.input = t('rules.json_object');
    const d = data.trim() ? parseObject(data) : null;
    if (d && !d.ok) f.data = t('rules.json_object');
    setFe(f);
    if (Object.keys(f).length || !i.ok) return;
    setErr(null); setOut(null); setBusy(true);
    try {
      const body: Record<string, unknown> = { function: fn.trim(), input: i.value };
      if (d && d.ok) body.data = d.value;
      const r = await post<{ output: unknown }>(`${p.path}/dry-run`, body);
      setOut(r.data);
      p.onLine(null);
    } catch (x) {
      setErr(x);
      const le = x instanceof ApiError ? luaError(x.detail, p.chunk) : null;
      p.onLine(le?.line ?? null);
    } finally { setBusy(false); }
  }
  const isLua = err instanceof ApiError && ['rule_error', 'rule_timeout', 'rule_memory'].includes(err.code);
  return (
    <form class="card" onSubmit={go} noValidate aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('rules.dry_run')}</h2>
      <p>{t('rules.dry_run_intro')}</p>
      {p.dirty ? <p class="alert alert-warning">{t('rules.runs_saved')}</p> : null}
      <Field label={t('rules.function')} value={fn} onInput={setFn} error={fe.fn} name="dry_function" spellcheck={false}
        hint={fns.length ? t('rules.functions_found', { list: fns.join(', ') }) : undefined} class="field-short-text" />
      <TextArea code label={t('rules.dry_input')} hint={t('rules.dry_input_hint')} value={input} onInput={setInput}
        error={fe.input} rows={5} name="dry_input" />
      <TextArea code label={t('rules.dry_data')} hint={t('rules.dry_data_hint')} value={data} onInput={setData}
        error={fe.data} rows={3} name="dry_data" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>{t('rules.dry_run_go')}</button>
      </div>
      {err ? (
        isLua ? <LuaErrorBox error={err} chunk={p.chunk} onShowLine={p.onShowLine} title={t('rules.dry_run_failed')} />
          : <ErrorBox error={err} />
      ) : null}
      {out ? (
        <div class="dry-output" role="status">
          <p><strong>{t('rules.output')}</strong></p>
          <pre class="source json-out"><code>{pretty(out.output)}</code></pre>
        </div>
      ) : null}
    </form>
  );
}

function Compare(p: { pack: Pack; siblings: Pack[] }) {
  const id = useId();
  const others = p.siblings.filter((s) => s.id !== p.pack.id);
  const [other, setOther] = useState('');
  const [src, setSrc] = useState<{ id: number; source: string; version: string } | null>(null);
  const [err, setErr] = useState<unknown>(null);
  useEffect(() => {
    if (!other) { setSrc(null); return; }
    let live = true;
    setErr(null);
    get<Pack>(`${RP}/${encodeURIComponent(other)}`)
      .then((r) => { if (live) setSrc({ id: r.data.id, source: r.data.source ?? '', version: r.data.version }); })
      .catch((e) => { if (live) setErr(e); });
    return () => { live = false; };
  }, [other]);
  if (!others.length) return null;
  return (
    <section class="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('rules.compare')}</h2>
      <p>{t('rules.compare_intro')}</p>
      <SelectField label={t('rules.compare_with')} value={other} onChange={setOther}
        options={[{ value: '', label: t('rules.compare_choose') }, ...others.map((o) => ({
          value: String(o.id),
          label: t('rules.compare_option', { version: o.version, date: formatDate(o.valid_from), status: label('rules.status', o.status) }),
        }))]} />
      {err ? <ErrorBox error={err} /> : null}
      {src && String(src.id) === other ? (
        <Diff before={src.source} after={p.pack.source ?? ''}
          caption={t('rules.diff_caption', { from: src.version, to: p.pack.version })} />
      ) : null}
    </section>
  );
}

/** A proposal for the next version label: the last number counted up. */
function nextVersion(v: string): string {
  const m = /^(.*?)(\d+)(\D*)$/.exec(v);
  return m ? `${m[1]}${Number(m[2]) + 1}${m[3]}` : `${v}.1`;
}

function NewVersion(p: { pack: Pack; siblings: Pack[] }) {
  const id = useId();
  const wanted = location.hash.includes('new=1');
  const taken = new Set(p.siblings.map((s) => s.version));
  const [version, setVersion] = useState(() => {
    let v = nextVersion(p.pack.version);
    for (let i = 0; i < 50 && taken.has(v); i++) v = nextVersion(v);
    return v;
  });
  const [validFrom, setValidFrom] = useState('');
  const [fe, setFe] = useState<{ version?: string; validFrom?: string }>({});
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => { if (wanted) ref.current?.focus(); }, []);
  async function go(e: Event) {
    e.preventDefault();
    const f: typeof fe = {};
    const v = version.trim();
    if (!v) f.version = t('form.missing');
    else if (v.length > 32) f.version = t('rules.version_too_long');
    const vf = parseDate(validFrom);
    if (!vf) f.validFrom = t('rules.date_invalid');
    setFe(f);
    if (Object.keys(f).length) return;
    setErr(null); setBusy(true);
    try {
      const body: Record<string, unknown> = {
        name: p.pack.name, version: v, valid_from: vf, source: p.pack.source ?? '', examples: p.pack.examples ?? [],
      };
      const r = await post<{ id: number }>(RP, body);
      navigate(`${href('rule-packs', r.data.id)}?created=1`);
    } catch (x) {
      if (x instanceof ApiError && x.code === 'already_exists') setFe({ version: t('rules.version_taken') });
      else if (x instanceof ApiError && x.field === 'version') setFe({ version: errorOf(x) });
      else if (x instanceof ApiError && x.field === 'valid_from') setFe({ validFrom: t('rules.date_invalid') });
      else setErr(x);
    } finally { setBusy(false); }
  }
  return (
    <form class="card" onSubmit={go} noValidate aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('rules.new_version_title')}</h2>
      <p>{t('rules.new_version_intro', { version: p.pack.version })}</p>
      {err ? <ErrorBox error={err} /> : null}
      <div class="row-fields">
        <Field label={t('rules.new_version_label')} hint={t('rules.new_version_hint')} value={version} onInput={setVersion} error={fe.version}
          name="new_version" required inputRef={ref} class="field-short-text" />
        <Field label={t('rules.valid_from')} hint={t('rules.date_hint')} value={validFrom} onInput={setValidFrom}
          error={fe.validFrom} name="new_valid_from" required class="field-short-date" />
      </div>
      <div class="actions">
        <button type="submit" class="btn btn-secondary" disabled={busy}>{t('rules.new_version_create')}</button>
      </div>
    </form>
  );
}

const errorOf = (x: ApiError): string => (x.code === 'invalid_length' ? t('rules.version_too_long') : t('form.missing'));
