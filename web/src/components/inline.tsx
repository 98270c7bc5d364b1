// Inline forms and panels (an edit under a row, a question, a chooser):
// Escape closes each of them, and the focus goes back to the button that
// opened it. One place for it, used by every screen.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** Spread on an inline form or panel: Escape closes it (and goes no further). */
export function onEscape(close: () => void) {
  return {
    onKeyDown: (e: KeyboardEvent) => {
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); }
    },
  };
}

/**
 * An inline form's state: open with a value, closed by Escape, cancel or
 * success; closing gives the focus back to the button that opened it
 * (which stays on the page while the form is open).
 */
export function useInline<T>() {
  const [open, setOpen] = useState<T | null>(null);
  const opener = useRef<HTMLElement | null>(null);
  const wasOpen = useRef(false);
  useEffect(() => {
    if (open === null && wasOpen.current && opener.current?.isConnected) opener.current.focus();
    wasOpen.current = open !== null;
  }, [open]);
  return {
    open,
    show: (v: T, e?: Event) => {
      opener.current = (e?.currentTarget as HTMLElement | undefined) ?? (document.activeElement as HTMLElement | null);
      setOpen(v);
    },
    close: () => setOpen(null),
    /** Spread on the form: Escape closes it. */
    keys: onEscape(() => setOpen(null)),
  };
}

/**
 * The body of an inline form: its first field takes the focus when it
 * opens, and Escape (onKeyDown from useInline().keys) closes it.
 */
export function InlinePanel({ keys, children, class: cls }: {
  keys: { onKeyDown: (e: KeyboardEvent) => void }; children: ComponentChildren; class?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('input, select, textarea, button')?.focus();
  }, []);
  return <div ref={ref} class={cls ?? 'inline-panel'} onKeyDown={keys.onKeyDown}>{children}</div>;
}
