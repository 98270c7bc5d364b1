/*
 * test_pdf.c - the PDF renderer: file structure (header, xref offsets
 * that point at their objects, trailer), the text as poppler extracts it
 * (umlauts, accents, euro sign, escaping), right-aligned amounts and the
 * right margin measured by poppler, page breaks, determinism, the
 * refusals (bad creation date, no output, absurd input), and the
 * QR-bill payment part (its text and page placement; test_qrbill.c
 * reads its QR code back).
 *
 * poppler-utils (pdftotext, pdfinfo) is required: a missing tool fails
 * the tests rather than skipping them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kasus/pdf.h"
#include "ks_test.h"

#define PDFTOTEXT	"/usr/bin/pdftotext"
#define PDFINFO		"/usr/bin/pdfinfo"
#define CREATED		"20250314093000"

static const struct ks_pdf_block decision_de[] = {
	{ KS_PDF_LETTERHEAD, "Sozialdienst Thun\nAllmendstrasse 4\n3600 Thun\n"
	    "Telefon 033 225 89 00", NULL },
	{ KS_PDF_ADDRESS, "Frau\nAnna Müller-Bärtschi\nGässli 12\n"
	    "3600 Thun", NULL },
	{ KS_PDF_PARAGRAPH, "Thun, 14. März 2025", NULL },
	{ KS_PDF_TITLE, "Verfügung über wirtschaftliche Sozialhilfe", NULL },
	{ KS_PDF_PARAGRAPH, "Dossier 2025-0147 · Gesuch vom 3. Februar 2025",
	    NULL },
	{ KS_PDF_HEADING, "Sachverhalt", NULL },
	{ KS_PDF_PARAGRAPH, "Frau Müller-Bärtschi hat am 3. Februar 2025 um "
	    "wirtschaftliche Hilfe ersucht. Gemäss ihren Angaben und den "
	    "eingereichten Unterlagen verfügt sie über kein Vermögen; ihr "
	    "Einkommen aus einer Teilzeitstelle genügt nicht, um den "
	    "Grundbedarf für sich und ihre Tochter zu decken. Die Prüfung "
	    "der Zuständigkeit ergab, dass die Gemeinde Thun für die "
	    "Unterstützung zuständig ist.", NULL },
	{ KS_PDF_HEADING, "Unterstützungsbudget (monatlich)", NULL },
	{ KS_PDF_ROW, "Grundbedarf für den Lebensunterhalt (2 Personen)",
	    "CHF 1'556.00" },
	{ KS_PDF_ROW, "Wohnungsmiete inkl. Nebenkosten", "CHF 1'420.00" },
	{ KS_PDF_ROW, "Krankenkassenprämien (nach Abzug IPV)", "CHF 168.40" },
	{ KS_PDF_ROW, "Situationsbedingte Leistungen: Zahnarzt", "CHF 120.00" },
	{ KS_PDF_ROW, "Integrationszulage", "CHF 100.00" },
	{ KS_PDF_ROW, "Einkommensfreibetrag", "CHF 200.00" },
	{ KS_PDF_ROW, "Erwerbseinkommen (netto)", "CHF -1'033.40" },
	{ KS_PDF_ROW, "Alimente für die Tochter", "CHF 0.00" },
	{ KS_PDF_TOTAL, "Monatliche Unterstützung", "CHF 2'531.00" },
	{ KS_PDF_HEADING, "Verfügung", NULL },
	{ KS_PDF_PARAGRAPH, "1. Frau Anna Müller-Bärtschi wird ab 1. März "
	    "2025 mit CHF 2'531.00 pro Monat unterstützt.\n"
	    "2. Die Unterstützung wird jeweils auf Monatsende ausgerichtet.\n"
	    "3. Änderungen der persönlichen und wirtschaftlichen Verhältnisse "
	    "sind dem Sozialdienst unverzüglich zu melden.", NULL },
	{ KS_PDF_SMALL, "Rechtsmittelbelehrung: Gegen diese Verfügung kann "
	    "innert 30 Tagen seit Eröffnung beim Regierungsstatthalteramt "
	    "Thun, Scheibenstrasse 3, 3600 Thun, schriftlich Beschwerde "
	    "geführt werden. Die Beschwerde muss einen Antrag, die Angabe "
	    "von Tatsachen und Beweismitteln, eine Begründung sowie eine "
	    "Unterschrift enthalten; die angefochtene Verfügung und greifbare "
	    "Beweismittel sind beizulegen. Die Beschwerde hat keine "
	    "aufschiebende Wirkung, sofern diese nicht ausdrücklich "
	    "angeordnet wird. Eine Beschwerde gegen die Festsetzung der "
	    "Unterstützung hemmt die Auszahlung des unbestrittenen Teils "
	    "nicht.", NULL },
	{ KS_PDF_SIGNATURES, "Regula Zürcher\nLeiterin Sozialdienst",
	    "Thomas Jäggi\nSozialarbeiter" },
	{ KS_PDF_END, NULL, NULL }
};

static const struct ks_pdf_block decision_fr[] = {
	{ KS_PDF_LETTERHEAD, "Service social de Bienne\nRue Centrale 49\n"
	    "2502 Bienne", NULL },
	{ KS_PDF_ADDRESS, "Monsieur\nFrançois Lefèvre\nChemin des Æbi 7\n"
	    "2500 Bienne", NULL },
	{ KS_PDF_TITLE, "Décision d’aide sociale", NULL },
	{ KS_PDF_PARAGRAPH, "Nous avons examiné votre demande « aide "
	    "matérielle » déposée le 2 février 2025. Après vérification, "
	    "l’aide est accordée dès le 1er mars 2025 – elle sera versée "
	    "à la fin de chaque mois. Coût des prestations non "
	    "remboursées : 12 € (frais de dossier).", NULL },
	{ KS_PDF_ROW, "Forfait pour l’entretien", "CHF 1'031.00" },
	{ KS_PDF_ROW, "Loyer charges comprises", "CHF 1'150.00" },
	{ KS_PDF_TOTAL, "Total mensuel", "CHF 2'181.00" },
	{ KS_PDF_SPACE, NULL, NULL },
	{ KS_PDF_SMALL, "Voie de recours : la présente décision peut faire "
	    "l’objet d’un recours écrit et motivé dans les 30 jours à "
	    "compter de sa notification auprès de la préfecture.", NULL },
	{ KS_PDF_SIGNATURES, "Hélène Dubois\nCheffe de service", NULL },
	{ KS_PDF_END, NULL, NULL }
};

/* The whole output of a command; NULL if it failed. */
static char *
run(const char *cmd)
{
	FILE *f;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if ((f = popen(cmd, "r")) == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				break;
			buf = nb;
		}
		if ((n = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	if (pclose(f) != 0 || buf == NULL) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static int
have_poppler(void)
{
	if (access(PDFTOTEXT, X_OK) != 0 || access(PDFINFO, X_OK) != 0) {
		KS_FAILF("%s or %s missing: install poppler-utils",
		    PDFTOTEXT, PDFINFO);
		return 0;
	}
	return 1;
}

/* Writes the document to a temporary file; path must hold 32 bytes. */
static int
save(const char *pdf, size_t len, char *path)
{
	int fd;

	snprintf(path, 32, "/tmp/ks_pdf_XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return -1;
	if (write(fd, pdf, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* Runs "tool [opts] file -" (or without "-") on the document. */
static char *
tool(const char *pdf, size_t len, const char *what, int dash)
{
	char path[32], cmd[256], *out;

	if (save(pdf, len, path) == -1)
		return NULL;
	snprintf(cmd, sizeof(cmd), "%s %s%s 2>/dev/null", what, path,
	    dash ? " -" : "");
	out = run(cmd);
	unlink(path);
	return out;
}

static char *
text_of(const char *pdf, size_t len)
{
	return tool(pdf, len, PDFTOTEXT " -enc UTF-8", 1);
}

static long
pages_of(const char *pdf, size_t len)
{
	char *info, *p;
	long n = -1;

	if ((info = tool(pdf, len, PDFINFO " -enc UTF-8", 0)) == NULL)
		return -1;
	if ((p = strstr(info, "\nPages:")) != NULL)
		n = strtol(p + 7, NULL, 10);
	free(info);
	return n;
}

static const char *
find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/*
 * Header, trailer and a cross-reference table whose every entry is 20
 * bytes and points at "i 0 obj"; returns the number of objects.
 */
static long
check_structure(const char *pdf, size_t len)
{
	const char *p, *x;
	char want[32];
	long start, n, i, off;

	KS_CHECK(len > 100 && memcmp(pdf, "%PDF-1.4\n", 9) == 0);
	KS_CHECK(len > 6 && memcmp(pdf + len - 6, "%%EOF\n", 6) == 0);
	if (len < 100)
		return -1;
	/* The last "startxref" line holds the offset of "xref". */
	for (p = pdf + len - 6; p > pdf && memcmp(p, "startxref\n", 10) != 0;
	    p--)
		;
	KS_CHECK(p > pdf);
	start = strtol(p + 10, NULL, 10);
	KS_CHECK(start > 0 && (size_t)start < len);
	if (start <= 0 || (size_t)start + 20 > len)
		return -1;
	x = pdf + start;
	KS_CHECK(strncmp(x, "xref\n0 ", 7) == 0);
	n = strtol(x + 7, (char **)&x, 10);
	KS_CHECK(n > 5 && *x == '\n');
	x++;
	if ((size_t)(x - pdf) + (size_t)n * 20 > len)
		return -1;
	KS_CHECK(memcmp(x, "0000000000 65535 f \n", 20) == 0);
	for (i = 1; i < n; i++) {
		p = x + i * 20;
		KS_CHECK(memcmp(p + 10, " 00000 n \n", 10) == 0);
		off = strtol(p, NULL, 10);
		snprintf(want, sizeof(want), "%ld 0 obj\n", i);
		if (off <= 0 || (size_t)off + strlen(want) > len ||
		    memcmp(pdf + off, want, strlen(want)) != 0) {
			KS_FAILF("xref entry %ld does not point at its object",
			    i);
			return -1;
		}
	}
	p = x + n * 20;
	snprintf(want, sizeof(want), "trailer\n<< /Size %ld ", n);
	KS_CHECK(strncmp(p, want, strlen(want)) == 0);
	return n;
}

/* Right edge (xMax) of the first word equal to w in pdftotext -bbox. */
static double
right_edge(const char *bbox, const char *w)
{
	char pat[128];
	const char *p, *q;

	snprintf(pat, sizeof(pat), ">%s</word>", w);
	if ((p = strstr(bbox, pat)) == NULL)
		return -1;
	while (p > bbox && strncmp(p, "<word", 5) != 0)
		p--;
	if ((q = strstr(p, "xMax=\"")) == NULL)
		return -1;
	return strtod(q + 6, NULL);
}

KS_TEST(german_decision)
{
	char *pdf = NULL, *txt, err[128] = "";
	size_t len = 0;
	static const char *words[] = {
		"Sozialdienst Thun", "Allmendstrasse 4", "3600 Thun",
		"Anna Müller-Bärtschi", "Gässli 12",
		"Verfügung über wirtschaftliche Sozialhilfe",
		"Unterstützungsbudget (monatlich)", "Grundbedarf",
		"CHF 1'556.00", "CHF -1'033.40", "CHF 2'531.00",
		"Monatliche Unterstützung", "Änderungen",
		"Rechtsmittelbelehrung", "Regierungsstatthalteramt", "ausdrücklich", "Regula Zürcher",
		"Thomas Jäggi", "Dossier 2025-0147 · Gesuch", NULL
	};
	int i;

	KS_CHECK_INT(ks_pdf_render(decision_de, "Verfügung Müller",
	    CREATED, &pdf, &len, err, sizeof(err)), 0);
	KS_CHECK_STR(err, "");
	if (pdf == NULL)
		return;
	KS_CHECK(check_structure(pdf, len) > 5);
	KS_CHECK(find(pdf, len, "/BaseFont /Helvetica-Bold /Encoding "
	    "/WinAnsiEncoding") != NULL);
	KS_CHECK(find(pdf, len, "/CreationDate (D:20250314093000)") != NULL);
	/* "Verfügung Müller" in UTF-16BE with a byte order mark. */
	KS_CHECK(find(pdf, len, "/Title <FEFF005600650072006600FC00670075006E"
	    "00670020004D00FC006C006C00650072>") != NULL);
	if (have_poppler()) {
		txt = text_of(pdf, len);
		KS_CHECK(txt != NULL);
		for (i = 0; txt != NULL && words[i] != NULL; i++)
			if (strstr(txt, words[i]) == NULL)
				KS_FAILF("\"%s\" not in the text", words[i]);
		free(txt);
		KS_CHECK_INT(pages_of(pdf, len), 1);
		txt = tool(pdf, len, PDFINFO " -enc UTF-8", 0);
		KS_CHECK(txt != NULL &&
		    strstr(txt, "Verfügung Müller\n") != NULL);
		free(txt);
	}
	free(pdf);
}

KS_TEST(french_decision)
{
	char *pdf = NULL, *txt, err[128] = "";
	size_t len = 0;
	static const char *words[] = {
		"Service social de Bienne", "François Lefèvre", "Æbi",
		"Décision d’aide sociale", "« aide", "matérielle »",
		"Après vérification", "accordée dès le 1er mars", "2025 – elle",
		"12 €", "Coût", "CHF 2'181.00", "Hélène Dubois", "présente",
		NULL
	};
	int i;

	KS_CHECK_INT(ks_pdf_render(decision_fr, "Décision", CREATED, &pdf,
	    &len, err, sizeof(err)), 0);
	if (pdf == NULL)
		return;
	KS_CHECK(check_structure(pdf, len) > 5);
	if (have_poppler()) {
		txt = text_of(pdf, len);
		KS_CHECK(txt != NULL);
		for (i = 0; txt != NULL && words[i] != NULL; i++)
			if (strstr(txt, words[i]) == NULL)
				KS_FAILF("\"%s\" not in the text", words[i]);
		free(txt);
	}
	free(pdf);
}

/*
 * The width tables agree with poppler's: amounts end at the right
 * margin, and no wrapped word crosses it.
 */
KS_TEST(alignment_and_margin)
{
	char *pdf = NULL, *bbox, err[128] = "";
	const char *p;
	size_t len = 0;
	static const char *amounts[] = {
		"1&apos;556.00", "1&apos;420.00", "168.40",
		"-1&apos;033.40", "0.00", "2&apos;531.00", NULL
	};
	double right = 595 - 20 * 72 / 25.4, e, max = 0;
	int i;

	KS_CHECK_INT(ks_pdf_render(decision_de, "Verfügung", CREATED, &pdf,
	    &len, err, sizeof(err)), 0);
	if (pdf == NULL || !have_poppler()) {
		free(pdf);
		return;
	}
	bbox = tool(pdf, len, PDFTOTEXT " -bbox -enc UTF-8", 1);
	KS_CHECK(bbox != NULL);
	for (i = 0; bbox != NULL && amounts[i] != NULL; i++) {
		e = right_edge(bbox, amounts[i]);
		if (e < right - 0.3 || e > right + 0.3)
			KS_FAILF("%s ends at %.2f, not at %.2f", amounts[i], e,
			    right);
	}
	for (p = bbox; p != NULL && (p = strstr(p, "xMax=\"")) != NULL; p++)
		if ((e = strtod(p + 6, NULL)) > max)
			max = e;
	KS_CHECK(max > right - 30 && max < right + 0.3);
	free(bbox);
	free(pdf);
}

KS_TEST(long_table_breaks_pages)
{
	struct ks_pdf_block *b;
	char labels[300][48], amounts[300][24], *pdf = NULL, *txt;
	char err[128] = "";
	size_t len = 0;
	long pages, nobj;
	int i;

	b = calloc(305, sizeof(*b));
	b[0].kind = KS_PDF_TITLE;
	b[0].text = "Auszahlungsjournal März 2025";
	for (i = 0; i < 300; i++) {
		snprintf(labels[i], sizeof(labels[i]), "Position %d Gebühr",
		    i + 1);
		snprintf(amounts[i], sizeof(amounts[i]), "CHF %d.%02d",
		    100 + i * 7, i % 100);
		b[i + 1].kind = KS_PDF_ROW;
		b[i + 1].text = labels[i];
		b[i + 1].text2 = amounts[i];
	}
	b[301].kind = KS_PDF_TOTAL;
	b[301].text = "Total";
	b[301].text2 = "CHF 343'650.00";
	b[302].kind = KS_PDF_END;
	KS_CHECK_INT(ks_pdf_render(b, "Journal", CREATED, &pdf, &len, err,
	    sizeof(err)), 0);
	free(b);
	if (pdf == NULL)
		return;
	nobj = check_structure(pdf, len);
	if (have_poppler()) {
		pages = pages_of(pdf, len);
		KS_CHECK(pages > 1);
		/* Catalog, page tree, two fonts, info, then two per page. */
		KS_CHECK_INT(nobj, 5 + 2 * pages + 1);
		txt = text_of(pdf, len);
		KS_CHECK(txt != NULL && strstr(txt, "Position 1 Gebühr") !=
		    NULL);
		KS_CHECK(txt != NULL && strstr(txt, "Position 300 Gebühr") !=
		    NULL);
		KS_CHECK(txt != NULL && strstr(txt, "CHF 343'650.00") != NULL);
		/* Every row once: none lost or doubled at a page break. */
		KS_CHECK(txt != NULL && strstr(txt, "Position 150 Gebühr") !=
		    NULL && strstr(strstr(txt, "Position 150 Gebühr") + 1,
		    "Position 150 Gebühr") == NULL);
		free(txt);
	}
	free(pdf);
}

KS_TEST(deterministic)
{
	char *a = NULL, *b = NULL, err[128];
	size_t la = 0, lb = 0;

	KS_CHECK_INT(ks_pdf_render(decision_de, "Verfügung", CREATED, &a, &la,
	    err, sizeof(err)), 0);
	KS_CHECK_INT(ks_pdf_render(decision_de, "Verfügung", CREATED, &b, &lb,
	    err, sizeof(err)), 0);
	KS_CHECK(a != NULL && b != NULL && la == lb &&
	    memcmp(a, b, la) == 0);
	free(b);
	/* Another date changes the date, nothing else in length. */
	KS_CHECK_INT(ks_pdf_render(decision_de, "Verfügung", "20250315093000",
	    &b, &lb, err, sizeof(err)), 0);
	KS_CHECK(b != NULL && la == lb && memcmp(a, b, la) != 0);
	free(a);
	free(b);
}

KS_TEST(bad_created)
{
	static const char *bad[] = {
		"", "2025-03-14", "2025031409300", "202503140930000",
		"20251314093000", "20250014093000", "20250230093000",
		"20230229120000", "20250314243000", "20250314096000",
		"20250314093060", "2025031409300a", " 20250314093000", NULL
	};
	static const struct ks_pdf_block doc[] = {
		{ KS_PDF_PARAGRAPH, "x", NULL }, { KS_PDF_END, NULL, NULL }
	};
	char *pdf, err[128];
	size_t len;
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		pdf = (char *)1;
		len = 7;
		err[0] = '\0';
		if (ks_pdf_render(doc, "t", bad[i], &pdf, &len, err,
		    sizeof(err)) != -1)
			KS_FAILF("\"%s\" accepted as a date", bad[i]);
		KS_CHECK(pdf == NULL && len == 0);
		KS_CHECK_STR(err, "creation date must be YYYYMMDDHHMMSS");
	}
	KS_CHECK_INT(ks_pdf_render(doc, "t", NULL, &pdf, &len, err,
	    sizeof(err)), -1);
	KS_CHECK(pdf == NULL);
	/* A leap day in a leap year is a date. */
	KS_CHECK_INT(ks_pdf_render(doc, "t", "20240229235959", &pdf, &len,
	    err, sizeof(err)), 0);
	free(pdf);
}

KS_TEST(bad_arguments)
{
	static const struct ks_pdf_block doc[] = {
		{ KS_PDF_PARAGRAPH, "x", NULL }, { KS_PDF_END, NULL, NULL }
	};
	static const struct ks_pdf_block unknown[] = {
		{ KS_PDF_PARAGRAPH, "x", NULL }, { (enum ks_pdf_kind)99, "y",
		    NULL }, { KS_PDF_END, NULL, NULL }
	};
	char *pdf = NULL, err[128];
	size_t len = 0;

	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, NULL, &len, err,
	    sizeof(err)), -1);
	KS_CHECK_STR(err, "no place for the document");
	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, &pdf, NULL, err,
	    sizeof(err)), -1);
	KS_CHECK_INT(ks_pdf_render(NULL, "t", CREATED, &pdf, &len, err,
	    sizeof(err)), -1);
	KS_CHECK_STR(err, "no document blocks");
	KS_CHECK(pdf == NULL);
	KS_CHECK_INT(ks_pdf_render(unknown, "t", CREATED, &pdf, &len, err,
	    sizeof(err)), -1);
	KS_CHECK_STR(err, "unknown block kind 99");
	KS_CHECK(pdf == NULL && len == 0);
	/* No error buffer: still a clean refusal. */
	KS_CHECK_INT(ks_pdf_render(unknown, "t", CREATED, &pdf, &len, NULL,
	    0), -1);
}

/*
 * NULL texts are empty, no blocks is one empty page, a word longer
 * than a line is broken, text outside WinAnsi becomes '?', and the
 * string delimiters are escaped.
 */
KS_TEST(odd_input)
{
	struct ks_pdf_block doc[8];
	static const struct ks_pdf_block empty[] = {
		{ KS_PDF_END, NULL, NULL }
	};
	char *pdf = NULL, *txt, *word, err[128];
	size_t len = 0;
	int i;

	word = malloc(5001);
	for (i = 0; i < 5000; i++)
		word[i] = "0123456789"[i % 10];
	word[5000] = '\0';
	memset(doc, 0, sizeof(doc));
	doc[0].kind = KS_PDF_TITLE;
	doc[1].kind = KS_PDF_ROW;
	doc[2].kind = KS_PDF_SIGNATURES;
	doc[3].kind = KS_PDF_PARAGRAPH;
	doc[3].text = word;
	doc[4].kind = KS_PDF_PARAGRAPH;
	doc[4].text = "Klammern (a) \\ b) ok; Emoji \xf0\x9f\x98\x80; "
	    "kaputt \xc3; Ω; Ende";
	doc[5].kind = KS_PDF_ADDRESS;
	doc[5].text = "\n\n";
	KS_CHECK_INT(ks_pdf_render(doc, NULL, CREATED, &pdf, &len, err,
	    sizeof(err)), 0);
	free(word);
	if (pdf == NULL)
		return;
	check_structure(pdf, len);
	KS_CHECK(find(pdf, len, "/Title") == NULL);
	KS_CHECK(find(pdf, len, "(Klammern \\(a\\) \\\\ b\\) ok;") != NULL);
	if (have_poppler()) {
		txt = text_of(pdf, len);
		KS_CHECK(txt != NULL && strstr(txt, "0123456789") != NULL);
		KS_CHECK(txt != NULL && strstr(txt, "Klammern (a) \\ b) ok; "
		    "Emoji ?; kaputt ?; ?; Ende") != NULL);
		free(txt);
	}
	free(pdf);
	KS_CHECK_INT(ks_pdf_render(empty, "", CREATED, &pdf, &len, err,
	    sizeof(err)), 0);
	if (pdf != NULL) {
		/* Objects 0 to 5, then a page and its contents. */
		KS_CHECK_INT(check_structure(pdf, len), 8);
		KS_CHECK(find(pdf, len, "/Title ()") != NULL);
		KS_CHECK(!have_poppler() || pages_of(pdf, len) == 1);
	}
	free(pdf);
}

KS_TEST(too_large)
{
	struct ks_pdf_block doc[2];
	char *big, *pdf = NULL, err[128];
	size_t len = 0, n = 11 * 1024 * 1024;

	big = malloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	memset(doc, 0, sizeof(doc));
	doc[0].kind = KS_PDF_PARAGRAPH;
	doc[0].text = big;
	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, &pdf, &len, err,
	    sizeof(err)), -1);
	KS_CHECK_STR(err, "document too large");
	KS_CHECK(pdf == NULL);
	/* Under the input limit but over the output limit: 1.5 MB of
	 * parentheses, each escaped, plus a line per 1000 units. */
	n = 6 * 1024 * 1024;
	memset(big, '(', n);
	big[n] = '\0';
	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, &pdf, &len, err,
	    sizeof(err)), -1);
	KS_CHECK_STR(err, "document too large");
	free(big);
}

