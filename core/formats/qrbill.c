/*
 * qrbill.c - Swiss QR-bill payloads; see qrbill.h.
 *
 * The payload is a fixed list of elements: every value is checked first
 * (into struct elems, which points at the caller's strings or at its own
 * normalised copies), then the elements are joined in one allocation.
 * IBANs and references are checked by the identifier functions of
 * iso20022.c, so a QR-bill and a pain.001 payment agree on what is valid.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "kasus/iso20022.h"
#include "kasus/qrbill.h"
#include "kasus/swiss.h"

/* 999,999,999.99: the largest amount the guidelines allow. */
#define AMOUNT_MAX	99999999999LL
/* Ustrd and StrdBkgInf share 140 characters. */
#define INFO_MAX	140
/* What a version 25 QR code holds at level M, the guidelines' limit. */
#define PAYLOAD_MAX	997

/* Element positions in the payload (IG QR-bill, version 0200). */
enum {
	E_QRTYPE, E_VERSION, E_CODING, E_IBAN,
	E_CDTR,				/* 7 lines: AdrTp .. Ctry */
	E_UCDTR = E_CDTR + 7,		/* 7 lines, always empty */
	E_AMT = E_UCDTR + 7, E_CCY,
	E_UDBTR,			/* 7 lines */
	E_REFTP = E_UDBTR + 7, E_REF, E_USTRD, E_TRAILER, E_BKGINF,
	E_MAX
};

/* The payload's elements; v[] points into the bill or into the buffers. */
struct elems {
	const char	*v[E_MAX];
	int		 n;
	char		 iban[KS_IBAN_BUFLEN];
	char		 amount[24];
	char		 ref[KS_QRREF_BUFLEN];	/* also holds an RF (<= 25) */
};

static int	seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	empty(const char *);
static int	check_text(const char *, const char *, size_t, int,
		    size_t *, char *, size_t);
static int	check_part(const char *, const char *, const char *, size_t,
		    int, char *, size_t);
static int	check_address(const struct ks_qr_address *, const char *,
		    const char **, char *, size_t);
static int	check_account(const struct ks_qrbill *, struct elems *,
		    char *, size_t);
static int	check_amount(const struct ks_qrbill *, struct elems *,
		    char *, size_t);
static int	squeeze(const char *, char *, size_t);
static int	check_reference(const struct ks_qrbill *, struct elems *,
		    char *, size_t);
static int	check_info(const struct ks_qrbill *, struct elems *, char *,
		    size_t);
static char	*join(const struct elems *);
static unsigned	 mod97(const char *);

static int
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return KS_ERROR;
}

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}


/*
 * Character set and length of one value (NULL is empty); the number of
 * characters goes to *nch when not NULL.
 */
static int
check_text(const char *s, const char *field, size_t max, int required,
    size_t *nch, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	uint32_t c;

	if (empty(s))
		return required ? seterr(err, errlen, "%s: missing", field) :
		    KS_OK;
	while (*p != '\0') {
		if (ks_utf8_next(&p, &c) == -1)
			return seterr(err, errlen, "%s: invalid utf-8", field);
		if (!ks_sps_allowed(c))
			return seterr(err, errlen, "%s: character U+%04X is "
			    "not allowed in a qr-bill", field, (unsigned)c);
		n++;
	}
	if (n > max)
		return seterr(err, errlen, "%s: longer than %zu characters",
		    field, max);
	if (nch != NULL)
		*nch = n;
	return KS_OK;
}

/* One part of a party's address: "creditor town" in messages. */
static int
check_part(const char *s, const char *who, const char *what, size_t max,
    int required, char *err, size_t errlen)
{
	char field[48];

	snprintf(field, sizeof(field), "%s %s", who, what);
	return check_text(s, field, max, required, NULL, err, errlen);
}

/*
 * A party's seven lines into v[0..6]; who names it in messages. A party
 * without a name is absent: seven empty lines, and no stray parts.
 */
