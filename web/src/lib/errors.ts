import { ApiError } from '../api';
import { fieldErrorText } from '../i18n';

/**
 * Split an API error into a message for one of the form's fields (when the
 * error names one of them) or a message for the whole form.
 */
export function splitError(e: unknown, fields: string[]): { field: Record<string, string>; form: unknown } {
  if (e instanceof ApiError && e.field && fields.includes(e.field))
    return { field: { [e.field]: fieldErrorText(e) }, form: null };
  return { field: {}, form: e };
}

/**
 * The form-wide message that the fields marked need attention (a form's own
 * check found them, or the API's refusal named them): 400, or 409 for a
 * save that met a newer version.
 */
export const formIncomplete = (status = 400) => new ApiError(status, { code: 'form_incomplete', message: '' });

/**
 * A form's own check of its fields, shown: each field's message (none when
 * errs is empty) and, when any field failed, the form-wide message. True
 * when the form may be sent.
 */
export function fieldsChecked(errs: Record<string, string>, setFieldErr: (e: Record<string, string>) => void,
  setFormErr: (e: unknown) => void): boolean {
  setFieldErr(errs);
  if (Object.keys(errs).length) { setFormErr(formIncomplete()); return false; }
  return true;
}
