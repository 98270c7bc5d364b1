// The source of a rule pack in a code editor (CodeMirror 6, Lua
// highlighting). Accessible: the editing area is a labelled, multi-line
// textbox (aria-labelledby/-describedby point at the visible label and
// hint); Tab is not captured, so it moves on to the next control
// (indenting is Ctrl+] and Ctrl+[); a read-only editor stays focusable so
// its text can be read, selected and copied by keyboard. A line can be
// marked (an error's line) and shown.
//
// The editor owns its text while a person types: each change goes out
// through onChange and comes back as value one render later. Preact runs
// the previous render's effects at the start of the next render, so a
// value can arrive that is older than what the editor already holds
// (typing faster than the page renders). Such a value is one of the
// editor's own texts on its way back, not a new text: replacing the
// document with it lost and reordered keystrokes. Only a value the editor
// did not send (loaded, reloaded, taken over after a conflict) replaces
// the document.
//
// CodeMirror is loaded on first use (its own chunk), so screens without an
// editor do not download it.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Compartment, Extension, StateEffect, StateEffectType } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import { t } from '../i18n';

/** What a page can do with the editor beyond its props. */
export interface LuaEditorApi {
  /** Focus the editor with the cursor at the start of a line (1-based) and scroll it into view. */
  focusLine(line: number): void;
}

interface Props {
  value: string;
  onChange?: (value: string) => void;
  readOnly: boolean;
  /** id of the element that names the editor (its visible label). */
  labelId: string;
  /** ids of hints or errors that describe it. */
  describedBy?: string;
  /** A line (1-based) to mark as the place of an error; null: none. */
  markLine?: number | null;
  apiRef?: { current: LuaEditorApi | null };
}

interface Kit {
  create(parent: HTMLElement, doc: string, ext: Extension[]): EditorView;
  base: Extension[];
  readOnly(on: boolean): Extension;
  aria(labelId: string, describedBy?: string): Extension;
  onDoc(fn: (doc: string) => void): Extension;
  compartment(): Compartment;
  setMark: StateEffectType<number | null>;
  scrollTo(view: EditorView, line: number): StateEffect<unknown>;
}

let kit: Promise<Kit> | null = null;

/** CodeMirror and the editor's fixed parts, loaded once. */
function loadKit(): Promise<Kit> {
  kit ??= Promise.all([
    import('@codemirror/state'), import('@codemirror/view'), import('@codemirror/language'),
    import('@codemirror/commands'), import('@codemirror/legacy-modes/mode/lua'), import('@lezer/highlight'),
  ]).then(([st, vw, lang, cmd, mode, hl]) => {
    const { tags } = hl;
    // Colours with at least 4.5:1 contrast on white and on the error line's
    // background (WCAG 2.1 AA); no meaning depends on colour alone.
    const highlight = lang.HighlightStyle.define([
      { tag: tags.keyword, color: '#6a1b7f', fontWeight: '600' },
      { tag: tags.comment, color: '#4d5661', fontStyle: 'italic' },
      { tag: [tags.string, tags.special(tags.string)], color: '#1d6b34' },
      { tag: [tags.number, tags.bool, tags.atom], color: '#8a3b00' },
      { tag: tags.standard(tags.variableName), color: '#0b5394' },
      { tag: [tags.definition(tags.variableName), tags.special(tags.variableName)], color: '#083b6a' },
      { tag: tags.invalid, color: '#a4161a' },
    ]);
    const setMark = st.StateEffect.define<number | null>();
    const errorLine = vw.Decoration.line({ class: 'cm-error-line' });
    // The marked line; gone once the text changes (the error was found in the old text).
    const markField = st.StateField.define({
      create: () => vw.Decoration.none,
      update(deco, tr) {
        let d = tr.docChanged ? vw.Decoration.none : deco;
        for (const e of tr.effects) {
          if (!e.is(setMark)) continue;
          const n = e.value;
          d = n !== null && n >= 1 && n <= tr.state.doc.lines
            ? vw.Decoration.set([errorLine.range(tr.state.doc.line(n).from)]) : vw.Decoration.none;
        }
        return d;
      },
      provide: (f) => vw.EditorView.decorations.from(f),
    });
    let stylesRouted = false;
    return {
      create(parent, doc, ext) {
        const make = () => new vw.EditorView({ parent, state: st.EditorState.create({ doc, extensions: ext }) });
        /*
         * The server's Content-Security-Policy allows no inline <style>.
         * CodeMirror (through style-mod) writes its styles into a <style>
         * element when the root is a document with a head, and into a
         * constructed stylesheet (document.adoptedStyleSheets, which the
         * CSP allows) otherwise. The first editor is created while the
         * document's head is hidden, so style-mod takes the constructed
         * stylesheet and keeps using it for this document.
         */
        if (stylesRouted || !('adoptedStyleSheets' in document)) return make();
        Object.defineProperty(document, 'head', { configurable: true, get: () => null });
        try {
          return make();
        } finally {
          delete (document as { head?: unknown }).head;
          stylesRouted = true;
        }
      },
      base: [
        vw.lineNumbers(),
        vw.highlightSpecialChars(),
        cmd.history(),
        vw.drawSelection(),
        lang.indentOnInput(),
        lang.bracketMatching(),
        lang.StreamLanguage.define(mode.lua),
        lang.syntaxHighlighting(highlight),
        // No indentWithTab: Tab leaves the editor like any other field.
        vw.keymap.of([...cmd.defaultKeymap, ...cmd.historyKeymap]),
        markField,
      ],
      readOnly: (on) => st.EditorState.readOnly.of(on),
      // tabindex="0" says what contenteditable already means (focusable, in
      // the tab order), so checkers see the scrolling area has focusable content.
      aria: (labelId, describedBy) => vw.EditorView.contentAttributes.of({
        tabindex: '0', 'aria-labelledby': labelId, ...(describedBy ? { 'aria-describedby': describedBy } : {}),
      }),
      onDoc: (fn) => vw.EditorView.updateListener.of((u) => { if (u.docChanged) fn(u.state.doc.toString()); }),
      compartment: () => new st.Compartment(),
      setMark,
      scrollTo: (view, line) => vw.EditorView.scrollIntoView(view.state.doc.line(line).from, { y: 'center' }),
    };
  });
  return kit;
}