static int
check_address(const struct ks_qr_address *a, const char *who,
    const char **v, char *err, size_t errlen)
{
	const struct {
		const char	*s;
		const char	*what;
		size_t		 max;
		int		 required;
	} part[5] = {
		{ a->name, "name", 70, 1 },
		{ a->street, "street", 70, 0 },
		{ a->building, "building number", 16, 0 },
		{ a->postcode, "postcode", 16, 1 },
		{ a->town, "town", 35, 1 },
	};
	const char *c = a->country;
	int i;

	for (i = 0; i < 7; i++)
		v[i] = "";
	if (empty(a->name)) {
		if (!empty(a->street) || !empty(a->building) ||
		    !empty(a->postcode) || !empty(a->town) || !empty(c))
			return seterr(err, errlen, "%s: address without a name",
			    who);
		return KS_OK;
	}
	for (i = 0; i < 5; i++)
		if (check_part(part[i].s, who, part[i].what, part[i].max,
		    part[i].required, err, errlen) == KS_ERROR)
			return KS_ERROR;
	if (empty(c))
		return seterr(err, errlen, "%s country: missing", who);
	if (strlen(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' ||
	    c[1] > 'Z')
		return seterr(err, errlen, "%s country: not a two-letter "
		    "code in capitals", who);
	v[0] = "S";
	v[1] = a->name;
	v[2] = a->street != NULL ? a->street : "";
	v[3] = a->building != NULL ? a->building : "";
	v[4] = a->postcode;
	v[5] = a->town;
	v[6] = c;
	return KS_OK;
}

static int
check_account(const struct ks_qrbill *b, struct elems *e, char *err,
    size_t errlen)
{
	if (empty(b->iban))
		return seterr(err, errlen, "iban: missing");
	if (ks_iban_valid(b->iban, e->iban, sizeof(e->iban)) != 1)
		return seterr(err, errlen, "iban: not a valid iban");
	if (strncmp(e->iban, "CH", 2) != 0 && strncmp(e->iban, "LI", 2) != 0)
		return seterr(err, errlen, "iban: not a Swiss or "
		    "Liechtenstein account");
	e->v[E_IBAN] = e->iban;
	return KS_OK;
}

static int
check_amount(const struct ks_qrbill *b, struct elems *e, char *err,
    size_t errlen)
{
	if (b->amount == -1)
		e->amount[0] = '\0';
	else if (b->amount < 1 || b->amount > AMOUNT_MAX)
		return seterr(err, errlen, "amount: must be 0.01 to "
		    "999999999.99, or open");
	else {
		char m[KS_SWISS_MAX];

		snprintf(e->amount, sizeof(e->amount), "%s",
		    ks_money(m, b->amount, "", '\0'));
	}
	e->v[E_AMT] = e->amount;
	if (b->currency == NULL || (strcmp(b->currency, "CHF") != 0 &&
	    strcmp(b->currency, "EUR") != 0))
		return seterr(err, errlen, "currency: must be CHF or EUR");
	e->v[E_CCY] = b->currency;
	return KS_OK;
}

/*
 * s without spaces, letters uppercased, into out; the length, or -1 for
 * other than letters and digits or when it does not fit.
 */
static int
squeeze(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	char c;

	for (; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		c = *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
		if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9'))
			return -1;
		if (n + 1 >= outlen)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return (int)n;
}

/*
 * The reference type follows from the reference, and must fit the
 * account: a QR-IBAN takes QR references only, a normal IBAN anything
 * else (the bank would reject the payment otherwise).
 */
static int
check_reference(const struct ks_qrbill *b, struct elems *e, char *err,
    size_t errlen)
{
	int qriban = ks_iban_is_qr(e->iban), n;

	e->v[E_REFTP] = "NON";
	e->v[E_REF] = "";
	if (!empty(b->reference)) {
		n = squeeze(b->reference, e->ref, sizeof(e->ref));
		if (n > 2 && strncmp(e->ref, "RF", 2) == 0) {
			if (!ks_scor_valid(e->ref))
				return seterr(err, errlen, "reference: not a "
				    "valid rf creditor reference");
			e->v[E_REFTP] = "SCOR";
		} else if (n > 0 && strspn(e->ref, "0123456789") ==
		    (size_t)n) {
			if (!ks_qrref_valid(e->ref))
				return seterr(err, errlen, "reference: not a "
				    "valid qr reference");
			e->v[E_REFTP] = "QRR";
		} else if (n != 0)
			return seterr(err, errlen, "reference: not a qr "
			    "reference or rf creditor reference");
		e->v[E_REF] = n > 0 ? e->ref : "";
	}
	if (qriban && strcmp(e->v[E_REFTP], "QRR") != 0)
		return seterr(err, errlen, "reference: a qr-iban needs a qr "
		    "reference");
	if (!qriban && strcmp(e->v[E_REFTP], "QRR") == 0)
		return seterr(err, errlen, "reference: a qr reference needs "
		    "a qr-iban");
	return KS_OK;
}

static int
check_info(const struct ks_qrbill *b, struct elems *e, char *err,
    size_t errlen)
{
	size_t nm = 0, ni = 0;

	if (check_text(b->message, "message", INFO_MAX, 0, &nm, err,
	    errlen) == KS_ERROR ||
	    check_text(b->bill_info, "bill information", INFO_MAX, 0, &ni,
	    err, errlen) == KS_ERROR)
		return KS_ERROR;
	if (nm + ni > INFO_MAX)
		return seterr(err, errlen, "message and bill information: "
		    "longer than %d characters together", INFO_MAX);
	e->v[E_USTRD] = b->message != NULL ? b->message : "";
	e->v[E_TRAILER] = "EPD";
	e->n = E_TRAILER + 1;
	if (!empty(b->bill_info))
		e->v[e->n++] = b->bill_info;
	return KS_OK;
}

/* The elements separated by '\n', none after the last; NULL: no memory. */
static char *
join(const struct elems *e)
{
	size_t len = 0, k;
	char *out, *p;
	int i;

	for (i = 0; i < e->n; i++)
		len += strlen(e->v[i]) + 1;
	if ((out = malloc(len)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i < e->n; i++) {
		k = strlen(e->v[i]);
		memcpy(p, e->v[i], k);
		p += k;
		*p++ = i + 1 < e->n ? '\n' : '\0';
	}
	return out;
}

int
ks_qrbill_payload(const struct ks_qrbill *b, char **out, char *err,
    size_t errlen)
{
	struct elems e;
	int i;

	if (out == NULL)
		return seterr(err, errlen, "no place for the payload");
	*out = NULL;
	if (b == NULL)
		return seterr(err, errlen, "no bill");
	memset(&e, 0, sizeof(e));
	e.v[E_QRTYPE] = "SPC";
	e.v[E_VERSION] = "0200";
	e.v[E_CODING] = "1";
	for (i = 0; i < 7; i++)
		e.v[E_UCDTR + i] = "";
	if (empty(b->creditor.name))
		return seterr(err, errlen, "creditor name: missing");
	if (check_account(b, &e, err, errlen) == KS_ERROR ||
	    check_address(&b->creditor, "creditor", &e.v[E_CDTR], err,
	    errlen) == KS_ERROR ||
	    check_amount(b, &e, err, errlen) == KS_ERROR ||
	    check_address(&b->debtor, "debtor", &e.v[E_UDBTR], err,
	    errlen) == KS_ERROR ||
	    check_reference(b, &e, err, errlen) == KS_ERROR ||
	    check_info(b, &e, err, errlen) == KS_ERROR)
		return KS_ERROR;
	if ((*out = join(&e)) == NULL)
		return seterr(err, errlen, "out of memory");
	/* Only text with many two- and three-byte characters gets here. */
	if (strlen(*out) > PAYLOAD_MAX) {
		free(*out);
		*out = NULL;
		return seterr(err, errlen, "payload: longer than %d bytes",
		    PAYLOAD_MAX);
	}
	return KS_OK;
}

int
ks_qrref_make(const char *digits, char out[KS_QRREF_BUFLEN])
{
	static const int tab[10] = { 0, 9, 4, 6, 8, 2, 7, 1, 3, 5 };
	size_t n, i;
	int carry = 0;

	if (digits == NULL || (n = strlen(digits)) == 0 || n > 26 ||
	    strspn(digits, "0123456789") != n ||
	    strspn(digits, "0") == n)
		return KS_ERROR;
	memset(out, '0', 26 - n);
	memcpy(out + 26 - n, digits, n);
	for (i = 0; i < 26; i++)
		carry = tab[(carry + out[i] - '0') % 10];
	out[26] = (char)('0' + (10 - carry) % 10);
	out[27] = '\0';
	return KS_OK;
}

/* ISO 7064 mod 97-10 of letters (10..35) and digits. */
static unsigned
mod97(const char *s)
{
	unsigned r = 0;

	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			r = (r * 10 + (unsigned)(*s - '0')) % 97;
		else
			r = (r * 100 + (unsigned)(*s - 'A' + 10)) % 97;
	}
	return r;
}

int
ks_scor_make(const char *base, char out[KS_SCOR_BUFLEN])
{
	char b[22], rot[26];
	int n;

	if (base == NULL || strchr(base, ' ') != NULL ||
	    (n = squeeze(base, b, sizeof(b))) < 1)
		return KS_ERROR;
	/* Check digits: 98 minus mod 97 of base + "RF00" (ISO 11649). */
	snprintf(rot, sizeof(rot), "%sRF00", b);
	snprintf(out, KS_SCOR_BUFLEN, "RF%02u%s", 98 - mod97(rot), b);
	return KS_OK;
}

void
ks_qrbill_group(const char *in, int qrr, char *out, size_t outlen)
{
	size_t n = 0, len = 0, k = 0, first;
	const char *s;

	if (out == NULL || outlen == 0)
		return;
	for (s = in != NULL ? in : ""; *s != '\0'; s++)
		if (*s != ' ')
			len++;
	/* QRR blocks of five are aligned on the right, the rest on the left. */
	first = qrr ? (len % 5 == 0 ? 5 : len % 5) : 4;
	for (s = in != NULL ? in : ""; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		if (k > 0 && (k == first || (k > first &&
		    (k - first) % (qrr ? 5 : 4) == 0))) {
			if (n + 1 >= outlen)
				break;
			out[n++] = ' ';
		}
		if (n + 1 >= outlen)
			break;
		out[n++] = *s;
		k++;
	}
	out[n] = '\0';
}