/* ------------------------------------------------------------------ */
/* QR-bill payment part                                                 */
/* ------------------------------------------------------------------ */

/* Payloads as ks_qrbill_payload writes them (see test_qrbill.c). */
static const char qr_de[] =
    "SPC\n0200\n1\nCH4431999123000889012\n"
    "S\nRobert Schneider AG\nRue du Lac\n1268\n2501\nBiel\nCH\n"
    "\n\n\n\n\n\n\n"
    "3949.75\nCHF\n"
    "S\nPia-Maria Rütschmann\nGrosse Marktgasse\n28\n9400\nRorschach\nCH\n"
    "QRR\n210000000003139471430009017\nAuftrag vom 15.06.2020\nEPD\n"
    "//S1/10/10201409/11/200701";
static const char qr_fr_open[] =
    "SPC\n0200\n1\nCH5800791123000889012\n"
    "S\nService social de Bienne\nRue Centrale\n49\n2502\nBiel/Bienne\n"
    "CH\n"
    "\n\n\n\n\n\n\n"
    "\nEUR\n"
    "\n\n\n\n\n\n\n"
    "SCOR\nRF18539007547034\n\nEPD";

/* How often needle occurs in the document. */
static int
count(const char *pdf, size_t len, const char *needle)
{
	const char *p = pdf;
	int n = 0;

	while ((p = find(p, len - (size_t)(p - pdf), needle)) != NULL) {
		n++;
		p++;
	}
	return n;
}

