// Shown after 409 conflict: what someone else changed, field by field,
// next to what this person typed; they choose to reapply their changes on
// top of the current record or to take the current record.
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../i18n';
import { changedFields, same, type EditState, type FormValue, type FormValues } from '../lib/edit';

export interface ConflictField<V> {
  key: keyof V & string;
  label: string;
  show?: (v: FormValue) => string;
}

const plain = (v: FormValue): string =>
  Array.isArray(v) ? v.join(', ') : typeof v === 'boolean' ? (v ? t('common.yes') : t('common.no')) : v;

export function ConflictPanel<V extends FormValues>(p: {
  state: EditState<V>; fields: ConflictField<V>[]; onReapply: () => void; onDiscard: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => { ref.current?.focus(); }, []);
  const c = p.state.conflict;
  if (!c) return null;
  const mine = new Set(changedFields(p.state));
  const rows = p.fields.filter((f) => !same(c.current[f.key], p.state.base[f.key]) || mine.has(f.key));
  const theirs = p.fields.filter((f) => !same(c.current[f.key], p.state.base[f.key]));
  return (
    <div class="alert alert-warning conflict" role="alert" tabIndex={-1} ref={ref} aria-labelledby="conflict-title">
      <h2 id="conflict-title">{t('conflict.title')}</h2>
      <p>{t('conflict.explain')}</p>
      {theirs.length === 0 ? <p>{t('conflict.no_visible_change')}</p> : null}
      <table class="table conflict-table">
        <caption>{t('conflict.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('conflict.field')}</th>
            <th scope="col">{t('conflict.before')}</th>
            <th scope="col">{t('conflict.now')}</th>
            <th scope="col">{t('conflict.yours')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((f) => {
            const show = f.show ?? plain;
            const changedByOther = !same(c.current[f.key], p.state.base[f.key]);
            const changedByMe = mine.has(f.key);
            const clash = changedByOther && changedByMe && !same(c.current[f.key], p.state.values[f.key]);
            return (
              <tr key={f.key} class={clash ? 'clash' : undefined}>
                <th scope="row">
                  {f.label}
                  {clash ? <span class="badge badge-warn">{t('conflict.both_changed')}</span> : null}
                </th>
                <td>{show(p.state.base[f.key])}</td>
                <td>{changedByOther ? <strong>{show(c.current[f.key])}</strong> : show(c.current[f.key])}</td>
                <td>{changedByMe ? <strong>{show(p.state.values[f.key])}</strong> : t('conflict.unchanged')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div class="actions">
        <button type="button" class="btn btn-primary" onClick={p.onReapply}>{t('conflict.reapply')}</button>
        <button type="button" class="btn btn-secondary" onClick={p.onDiscard}>{t('conflict.discard')}</button>
      </div>
    </div>
  );
}
