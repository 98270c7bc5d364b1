import { lang, type Lang } from '../i18n';
import de from '../i18n/de.json';
import fr from '../i18n/fr.json';

/** Deutsch | Français: each name in its own language (and marked so). */
export function LangSwitch({ onChange }: { onChange: (l: Lang) => void }) {
  const cur = lang();
  const names: [Lang, string][] = [['de', de['lang.name']], ['fr', fr['lang.name']]];
  return (
    <div class="lang-switch" role="group" aria-label={cur === 'fr' ? fr['lang.switch'] : de['lang.switch']}>
      {names.map(([code, name]) => (
        <button key={code} type="button" lang={code} class="btn btn-link" aria-pressed={cur === code ? 'true' : 'false'}
          onClick={() => onChange(code)}>{name}</button>
      ))}
    </div>
  );
}