static void
check_words(const char *txt, const char *const *words)
{
	int i;

	KS_CHECK(txt != NULL);
	for (i = 0; txt != NULL && words[i] != NULL; i++)
		if (strstr(txt, words[i]) == NULL)
			KS_FAILF("\"%s\" not in the text", words[i]);
}

/*
 * The German headings, the IBAN and the QR reference grouped, the amount
 * with a thousands space, both parties in the receipt and in the
 * payment part; the QR code and the Swiss cross are drawn; one page.
 */
KS_TEST(qrbill_german)
{
	const struct ks_pdf_block doc[] = {
		{ KS_PDF_PARAGRAPH, "Bitte bezahlen Sie innert 30 Tagen.",
		    NULL },
		{ KS_PDF_QRBILL, qr_de, "de" },
		{ KS_PDF_END, NULL, NULL }
	};
	static const char *const words[] = {
		"Empfangsschein", "Zahlteil", "Konto / Zahlbar an",
		"CH44 3199 9123 0008 8901 2", "Robert Schneider AG",
		"Rue du Lac 1268", "2501 Biel", "Referenz",
		"21 00000 00003 13947 14300 09017",
		"Zusätzliche Informationen", "Auftrag vom 15.06.2020",
		"//S1/10/10201409/11/200701", "Zahlbar durch",
		"Pia-Maria Rütschmann", "Grosse Marktgasse 28",
		"9400 Rorschach", "Währung", "Betrag", "CHF", "3 949.75",
		"Annahmestelle", NULL
	};
	char *pdf = NULL, *txt, err[128] = "";
	size_t len = 0;

	KS_CHECK_INT(ks_pdf_render(doc, "Rechnung", CREATED, &pdf, &len, err,
	    sizeof(err)), 0);
	KS_CHECK_STR(err, "");
	if (pdf == NULL)
		return;
	KS_CHECK(check_structure(pdf, len) == 8);
	/* The modules under a scaling matrix, then the cross in white. */
	KS_CHECK(count(pdf, len, " cm\n") == 1);
	KS_CHECK(count(pdf, len, " 1 re\n") > 100);
	KS_CHECK(count(pdf, len, "f 1 g\n") == 1);
	/* Separators only: no box when amount and debtor are given. */
	KS_CHECK_INT(count(pdf, len, " l S\n"), 2);
	KS_CHECK(find(pdf, len, "Zahlbar durch (Name/Adresse)") == NULL);
	if (have_poppler()) {
		txt = text_of(pdf, len);
		check_words(txt, words);
		/* Both parts show the account; the receipt no message. */
		KS_CHECK(txt != NULL && count(txt, strlen(txt),
		    "CH44 3199 9123 0008 8901 2") == 2);
		KS_CHECK(txt != NULL && count(txt, strlen(txt),
		    "Auftrag vom") == 1);
		free(txt);
		KS_CHECK_INT(pages_of(pdf, len), 1);
	}
	free(pdf);
}

