/*
 * invoice.c - what comes out of an allocation run: the run with its
 * invoices, each social service's invoice as a PDF with a Swiss QR-bill
 * payment part in the service's language, and CSV for the canton's
 * accounting (the run's shares; the burden-sharing report).
 *
 * Invoices are not stored: they are rendered from the run, which never
 * changes (it keeps the creditor and the addresses as they were when it
 * was made), so a re-rendered invoice is the same document. The payment
 * reference carries the run and the social service: a QR reference when
 * the canton's account is a QR-IBAN, an RF creditor reference otherwise.
 * An invoice is a letter: place and date, dates written out ("1. Januar
 * 2026"), amounts as "CHF 1'234.50", the shares grouped by phase, and
 * page numbers on every page but the payment part's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "billing/billing.h"
#include "kasus/iso20022.h"
#include "kasus/pdf.h"
#include "kasus/qrbill.h"
#include "queries.h"
#include "kasus/swiss.h"

struct run {
	PGresult	*r;
	json_t		*pack;
	json_t		*in;
	json_t		*out;
	json_t		*parties;	/* {creditor, addresses{tenant id}} */
};

static void
run_free(struct run *run)
{
	json_decref(run->pack);
	json_decref(run->in);
	json_decref(run->out);
	json_decref(run->parties);
}

static json_t *
creditor_of(struct run *run)
{
	json_t *c = json_object_get(run->parties, "creditor");

	return json_is_object(c) ? c : NULL;
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int
run_load(struct ks_request *req, const char *id, struct run *run)
{
	memset(run, 0, sizeof(*run));
	if ((run->r = ks_db_q(req, Q_BILL_RUN_GET, 1, &id)) == NULL)
		return KS_ERROR;
	if (PQntuples(run->r) != 1)
		return ks_fail(req, 404, "not_found", "no such allocation run");
	run->pack = ks_db_json(run->r, 0, "pack");
	run->out = ks_db_json(run->r, 0, "output");
	run->in = ks_db_json(run->r, 0, "input");
	run->parties = ks_db_json(run->r, 0, "parties");
	return KS_OK;
}

static int
run_param(struct ks_request *req, struct run *run)
{
	int64_t id;

	/* Callers free the run on error: empty it before reading the id. */
	memset(run, 0, sizeof(*run));
	if (ks_param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	return run_load(req, ks_num(req, id), run);
}

/* The social service's entry of the run's input, or NULL. */
static json_t *
tenant_of(struct run *run, long long tid)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(run->in, "tenants"), i, t)
		if (json_integer_value(json_object_get(t, "id")) == tid)
			return t;
	return NULL;
}

static long long
owed(struct run *run, long long tid)
{
	long long sum = 0;
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(run->out, "shares"), i, s)
		if (json_integer_value(json_object_get(s, "tenant_id")) == tid)
			sum += json_integer_value(json_object_get(s, "amount"));
	return sum;
}

/* QRR with a QR-IBAN, else SCOR; both carry run and social service. */
static const char *
reference(struct ks_request *req, long long run, long long tid,
    const char *iban, const char **type)
{
	char digits[32], base[32], *out = ks_arena_alloc(req->arena, 32);

	if (ks_iban_is_qr(iban)) {
		snprintf(digits, sizeof(digits), "%012lld%08lld", run, tid);
		*type = "QRR";
		if (ks_qrref_make(digits, out) == KS_OK)
			return out;
	} else {
		snprintf(base, sizeof(base), "%lldT%lld", run, tid);
		*type = "SCOR";
		if (strlen(base) <= 21 && ks_scor_make(base, out) == KS_OK)
			return out;
	}
	*type = "NON";
	return NULL;
}

