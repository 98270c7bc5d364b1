// A unified line diff of two texts (jsdiff): the changed places with three
// lines of context each. Added and removed lines are marked by colour and
// by a "+" or "−" sign, and screen readers hear "added" or "removed".
import { useMemo } from 'preact/hooks';
import { structuredPatch } from 'diff';
import { t } from '../i18n';

interface Props {
  before: string;
  after: string;
  /** Names the table ("Changes from version 1 to version 2"). */
  caption: string;
}

type Row = { kind: 'add' | 'del' | 'same'; text: string; oldNo: number | null; newNo: number | null };

export function Diff({ before, after, caption }: Props) {
  const { hunks, added, removed } = useMemo(() => {
    const patch = structuredPatch('before', 'after', before, after, '', '', { context: 3 });
    let a = 0;
    let r = 0;
    const hs = patch.hunks.map((h) => {
      let o = h.oldStart;
      let n = h.newStart;
      const rows: Row[] = [];
      for (const line of h.lines) {
        const sign = line[0];
        const text = line.slice(1);
        if (sign === '+') { rows.push({ kind: 'add', text, oldNo: null, newNo: n++ }); a++; }
        else if (sign === '-') { rows.push({ kind: 'del', text, oldNo: o++, newNo: null }); r++; }
        else if (sign === ' ') rows.push({ kind: 'same', text, oldNo: o++, newNo: n++ });
        // "\ No newline at end of file" is not a line of either text.
      }
      return { oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, rows };
    });
    return { hunks: hs, added: a, removed: r };
  }, [before, after]);

  if (!hunks.length) return <p class="diff-summary" role="status">{t('diff.same')}</p>;
  return (
    <div class="diff">
      <p class="diff-summary" role="status">{t('diff.summary', { added, removed })}</p>
      <table class="diff-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col" class="num">{t('diff.old_line')}</th>
            <th scope="col" class="num">{t('diff.new_line')}</th>
            <th scope="col">{t('diff.change')}</th>
            <th scope="col">{t('diff.text')}</th>
          </tr>
        </thead>
        {hunks.map((h, i) => (
          <tbody key={i}>
            <tr class="diff-hunk">
              <th scope="rowgroup" colSpan={4}>
                {t('diff.hunk', {
                  old_from: h.oldStart, old_to: Math.max(h.oldStart, h.oldStart + h.oldLines - 1),
                  new_from: h.newStart, new_to: Math.max(h.newStart, h.newStart + h.newLines - 1),
                })}
              </th>
            </tr>
            {h.rows.map((r, j) => (
              <tr key={j} class={`diff-${r.kind}`}>
                <td class="num">{r.oldNo ?? ''}</td>
                <td class="num">{r.newNo ?? ''}</td>
                <td class="diff-sign">
                  {r.kind === 'same' ? <span class="visually-hidden">{t('diff.unchanged')}</span> : (
                    <>
                      <span aria-hidden="true">{r.kind === 'add' ? '+' : '-'}</span>
                      <span class="visually-hidden">{t(r.kind === 'add' ? 'diff.added' : 'diff.removed')}</span>
                    </>
                  )}
                </td>
                <td class="diff-text"><code>{r.text || ' '}</code></td>
              </tr>
            ))}
          </tbody>
        ))}
      </table>
    </div>
  );
}
