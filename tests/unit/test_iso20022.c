/*
 * test_iso20022.c - identifiers against every row of the shared
 * reference CSVs, pain.001 runs validated against the SIX ch.03 schema,
 * the reference samples against their schemas, and camt.054 parsing of
 * real bank samples, a constructed notification and broken input.
 *
 * The reference data lives in ../shared/refdata relative to the repo
 * root (the tests run from the root). When it is missing the tests fail
 * and say so; they never skip.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "kasus/iso20022.h"
#include "ks_test.h"

#define REFDATA		"../shared/refdata/"
#define PAIN_XSD	REFDATA "pain001/pain.001.001.09.ch.03.xsd"
#define PAIN_GENERIC	REFDATA "pain001/pain.001.001.09.generic.xsd"
#define CAMT054_XSD	REFDATA "camt/camt.054.001.08.xsd"
#define CAMT053_XSD	REFDATA "camt/camt.053.001.08.xsd"
#define CAMT_A		REFDATA "camt/samples/200519_camt.054_P_" \
			"CH2909000000250094239_1111091335_0_" \
			"2020061900081727_v2019.xml"
#define CAMT_B		REFDATA "camt/samples/camt.054_P_" \
			"CH2909000000250094239_1111111112_0_" \
			"2022031011011199_v2019.xml"
#define CAMT053		REFDATA "camt/samples/genkgo_camt053.v8_generic.xml"
#define PAIN_NS		"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

/*
 * Split one CSV line (RFC 4180 quoting) into at most max fields, in
 * place. Returns the number of fields.
 */
static int
csv_split(char *line, char **f, int max)
{
	char *r = line, *w = line;
	int n = 0, q;

	while (n < max) {
		f[n++] = w;
		q = *r == '"';
		if (q)
			r++;
		for (; *r != '\0'; r++) {
			if (q && *r == '"' && r[1] == '"')
				*w++ = *r++;
			else if (q && *r == '"')
				q = 0;
			else if (!q && *r == ',')
				break;
			else
				*w++ = *r;
		}
		if (*r == '\0') {
			*w = '\0';
			break;
		}
		*w++ = '\0';
		r++;
	}
	return n;
}

/*
 * Call fn for every data row of a CSV in the reference data. Returns the
 * number of rows.
 */
static int
csv_rows(const char *path, void (*fn)(char **, int))
{
	char *buf, *line, *save = NULL, *f[8];
	int rows = 0, first = 1, n;

	if ((buf = ks_slurp(path, NULL)) == NULL)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		if (first || *line == '\0') {
			first = 0;
			continue;
		}
		n = csv_split(line, f, 8);
		fn(f, n);
		rows++;
	}
	free(buf);
	return rows;
}

/* string(expr) of a document, namespace prefix p (pain) or c (camt). */
static char *
xpath(const char *xml, size_t len, const char *ns, const char *expr)
{
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr o;
	char *r = NULL;

	doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
	if (doc == NULL)
		return strdup("(unparsable)");
	ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, (const xmlChar *)"p", (const xmlChar *)ns);
	o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	if (o != NULL && o->type == XPATH_STRING)
		r = strdup((const char *)o->stringval);
	else if (o != NULL && o->type == XPATH_NUMBER)
		r = strdup(o->floatval == (double)(long)o->floatval ?
		    "(number)" : "(fraction)");
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return r != NULL ? r : strdup("(none)");
}

#define CHECK_XPATH(xml, len, expr, want) do {				\
	char *x_ = xpath((xml), (len), PAIN_NS, (expr));		\
	KS_CHECK_STR(x_, (want));					\
	free(x_);							\
} while (0)

/* ------------------------------------------------------------------ */
/* Reference data                                                       */
/* ------------------------------------------------------------------ */

KS_TEST(refdata_present)
{
	static const char *files[] = {
		REFDATA "identifiers/swiss_ibans.csv",
		REFDATA "identifiers/payment_references.csv",
		REFDATA "identifiers/ahv_numbers.csv",
		PAIN_XSD, PAIN_GENERIC, CAMT054_XSD, CAMT053_XSD,
		CAMT_A, CAMT_B, CAMT053,
	};
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((f = fopen(files[i], "r")) == NULL)
			KS_FAILF("reference data missing: %s (the tests run "
			    "from the repo root and need shared/refdata "
			    "beside the repo)", files[i]);
		else
			fclose(f);
	}
}

/* ------------------------------------------------------------------ */
/* Identifiers                                                          */
/* ------------------------------------------------------------------ */

static int
truth(const char *s)
{
	return strcmp(s, "True") == 0;
}

static void
iban_row(char **f, int n)
{
	char norm[KS_IBAN_BUFLEN];
	int want, got;

	if (n < 3) {
		KS_FAILF("short row in swiss_ibans.csv");
		return;
	}
	want = truth(f[1]);
	got = ks_iban_valid(f[0], norm, sizeof(norm));
	if (got != want) {
		KS_FAILF("iban %s: valid %d, expected %d", f[0], got, want);
		return;
	}
	if (want && ks_iban_is_qr(norm) != truth(f[2]))
		KS_FAILF("iban %s: qr %d, expected %s", f[0],
		    ks_iban_is_qr(norm), f[2]);
	if (want && strchr(norm, ' ') != NULL)
		KS_FAILF("iban %s: normalised form keeps spaces", f[0]);
}

KS_TEST(iban_reference_rows)
{
	KS_CHECK_INT(csv_rows(REFDATA "identifiers/swiss_ibans.csv",
	    iban_row), 19);
}

KS_TEST(iban_more)
{
	char norm[KS_IBAN_BUFLEN], tiny[10];

	KS_CHECK_INT(ks_iban_valid("ch93 0076 2011 6238 5295 7", norm,
	    sizeof(norm)), 1);
	KS_CHECK_STR(norm, "CH9300762011623852957");
	KS_CHECK_INT(ks_iban_valid("DE89370400440532013000", NULL, 0), 1);
	KS_CHECK_INT(ks_iban_valid("GB82WEST12345698765432", NULL, 0), 1);
	KS_CHECK_INT(ks_iban_valid("FR1420041010050500013M02606", NULL, 0),
	    1);
	KS_CHECK_INT(ks_iban_valid("AT611904300234573201", NULL, 0), 1);
	/* Right checksum, wrong length for DE. */
	KS_CHECK_INT(ks_iban_valid("DE8937040044053201300", NULL, 0), 0);
	/* Unknown country, punctuation, empty, NULL. */
	KS_CHECK_INT(ks_iban_valid("XX82WEST12345698765432", NULL, 0), 0);
	KS_CHECK_INT(ks_iban_valid("CH93-0076-2011-6238-5295-7", NULL, 0), 0);
	KS_CHECK_INT(ks_iban_valid("", NULL, 0), 0);
	KS_CHECK_INT(ks_iban_valid(NULL, NULL, 0), 0);
	/* CH with a letter in the institution id. */
	KS_CHECK_INT(ks_iban_valid("CH38A0762011623852957", NULL, 0), 0);
	/* Valid but the buffer is too small: -1, nothing overflowed. */
	KS_CHECK_INT(ks_iban_valid("CH9300762011623852957", tiny,
	    sizeof(tiny)), -1);
	KS_CHECK_INT(ks_iban_is_qr("CH4431999123000889012"), 1);
	KS_CHECK_INT(ks_iban_is_qr("CH4430000123000889012"), 1);
	KS_CHECK_INT(ks_iban_is_qr("CH4432000123000889012"), 0);
	KS_CHECK_INT(ks_iban_is_qr("DE89370400440532013000"), 0);
	KS_CHECK_INT(ks_iban_is_qr(NULL), 0);
}

static void
ref_row(char **f, int n)
{
	int got;

	if (n < 3) {
		KS_FAILF("short row in payment_references.csv");
		return;
	}
	if (strcmp(f[1], "QRR") == 0)
		got = ks_qrref_valid(f[0]);
	else if (strcmp(f[1], "SCOR") == 0)
		got = ks_scor_valid(f[0]);
	else {
		KS_FAILF("unknown reference type %s", f[1]);
		return;
	}
	if (got != truth(f[2]))
		KS_FAILF("%s %s: valid %d, expected %s", f[1], f[0], got, f[2]);
}

KS_TEST(references_reference_rows)
{
	KS_CHECK_INT(csv_rows(REFDATA "identifiers/payment_references.csv",
	    ref_row), 11);
}