static json_t *
invoices_json(struct ks_request *req, struct run *run, const char *iban)
{
	json_t *a = json_array(), *t;
	const char *type, *ref;
	long long id = ks_db_getll(run->r, 0, "id"), tid;
	size_t i;

	json_array_foreach(json_object_get(run->in, "tenants"), i, t) {
		tid = json_integer_value(json_object_get(t, "id"));
		ref = iban ? reference(req, id, tid, iban, &type) : NULL;
		json_array_append_new(a, json_pack("{s:I,s:O,s:O,s:I,s:s?,"
		    "s:s?}", "tenant_id", (json_int_t)tid, "name",
		    json_object_get(t, "name"), "language", json_object_get(t,
		    "language"), "amount", (json_int_t)owed(run, tid),
		    "reference", ref, "reference_type", iban ? type : NULL));
	}
	return a;
}

int
ks_bill_run_reply(struct ks_request *req, const char *id, int status)
{
	struct run run;
	json_t *res;

	if (run_load(req, id, &run) != KS_OK) {
		run_free(&run);
		return KS_ERROR;
	}
	res = json_pack("{s:I,s:{s:I,s:s,s:s,s:s},s:s,s:{s:I,s:s?},s:O,s:I,"
	    "s:O?,s:O,s:O,s:o,s:s?,s:o}", "id",
	    (json_int_t)ks_db_getll(run.r, 0, "id"), "period", "id",
	    (json_int_t)ks_db_getll(run.r, 0, "period_id"), "code",
	    ks_db_str(run.r, 0, "code"),
	    "starts_on", ks_db_str(run.r, 0, "starts_on"),
	    "ends_on", ks_db_str(run.r, 0, "ends_on"),
	    "created_at", ks_db_str(run.r, 0, "created_at"),
	    "created_by", "id", (json_int_t)ks_db_getll(run.r, 0, "created_by"),
	    "display_name", ks_db_get(run.r, 0, "display_name"),
	    "pack", run.pack,
	    "total", (json_int_t)ks_db_getll(run.r, 0, "total"), "key_version",
	    json_object_get(run.out, "key_version"), "phases",
	    json_object_get(run.out, "phases") ? json_object_get(run.out,
	    "phases") : json_array(), "shares", json_object_get(run.out,
	    "shares"), "invoices", invoices_json(req, &run, creditor_of(&run) ?
	    str(creditor_of(&run), "iban") : NULL), "issued_at",
	    ks_db_get(run.r, 0, "issued_at"),
	    "issued_by", ks_db_isnull(run.r, 0, "issued_by") ?
	    json_null() : json_integer(ks_db_getll(run.r, 0, "issued_by")));
	run_free(&run);
	return ks_reply(req, status, res);
}

static int
run_show(struct ks_request *req)
{
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	return ks_bill_run_reply(req, ks_num(req, id), 200);
}

/* ------------------------------------------------------------ invoices */

/* "CHF 1'234.50" (negative with a minus sign). */
static const char *
chf(struct ks_request *req, long long r)
{
	char b[KS_SWISS_MAX];

	return ks_arena_strdup(req->arena, ks_swiss_chf(b, r));
}

/* "1. Januar 2026" or "1er janvier 2026". */
static const char *
long_date(struct ks_request *req, const char *iso, const char *lang)
{
	char b[KS_SWISS_MAX];

	return ks_arena_strdup(req->arena, ks_swiss_date_long(b, iso, lang));
}

static const char *
tx(const char *lang, const char *de, const char *fr)
{
	return strcmp(lang, "fr") == 0 ? fr : de;
}

struct invoice {
	struct run	 run;
	long long	 tid;
	long long	 amount;
	json_t		*tenant;
	const char	*lang;
	const char	*ref;
	const char	*ref_type;
	char		*payload;	/* malloc'd; NULL without payment part */
	json_t		*cred;		/* borrowed from the run */
	json_t		*addr;		/* borrowed; NULL: none recorded */
};

static void
invoice_free(struct invoice *inv)
{
	run_free(&inv->run);
	free(inv->payload);
}

static void
address_of(json_t *o, struct ks_qr_address *a)
{
	a->name = str(o, "name");
	a->street = str(o, "street");
	a->building = str(o, "building");
	a->postcode = str(o, "postcode");
	a->town = str(o, "town");
	a->country = str(o, "country");
}

static int invoice_of(struct ks_request *, struct invoice *, int64_t);