export function LuaEditor(p: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const parts = useRef<{ kit: Kit; ro: Compartment; aria: Compartment } | null>(null);
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState(false);
  const props = useRef(p);
  props.current = p;
  const applying = useRef(false);
  // Texts sent through onChange that have not come back as value yet.
  const sent = useRef<string[]>([]);

  useEffect(() => {
    let live = true;
    let v: EditorView | null = null;
    loadKit().then((k) => {
      if (!live || !host.current) return;
      const ro = k.compartment();
      const aria = k.compartment();
      const cur = props.current;
      v = k.create(host.current, cur.value, [
        ...k.base,
        ro.of(k.readOnly(cur.readOnly)),
        aria.of(k.aria(cur.labelId, cur.describedBy)),
        k.onDoc((doc) => {
          if (applying.current) return;
          sent.current.push(doc);
          // A page that never echoes its value must not make this grow.
          if (sent.current.length > 500) sent.current.shift();
          props.current.onChange?.(doc);
        }),
      ]);
      const ed = v;
      view.current = ed;
      parts.current = { kit: k, ro, aria };
      if (cur.apiRef) {
        cur.apiRef.current = {
          focusLine(line: number) {
            const n = Math.min(Math.max(1, line), ed.state.doc.lines);
            ed.dispatch({ selection: { anchor: ed.state.doc.line(n).from }, effects: k.scrollTo(ed, n) });
            ed.focus();
          },
        };
      }
      setReady(true);
    }).catch(() => { if (live) setFailed(true); });
    return () => {
      live = false;
      v?.destroy();
      view.current = null;
      if (props.current.apiRef) props.current.apiRef.current = null;
    };
  }, []);

  // A new text from outside (loaded, reloaded): replace the document. One
  // of the editor's own texts coming back (on time or late) changes nothing.
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const own = sent.current.indexOf(p.value);
    if (own >= 0) {
      sent.current.splice(0, own + 1);
      return;
    }
    if (v.state.doc.toString() === p.value) return;
    sent.current = [];
    applying.current = true;
    try {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: p.value } });
    } finally {
      applying.current = false;
    }
  }, [p.value, ready]);

  useEffect(() => {
    const v = view.current;
    const k = parts.current;
    if (v && k) v.dispatch({ effects: k.ro.reconfigure(k.kit.readOnly(p.readOnly)) });
  }, [p.readOnly, ready]);

  useEffect(() => {
    const v = view.current;
    const k = parts.current;
    if (v && k) v.dispatch({ effects: k.aria.reconfigure(k.kit.aria(p.labelId, p.describedBy)) });
  }, [p.labelId, p.describedBy, ready]);

  useEffect(() => {
    const v = view.current;
    const k = parts.current;
    if (!v || !k) return;
    const n = p.markLine ?? null;
    const effects: StateEffect<unknown>[] = [k.kit.setMark.of(n)];
    if (n !== null && n >= 1 && n <= v.state.doc.lines) effects.push(k.kit.scrollTo(v, n));
    v.dispatch({ effects });
  }, [p.markLine, ready]);

  return (
    <div class={`code-editor${p.readOnly ? ' code-editor-readonly' : ''}`}>
      {/* CodeMirror's own DOM goes into this element, which Preact leaves alone. */}
      <div ref={host} />
      {!ready && !failed ? <p class="loading">{t('common.loading')}</p> : null}
      {failed ? (
        // Without the editor (its chunk did not load) the text is still readable.
        <pre class="source" tabIndex={0} aria-labelledby={p.labelId}><code>{p.value}</code></pre>
      ) : null}
    </div>
  );
}