KS_TEST(references_more)
{
	KS_CHECK_INT(ks_scor_valid("RF18 5390 0754 7034"), 1);
	KS_CHECK_INT(ks_scor_valid("rf18539007547034"), 1);
	KS_CHECK_INT(ks_scor_valid("RF19539007547034"), 0);
	/* 22 characters after RFkk: longer than ISO 11649 allows. */
	KS_CHECK_INT(ks_scor_valid("RF001234567890123456789012"), 0);
	KS_CHECK_INT(ks_scor_valid(NULL), 0);
	KS_CHECK_INT(ks_qrref_valid("21000000000313947143000901a"), 0);
	KS_CHECK_INT(ks_qrref_valid("2100000000031394714300090170"), 0);
	KS_CHECK_INT(ks_qrref_valid(NULL), 0);
}

static void
ahv_row(char **f, int n)
{
	char norm[KS_AHV_BUFLEN];
	int got;

	if (n < 2) {
		KS_FAILF("short row in ahv_numbers.csv");
		return;
	}
	got = ks_ahv_valid(f[0], norm, sizeof(norm));
	if (got != truth(f[1])) {
		KS_FAILF("ahv %s: valid %d, expected %s", f[0], got, f[1]);
		return;
	}
	if (got == 1 && (strlen(norm) != 13 || strchr(norm, '.') != NULL))
		KS_FAILF("ahv %s: normalised to %s", f[0], norm);
}

KS_TEST(ahv_reference_rows)
{
	char norm[KS_AHV_BUFLEN], tiny[5];

	KS_CHECK_INT(csv_rows(REFDATA "identifiers/ahv_numbers.csv", ahv_row),
	    14);
	KS_CHECK_INT(ks_ahv_valid("756.9217.0769.85", norm, sizeof(norm)), 1);
	KS_CHECK_STR(norm, "7569217076985");
	KS_CHECK_INT(ks_ahv_valid("7569217076985", tiny, sizeof(tiny)), -1);
	KS_CHECK_INT(ks_ahv_valid("756 9217 0769 85", NULL, 0), 0);
	KS_CHECK_INT(ks_ahv_valid(NULL, NULL, 0), 0);
}

/* ------------------------------------------------------------------ */
/* pain.001                                                             */
/* ------------------------------------------------------------------ */

/* Loaded once, released by the last test. */
static struct ks_iso_schema *pain_xsd;

static struct ks_iso_schema *
pain_schema(void)
{
	char err[256];

	if (pain_xsd == NULL && (pain_xsd = ks_iso_schema_load(PAIN_XSD, err,
	    sizeof(err))) == NULL)
		KS_FAILF("cannot load %s: %s", PAIN_XSD, err);
	return pain_xsd;
}

static void
base_run(struct ks_iso_run *r, struct ks_iso_payment *p, size_t n)
{
	static const struct ks_iso_addr daddr = {
		"Schermenweg", "5", "3014", "Bern", "CH"
	};

	memset(r, 0, sizeof(*r));
	r->msg_id = "KASUS-RUN-2026-11-0001";
	r->created = "2026-11-22T09:30:00";
	r->exec_date = "2026-11-25";
	r->debtor.name = "Sozialdienst Bern";
	r->debtor.iban = "CH93 0076 2011 6238 5295 7";
	r->debtor.addr = daddr;
	r->payments = p;
	r->npayments = n;
}

static void
base_payment(struct ks_iso_payment *p, const char *e2e, int64_t amount)
{
	static const struct ks_iso_addr caddr = {
		"Bahnhofstrasse", "12", "3011", "Bern", "CH"
	};

	memset(p, 0, sizeof(*p));
	p->end_to_end_id = e2e;
	p->amount = amount;
	p->currency = "CHF";
	p->creditor_name = "Vermieterin Muster AG";
	p->creditor_addr = caddr;
	p->creditor_iban = "CH5800791123000889012";
	p->ustrd = "Miete Dezember 2026";
}

/*
 * Written with the ch.03 XSD checking it as it is written: passes, and
 * is the same file as ks_iso_pain001_write's (same).
 */
static void
write_checked(const struct ks_iso_run *r, const char *same, size_t len)
{
	struct ks_iso_schema *s;
	struct ks_iso_check *ck;
	char *xml, err[512];
	size_t n;

	if ((s = pain_schema()) == NULL)
		return;
	if (ks_iso_pain001_write_checked(r, s, NULL, &xml, &n, &ck, err,
	    sizeof(err)) != 0) {
		KS_FAILF("checked write refused: %s", err);
		return;
	}
	if (ks_iso_check_wait(ck, err, sizeof(err)) != 0)
		KS_FAILF("fails ch.03 xsd as it is written: %s", err);
	if (n != len || memcmp(xml, same, len) != 0)
		KS_FAILF("checked write is not the same file");
	free(xml);
}

/* Write, validate against the ch.03 XSD, and write again identically,
   also with the schema checking it as it is written. */
static char *
write_valid(const struct ks_iso_run *r, size_t *len)
{
	char *xml = NULL, *again = NULL, err[512];
	size_t len2 = 0;
	struct ks_iso_schema *s;

	if (ks_iso_pain001_write(r, &xml, len, err, sizeof(err)) != 0) {
		KS_FAILF("write refused: %s", err);
		return NULL;
	}
	if ((s = pain_schema()) != NULL &&
	    ks_iso_schema_validate(s, xml, *len, err, sizeof(err)) != 0)
		KS_FAILF("generated file fails ch.03 xsd: %s\n%s", err, xml);
	if (ks_iso_pain001_write(r, &again, &len2, err, sizeof(err)) != 0 ||
	    len2 != *len || memcmp(xml, again, *len) != 0)
		KS_FAILF("second write is not byte-identical");
	free(again);
	write_checked(r, xml, *len);
	return xml;
}

/*
 * The SPSText pattern's three Latin blocks are checked as one range
 * (ks_iso_schema_load): the same characters pass and fail as with the
 * block names, at each edge of the blocks and of \p{C}.
 */
KS_TEST(pain_schema_latin_range)
{
	static const struct { const char *ch; int ok; } c[] = {
		{ " ", 1 }, { "~", 1 }, { "\x7f", 0 }, { "\xc2\x80", 0 },
		{ "\xc2\x9f", 0 }, { "\xc2\xa0", 1 }, { "\xc2\xad", 0 },
		{ "\xc3\xbf", 1 }, { "\xc4\x80", 1 }, { "\xc5\xbf", 1 },
		{ "\xc6\x80", 0 }, { "\xc8\x98", 1 }, { "\xc8\x9b", 1 },
		{ "\xc8\x9c", 0 }, { "\xe2\x82\xac", 1 },
		{ "\xe2\x98\x85", 0 },
	};
	struct ks_iso_run r;
	struct ks_iso_payment p;
	struct ks_iso_schema *s = pain_schema();
	char *xml, *doc, *at, err[512];
	size_t len, i, n;

	if (s == NULL)
		return;
	base_payment(&p, "E2E-LATIN-1", 1000);
	base_run(&r, &p, 1);
	if ((xml = write_valid(&r, &len)) == NULL)
		return;
	KS_CHECK((at = strstr(xml, "Vermieterin")) != NULL);
	if (at == NULL) {
		free(xml);
		return;
	}
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = strlen(c[i].ch);
		doc = malloc(len + n);
		memcpy(doc, xml, (size_t)(at - xml) + 4);
		memcpy(doc + (at - xml) + 4, c[i].ch, n);
		memcpy(doc + (at - xml) + 4 + n, at + 4,
		    len - (size_t)(at - xml) - 4);
		if ((ks_iso_schema_validate(s, doc, len + n, err,
		    sizeof(err)) == 0) != c[i].ok)
			KS_FAILF("character %zu (%s) %s", i, c[i].ch,
			    c[i].ok ? "refused" : "accepted");
		free(doc);
	}
	free(xml);
}

