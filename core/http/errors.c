/*
 * errors.c - the error-code registry: every code the server answers with,
 * its one HTTP status and what it means. ks_fail() takes the status from
 * here, /api/openapi.json lists the table (components.x-error-codes) and
 * the web app must have a German and a French text (error.<code>) for
 * each entry (tests/browser/format.test.mjs reads this file). A code only
 * a module answers with is declared by the module (its descriptor's
 * .errors, e.g. modules/sozialhilfe/sh_module.c). A new code is a new
 * line here; a code's status never changes silently (it is the
 * HTTP contract: see the README).
 *
 * Kept sorted by code (a unit test checks it): ks_error_find searches it.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

const struct ks_errdef ks_errors[] = {
	{ "admin_exists", 409, "the tenant has an administrator; a new one "
	    "is asked for through an administrator request" },
	{ "already_exists", 409, "a record with these values exists" },
	{ "already_issued", 409, "the run's invoices are issued already" },
	{ "already_replaced", 409, "the document has a newer version" },
	{ "amount_differs", 409, "the amounts of the bank transaction and "
	    "the payment differ" },
	{ "assign_not_taken", 409, "the dossier's module takes no bank "
	    "credits" },
	{ "assignee_other_team", 400, "the assignee works in another team" },
	{ "audit_unavailable", 503, "the audit log cannot record the request "
	    "now" },
	{ "bad_framing", 400, "the request is framed ambiguously "
	    "(Content-Length and Transfer-Encoding)" },
	{ "body_too_large", 413, "the body is larger than the route allows" },
	{ "checklist_incomplete", 409, "required intake documents are "
	    "missing" },
	{ "concurrent_change", 409, "the record was changed at the same "
	    "time; try again" },
	{ "conflict", 409, "the record changed since it was read (detail."
	    "current has its state)" },
	{ "creditor_missing", 409, "no creditor was recorded for the run" },
	{ "csrf_failed", 403, "the X-CSRF-Token header is missing or wrong" },
	{ "data_unreadable", 500, "a protected value cannot be read" },
	{ "database_unavailable", 503, "the database is not reachable" },
	{ "document_failed", 500, "the document could not be produced" },
	{ "dossier_closed", 409, "the dossier is closed" },
	{ "duplicate_person", 409, "a person with this AHV number exists" },
	{ "empty_document", 400, "the upload has no content" },
	{ "encryption_unavailable", 503, "a key needed for the data is not "
	    "available now" },
	{ "entry_not_booked", 409, "the bank has not booked the transaction "
	    "yet" },
	{ "exceeds_claim", 409, "the amount is larger than what is owed" },
	{ "export_invalid", 500, "the payment file does not pass the bank "
	    "schema" },
	{ "export_mismatch", 500, "the payment file would differ from the "
	    "one exported before" },
	{ "export_refused", 409, "the payment file cannot be written" },
	{ "forbidden", 403, "the principal lacks the permission" },
	{ "foreign_account", 409, "the notification is for another account" },
	{ "four_eyes_required", 403, "a second person must do this step" },
	{ "household_empty", 409, "the household has no current members" },
	{ "internal_error", 500, "the request could not be completed" },
	{ "invalid_ahv", 400, "the AHV number is not valid" },
	{ "invalid_body", 400, "the body does not fit the request" },
	{ "invalid_camt", 400, "the file is not a camt.054 notification" },
	{ "invalid_credentials", 401, "the tenant, username or password is "
	    "wrong" },
	{ "invalid_iban", 400, "the IBAN is not valid" },
	{ "invalid_length", 400, "a text or list is too short or too long" },
	{ "invalid_parameter", 400, "a query or path parameter is not valid" },
	{ "invalid_period", 400, "a period ends before it begins" },
	{ "invalid_reference", 400, "a value names a record that does not "
	    "exist" },
	{ "invalid_state", 409, "the record's state does not allow this" },
	{ "invalid_token", 401, "the API token is not valid" },
	{ "invalid_type", 400, "a field has the wrong JSON type" },
	{ "invalid_value", 400, "a field's value is not allowed" },
	{ "job_interrupted", 503, "the server stopped; the job is queued "
	    "again" },
	{ "job_lease_lost", 409, "another worker took the job over" },
	{ "job_not_retryable", 409, "only a failed or dead job can be tried "
	    "again" },
	{ "job_type_unknown", 422, "the server does not know the job's type" },
	{ "line_not_open", 409, "the payment line is not open" },
	{ "login_locked", 429, "too many failed sign-ins; wait" },
	{ "malformed_json", 400, "the body is not valid JSON" },
	{ "membership_overlap", 409, "the person is a member of another "
	    "household in that period" },
	{ "method_not_allowed", 405, "the path does not take this method" },
	{ "missing_body", 400, "the request needs a JSON body" },
	{ "missing_field", 400, "a required field is missing" },
	{ "module_off", 409, "the module is not enabled for the tenant" },
	{ "no_admin", 409, "the tenant has no administrator to ask" },
	{ "no_session", 400, "the principal has no session (an API token)" },
	{ "not_found", 404, "no such record (or not visible to the "
	    "principal)" },
	{ "nothing_to_allocate", 409, "there is nothing to allocate" },
	{ "nothing_to_pay", 409, "the run has nothing to pay" },
	{ "other_team", 403, "the dossier belongs to another team" },
	{ "out_of_range", 400, "a number is outside the allowed range" },
	{ "password_change_required", 403, "the password an administrator "
	    "set must be changed first" },
	{ "password_policy", 400, "the new password does not meet the "
	    "policy" },
	{ "payment_account_missing", 409, "the tenant has no payment account "
	    "yet" },
	{ "plan_too_long", 400, "the instalment plan would be too long" },
	{ "possible_duplicate", 409, "a similar person exists (detail names "
	    "the candidates)" },
	{ "precondition_required", 428, "the write needs If-Match with the "
	    "record's ETag" },
	{ "qr_iban_not_allowed", 400, "a QR-IBAN is not allowed here" },
	{ "qrbill_invalid", 422, "the data cannot go on a QR-bill" },
	{ "role_taken", 409, "the role is held by someone else" },
	{ "rule_bounds", 422, "values are outside the canton's bounds" },
	{ "rule_error", 422, "the rule failed" },
	{ "rule_integrity", 500, "a stored rule pack is damaged" },
	{ "rule_memory", 422, "the rule needs more memory than allowed" },
	{ "rule_missing", 422, "no approved rule pack of that name is valid "
	    "on that date" },
	{ "rule_timeout", 422, "the rule took too long and was stopped" },
	{ "run_exists", 409, "there is a payment run for the month" },
	{ "run_not_approved", 409, "the payment run is not approved" },
	{ "run_not_exported", 409, "the payment run is not exported" },
	{ "session_expired", 401, "the session has ended" },
	{ "session_store_unavailable", 503, "the session store is not "
	    "reachable" },
	{ "storage_unavailable", 503, "the upload cannot be stored now" },
	{ "team_in_use", 409, "users or dossiers still belong to the team" },
	{ "transition_not_allowed", 409, "the dossier cannot go to that "
	    "state from its current one" },
	{ "unauthenticated", 401, "no session or token" },
	{ "unexpected_body", 400, "the request takes no body" },
	{ "unknown_field", 400, "the body has a field the route does not "
	    "take" },
	{ "unsupported_document_type", 415, "the document is not a PDF, JPEG "
	    "or PNG" },
	{ "unsupported_media_type", 415, "the body is not application/json" },
	{ "wrong_direction", 409, "the transaction goes the other way" },
	{ "wrong_password", 403, "the current password is not right" },
	{ NULL, 0, NULL }
};

const struct ks_errdef *
ks_error_find(const char *code)
{
	size_t lo = 0, hi = sizeof(ks_errors) / sizeof(ks_errors[0]) - 1, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(code, ks_errors[mid].code)) == 0)
			return &ks_errors[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return ks_module_error_find(code);
}