/* Load run and social service; build the QR-bill payload when owed. */
static int
invoice_load(struct ks_request *req, struct invoice *inv)
{
	int64_t tid;

	memset(inv, 0, sizeof(*inv));
	if (run_param(req, &inv->run) != KS_OK)
		return KS_ERROR;
	if (ks_param_id(req, "tenant", &tid) != KS_OK)
		return ks_fail(req, 404, "not_found", "this social service "
		    "has no invoice in this run");
	return invoice_of(req, inv, tid);
}

/* The run is loaded: social service tid's invoice in it. */
static int
invoice_of(struct ks_request *req, struct invoice *inv, int64_t tid)
{
	struct ks_qrbill b;
	char err[256];

	if ((inv->tenant = tenant_of(&inv->run, tid)) == NULL)
		return ks_fail(req, 404, "not_found", "this social service "
		    "has no invoice in this run");
	inv->tid = tid;
	inv->amount = owed(&inv->run, tid);
	inv->lang = json_string_value(json_object_get(inv->tenant,
	    "language"));
	if (inv->lang == NULL)
		inv->lang = "de";
	if ((inv->cred = creditor_of(&inv->run)) == NULL)
		return ks_fail(req, 409, "creditor_missing", "no creditor was "
		    "recorded when this run was made; record it and allocate "
		    "again");
	inv->addr = json_object_get(json_object_get(inv->run.parties,
	    "addresses"), ks_num(req, tid));
	inv->ref = reference(req, ks_db_getll(inv->run.r, 0, "id"), tid,
	    str(inv->cred, "iban"), &inv->ref_type);
	if (inv->amount <= 0)
		return KS_OK;		/* nothing to pay: no payment part */
	memset(&b, 0, sizeof(b));
	b.iban = str(inv->cred, "iban");
	address_of(inv->cred, &b.creditor);
	if (inv->addr != NULL)
		address_of(inv->addr, &b.debtor);
	b.amount = inv->amount;
	b.currency = "CHF";
	b.reference = inv->ref;
	b.message = ks_arena_printf(req->arena, "%s %s", tx(inv->lang,
	    "Kasus Kostenbeteiligung", "Kasus participation aux coûts"),
	    ks_db_str(inv->run.r, 0, "code"));
	if (ks_qrbill_payload(&b, &inv->payload, err, sizeof(err)) != KS_OK)
		return ks_fail_detail(req, 422, "qrbill_invalid", "the run's "
		    "creditor or invoice address cannot go on a QR-bill; correct "
		    "them and allocate again", json_pack("{s:s}", "reason", err));
	return KS_OK;
}

static json_t *
lines_json(struct invoice *inv)
{
	json_t *a = json_array(), *s;
	size_t i;

	json_array_foreach(json_object_get(inv->run.out, "shares"), i, s)
		if (json_integer_value(json_object_get(s, "tenant_id")) ==
		    inv->tid)
			json_array_append(a, s);
	return a;
}

static int
invoice_show(struct ks_request *req)
{
	struct invoice inv;
	json_t *res;

	if (invoice_load(req, &inv) != KS_OK) {
		invoice_free(&inv);
		return KS_ERROR;
	}
	res = json_pack("{s:I,s:I,s:O,s:s,s:I,s:s?,s:s,s:s?,s:o}", "run_id",
	    (json_int_t)ks_db_getll(inv.run.r, 0, "id"), "tenant_id",
	    (json_int_t)inv.tid, "name", json_object_get(inv.tenant, "name"),
	    "language", inv.lang, "amount", (json_int_t)inv.amount,
	    "reference", inv.ref, "reference_type", inv.ref_type, "payload",
	    inv.payload, "lines", lines_json(&inv));
	invoice_free(&inv);
	return ks_reply(req, 200, res);
}

static const char *
address_lines(struct ks_request *req, json_t *o)
{
	const char *street = str(o, "street"), *bldg = str(o, "building");

	return ks_arena_printf(req->arena, "%s\n%s%s%s\n%s %s", str(o,
	    "name"), street ? street : "", bldg ? " " : "", bldg ? bldg : "",
	    str(o, "postcode"), str(o, "town"));
}