KS_TEST(pain_samples_against_schemas)
{
	static const char *ok[] = {
		REFDATA "pain001/samples/"
		    "iso20022tester_20260328_233355_TC-IBAN-MAX_b538f96c.xml",
		REFDATA "pain001/samples/"
		    "iso20022tester_20260328_233355_TC-QR-001_edcd465e.xml",
		REFDATA "pain001/samples/"
		    "iso20022tester_cgi_mp_argentina_baseline_EUR.xml",
	};
	const char *neg = REFDATA "pain001/samples/negative/"
	    "iso20022tester_cgi_mp_violates_sps_xsd.xml";
	const char *eur = REFDATA "pain001/samples/"
	    "pain001-lib_pain.001.001.09_EUR.xml";
	struct ks_iso_schema *s = pain_schema();
	char err[512], *xml;
	size_t i, len;

	if (s == NULL)
		return;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if ((xml = ks_slurp(ok[i], &len)) == NULL)
			continue;
		if (ks_iso_schema_validate(s, xml, len, err, sizeof(err)) != 0)
			KS_FAILF("%s: %s", ok[i], err);
		free(xml);
	}
	/* U+2605 in Cdtr/Nm on line 64 breaks the SPSText pattern. */
	if ((xml = ks_slurp(neg, &len)) != NULL) {
		KS_CHECK_INT(ks_iso_schema_validate(s, xml, len, err,
		    sizeof(err)), -1);
		KS_CHECK(strncmp(err, "line 64: ", 9) == 0);
		KS_CHECK(strstr(err, "pattern") != NULL);
		/* The offending value is not repeated in the message. */
		KS_CHECK(strstr(err, "Compania") == NULL);
		KS_CHECK_INT(ks_iso_validate(xml, len, PAIN_GENERIC, err,
		    sizeof(err)), 0);
		free(xml);
	}
	/* The generic EUR sample breaks SIX restrictions, not ISO's. */
	if ((xml = ks_slurp(eur, &len)) != NULL) {
		KS_CHECK_INT(ks_iso_schema_validate(s, xml, len, err,
		    sizeof(err)), -1);
		KS_CHECK(strncmp(err, "line ", 5) == 0);
		KS_CHECK_INT(ks_iso_validate(xml, len, PAIN_GENERIC, err,
		    sizeof(err)), 0);
		free(xml);
	}
}

KS_TEST(validate_errors)
{
	char err[256], *xml, *at;
	size_t len;
	/* Broken before anything the schema could object to (a stream
	 * reports the first problem in document order). */
	const char *bad = "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:"
	    "pain.001.001.09\"></Documen>";

	KS_CHECK_INT(ks_iso_validate("<a/>", 4, REFDATA "no/such.xsd", err,
	    sizeof(err)), -1);
	KS_CHECK(strstr(err, "cannot read schema") != NULL);
	KS_CHECK_INT(ks_iso_validate(bad, strlen(bad), PAIN_XSD, err,
	    sizeof(err)), -1);
	if (strncmp(err, "malformed xml: line 1: ", 23) != 0)
		KS_FAILF("malformed: %s", err);
	KS_CHECK_INT(ks_iso_validate("<a/>", 4, PAIN_XSD, err, sizeof(err)),
	    -1);
	KS_CHECK(strncmp(err, "line 1: ", 8) == 0);
	KS_CHECK_INT(ks_iso_validate("", 0, PAIN_XSD, err, sizeof(err)), -1);
	/* A document is not a schema. */
	KS_CHECK(ks_iso_schema_load(CAMT_A, err, sizeof(err)) == NULL);
	/* Values in messages are cut out, however short. */
	if ((xml = ks_slurp(REFDATA "pain001/samples/"
	    "iso20022tester_20260328_233355_TC-QR-001_edcd465e.xml",
	    &len)) != NULL) {
		if ((at = strstr(xml, "<NbOfTxs>1<")) != NULL)
			at[9] = 'x';
		KS_CHECK_INT(ks_iso_validate(xml, len, PAIN_XSD, err,
		    sizeof(err)), -1);
		KS_CHECK_STR(err, "line 7: Element 'NbOfTxs': [facet "
		    "'pattern'] The value '' is not accepted by the pattern "
		    "'[0-9]{1,15}'.");
		if ((at = strstr(xml, "<IBAN>CH56")) != NULL)
			memcpy(at + 6, "ch", 2);
		if ((at = strstr(xml, "<NbOfTxs>x<")) != NULL)
			at[9] = '1';
		KS_CHECK_INT(ks_iso_validate(xml, len, PAIN_XSD, err,
		    sizeof(err)), -1);
		KS_CHECK(strstr(err, "04835012345678009") == NULL);
		KS_CHECK(strstr(err, "'...'") != NULL);
		free(xml);
	}
	/* Tiny and absent message buffers are fine. */
	KS_CHECK_INT(ks_iso_validate(bad, strlen(bad), PAIN_XSD, err, 4),
	    -1);
	KS_CHECK_INT(strlen(err), 3);
	KS_CHECK_INT(ks_iso_validate(bad, strlen(bad), PAIN_XSD, NULL, 0),
	    -1);
}

KS_TEST(pain_one_payment)
{
	struct ks_iso_run r;
	struct ks_iso_payment p;
	char *xml;
	size_t len;

	base_payment(&p, "KS-E2E-0001", 123450);
	p.instr_id = "KS-I-0001";
	p.purpose = "SSBE";
	base_run(&r, &p, 1);
	if ((xml = write_valid(&r, &len)) == NULL)
		return;
	CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:NbOfTxs)", "1");
	CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:CtrlSum)", "1234.50");
	CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:CreDtTm)",
	    "2026-11-22T09:30:00");
	CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:InitgPty/p:Nm)",
	    "Sozialdienst Bern");
	CHECK_XPATH(xml, len, "string(//p:PmtInf/p:PmtInfId)",
	    "KASUS-RUN-2026-11-0001-1");
	CHECK_XPATH(xml, len, "string(//p:PmtInf/p:ReqdExctnDt/p:Dt)",
	    "2026-11-25");
	CHECK_XPATH(xml, len, "string(//p:DbtrAcct/p:Id/p:IBAN)",
	    "CH9300762011623852957");
	CHECK_XPATH(xml, len, "string(//p:InstdAmt)", "1234.50");
	CHECK_XPATH(xml, len, "string(//p:InstdAmt/@Ccy)", "CHF");
	CHECK_XPATH(xml, len, "string(//p:PmtId/p:InstrId)", "KS-I-0001");
	CHECK_XPATH(xml, len, "string(//p:PmtId/p:EndToEndId)",
	    "KS-E2E-0001");
	CHECK_XPATH(xml, len, "string(//p:Cdtr/p:PstlAdr/p:TwnNm)", "Bern");
	CHECK_XPATH(xml, len, "string(//p:Cdtr/p:PstlAdr/p:BldgNb)", "12");
	CHECK_XPATH(xml, len, "string(//p:Purp/p:Cd)", "SSBE");
	CHECK_XPATH(xml, len, "string(//p:RmtInf/p:Ustrd)",
	    "Miete Dezember 2026");
	/* Domestic: no payment type information at all. */
	CHECK_XPATH(xml, len, "string(count(//p:PmtTpInf))", "0");
	free(xml);
}

KS_TEST(pain_two_dates_three_payments)
{
	struct ks_iso_run r;
	struct ks_iso_payment p[3];
	char *xml;
	size_t len;

	base_payment(&p[0], "KS-A", 100000);
	base_payment(&p[1], "KS-B", 5);
	p[1].exec_date = "2026-11-24";
	base_payment(&p[2], "KS-C", 99999);
	base_run(&r, p, 3);
	if ((xml = write_valid(&r, &len)) == NULL)
		return;
	CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:NbOfTxs)", "3");
	CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:CtrlSum)", "2000.04");
	CHECK_XPATH(xml, len, "string(count(//p:PmtInf))", "2");
	/* Earlier date first; inside a group the run's order. */
	CHECK_XPATH(xml, len, "string(//p:PmtInf[1]/p:ReqdExctnDt/p:Dt)",
	    "2026-11-24");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[1]/p:NbOfTxs)", "1");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[1]/p:CtrlSum)", "0.05");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[1]/p:PmtInfId)",
	    "KASUS-RUN-2026-11-0001-1");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[2]/p:ReqdExctnDt/p:Dt)",
	    "2026-11-25");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[2]/p:NbOfTxs)", "2");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[2]/p:CtrlSum)", "1999.99");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[2]/p:PmtInfId)",
	    "KASUS-RUN-2026-11-0001-2");
	CHECK_XPATH(xml, len,
	    "string(//p:PmtInf[2]/p:CdtTrfTxInf[1]//p:EndToEndId)", "KS-A");
	CHECK_XPATH(xml, len,
	    "string(//p:PmtInf[2]/p:CdtTrfTxInf[2]//p:EndToEndId)", "KS-C");
	CHECK_XPATH(xml, len,
	    "string(//p:PmtInf[2]/p:CdtTrfTxInf[2]//p:InstdAmt)", "999.99");
	free(xml);
}