/*
 * French, open amount and no debtor: the "(nom/adresse)" heading and
 * four boxes of corner marks (amount and debtor, receipt and payment
 * part); no reference line without a reference.
 */
KS_TEST(qrbill_french_open)
{
	const struct ks_pdf_block doc[] = {
		{ KS_PDF_QRBILL, qr_fr_open, "fr" },
		{ KS_PDF_END, NULL, NULL }
	};
	static const char *const words[] = {
		"Récépissé", "Section paiement", "Compte / Payable à",
		"CH58 0079 1123 0008 8901 2", "Service social de Bienne",
		"Rue Centrale 49", "2502 Biel/Bienne", "Référence",
		"RF18 5390 0754 7034", "Payable par (nom/adresse)",
		"Monnaie", "Montant", "EUR", "Point de dépôt", NULL
	};
	char *pdf = NULL, *txt, err[128] = "";
	size_t len = 0;

	KS_CHECK_INT(ks_pdf_render(doc, NULL, CREATED, &pdf, &len, err,
	    sizeof(err)), 0);
	if (pdf == NULL)
		return;
	check_structure(pdf, len);
	/* Two separators and 16 corner marks. */
	KS_CHECK_INT(count(pdf, len, " l S\n"), 18);
	if (have_poppler()) {
		txt = text_of(pdf, len);
		check_words(txt, words);
		KS_CHECK(txt != NULL && strstr(txt, "Informations "
		    "supplémentaires") == NULL);
		free(txt);
	}
	free(pdf);
}