static const char *
phase_name(const char *p, const char *lang)
{
	static const char *const names[][3] = {
		{ "project", "Projekt", "Projet" },
		{ "operation", "Betrieb", "Exploitation" },
		{ "development", "Weiterentwicklung", "Développement" },
		{ "migration", "Migration", "Migration" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i][0], p) == 0)
			return strcmp(lang, "fr") == 0 ? names[i][2] :
			    names[i][1];
	return p;
}

/*
 * A share's explanation without what the invoice shows around it: the
 * phase it starts with (the heading above it) and the amount it ends
 * with (the column beside it); a municipality's share names the
 * municipality. A wording that does not have that shape stays whole.
 */
static const char *
share_text(struct ks_request *req, json_t *s, const char *lang)
{
	const char *ex = str(json_object_get(s, "explain"), lang), *ph, *am;
	const char *name = str(s, "name"), *party = str(s, "party");
	char *out;
	size_t n, k;

	if (ex == NULL)
		ex = "";
	ph = phase_name(str(s, "phase"), lang);
	n = strlen(ph);
	if (strncmp(ex, ph, n) == 0 && strncmp(ex + n, ": ", 2) == 0)
		ex += n + 2;
	else if (strncmp(ex, ph, n) == 0 && strncmp(ex + n, " : ", 3) == 0)
		ex += n + 3;
	am = chf(req, json_integer_value(json_object_get(s, "amount")));
	n = strlen(ex);
	k = strlen(am);
	if (n > k + 3 && strcmp(ex + n - k, am) == 0 &&
	    (strncmp(ex + n - k - 2, ": ", 2) == 0 ||
	    strncmp(ex + n - k - 3, " : ", 3) == 0))
		n -= k + (ex[n - k - 3] == ' ' ? 3 : 2);
	if (party != NULL && strcmp(party, "municipality") == 0 && name)
		return ks_arena_printf(req->arena, "%s%s %.*s", name,
		    strcmp(lang, "fr") == 0 ? " :" : ":", (int)n, ex);
	out = ks_arena_printf(req->arena, "%.*s", (int)n, ex);
	/* Without its phase in front the sentence starts here. */
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
	return out;
}

/* The service's shares, a heading for each phase. */
static void
share_rows(struct ks_request *req, struct invoice *inv, struct ks_pdf_list *b)
{
	json_t *lines = lines_json(inv), *s;
	const char *phase = "", *p;
	size_t i;

	json_array_foreach(lines, i, s) {
		p = str(s, "phase");
		if (p != NULL && strcmp(p, phase) != 0) {
			ks_pdf_add(b, KS_PDF_HEADING, phase_name(p, inv->lang),
			    NULL);
			phase = p;
		}
		ks_pdf_add(b, KS_PDF_ROW, share_text(req, s, inv->lang),
		    chf(req, json_integer_value(json_object_get(s, "amount"))));
	}
	json_decref(lines);
}