KS_TEST(pain_qr_payment)
{
	struct ks_iso_run r;
	struct ks_iso_payment p[2];
	char *xml;
	size_t len;

	base_payment(&p[0], "KS-QR-1", 3200);
	p[0].creditor_iban = "CH44 3199 9123 0008 8901 2";
	p[0].qr_ref = "21 00000 00003 13947 14300 09017";
	p[0].ustrd = NULL;
	/* A plain IBAN payment on the same day shares the B-level. */
	base_payment(&p[1], "KS-IBAN-1", 100);
	base_run(&r, p, 2);
	if ((xml = write_valid(&r, &len)) == NULL)
		return;
	CHECK_XPATH(xml, len, "string(count(//p:PmtInf))", "1");
	CHECK_XPATH(xml, len, "string(//p:CdtTrfTxInf[1]//p:CdtrAcct//p:IBAN)",
	    "CH4431999123000889012");
	CHECK_XPATH(xml, len, "string(//p:CdtrRefInf/p:Tp/p:CdOrPrtry/p:Prtry)",
	    "QRR");
	CHECK_XPATH(xml, len, "string(//p:CdtrRefInf/p:Ref)",
	    "210000000003139471430009017");
	CHECK_XPATH(xml, len, "string(count(//p:Ustrd))", "1");
	CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:CtrlSum)", "33.00");
	free(xml);
	/* Text with a QR reference goes to AddtlRmtInf. */
	p[0].ustrd = "Rechnung 4711";
	if ((xml = write_valid(&r, &len)) == NULL)
		return;
	CHECK_XPATH(xml, len, "string(//p:Strd/p:AddtlRmtInf)",
	    "Rechnung 4711");
	free(xml);
}

KS_TEST(pain_scor_payment)
{
	struct ks_iso_run r;
	struct ks_iso_payment p;
	char *xml;
	size_t len;

	base_payment(&p, "KS-SCOR-1", 25000);
	p.scor_ref = "RF18 5390 0754 7034";
	p.ustrd = NULL;
	base_run(&r, &p, 1);
	if ((xml = write_valid(&r, &len)) == NULL)
		return;
	CHECK_XPATH(xml, len, "string(//p:CdtrRefInf/p:Tp/p:CdOrPrtry/p:Cd)",
	    "SCOR");
	CHECK_XPATH(xml, len, "string(//p:CdtrRefInf/p:Ref)",
	    "RF18539007547034");
	CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:CtrlSum)", "250.00");
	free(xml);
}

KS_TEST(pain_eur_payments)
{
	static const struct ks_iso_addr de = {
		"Unter den Linden", "1", "10117", "Berlin", "DE"
	};
	struct ks_iso_run r;
	struct ks_iso_payment p[4];
	char *xml, err[256];
	size_t len;

	/* SEPA: EUR to Germany. */
	base_payment(&p[0], "KS-EUR-1", 150075);
	p[0].currency = "EUR";
	p[0].creditor_iban = "DE89370400440532013000";
	p[0].creditor_addr = de;
	/* Domestic EUR: EUR to a Swiss account. */
	base_payment(&p[1], "KS-EUR-2", 1);
	p[1].currency = "EUR";
	/* CHF on the same day: a group of its own. */
	base_payment(&p[2], "KS-CHF-1", 7);
	/* Foreign: CHF to Germany, with the creditor's BIC. */
	base_payment(&p[3], "KS-X-1", 10000);
	p[3].creditor_iban = "DE89370400440532013000";
	p[3].creditor_bic = "COBADEFFXXX";
	p[3].creditor_addr = de;
	base_run(&r, p, 4);
	r.debtor.bic = "UBSWCHZH80A";
	if ((xml = write_valid(&r, &len)) == NULL)
		return;
	CHECK_XPATH(xml, len, "string(count(//p:PmtInf))", "4");
	CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:CtrlSum)", "1600.83");
	/* Order: domestic CHF, domestic EUR, SEPA, foreign. */
	CHECK_XPATH(xml, len, "string(//p:PmtInf[1]//p:InstdAmt/@Ccy)", "CHF");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[2]//p:InstdAmt/@Ccy)", "EUR");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[2]/p:CtrlSum)", "0.01");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[3]/p:PmtTpInf/p:SvcLvl/p:Cd)",
	    "SEPA");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[3]/p:ChrgBr)", "SLEV");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[3]//p:InstdAmt)", "1500.75");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[4]//p:CdtrAgt//p:BICFI)",
	    "COBADEFFXXX");
	CHECK_XPATH(xml, len, "string(//p:PmtInf[1]/p:DbtrAgt//p:BICFI)",
	    "UBSWCHZH80A");
	free(xml);
	/* Without the BIC the foreign payment is refused. */
	p[3].creditor_bic = NULL;
	KS_CHECK_INT(ks_iso_pain001_write(&r, &xml, &len, err, sizeof(err)),
	    -1);
	KS_CHECK_STR(err, "payment 4: payment abroad outside sepa requires "
	    "the creditor bic");
}

KS_TEST(pain_ctrlsum_exact)
{
	struct ks_iso_run r;
	struct ks_iso_payment *p;
	char *xml, (*ids)[16], err[256];
	size_t i, len, n = 1003;

	p = calloc(n, sizeof(*p));
	ids = calloc(n, sizeof(*ids));
	/* 1000 x 0.10 would drift in binary floating point. */
	for (i = 0; i < n; i++) {
		snprintf(ids[i], sizeof(ids[i]), "KS-%zu", i);
		base_payment(&p[i], ids[i], 10);
	}
	/* Three maximum amounts: beyond a double's exact cents. */
	for (i = 1000; i < n; i++)
		p[i].amount = INT64_C(9999999999999);
	base_run(&r, p, n);
	if ((xml = write_valid(&r, &len)) != NULL) {
		CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:NbOfTxs)", "1003");
		CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:CtrlSum)",
		    "300000000099.97");
		CHECK_XPATH(xml, len, "string(//p:PmtInf/p:CtrlSum)",
		    "300000000099.97");
		free(xml);
	}
	/* Three payments share an id: the earliest repeat is named. */
	p[900].end_to_end_id = ids[7];
	p[500].end_to_end_id = ids[7];
	KS_CHECK_INT(ks_iso_pain001_write(&r, &xml, &len, err, sizeof(err)),
	    -1);
	KS_CHECK_STR(err, "payment 501: end-to-end id repeats payment 8");
	free(p);
	free(ids);
}

/* A canton-sized run is written quickly; one above the limit refused. */
KS_TEST(pain_large_runs)
{
	struct ks_iso_run r;
	struct ks_iso_payment *p;
	char *xml, (*ids)[16], err[256];
	size_t i, len, n = 80000;

	p = calloc(n, sizeof(*p));
	ids = calloc(n, sizeof(*ids));
	for (i = 0; i < n; i++) {
		snprintf(ids[i], sizeof(ids[i]), "KS-%zu", i);
		base_payment(&p[i], ids[i], 100 + (int64_t)i);
	}
	base_run(&r, p, 20000);
	if ((xml = write_valid(&r, &len)) != NULL) {
		/* 20000 x 1.00 + (0 + ... + 19999) Rappen = 2,019,900.00 */
		CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:CtrlSum)",
		    "2019900.00");
		free(xml);
	}
	r.npayments = n;
	KS_CHECK_INT(ks_iso_pain001_write(&r, &xml, &len, err, sizeof(err)),
	    -1);
	KS_CHECK(xml == NULL);
	KS_CHECK(strstr(err, "split it") != NULL);
	/* Found too large after the check read 50 MB of it: it stops. */
	if (pain_schema() != NULL) {
		struct ks_iso_check *ck = (struct ks_iso_check *)1;

		err[0] = '\0';
		KS_CHECK_INT(ks_iso_pain001_write_checked(&r, pain_schema(),
		    NULL, &xml, &len, &ck, err, sizeof(err)), -1);
		KS_CHECK(xml == NULL && ck == NULL);
		KS_CHECK(strstr(err, "split it") != NULL);
	}
	free(p);
	free(ids);
}

/* A helper with no thread free: the check reads the file when waited
   for. */
static int busy_asked;

static int
busy_start(void (*fn)(void *), void *arg)
{
	(void)fn;
	(void)arg;
	busy_asked++;
	return -1;
}

static void
busy_wait(int slot)
{
	KS_FAILF("waited for slot %d, which was never handed out", slot);
}

/*
 * The check reads the file while the writer still writes it: payments
 * of long texts make the writer's buffer grow (move) under the reading
 * check; a file the schema refuses fails the check with its reason; a
 * run the writer refuses starts no check.
 */
