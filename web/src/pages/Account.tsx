// The own password: changed at will (#/account), and changed first of all
// when an administrator set it (the whole application waits behind the
// form until then).
import { useEffect, useRef, useState } from 'preact/hooks';
import { post, type Me } from '../api';
import { t, type Lang } from '../i18n';
import { splitError } from '../lib/errors';
import { ErrorBox, Field, Notice, PageTitle } from '../components/ui';
import { SignInFrame } from './Login';
import { fieldSetter } from '../lib/form';

const MIN = 10;

/** The form: current password, new one twice; calls onDone after a change. */
export function PasswordForm(p: { onDone: () => Promise<void> | void; firstFocus?: boolean }) {
  const [v, setV] = useState({ current: '', next: '', again: '' });
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const currentRef = useRef<HTMLInputElement>(null);
  const nextRef = useRef<HTMLInputElement>(null);
  const set = fieldSetter(setV);

  useEffect(() => { if (p.firstFocus) currentRef.current?.focus(); }, []);

  async function submit(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    if (!v.current) fe.current_password = t('form.missing');
    if (v.next.length < MIN) fe.new_password = t('pwchange.too_short');
    else if (v.next !== v.again) fe.again = t('pwchange.mismatch');
    setFieldErr(fe);
    setFormErr(null);
    if (Object.keys(fe).length) {
      (fe.current_password ? currentRef : nextRef).current?.focus();
      return;
    }
    setBusy(true);
    try {
      await post('/api/v1/me/password', { current_password: v.current, new_password: v.next });
      setV({ current: '', next: '', again: '' });
      await p.onDone();
    } catch (err) {
      const sp = splitError(err, ['current_password', 'new_password']);
      setFieldErr(sp.field);
      setFormErr(sp.form);
      if (sp.field.current_password) currentRef.current?.focus();
      else if (sp.field.new_password) nextRef.current?.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="form" onSubmit={submit} noValidate>
      {formErr ? <ErrorBox error={formErr} /> : null}
      <Field label={t('pwchange.current')} type="password" value={v.current} onInput={set('current')} required
        autocomplete="current-password" name="current_password" inputRef={currentRef} error={fieldErr.current_password} />
      <Field label={t('pwchange.new')} hint={t('pwchange.new_hint')} type="password" value={v.next} onInput={set('next')}
        required autocomplete="new-password" name="new_password" inputRef={nextRef} error={fieldErr.new_password} />
      <Field label={t('pwchange.repeat')} type="password" value={v.again} onInput={set('again')} required
        autocomplete="new-password" name="new_password_again" error={fieldErr.again} />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy} aria-busy={busy ? 'true' : undefined}>
          {busy ? t('pwchange.busy') : t('pwchange.submit')}
        </button>
      </div>
    </form>
  );
}

/** #/account: change the own password. */
export function Account() {
  const [done, setDone] = useState(false);
  return (
    <section>
      <PageTitle>{t('pwchange.title')}</PageTitle>
      <div class="card">
        <p>{t('pwchange.intro')}</p>
        {done ? <Notice kind="success">{t('pwchange.done')}</Notice> : null}
        <PasswordForm onDone={() => setDone(true)} />
      </div>
    </section>
  );
}

/**
 * Instead of the application while the session may do nothing but change
 * a password an administrator set.
 */
export function PasswordRequired(p: { me: Me; onDone: () => Promise<void>; onLogout: () => void; onLang: (l: Lang) => void }) {
  useEffect(() => { document.title = `${t('pwchange.required_title')} – Kasus`; }, []);
  return (
    <SignInFrame onLang={p.onLang}>
      <section class="login-form card" aria-labelledby="pw-required-title">
        <h1 id="pw-required-title">{t('pwchange.required_title')}</h1>
        <p>{t('pwchange.required_text')}</p>
        <p class="muted">{p.me.user.display_name} · {p.me.tenant.name}</p>
        <PasswordForm onDone={p.onDone} firstFocus />
        <button type="button" class="btn btn-link" onClick={p.onLogout}>{t('pwchange.logout')}</button>
      </section>
    </SignInFrame>
  );
}
