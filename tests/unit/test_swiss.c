/*
 * test_swiss.c - amounts and dates as Swiss letters write them
 * (core/include/kasus/swiss.h): the one money formatter at the
 * extremes (0, a Rappen either side, the largest and smallest long
 * long), the apostrophe between thousands, negative amounts, dd.mm.yyyy,
 * "1. März 2027" and "1er mars 2027", and what is not a date passing
 * through unchanged.
 */
#include <limits.h>

#include "kasus/swiss.h"
#include "ks_test.h"

KS_TEST(chf)
{
	char b[KS_SWISS_MAX];

	KS_CHECK_STR(ks_swiss_chf(b, 0), "CHF 0.00");
	KS_CHECK_STR(ks_swiss_chf(b, 1), "CHF 0.01");
	KS_CHECK_STR(ks_swiss_chf(b, -1), "CHF -0.01");
	KS_CHECK_STR(ks_swiss_chf(b, 5), "CHF 0.05");
	KS_CHECK_STR(ks_swiss_chf(b, 99), "CHF 0.99");
	KS_CHECK_STR(ks_swiss_chf(b, -99), "CHF -0.99");
	KS_CHECK_STR(ks_swiss_chf(b, 100), "CHF 1.00");
	KS_CHECK_STR(ks_swiss_chf(b, -100), "CHF -1.00");
	KS_CHECK_STR(ks_swiss_chf(b, 99999), "CHF 999.99");
	KS_CHECK_STR(ks_swiss_chf(b, 100000), "CHF 1'000.00");
	KS_CHECK_STR(ks_swiss_chf(b, 123450), "CHF 1'234.50");
	KS_CHECK_STR(ks_swiss_chf(b, 1234567), "CHF 12'345.67");
	KS_CHECK_STR(ks_swiss_chf(b, -1234567), "CHF -12'345.67");
	KS_CHECK_STR(ks_swiss_chf(b, 100000000), "CHF 1'000'000.00");
	KS_CHECK_STR(ks_swiss_chf(b, -40000), "CHF -400.00");
	KS_CHECK_STR(ks_swiss_chf(b, LLONG_MAX),
	    "CHF 92'233'720'368'547'758.07");
	KS_CHECK_STR(ks_swiss_chf(b, -LLONG_MAX),
	    "CHF -92'233'720'368'547'758.07");
	KS_CHECK_STR(ks_swiss_chf(b, LLONG_MIN),
	    "CHF -92'233'720'368'547'758.08");
}

/*
 * The same function without currency and separator (CSV, pain.001, the
 * QR-bill's payload) and with the QR-bill slip's spaces.
 */
KS_TEST(money_plain)
{
	char b[KS_SWISS_MAX];

	KS_CHECK_STR(ks_money(b, 0, "", '\0'), "0.00");
	KS_CHECK_STR(ks_money(b, 1, "", '\0'), "0.01");
	KS_CHECK_STR(ks_money(b, -1, "", '\0'), "-0.01");
	KS_CHECK_STR(ks_money(b, 5, NULL, '\0'), "0.05");
	KS_CHECK_STR(ks_money(b, 1234567, "", '\0'), "12345.67");
	KS_CHECK_STR(ks_money(b, -1234567, "", '\0'), "-12345.67");
	KS_CHECK_STR(ks_money(b, 99999999999LL, "", ' '),
	    "999 999 999.99");
	KS_CHECK_STR(ks_money(b, 100000, "", ' '), "1 000.00");
	KS_CHECK_STR(ks_money(b, 99999, "", ' '), "999.99");
	KS_CHECK_STR(ks_money(b, LLONG_MAX, "", '\0'),
	    "92233720368547758.07");
	KS_CHECK_STR(ks_money(b, LLONG_MIN, "", '\0'),
	    "-92233720368547758.08");
	KS_CHECK_STR(ks_money(b, LLONG_MIN, "EUR ", ' '),
	    "EUR -92 233 720 368 547 758.08");
	/* The prefix is cut at 8 bytes: the result always fits. */
	KS_CHECK_STR(ks_money(b, LLONG_MIN, "123456789", '\''),
	    "12345678-92'233'720'368'547'758.08");
}

KS_TEST(table_dates)
{
	char b[KS_SWISS_MAX];

	KS_CHECK_STR(ks_swiss_date(b, "2027-01-01"), "01.01.2027");
	KS_CHECK_STR(ks_swiss_date(b, "2026-12-31 23:59:00+01"),
	    "31.12.2026");
	KS_CHECK_STR(ks_swiss_date(b, "31.12.2026"), "31.12.2026");
	KS_CHECK_STR(ks_swiss_date(b, NULL), "");
}

KS_TEST(letter_dates)
{
	char b[KS_SWISS_MAX];

	KS_CHECK_STR(ks_swiss_date_long(b, "2027-01-01", "de"),
	    "1. Januar 2027");
	KS_CHECK_STR(ks_swiss_date_long(b, "2027-03-15", "de"),
	    "15. März 2027");
	KS_CHECK_STR(ks_swiss_date_long(b, "2027-01-01", "fr"),
	    "1er janvier 2027");
	KS_CHECK_STR(ks_swiss_date_long(b, "2027-08-02", "fr"),
	    "2 août 2027");
	KS_CHECK_STR(ks_swiss_date_long(b, "2027-12-21", NULL),
	    "21. Dezember 2027");
	KS_CHECK_STR(ks_swiss_date_long(b, "2027-13-01", "de"), "2027-13-01");
	KS_CHECK_STR(ks_swiss_date_long(b, "soon", "fr"), "soon");
}