KS_TEST(pain_checked_while_written)
{
	static const char name[] = "Wohnbaugenossenschaft Sonnenhalde "
	    "Ostermundigen, Liegenschaftsverwalt.";	/* 70 */
	struct ks_iso_schema *camt;
	struct ks_iso_check *ck;
	struct ks_iso_run r;
	struct ks_iso_payment *p;
	char *xml, (*ids)[16], ustrd[141], err[512];
	size_t i, len, n = 3000;

	memset(ustrd, 'x', sizeof(ustrd) - 1);
	ustrd[sizeof(ustrd) - 1] = '\0';
	p = calloc(n, sizeof(*p));
	ids = calloc(n, sizeof(*ids));
	for (i = 0; i < n; i++) {
		snprintf(ids[i], sizeof(ids[i]), "KS-L-%zu", i);
		base_payment(&p[i], ids[i], 500 + (int64_t)i);
		p[i].creditor_name = name;
		p[i].creditor_addr.street = name;
		p[i].ustrd = ustrd;
	}
	base_run(&r, p, n);
	if ((xml = write_valid(&r, &len)) != NULL) {
		KS_CHECK(len > 4096 + n * 768);	/* above the room made */
		free(xml);
	}
	if ((camt = ks_iso_schema_load(CAMT054_XSD, err,
	    sizeof(err))) == NULL)
		KS_FAILF("cannot load %s: %s", CAMT054_XSD, err);
	else {
		if (ks_iso_pain001_write_checked(&r, camt, NULL, &xml, &len,
		    &ck, err, sizeof(err)) != 0)
			KS_FAILF("refused: %s", err);
		else {
			err[0] = '\0';
			KS_CHECK_INT(ks_iso_check_wait(ck, err, sizeof(err)),
			    -1);
			KS_CHECK(strstr(err, "validation root") != NULL);
			free(xml);
		}
		ks_iso_schema_free(camt);
	}
	{
		static const struct ks_iso_helper busy = {
			busy_start, busy_wait
		};

		if (ks_iso_pain001_write_checked(&r, pain_schema(), &busy,
		    &xml, &len, &ck, err, sizeof(err)) != 0)
			KS_FAILF("refused: %s", err);
		else {
			KS_CHECK_INT(ks_iso_check_wait(ck, err, sizeof(err)),
			    0);
			free(xml);
		}
		KS_CHECK_INT(busy_asked, 1);
	}
	p[7].creditor_iban = "CH5800791123000889013";
	ck = (struct ks_iso_check *)1;
	KS_CHECK_INT(ks_iso_pain001_write_checked(&r, pain_schema(), NULL, &xml,
	    &len, &ck, err, sizeof(err)), -1);
	KS_CHECK(xml == NULL && ck == NULL);
	KS_CHECK(strstr(err, "iban") != NULL);
	free(p);
	free(ids);
}

/* A helper with one thread: a check's second part runs when waited
   for. */
static struct {
	pthread_t	 t;
	int		 used;
	void		(*fn)(void *);
	void		*arg;
} one;

static void *
one_main(void *arg)
{
	(void)arg;
	one.fn(one.arg);
	return NULL;
}

static int
one_start(void (*fn)(void *), void *arg)
{
	if (one.used)
		return -1;
	one.fn = fn;
	one.arg = arg;
	if (pthread_create(&one.t, NULL, one_main, NULL) != 0)
		return -1;
	one.used = 1;
	return 7;
}

static void
one_wait(int slot)
{
	KS_CHECK_INT(slot, 7);
	pthread_join(one.t, NULL);
	one.used = 0;
}

/*
 * The SPS schema with remittance texts of at most 35 characters, so
 * that a payment of the writer's can fail it (the writer allows 140).
 */
static struct ks_iso_schema *
short_ustrd_schema(void)
{
	static const char type[] = "<xs:simpleType name=\"Max140Text\">",
	    max[] = "<xs:maxLength value=\"140\"/>";
	struct ks_iso_schema *s = NULL;
	char path[] = "/tmp/kasus-xsd-XXXXXX", *x, *at, err[256];
	size_t n;
	FILE *f;
	int fd;

	if ((x = ks_slurp(PAIN_XSD, &n)) == NULL ||
	    (at = strstr(x, type)) == NULL || (at = strstr(at, max)) ==
	    NULL || at > strstr(x, type) + 200) {
		KS_FAILF("no Max140Text in %s", PAIN_XSD);
		free(x);
		return NULL;
	}
	memcpy(at + sizeof(max) - 7, " 35", 3);		/* "140" */
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		KS_FAILF("cannot write %s", path);
	else {
		fwrite(x, 1, n, f);
		fclose(f);
		if ((s = ks_iso_schema_load(path, err, sizeof(err))) == NULL)
			KS_FAILF("modified schema: %s", err);
		unlink(path);
	}
	free(x);
	return s;
}

/* The file of r checked while written against s finds what checking it
   whole finds, word for word (line numbers too); both fail. */
static void
same_finding(const struct ks_iso_run *r, const struct ks_iso_schema *s,
    const struct ks_iso_helper *h, const char *what)
{
	struct ks_iso_check *ck;
	char *xml, whole[512], parts[512];
	size_t len;

	if (ks_iso_pain001_write(r, &xml, &len, whole, sizeof(whole)) != 0) {
		KS_FAILF("%s: refused: %s", what, whole);
		return;
	}
	if (ks_iso_schema_validate(s, xml, len, whole, sizeof(whole)) == 0)
		KS_FAILF("%s: passes whole", what);
	free(xml);
	if (ks_iso_pain001_write_checked(r, s, h, &xml, &len, &ck, parts,
	    sizeof(parts)) != 0) {
		KS_FAILF("%s: refused: %s", what, parts);
		return;
	}
	if (ks_iso_check_wait(ck, parts, sizeof(parts)) == 0)
		KS_FAILF("%s: passes the check while written", what);
	else if (strcmp(whole, parts) != 0)
		KS_FAILF("%s: whole: %s; while written: %s", what, whole,
		    parts);
	free(xml);
}

/*
 * A run of SPLIT_MIN (256) payments or more is checked in two parts at
 * once; whichever payment fails the schema, before, at or after the
 * split and in either payment group, the check finds it as checking the
 * file whole does. Two groups (300 CHF, then 700 EUR to Germany; the
 * split in the second) and, second, 500 and 500 (the middle payment the
 * first of its group); with threads of its own, with a helper that has
 * one thread (the second part runs in the waiting thread) and with
 * none (the file checked whole).
 */
KS_TEST(pain_checked_in_two_parts)
{
	static const struct ks_iso_addr de = {
		"Unter den Linden", "1", "10117", "Berlin", "DE"
	};
	static const struct ks_iso_helper onehelper = { one_start, one_wait };
	static const struct ks_iso_helper busy = { busy_start, busy_wait };
	static const size_t bad[] = {
		5, 299, 300, 301, 498, 499, 500, 501, 502, 998, 999
	};
	static const char *longtext = "Miete Dezember 2026, Liegenschaft "
	    "Bahnhofstrasse 12, 3011 Bern";
	const struct ks_iso_helper *hs[] = { NULL, &onehelper, &busy };
	struct ks_iso_schema *s;
	struct ks_iso_payment *p;
	struct ks_iso_run r;
	char (*ids)[16], what[96];
	size_t i, j, k, n = 1000, eur;

	if ((s = short_ustrd_schema()) == NULL)
		return;
	p = calloc(n, sizeof(*p));
	ids = calloc(n, sizeof(*ids));
	for (k = 0; k < 2; k++) {
		eur = k == 0 ? 300 : 500;
		for (i = 0; i < n; i++) {
			snprintf(ids[i], sizeof(ids[i]), "KS-P-%zu", i);
			base_payment(&p[i], ids[i], 100 + (int64_t)i);
			if (i >= eur) {
				p[i].currency = "EUR";
				p[i].creditor_iban = "DE89370400440532013000";
				p[i].creditor_addr = de;
			}
		}
		base_run(&r, p, n);
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			p[bad[i]].ustrd = longtext;
			for (j = 0; j < 3; j++) {
				snprintf(what, sizeof(what), "layout %zu, "
				    "payment %zu, helper %zu", k, bad[i], j);
				same_finding(&r, s, hs[j], what);
			}
			p[bad[i]].ustrd = "Miete Dezember 2026";
		}
		/* Two: the first one's finding. */
		p[10].ustrd = p[900].ustrd = longtext;
		same_finding(&r, s, NULL, "payments 11 and 901");
		p[10].ustrd = p[900].ustrd = "Miete Dezember 2026";
	}
	ks_iso_schema_free(s);
	free(p);
	free(ids);
}

