/*
 * swiss.h - amounts and dates as Swiss letters and tables write them:
 * "CHF 1'234.50" (apostrophe as thousands separator), "01.03.2027" in
 * tables, "1. März 2027" and "1er mars 2027" in running text. Every
 * amount the C code writes (letters, invoices, CSV, pain.001, QR-bill)
 * goes through ks_money.
 *
 * Header-only (static inline, no state) so that the core and the domain
 * modules share one implementation: a module links against no core
 * symbol.
 */
#ifndef KS_SWISS_H
#define KS_SWISS_H

#include <stdio.h>
#include <string.h>

/** Size of a buffer that holds any result of the functions below. */
#define KS_SWISS_MAX	48

/**
 * The one money formatter of the C code. Writes an amount of Rappen (or
 * cent) as: prefix, a minus sign when negative, the francs with sep
 * between every three digits (sep '\0': none), two decimals; into out
 * (KS_SWISS_MAX bytes; prefix at most 8 bytes). Exact for every long
 * long, LLONG_MIN included (no negation of a signed value). Returns out.
 *
 *   ks_money(b, -123450, "CHF ", '\'')   "CHF -1'234.50"  letters
 *   ks_money(b, 123450, "", '\0')        "1234.50"        CSV, XML, QR
 *   ks_money(b, 123450, "", ' ')         "1 234.50"       QR-bill slip
 */
static inline char *
ks_money(char *out, long long rappen, const char *prefix, char sep)
{
	unsigned long long a = rappen < 0 ? 0ULL - (unsigned long long)rappen :
	    (unsigned long long)rappen, f = a / 100;
	char digits[24];	/* the francs, the lowest digit first */
	int n = 0, i, o = 0;

	do {
		digits[n++] = (char)('0' + f % 10);
		f /= 10;
	} while (f != 0);
	for (i = 0; prefix != NULL && i < 8 && prefix[i] != '\0'; i++)
		out[o++] = prefix[i];
	if (rappen < 0)
		out[o++] = '-';
	for (i = n - 1; i >= 0; i--) {
		out[o++] = digits[i];
		if (sep != '\0' && i > 0 && i % 3 == 0)
			out[o++] = sep;
	}
	out[o++] = '.';
	out[o++] = (char)('0' + a % 100 / 10);
	out[o++] = (char)('0' + a % 10);
	out[o] = '\0';
	return out;
}

/**
 * "CHF 1'234.50", "CHF -12.00": amounts as letters and tables show them
 * (ks_money with the currency and the apostrophe); returns out.
 */
static inline char *
ks_swiss_chf(char *out, long long rappen)
{
	return ks_money(out, rappen, "CHF ", '\'');
}

/*
 * The year, month and day of "YYYY-MM-DD..." (a timestamp's date part
 * too); 0 when s does not start with a date.
 */
static inline int
ks_swiss_ymd(const char *s, int *y, int *m, int *d)
{
	int i;

	if (s == NULL || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	return *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

/**
 * "01.03.2027" (tables) from "2027-03-01" into out (KS_SWISS_MAX bytes);
 * anything that is not a date is copied as it is. Returns out.
 */
static inline char *
ks_swiss_date(char *out, const char *iso)
{
	int y, m, d;

	if (ks_swiss_ymd(iso, &y, &m, &d))
		snprintf(out, KS_SWISS_MAX, "%02d.%02d.%04d", d, m, y);
	else
		snprintf(out, KS_SWISS_MAX, "%s", iso != NULL ? iso : "");
	return out;
}

/**
 * "1. März 2027" (lang "de") or "1er mars 2027" ("fr") from "2027-03-01"
 * into out (KS_SWISS_MAX bytes), for running text; anything that is not
 * a date is copied as it is. Returns out.
 */
static inline char *
ks_swiss_date_long(char *out, const char *iso, const char *lang)
{
	static const char *const de[] = { "Januar", "Februar", "März",
	    "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
	    "November", "Dezember" };
	static const char *const fr[] = { "janvier", "février", "mars",
	    "avril", "mai", "juin", "juillet", "août", "septembre",
	    "octobre", "novembre", "décembre" };
	int y, m, d;

	if (!ks_swiss_ymd(iso, &y, &m, &d))
		snprintf(out, KS_SWISS_MAX, "%s", iso != NULL ? iso : "");
	else if (lang != NULL && strcmp(lang, "fr") == 0)
		snprintf(out, KS_SWISS_MAX, "%d%s %s %d", d, d == 1 ? "er" : "",
		    fr[m - 1], y);
	else
		snprintf(out, KS_SWISS_MAX, "%d. %s %d", d, de[m - 1], y);
	return out;
}

#endif