/*
 * The bill needs the bottom 105 mm: after a full page of text it goes
 * to a new page, and whatever follows it starts another page.
 */
KS_TEST(qrbill_page_break)
{
	struct ks_pdf_block doc[44];
	char *pdf = NULL, *txt, err[128] = "";
	size_t len = 0;
	int i;

	memset(doc, 0, sizeof(doc));
	for (i = 0; i < 35; i++) {
		doc[i].kind = KS_PDF_PARAGRAPH;
		doc[i].text = "Eine Zeile Text, die den Platz füllt.";
	}
	doc[35].kind = KS_PDF_QRBILL;
	doc[35].text = qr_de;
	doc[36].kind = KS_PDF_PARAGRAPH;
	doc[36].text = "Beilage: Budget";
	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, &pdf, &len, err,
	    sizeof(err)), 0);
	if (pdf == NULL || !have_poppler()) {
		free(pdf);
		return;
	}
	KS_CHECK_INT(pages_of(pdf, len), 3);
	txt = tool(pdf, len, PDFTOTEXT " -f 1 -l 1 -enc UTF-8", 1);
	KS_CHECK(txt != NULL && strstr(txt, "Zahlteil") == NULL);
	free(txt);
	txt = tool(pdf, len, PDFTOTEXT " -f 2 -l 2 -enc UTF-8", 1);
	KS_CHECK(txt != NULL && strstr(txt, "Zahlteil") != NULL &&
	    strstr(txt, "Beilage") == NULL && strstr(txt, "Eine Zeile") ==
	    NULL);
	free(txt);
	txt = tool(pdf, len, PDFTOTEXT " -f 3 -l 3 -enc UTF-8", 1);
	KS_CHECK(txt != NULL && strstr(txt, "Beilage: Budget") != NULL);
	free(txt);
	free(pdf);
	/* A short letter keeps its bill on the same page. */
	doc[1].kind = KS_PDF_QRBILL;
	doc[1].text = qr_de;
	doc[2].kind = KS_PDF_END;
	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, &pdf, &len, err,
	    sizeof(err)), 0);
	KS_CHECK(pdf != NULL && pages_of(pdf, len) == 1);
	free(pdf);
}