KS_TEST(pain_text_escaping_and_charset)
{
	struct ks_iso_run r;
	struct ks_iso_payment p;
	char *xml, err[256];
	size_t len;

	base_payment(&p, "KS-TXT-1", 100);
	p.creditor_name = "M\xc3\xbcller & S\xc3\xb6hne <AG> \xe2\x80\x9c"
	    "Z\xc3\xbcrich\xe2\x80\x9d";
	p.ustrd = "\tMiete \xe2\x98\x85 Dez \xe2\x80\x93 Jan\xe2\x80\xa6 "
	    "\xe2\x82\xac 5 \xc8\x98tef ";
	base_run(&r, &p, 1);
	if ((xml = write_valid(&r, &len)) == NULL)
		return;
	KS_CHECK(strstr(xml, "M\xc3\xbcller &amp; S\xc3\xb6hne &lt;AG&gt; "
	    "\"Z\xc3\xbcrich\"") != NULL);
	CHECK_XPATH(xml, len, "string(//p:Cdtr/p:Nm)",
	    "M\xc3\xbcller & S\xc3\xb6hne <AG> \"Z\xc3\xbcrich\"");
	/* Star replaced, dash and ellipsis folded, euro and S-comma kept. */
	CHECK_XPATH(xml, len, "string(//p:Ustrd)",
	    "Miete . Dez - Jan... \xe2\x82\xac 5 \xc8\x98tef");
	free(xml);
	/* The refusing policy names the field and the character. */
	r.charset = KS_ISO_CHARSET_REFUSE;
	KS_CHECK_INT(ks_iso_pain001_write(&r, &xml, &len, err, sizeof(err)),
	    -1);
	KS_CHECK(xml == NULL);
	KS_CHECK_STR(err, "payment 1 creditor name: character U+201C is "
	    "outside the sps character set");
	p.creditor_name = "M\xc3\xbcller & S\xc3\xb6hne";
	p.ustrd = "Miete";
	if ((xml = write_valid(&r, &len)) != NULL)
		free(xml);
	/* Invalid UTF-8 is refused under either policy. */
	r.charset = KS_ISO_CHARSET_REPLACE;
	p.creditor_name = "M\xfcller";
	KS_CHECK_INT(ks_iso_pain001_write(&r, &xml, &len, err, sizeof(err)),
	    -1);
	KS_CHECK_STR(err, "payment 1 creditor name: invalid utf-8");
}

/* One refusal case: change the base run, expect this message. */
struct refusal {
	const char	*what;
	void		(*edit)(struct ks_iso_run *, struct ks_iso_payment *);
	const char	*msg;
};

static void
e_qriban_no_ref(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].creditor_iban = "CH4431999123000889012";
}

static void
e_ref_plain_iban(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].qr_ref = "210000000003139471430009017";
}

static void
e_bad_iban(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].creditor_iban = "CH9300762011623852958";
}

static void
e_zero(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[1].amount = 0;
}

static void
e_negative(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].amount = -100;
}

static void
e_too_large(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].amount = INT64_C(10000000000000);
}

static void
e_no_town(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].creditor_addr.town = "  ";
}

static void
e_no_country(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].creditor_addr.country = NULL;
}

static void
e_bad_country(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].creditor_addr.country = "CHE";
}

static void
e_bad_qrref(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].creditor_iban = "CH4431999123000889012";
	p[0].qr_ref = "210000000003139471430009016";
}

static void
e_scor_qriban(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].creditor_iban = "CH4431999123000889012";
	p[0].scor_ref = "RF18539007547034";
}

static void
e_bad_scor(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].scor_ref = "RF19539007547034";
}

static void
e_both_refs(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].creditor_iban = "CH4431999123000889012";
	p[0].qr_ref = "210000000003139471430009017";
	p[0].scor_ref = "RF18539007547034";
}

static void
e_currency(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].currency = "USD";
}

static void
e_dup_e2e(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[1].end_to_end_id = p[0].end_to_end_id;
}

static void
e_long_e2e(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].end_to_end_id = "123456789012345678901234567890123456";
}

static void
e_e2e_charset(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].end_to_end_id = "KS_1";
}

static void
e_no_e2e(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[1].end_to_end_id = "";
}

static void
e_long_ustrd(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	static char text[142];

	memset(text, 'x', 141);
	p[0].ustrd = text;
}

static void
e_long_name(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].creditor_name = "Eine sehr lange Bezeichnung einer Vermieterin "
	    "mit noch mehr Text dahinter";
}

static void
e_no_name(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].creditor_name = NULL;
}

static void
e_bad_date(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[1].exec_date = "2026-02-29";
}

static void
e_bad_created(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	r->created = "2026-11-22 09:30:00";
}

static void
e_debtor_qr(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	r->debtor.iban = "CH4431999123000889012";
}

static void
e_debtor_foreign(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	r->debtor.iban = "DE89370400440532013000";
}

static void
e_debtor_bic(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	r->debtor.bic = "UBSW";
}

static void
e_no_payments(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	r->npayments = 0;
}

static void
e_msgid(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	r->msg_id = "Lauf \xc3\xbc";
}

static void
e_sepa_ref_text(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	static const struct ks_iso_addr de = {
		NULL, NULL, "10117", "Berlin", "DE"
	};

	p[1].currency = "EUR";
	p[1].creditor_iban = "DE89370400440532013000";
	p[1].creditor_addr = de;
	p[1].scor_ref = "RF18539007547034";
}

static void
e_purpose(struct ks_iso_run *r, struct ks_iso_payment *p)
{
	p[0].purpose = "ssbe";
}

KS_TEST(pain_refusals)
{
	static const struct refusal cases[] = {
		{ "qr-iban without reference", e_qriban_no_ref,
		  "payment 1: qr-iban requires a qr reference" },
		{ "qr reference, plain iban", e_ref_plain_iban,
		  "payment 1: qr reference requires a qr-iban" },
		{ "bad iban", e_bad_iban, "payment 1: creditor iban invalid" },
		{ "zero", e_zero, "payment 2: amount must be positive" },
		{ "negative", e_negative,
		  "payment 1: amount must be positive" },
		{ "too large", e_too_large, "payment 1: amount too large" },
		{ "no town", e_no_town, "payment 1 creditor town: missing" },
		{ "no country", e_no_country,
		  "payment 1 creditor country: missing" },
		{ "bad country", e_bad_country,
		  "payment 1 creditor country: not a two-letter code" },
		{ "bad qr ref", e_bad_qrref,
		  "payment 1: qr reference invalid" },
		{ "scor on qr-iban", e_scor_qriban,
		  "payment 1: qr-iban requires a qr reference" },
		{ "bad scor", e_bad_scor,
		  "payment 1: creditor reference invalid" },
		{ "both refs", e_both_refs,
		  "payment 1: both a qr and a creditor reference" },
		{ "currency", e_currency,
		  "payment 1: currency must be CHF or EUR" },
		{ "duplicate e2e", e_dup_e2e,
		  "payment 2: end-to-end id repeats payment 1" },
		{ "long e2e", e_long_e2e,
		  "payment 1 end-to-end id: longer than 35 characters" },
		{ "e2e charset", e_e2e_charset,
		  "payment 1 end-to-end id: only A-Z a-z 0-9 space and "
		  "+?/-:().,' are allowed" },
		{ "no e2e", e_no_e2e, "payment 2 end-to-end id: missing" },
		{ "long ustrd", e_long_ustrd,
		  "payment 1 remittance text: longer than 140 characters" },
		{ "long name", e_long_name,
		  "payment 1 creditor name: longer than 70 characters" },
		{ "no name", e_no_name, "payment 1 creditor name: missing" },
		{ "bad date", e_bad_date,
		  "payment 2: execution date not YYYY-MM-DD" },
		{ "bad created", e_bad_created,
		  "creation time not YYYY-MM-DDTHH:MM:SS" },
		{ "debtor qr", e_debtor_qr, "debtor iban is a qr-iban" },
		{ "debtor foreign", e_debtor_foreign,
		  "debtor iban is not a swiss or liechtenstein account" },
		{ "debtor bic", e_debtor_bic, "debtor bic invalid" },
		{ "no payments", e_no_payments, "run has no payments" },
		{ "message id", e_msgid,
		  "message id: only A-Z a-z 0-9 space and +?/-:().,' are "
		  "allowed" },
		{ "sepa reference and text", e_sepa_ref_text,
		  "payment 2: sepa payment takes a creditor reference or "
		  "text, not both" },
		{ "purpose", e_purpose, "payment 1: purpose is not a code of "
		  "up to 4 letters or digits" },
	};
	struct ks_iso_run r;
	struct ks_iso_payment p[2];
	char *xml, err[256];
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		base_payment(&p[0], "KS-R-1", 1000);
		p[0].ustrd = NULL;
		base_payment(&p[1], "KS-R-2", 2000);
		base_run(&r, p, 2);
		cases[i].edit(&r, p);
		xml = (char *)1;
		len = 99;
		err[0] = '\0';
		if (ks_iso_pain001_write(&r, &xml, &len, err,
		    sizeof(err)) != -1) {
			KS_FAILF("%s: accepted", cases[i].what);
			free(xml);
			continue;
		}
		if (xml != NULL || len != 0)
			KS_FAILF("%s: output not cleared", cases[i].what);
		if (strcmp(err, cases[i].msg) != 0)
			KS_FAILF("%s: \"%s\", expected \"%s\"", cases[i].what,
			    err, cases[i].msg);
	}
	/* The unedited base run is fine. */
	base_payment(&p[0], "KS-R-1", 1000);
	base_payment(&p[1], "KS-R-2", 2000);
	base_run(&r, p, 2);
	if ((xml = write_valid(&r, &len)) != NULL)
		free(xml);
}