/* The loaded invoice as the answer's PDF; frees it. */
static int
invoice_render(struct ks_request *req, struct invoice *invp)
{
	struct ks_pdf_list b = { NULL, 0, 0 };
	struct invoice inv = *invp;
	json_t *pk;
	char created[16], err[256], *pdf;
	const char *at, *l, *town, *code;
	size_t len;
	int rc;

	l = inv.lang;
	pk = inv.run.pack;
	at = ks_db_str(inv.run.r, 0, "created_at");
	code = ks_db_str(inv.run.r, 0, "code");
	town = str(inv.cred, "town");
	ks_pdf_add(&b, KS_PDF_FOOTER, ks_arena_printf(req->arena, tx(l,
	    "Rechnung %s · %s · Seite {page} von {pages}",
	    "Facture %s · %s · page {page} sur {pages}"), code,
	    str(inv.tenant, "name")), NULL);
	ks_pdf_add(&b, KS_PDF_LETTERHEAD, address_lines(req, inv.cred), NULL);
	ks_pdf_add(&b, KS_PDF_ADDRESS, inv.addr ? address_lines(req, inv.addr) :
	    str(inv.tenant, "name"), NULL);
	/* Place and date: the canton's town, the day of the run. */
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, town == NULL ? long_date(req, at, l) :
	    ks_arena_printf(req->arena, tx(l, "%s, %s", "%s, le %s"), town,
	    long_date(req, at, l)), NULL);
	ks_pdf_add(&b, KS_PDF_TITLE, ks_arena_printf(req->arena, "%s %s", tx(l,
	    "Rechnung Kostenbeteiligung Fallführungssystem, Periode",
	    "Facture participation aux coûts du système de gestion des "
	    "dossiers, période"), code), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, ks_arena_printf(req->arena, tx(l,
	    "%s, Periode vom %s bis %s. Verteilt nach dem Regelpaket %s, "
	    "Version %s (gültig ab %s, Prüfsumme %.12s), Verteilung Nr. %s. "
	    "Referenz %s.", "%s, période du %s au %s. Répartition selon le "
	    "paquet de règles %s, version %s (valable dès le %s, somme de "
	    "contrôle %.12s), répartition n° %s. Référence %s."),
	    str(inv.tenant, "name"),
	    long_date(req, ks_db_str(inv.run.r, 0, "starts_on"), l),
	    long_date(req, ks_db_str(inv.run.r, 0, "ends_on"), l),
	    str(pk, "name"),
	    str(pk, "version"), long_date(req, str(pk, "valid_from"), l),
	    str(pk, "sha256"), ks_db_str(inv.run.r, 0, "id"),
	    inv.ref ? inv.ref : "-"), NULL);
	share_rows(req, &inv, &b);
	ks_pdf_add(&b, KS_PDF_TOTAL, "Total", chf(req, inv.amount));
	ks_pdf_add(&b, KS_PDF_SMALL, inv.payload ? tx(l, "Zahlbar innert 30 "
	    "Tagen mit dem Zahlteil unten.", "Payable dans les 30 jours avec "
	    "la section paiement ci-dessous.") : tx(l, "Kein Betrag zu "
	    "bezahlen.", "Aucun montant à payer."), NULL);
	if (inv.payload)
		ks_pdf_add(&b, KS_PDF_QRBILL, inv.payload, l);
	/* The run's time is the document's: re-rendering gives the same. */
	snprintf(created, sizeof(created), "%.4s%.2s%.2s%.2s%.2s%.2s", at,
	    at + 5, at + 8, at + 11, at + 14, at + 17);
	rc = ks_pdf_render(b.v, tx(l, "Rechnung", "Facture"), created, &pdf,
	    &len, err, sizeof(err));
	free(b.v);
	invoice_free(&inv);
	if (rc != KS_OK)
		return ks_fail_detail(req, 500, "document_failed", "the invoice "
		    "could not be produced", json_pack("{s:s}", "reason", err));
	req->raw = ks_arena_alloc(req->arena, len);
	memcpy(req->raw, pdf, len);
	req->raw_len = len;
	free(pdf);
	req->ctype = "application/pdf";
	ks_header(req, "Content-Disposition", ks_arena_printf(req->arena,
	    "inline; filename=\"kasus-invoice-%s-%lld.pdf\"", ks_db_str(
	    inv.run.r, 0, "code"), (long long)inv.tid));
	req->status = 200;
	return KS_OK;
}

static int
invoice_pdf(struct ks_request *req)
{
	struct invoice inv;

	if (invoice_load(req, &inv) != KS_OK) {
		invoice_free(&inv);
		return KS_ERROR;
	}
	return invoice_render(req, &inv);
}

/* ------------------------------------------- issued, for the services */