/* Malformed payloads and other languages are refused, not drawn. */
KS_TEST(qrbill_refused)
{
	static const char *const bad[] = {
		"", "SPC", "SPC\n0200\n1",
		/* A combined address, another version, a missing trailer. */
		"SPC\n0200\n1\nCH5800791123000889012\nK\nA\nB 1\n1000 C\n"
		"\n\nCH\n\n\n\n\n\n\n\n\nCHF\n\n\n\n\n\n\n\nNON\n\n\nEPD",
		"SPC\n0100\n1\nCH5800791123000889012\nS\nA\nB\n1\n1000\nC\n"
		"CH\n\n\n\n\n\n\n\n\nCHF\n\n\n\n\n\n\n\nNON\n\n\nEPD",
		"SPC\n0200\n1\nCH5800791123000889012\nS\nA\nB\n1\n1000\nC\n"
		"CH\n\n\n\n\n\n\n\n\nCHF\n\n\n\n\n\n\n\nNON\n\n\nEND",
		/* Amount without decimals, another currency, 35 lines. */
		"SPC\n0200\n1\nCH5800791123000889012\nS\nA\nB\n1\n1000\nC\n"
		"CH\n\n\n\n\n\n\n\n12\nCHF\n\n\n\n\n\n\n\nNON\n\n\nEPD",
		"SPC\n0200\n1\nCH5800791123000889012\nS\nA\nB\n1\n1000\nC\n"
		"CH\n\n\n\n\n\n\n\n\nUSD\n\n\n\n\n\n\n\nNON\n\n\nEPD",
		"SPC\n0200\n1\nCH5800791123000889012\nS\nA\nB\n1\n1000\nC\n"
		"CH\n\n\n\n\n\n\n\n\nCHF\n\n\n\n\n\n\n\nNON\n\n\nEPD\n\n\n\n\n",
		NULL
	};
	struct ks_pdf_block doc[3];
	char *pdf, err[128];
	size_t len;
	int i;

	memset(doc, 0, sizeof(doc));
	doc[0].kind = KS_PDF_PARAGRAPH;
	doc[0].text = "x";
	doc[1].kind = KS_PDF_QRBILL;
	for (i = 0; bad[i] != NULL; i++) {
		doc[1].text = bad[i];
		pdf = NULL;
		err[0] = '\0';
		if (ks_pdf_render(doc, "t", CREATED, &pdf, &len, err,
		    sizeof(err)) != -1 || pdf != NULL)
			KS_FAILF("payload %d accepted", i);
		KS_CHECK_STR(err, "invalid qr-bill payload");
	}
	doc[1].text = NULL;
	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, &pdf, &len, err,
	    sizeof(err)), -1);
	KS_CHECK_STR(err, "invalid qr-bill payload");
	doc[1].text = qr_de;
	doc[1].text2 = "it";
	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, &pdf, &len, err,
	    sizeof(err)), -1);
	KS_CHECK_STR(err, "qr-bill language must be de or fr");
	/* The default language is German. */
	doc[1].text2 = NULL;
	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, &pdf, &len, err,
	    sizeof(err)), 0);
	KS_CHECK(pdf != NULL && find(pdf, len, "(Zahlteil)") != NULL);
	free(pdf);
}