KS_TEST(pain_long_msgid_and_bare_debtor)
{
	struct ks_iso_run r;
	struct ks_iso_payment p[2];
	char *xml;
	size_t len;

	base_payment(&p[0], "KS-1", 1);
	base_payment(&p[1], "KS-2", 2);
	p[1].exec_date = "2026-12-01";
	p[0].creditor_addr.street = NULL;
	p[0].creditor_addr.building = NULL;
	p[0].creditor_addr.postcode = NULL;
	base_run(&r, p, 2);
	r.msg_id = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678";
	r.initiator = "Kasus Zahlungslauf";
	memset(&r.debtor.addr, 0, sizeof(r.debtor.addr));
	r.created = "2026-11-22T09:30:00.123+01:00";
	if ((xml = write_valid(&r, &len)) == NULL)
		return;
	CHECK_XPATH(xml, len, "string(//p:PmtInf[2]/p:PmtInfId)",
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456-2");
	CHECK_XPATH(xml, len, "string(//p:GrpHdr/p:InitgPty/p:Nm)",
	    "Kasus Zahlungslauf");
	CHECK_XPATH(xml, len, "string(count(//p:Dbtr/p:PstlAdr))", "0");
	CHECK_XPATH(xml, len, "string(count(//p:Cdtr/p:PstlAdr/p:StrtNm))",
	    "1");
	free(xml);
}

/* ------------------------------------------------------------------ */
/* camt.054                                                             */
/* ------------------------------------------------------------------ */

KS_TEST(camt_samples_validate)
{
	static const char *files[] = { CAMT_A, CAMT_B };
	struct ks_iso_schema *s;
	char err[512], *xml;
	size_t i, len;

	if ((s = ks_iso_schema_load(CAMT054_XSD, err, sizeof(err))) == NULL) {
		KS_FAILF("cannot load %s: %s", CAMT054_XSD, err);
		return;
	}
	for (i = 0; i < 2; i++) {
		if ((xml = ks_slurp(files[i], &len)) == NULL)
			continue;
		if (ks_iso_schema_validate(s, xml, len, err, sizeof(err)) != 0)
			KS_FAILF("%s: %s", files[i], err);
		free(xml);
	}
	/* A camt.053 is valid against its own schema, not this one. */
	if ((xml = ks_slurp(CAMT053, &len)) != NULL) {
		KS_CHECK_INT(ks_iso_schema_validate(s, xml, len, err,
		    sizeof(err)), -1);
		KS_CHECK_INT(ks_iso_validate(xml, len, CAMT053_XSD, err,
		    sizeof(err)), 0);
		free(xml);
	}
	ks_iso_schema_free(s);
}

KS_TEST(camt_sample_batch_credit)
{
	struct ks_iso_camt_entry *e = NULL;
	char err[256], *xml;
	size_t n = 0, len;

	if ((xml = ks_slurp(CAMT_A, &len)) == NULL)
		return;
	KS_CHECK_INT(ks_iso_camt054_parse(xml, len, &e, &n, err,
	    sizeof(err)), 0);
	free(xml);
	KS_CHECK_INT(n, 2);
	if (n != 2)
		goto out;
	KS_CHECK_STR(e[0].account, "CH2909000000250094239");
	KS_CHECK_STR(e[0].booking_date, "2020-06-18");
	KS_CHECK_STR(e[0].value_date, "2020-06-18");
	KS_CHECK_INT(e[0].cdi, KS_ISO_CRDT);
	KS_CHECK_INT(e[0].reversal, 0);
	KS_CHECK_INT(e[0].status, KS_ISO_STS_BOOK);
	KS_CHECK_STR(e[0].status_code, "BOOK");
	KS_CHECK_INT(e[0].amount, 77829);
	KS_CHECK_STR(e[0].currency, "CHF");
	KS_CHECK_STR(e[0].end_to_end_id, "1006265-aic5dL-75dzf3jk9-cf2d5e9");
	KS_CHECK_STR(e[0].instr_id, "1006265-25bbb3b1a");
	KS_CHECK_STR(e[0].acct_svcr_ref, "2000000000000000");
	KS_CHECK_STR(e[0].entry_ref, "1000000000000000");
	KS_CHECK_STR(e[0].creditor_ref, "539115429773825311971477453");
	KS_CHECK_STR(e[0].ustrd, "");
	KS_CHECK_STR(e[0].return_reason, "");
	KS_CHECK_STR(e[0].debtor_name, "Bernasconi Maria");
	KS_CHECK_STR(e[0].debtor_iban, "CH5109000000250092291");
	KS_CHECK_STR(e[0].creditor_name, "");
	KS_CHECK_STR(e[0].creditor_iban, "CH7730000001250094239");
	KS_CHECK_INT(e[1].amount, 91393);
	KS_CHECK_STR(e[1].end_to_end_id, "");
	KS_CHECK_STR(e[1].instr_id, "1005970-70a75515");
	KS_CHECK_STR(e[1].acct_svcr_ref, "3000000000000000");
	KS_CHECK_STR(e[1].creditor_ref, "662437765447746478179744715");
	/* Both QR references carry a valid check digit. */
	KS_CHECK_INT(ks_qrref_valid(e[0].creditor_ref), 1);
	KS_CHECK_INT(ks_qrref_valid(e[1].creditor_ref), 1);
	/* The transactions add up to the entry: 1692.22. */
	KS_CHECK_INT(e[0].amount + e[1].amount, 169222);
out:
	ks_iso_camt054_free(e, n);
}

KS_TEST(camt_sample_single_credit)
{
	struct ks_iso_camt_entry *e = NULL;
	char err[256], *xml;
	size_t n = 0, len;

	if ((xml = ks_slurp(CAMT_B, &len)) == NULL)
		return;
	KS_CHECK_INT(ks_iso_camt054_parse(xml, len, &e, &n, err,
	    sizeof(err)), 0);
	free(xml);
	KS_CHECK_INT(n, 1);
	if (n != 1)
		goto out;
	KS_CHECK_STR(e[0].account, "CH2909000000250094239");
	KS_CHECK_STR(e[0].booking_date, "2022-03-10");
	KS_CHECK_INT(e[0].amount, 52210);
	KS_CHECK_INT(e[0].cdi, KS_ISO_CRDT);
	/* "NOTPROVIDED" is no reference. */
	KS_CHECK_STR(e[0].end_to_end_id, "");
	KS_CHECK_STR(e[0].instr_id, "1006265-25bbb3b1a");
	KS_CHECK_STR(e[0].creditor_ref, "");
	KS_CHECK_STR(e[0].debtor_name, "Bernasconi Maria");
	KS_CHECK_STR(e[0].creditor_iban, "CH2909000000250094239");
out:
	ks_iso_camt054_free(e, n);
}

/*
 * A constructed notification: a returned payment (debit reversal with
 * reason AC04), a pending debit with unstructured text over two Ustrd,
 * an entry without transaction details, a DtTm booking date.
 */
static const char camt_constructed[] =
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\">\n"
"<BkToCstmrDbtCdtNtfctn>\n"
"<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-26T18:00:00</CreDtTm></GrpHdr>\n"
"<Ntfctn><Id>N1</Id>\n"
"<Acct><Id><IBAN>CH9300762011623852957</IBAN></Id></Acct>\n"
"<Ntry><Amt Ccy=\"CHF\">1234.5</Amt><CdtDbtInd>CRDT</CdtDbtInd>\n"
"<RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts>\n"
"<BookgDt><DtTm>2026-11-26T10:00:00</DtTm></BookgDt>\n"
"<ValDt><Dt>2026-11-27</Dt></ValDt><AcctSvcrRef>E-1</AcctSvcrRef>\n"
"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd>"
"</Fmly></Domn></BkTxCd>\n"
"<NtryDtls><TxDtls>\n"
"<Refs><AcctSvcrRef>T-1</AcctSvcrRef><InstrId>KS-I-0001</InstrId>"
"<EndToEndId>KS-E2E-0001</EndToEndId></Refs>\n"
"<Amt Ccy=\"CHF\">1234.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>\n"
"<RltdPties><Cdtr><Pty><Nm>Vermieterin Muster AG</Nm></Pty></Cdtr>"
"<CdtrAcct><Id><IBAN>CH5800791123000889012</IBAN></Id></CdtrAcct>"
"</RltdPties>\n"
"<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
"<Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>\n"
"<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Konto saldiert</AddtlInf>"
"</RtrInf>\n"
"</TxDtls></NtryDtls></Ntry>\n"
"<Ntry><Amt Ccy=\"EUR\">0.05</Amt><CdtDbtInd>DBIT</CdtDbtInd>\n"
"<Sts><Cd>PDNG</Cd></Sts>\n"
"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
"</Fmly></Domn></BkTxCd>\n"
"<NtryDtls><TxDtls><Refs><EndToEndId>KS-E2E-0002</EndToEndId></Refs>\n"
"<RmtInf><Ustrd>Miete &amp; Nebenkosten</Ustrd><Ustrd>Dezember</Ustrd>"
"</RmtInf>\n"
"</TxDtls></NtryDtls></Ntry>\n"
"<Ntry><Amt Ccy=\"CHF\">100</Amt><CdtDbtInd>DBIT</CdtDbtInd>\n"
"<Sts><Cd>INFO</Cd></Sts><BookgDt><Dt>2026-11-28</Dt></BookgDt>\n"
"<AcctSvcrRef>E-3</AcctSvcrRef>\n"
"<BkTxCd><Prtry><Cd>X</Cd></Prtry></BkTxCd>\n"
"</Ntry>\n"
"</Ntfctn>\n"
"</BkToCstmrDbtCdtNtfctn>\n"
"</Document>\n";

KS_TEST(camt_constructed)
{
	struct ks_iso_camt_entry *e = NULL;
	char err[512];
	size_t n = 0;

	KS_CHECK_INT(ks_iso_validate(camt_constructed,
	    sizeof(camt_constructed) - 1, CAMT054_XSD, err, sizeof(err)), 0);
	KS_CHECK_INT(ks_iso_camt054_parse(camt_constructed,
	    sizeof(camt_constructed) - 1, &e, &n, err, sizeof(err)), 0);
	KS_CHECK_INT(n, 3);
	if (n != 3)
		goto out;
	KS_CHECK_STR(e[0].account, "CH9300762011623852957");
	KS_CHECK_STR(e[0].booking_date, "2026-11-26");
	KS_CHECK_STR(e[0].value_date, "2026-11-27");
	KS_CHECK_INT(e[0].reversal, 1);
	KS_CHECK_INT(e[0].amount, 123450);
	KS_CHECK_STR(e[0].return_reason, "AC04");
	KS_CHECK_STR(e[0].end_to_end_id, "KS-E2E-0001");
	KS_CHECK_STR(e[0].acct_svcr_ref, "T-1");
	KS_CHECK_STR(e[0].entry_ref, "E-1");
	KS_CHECK_STR(e[0].creditor_ref, "RF18539007547034");
	KS_CHECK_STR(e[0].creditor_name, "Vermieterin Muster AG");
	KS_CHECK_STR(e[0].creditor_iban, "CH5800791123000889012");
	/* Amount, currency and indicator from the single-tx entry. */
	KS_CHECK_INT(e[1].amount, 5);
	KS_CHECK_STR(e[1].currency, "EUR");
	KS_CHECK_INT(e[1].cdi, KS_ISO_DBIT);
	KS_CHECK_INT(e[1].status, KS_ISO_STS_PDNG);
	KS_CHECK_STR(e[1].booking_date, "");
	KS_CHECK_STR(e[1].ustrd, "Miete & Nebenkosten Dezember");
	KS_CHECK_STR(e[1].return_reason, "");
	/* An entry without details is one record. */
	KS_CHECK_INT(e[2].amount, 10000);
	KS_CHECK_INT(e[2].status, KS_ISO_STS_INFO);
	KS_CHECK_INT(e[2].cdi, KS_ISO_DBIT);
	KS_CHECK_STR(e[2].entry_ref, "E-3");
	KS_CHECK_STR(e[2].end_to_end_id, "");
	KS_CHECK_STR(e[2].booking_date, "2026-11-28");
out:
	ks_iso_camt054_free(e, n);
}

/* Parse must fail with a message that starts with want. */
static void
camt_refused(const char *what, const char *xml, size_t len, const char *want)
{
	struct ks_iso_camt_entry *e = (struct ks_iso_camt_entry *)1;
	char err[256];
	size_t n = 7;

	err[0] = '\0';
	if (ks_iso_camt054_parse(xml, len, &e, &n, err, sizeof(err)) != -1) {
		KS_FAILF("%s: accepted", what);
		ks_iso_camt054_free(e, n);
		return;
	}
	if (e != NULL || n != 0)
		KS_FAILF("%s: output not cleared", what);
	if (strncmp(err, want, strlen(want)) != 0)
		KS_FAILF("%s: \"%s\", expected \"%s...\"", what, err, want);
}

/* The constructed notification with one substring replaced. */
static char *
camt_edit(const char *from, const char *to)
{
	const char *at = strstr(camt_constructed, from);
	size_t n = sizeof(camt_constructed) + strlen(to);
	char *s;

	if (at == NULL || (s = malloc(n)) == NULL)
		return NULL;
	snprintf(s, n, "%.*s%s%s", (int)(at - camt_constructed),
	    camt_constructed, to, at + strlen(from));
	return s;
}

KS_TEST(camt_errors)
{
	static const struct {
		const char *what, *from, *to, *want;
	} edits[] = {
		{ "three decimals", "1234.50</Amt>", "1234.505</Amt>",
		  "entry 1: transaction amount" },
		{ "negative", "1234.50</Amt>", "-1234.50</Amt>",
		  "entry 1: transaction amount" },
		{ "bad indicator", "<CdtDbtInd>CRDT</CdtDbtInd>\n<RltdPties>",
		  "<CdtDbtInd>XXXX</CdtDbtInd>\n<RltdPties>",
		  "entry 1: transaction amount" },
		{ "bad date", "<Dt>2026-11-27</Dt>", "<Dt>2026-13-27</Dt>",
		  "entry 1: malformed date" },
		{ "no status", "<Sts><Cd>PDNG</Cd></Sts>", "",
		  "entry 2: status missing" },
		{ "old version", "camt.054.001.08", "camt.054.001.04",
		  "unsupported camt.054 version 001.04" },
		{ "no account", "<IBAN>CH9300762011623852957</IBAN>", "",
		  "notification 1: account missing" },
	};
	static const char dtd[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY a \"aaaa\">"
	    "<!ENTITY b \"&a;&a;&a;&a;\">]>\n<d>&b;</d>\n";
	const char *bad = "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:"
	    "camt.054.001.08\"><BkToCstmrDbtCdtNtfctn>";
	const char *empty_doc = "<Document xmlns=\"urn:iso:std:iso:20022:"
	    "tech:xsd:camt.054.001.08\"/>";
	char *xml, *big;
	size_t i, len;

	camt_refused("malformed", bad, strlen(bad), "malformed xml: line 1: ");
	camt_refused("not xml", "hello", 5, "malformed xml");
	camt_refused("empty", "", 0, "empty document");
	camt_refused("null", NULL, 0, "empty document");
	camt_refused("dtd", dtd, sizeof(dtd) - 1,
	    "document type declarations are not allowed");
	if ((xml = ks_slurp(CAMT053, &len)) != NULL) {
		camt_refused("camt.053", xml, len,
		    "not a camt.054.001.08 document");
		free(xml);
	}
	if ((xml = ks_slurp(REFDATA "pain001/samples/"
	    "iso20022tester_20260328_233355_TC-QR-001_edcd465e.xml",
	    &len)) != NULL) {
		camt_refused("pain.001", xml, len,
		    "not a camt.054.001.08 document");
		free(xml);
	}
	camt_refused("no notification", empty_doc, strlen(empty_doc),
	    "no notification in document");
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		if ((xml = camt_edit(edits[i].from, edits[i].to)) == NULL) {
			KS_FAILF("%s: edit not applicable", edits[i].what);
			continue;
		}
		camt_refused(edits[i].what, xml, strlen(xml), edits[i].want);
		free(xml);
	}
	/* Above the size limit: refused before parsing. */
	if ((big = malloc(KS_ISO_MAX_XML + 1)) != NULL) {
		memset(big, ' ', KS_ISO_MAX_XML + 1);
		camt_refused("too large", big, KS_ISO_MAX_XML + 1,
		    "document larger than");
		free(big);
	}
}

/* Last by line: release libxml2's globals for the leak checker. */
KS_TEST(zz_cleanup)
{
	ks_iso_schema_free(pain_xsd);
	pain_xsd = NULL;
	xmlCleanupParser();
}