static int
run_issue(struct ks_request *req)
{
	const char *v[2];
	PGresult *r;
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	v[1] = ks_num(req, req->who.user_id);
	if ((r = ks_db_q(req, Q_BILL_RUN_ISSUE, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1) {
		if ((r = ks_db_q(req, Q_BILL_RUN_GET, 1, v)) == NULL)
			return KS_ERROR;
		if (PQntuples(r) != 1)
			return ks_fail(req, 404, "not_found",
			    "no such allocation run");
		return ks_fail(req, 409, "already_issued", "this run's "
		    "invoices are issued already; a correction is a new run");
	}
	if (ks_audit(req, "billing_run_issued", "billing_run", v[0], NULL,
	    NULL, NULL) != KS_OK)
		return KS_ERROR;
	return ks_bill_run_reply(req, v[0], 200);
}

/*
 * A social service reads its invoices from its canton's billing rows:
 * the request switches to the canton's tenant, reads only what is
 * addressed to the service, and switches back before it audits.
 */
static int
as_canton(struct ks_request *req)
{
	const char *v[1];
	PGresult *r;

	v[0] = ks_num(req, req->who.tenant_id);
	if ((r = ks_db_q(req, Q_BILL_CANTON_OF, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 404, "not_found", "no canton issues "
		    "invoices to this social service");
	return ks_db_set_tenant(req, ks_db_getll(r, 0, "id"));
}

static int
my_invoices(struct ks_request *req)
{
	const char *v[1], *iban, *ref, *type = NULL;
	int64_t own = req->who.tenant_id;
	PGresult *r;
	json_t *items;
	int i;

	if (as_canton(req) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, own);
	if ((r = ks_db_q(req, Q_BILL_INVOICES_OF, 1, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		iban = ks_db_get(r, i, "iban");
		ref = iban ? reference(req, ks_db_getll(r, i, "id"), own, iban,
		    &type) : NULL;
		json_array_append_new(items, json_pack("{s:I,s:{s:s,s:s,s:s},"
		    "s:s,s:I,s:s?,s:s?,s:o,s:{s:s?,s:s?}}", "run_id",
		    (json_int_t)ks_db_getll(r, i, "id"), "period", "code",
		    ks_db_str(r, i, "code"),
		    "starts_on", ks_db_str(r, i, "starts_on"),
		    "ends_on", ks_db_str(r, i, "ends_on"),
		    "issued_at", ks_db_str(r, i, "issued_at"),
		    "amount", (json_int_t)ks_db_getll(r, i, "amount"),
		    "reference",
		    ref, "reference_type", ref ? type : NULL, "replaced_by",
		    ks_db_json_int(r, i, "replaced_by"),
		    "pack", "name", ks_db_get(r, i, "pack_name"),
		    "version", ks_db_get(r, i, "pack_version")));
	}
	if (ks_db_set_tenant(req, own) != KS_OK) {
		json_decref(items);
		return KS_ERROR;
	}
	return ks_reply(req, 200, json_pack("{s:o}", "items", items));
}

static int
my_invoice_pdf(struct ks_request *req)
{
	struct invoice inv;

	memset(&inv, 0, sizeof(inv));
	if (as_canton(req) != KS_OK || run_param(req, &inv.run) != KS_OK)
		goto fail;
	/* Not issued yet: it does not exist for the social service. */
	if (ks_db_isnull(inv.run.r, 0, "issued_at")) {
		ks_fail(req, 404, "not_found", "no such invoice");
		goto fail;
	}
	if (invoice_of(req, &inv, req->who.tenant_id) != KS_OK ||
	    ks_db_set_tenant(req, req->who.tenant_id) != KS_OK ||
	    ks_audit(req, "invoice_downloaded", "billing_run", ks_db_str(
	    inv.run.r, 0, "id"), NULL, NULL, NULL) != KS_OK)
		goto fail;
	return invoice_render(req, &inv);
fail:
	invoice_free(&inv);
	return KS_ERROR;
}

/* ----------------------------------------------------------------- CSV */

/*
 * Semicolon-separated UTF-8 with a byte order mark, as the canton's
 * spreadsheet expects. Text is quoted; a leading = + - @ is defused so a
 * name cannot become a formula.
 */
struct csv {
	struct ks_buf	 b;
};

static void
put(struct csv *c, const char *s, size_t n)
{
	ks_buf_put(&c->b, s, n);
}

static void
line(struct csv *c, const char *s)
{
	put(c, s, strlen(s));
}

static void
text(struct csv *c, const char *s, int last)
{
	put(c, "\"", 1);
	if (s && s[0] != '\0' && strchr("=+-@", s[0]))
		put(c, "'", 1);
	for (; s && *s; s++)
		put(c, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
	put(c, last ? "\"\r\n" : "\";", last ? 3 : 2);
}

static void
number(struct csv *c, long long v, int last)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%lld%s", v, last ? "\r\n" : ";");

	put(c, b, (size_t)n);
}

static void
rappen(struct csv *c, long long v, int last)
{
	char m[KS_SWISS_MAX], b[KS_SWISS_MAX + 2];
	int n = snprintf(b, sizeof(b), "%s%s", ks_money(m, v, "", '\0'),
	    last ? "\r\n" : ";");

	put(c, b, (size_t)n);
}

static int
csv_reply(struct ks_request *req, struct csv *c, const char *name)
{
	req->raw = ks_arena_alloc(req->arena, c->b.len + 1);
	memcpy(req->raw, c->b.p, c->b.len);
	req->raw_len = c->b.len;
	free(c->b.p);
	req->ctype = "text/csv; charset=utf-8";
	ks_header(req, "Content-Disposition", ks_arena_printf(req->arena,
	    "attachment; filename=\"%s\"", name));
	req->status = 200;
	return KS_OK;
}

static const char *
party_name(struct run *run, json_t *s)
{
	json_t *t;

	if (json_string_value(json_object_get(s, "name")))
		return json_string_value(json_object_get(s, "name"));
	t = tenant_of(run, json_integer_value(json_object_get(s,
	    "tenant_id")));
	return t ? json_string_value(json_object_get(t, "name")) : "";
}

static int
allocation_csv(struct ks_request *req)
{
	struct csv c = { { NULL, 0, 0 } };
	struct run run;
	json_t *s, *b, *t;
	const char *code;
	size_t i;

	if (run_param(req, &run) != KS_OK) {
		run_free(&run);
		return KS_ERROR;
	}
	code = ks_db_str(run.r, 0, "code");
	put(&c, "\xEF\xBB\xBF", 3);
	line(&c, "period;run;phase;party;tenant_id;tenant;bfs;name;basis;"
	    "basis_value;basis_of;amount_chf;amount_rappen;pack;pack_version;"
	    "pack_sha256;explain_de;explain_fr\r\n");
	json_array_foreach(json_object_get(run.out, "shares"), i, s) {
		b = json_object_get(s, "basis");
		t = tenant_of(&run, json_integer_value(json_object_get(s,
		    "tenant_id")));
		text(&c, code, 0);
		number(&c, ks_db_getll(run.r, 0, "id"), 0);
		text(&c, json_string_value(json_object_get(s, "phase")), 0);
		text(&c, json_string_value(json_object_get(s, "party")), 0);
		if (t)
			number(&c, json_integer_value(json_object_get(t, "id")),
			    0);
		else
			put(&c, ";", 1);
		text(&c, t ? json_string_value(json_object_get(t, "name")) :
		    "", 0);
		if (json_object_get(s, "bfs"))
			number(&c, json_integer_value(json_object_get(s, "bfs")),
			    0);
		else
			put(&c, ";", 1);
		text(&c, party_name(&run, s), 0);
		text(&c, json_string_value(json_object_get(b, "figure")), 0);
		number(&c, json_integer_value(json_object_get(b, "value")), 0);
		number(&c, json_integer_value(json_object_get(b, "of")), 0);
		rappen(&c, json_integer_value(json_object_get(s, "amount")), 0);
		number(&c, json_integer_value(json_object_get(s, "amount")), 0);
		text(&c, json_string_value(json_object_get(run.pack, "name")),
		    0);
		text(&c, json_string_value(json_object_get(run.pack,
		    "version")), 0);
		text(&c, json_string_value(json_object_get(run.pack, "sha256")),
		    0);
		text(&c, json_string_value(json_object_get(json_object_get(s,
		    "explain"), "de")), 0);
		text(&c, json_string_value(json_object_get(json_object_get(s,
		    "explain"), "fr")), 1);
	}
	run_free(&run);
	return csv_reply(req, &c, ks_arena_printf(req->arena,
	    "kasus-allocation-%s-%s.csv", code, ks_db_str(run.r, 0, "id")));
}

static int
burden_csv(struct ks_request *req)
{
	struct csv c = { { NULL, 0, 0 } };
	json_t *res, *r, *pk;
	const char *code;
	size_t i;

	if (ks_bill_burden(req, &res) != KS_OK)
		return KS_ERROR;
	code = json_string_value(json_object_get(json_object_get(res,
	    "period"), "code"));
	pk = json_object_get(res, "pack");
	put(&c, "\xEF\xBB\xBF", 3);
	line(&c, "period;bfs;municipality;tenant;population;costs_chf;"
	    "share_chf;balance_chf;pack;pack_version;explain_de;explain_fr\r\n");
	json_array_foreach(json_object_get(res, "rows"), i, r) {
		text(&c, code, 0);
		number(&c, json_integer_value(json_object_get(r, "bfs")), 0);
		text(&c, json_string_value(json_object_get(r, "name")), 0);
		text(&c, json_string_value(json_object_get(r, "tenant_name")),
		    0);
		number(&c, json_integer_value(json_object_get(r, "population")),
		    0);
		rappen(&c, json_integer_value(json_object_get(r, "costs")), 0);
		rappen(&c, json_integer_value(json_object_get(r, "share")), 0);
		rappen(&c, json_integer_value(json_object_get(r, "balance")), 0);
		text(&c, json_string_value(json_object_get(pk, "name")), 0);
		text(&c, json_string_value(json_object_get(pk, "version")), 0);
		text(&c, json_string_value(json_object_get(json_object_get(r,
		    "explain"), "de")), 0);
		text(&c, json_string_value(json_object_get(json_object_get(r,
		    "explain"), "fr")), 1);
	}
	text(&c, code, 0);
	put(&c, ";", 1);
	text(&c, "canton", 0);
	put(&c, ";;;", 3);
	rappen(&c, json_integer_value(json_object_get(res, "canton")), 0);
	put(&c, ";", 1);
	text(&c, json_string_value(json_object_get(pk, "name")), 0);
	text(&c, json_string_value(json_object_get(pk, "version")), 0);
	put(&c, ";\r\n", 3);
	code = ks_arena_printf(req->arena, "kasus-burden-sharing-%s.csv",
	    code);
	json_decref(res);
	return csv_reply(req, &c, code);
}

#define B	"/api/v1/billing"
#define P	"canton.billing"

static const struct ks_route routes[] = {
	{ "GET", B "/runs/{id}", P, 0, NULL, 0, run_show,
	    "an allocation run with its shares and invoices", NULL },
	{ "GET", B "/runs/{id}/allocation.csv", P, 0, NULL,
	    KS_R_RAW | KS_R_LONG,
	    allocation_csv, "the run's shares as CSV", NULL },
	{ "GET", B "/runs/{id}/invoices/{tenant}", P, 0, NULL, 0,
	    invoice_show, "a social service's invoice with its QR-bill "
	    "payload", NULL },
	{ "GET", B "/runs/{id}/invoices/{tenant}/pdf", P, 0, NULL,
	    KS_R_RAW | KS_R_LONG,
	    invoice_pdf, "the invoice as PDF with the QR-bill payment part",
	    NULL },
	{ "GET", B "/periods/{id}/burden-sharing.csv", P, 0, NULL,
	    KS_R_RAW | KS_R_LONG,
	    burden_csv, "the burden-sharing report as CSV", NULL },
	{ "POST", B "/runs/{id}/issue", P, 0, NULL, 0, run_issue,
	    "issue the run: its invoices reach the social services", NULL },
	{ "GET", "/api/v1/invoices", "invoice.read", 0, NULL, 0, my_invoices,
	    "the invoices the canton issued to the own social service, "
	    "newest first", NULL },
	{ "GET", "/api/v1/invoices/{id}/pdf", "invoice.read", 0, NULL,
	    KS_R_RAW | KS_R_LONG, my_invoice_pdf,
	    "an issued invoice to the own social "
	    "service as PDF (id: the run)", NULL },
	KS_ROUTES_END
};

void
ks_invoice_register(void)
{
	ks_router_add(routes, NULL);
}