KS_TEST(qrbill_deterministic)
{
	const struct ks_pdf_block doc[] = {
		{ KS_PDF_QRBILL, qr_de, "de" },
		{ KS_PDF_QRBILL, qr_fr_open, "fr" },
		{ KS_PDF_END, NULL, NULL }
	};
	char *a = NULL, *b = NULL, err[128];
	size_t la = 0, lb = 0;

	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, &a, &la, err,
	    sizeof(err)), 0);
	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, &b, &lb, err,
	    sizeof(err)), 0);
	KS_CHECK(a != NULL && b != NULL && la == lb &&
	    memcmp(a, b, la) == 0);
	/* Two bills, two pages. */
	KS_CHECK(a == NULL || !have_poppler() || pages_of(a, la) == 2);
	free(a);
	free(b);
}

/* The text of page n alone; the caller frees it. */
static char *
page_text(const char *pdf, size_t len, int n)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), PDFTOTEXT " -f %d -l %d -enc UTF-8", n, n);
	return tool(pdf, len, cmd, 1);
}

/*
 * A draft's mark stands at the top of every page, once, also when the
 * block comes last in the list; the footer numbers every page, except
 * the one that holds the payment part of a QR-bill.
 */
KS_TEST(mark_and_footer_on_every_page)
{
	struct ks_pdf_block doc[204];
	char labels[200][32], *pdf = NULL, *txt, want[32], err[128] = "";
	size_t len = 0;
	long pages;
	int i;

	memset(doc, 0, sizeof(doc));
	doc[0].kind = KS_PDF_FOOTER;
	doc[0].text = "Dossier 17 · Seite {page} von {pages} {x}";
	for (i = 0; i < 200; i++) {
		snprintf(labels[i], sizeof(labels[i]), "Zeile %d", i + 1);
		doc[i + 1].kind = KS_PDF_ROW;
		doc[i + 1].text = labels[i];
		doc[i + 1].text2 = "CHF 1.00";
	}
	doc[201].kind = KS_PDF_QRBILL;
	doc[201].text = qr_de;
	doc[202].kind = KS_PDF_MARK;
	doc[202].text = "ENTWURF";
	KS_CHECK_INT(ks_pdf_render(doc, "t", CREATED, &pdf, &len, err,
	    sizeof(err)), 0);
	if (pdf == NULL || !have_poppler()) {
		free(pdf);
		return;
	}
	check_structure(pdf, len);
	pages = pages_of(pdf, len);
	KS_CHECK(pages >= 4);
	for (i = 1; i <= pages; i++) {
		if ((txt = page_text(pdf, len, i)) == NULL) {
			KS_FAILF("no text of page %d", i);
			continue;
		}
		if (count(txt, strlen(txt), "ENTWURF") != 1)
			KS_FAILF("page %d has the mark %d times", i,
			    count(txt, strlen(txt), "ENTWURF"));
		snprintf(want, sizeof(want), "Seite %d von %ld {x}", i, pages);
		if (i < pages && strstr(txt, want) == NULL)
			KS_FAILF("page %d lacks \"%s\"", i, want);
		if (i == pages && (strstr(txt, "Seite") != NULL ||
		    strstr(txt, "Zahlteil") == NULL))
			KS_FAILF("the QR-bill page has a footer or no bill");
		free(txt);
	}
	txt = text_of(pdf, len);
	KS_CHECK(txt != NULL);
	/* Nothing lost at the page breaks. */
	for (i = 0; txt != NULL && i < 200; i++)
		if (count(txt, strlen(txt), labels[i]) < 1)
			KS_FAILF("\"%s\" is missing", labels[i]);
	KS_CHECK(txt != NULL && count(txt, strlen(txt), "Zeile 200\n") == 1);
	free(txt);
	free(pdf);
}

/* Without the blocks: no mark and no footer (the final decision). */
KS_TEST(no_mark_without_block)
{
	char *pdf = NULL, *txt, err[128] = "";
	size_t len = 0;

	KS_CHECK_INT(ks_pdf_render(decision_de, "t", CREATED, &pdf, &len,
	    err, sizeof(err)), 0);
	if (pdf == NULL || !have_poppler()) {
		free(pdf);
		return;
	}
	txt = text_of(pdf, len);
	KS_CHECK(txt != NULL && strstr(txt, "ENTWURF") == NULL &&
	    strstr(txt, "Seite") == NULL);
	free(txt);
	free(pdf);
}
