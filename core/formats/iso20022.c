/*
 * iso20022.c - Swiss payment identifiers, pain.001.001.09 (SPS) writer,
 * XSD validation and camt.054.001.08 parser. See iso20022.h.
 *
 * The writer builds its text by hand rather than through libxml2's
 * writer: the layout must be byte-for-byte stable and every value goes
 * through one checked path (character set, length, escaping). Parsing and
 * validation use libxml2 with per-call contexts and per-context error
 * handlers only; nothing here touches libxml2's global settings.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "kasus/iso20022.h"
#include "kasus/swiss.h"

#define PAIN_NS		"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
#define CAMT054_NS	"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
#define CAMT054_PFX	"urn:iso:std:iso:20022:tech:xsd:camt.054."

/* 99,999,999,999.99: the SPS maximum for one amount, in minor units. */
#define AMOUNT_MAX	INT64_C(9999999999999)
/* CtrlSum is a decimal of at most 18 digits. */
#define CTRLSUM_MAX	INT64_C(999999999999999999)

#define XML_OPTS	(XML_PARSE_NONET | XML_PARSE_NOERROR | \
			 XML_PARSE_NOWARNING)

#if LIBXML_VERSION >= 21200
typedef const xmlError *xerr_ptr;
#else
typedef xmlErrorPtr xerr_ptr;
#endif

enum { KIND_DOMESTIC, KIND_SEPA, KIND_FOREIGN };
enum { REF_NONE, REF_QRR, REF_SCOR };

/*
 * Growable output buffer; a failed allocation sticks in oom. With check
 * set, the schema check reads what is written (ks_iso_check): the buffer
 * moves only under the check's lock.
 */
struct sbuf {
	char			*p;
	size_t			 len;
	size_t			 cap;
	int			 oom;
	struct ks_iso_check	*check;
};

/*
 * A pain.001 file checked against its schema while it is written: the
 * writer hands its bytes over every CHECK_STEP bytes (ready), the check's
 * threads read them into libxml2's streamed validation. Bytes below
 * ready are not written again; p moves (realloc) only under mu.
 *
 * A run of SPLIT_MIN payments or more is checked in two parts at once,
 * each a whole document for the schema: the first is the file up to the
 * split payment (about the middle), closed there with the tags of its
 * group and of the document; the second the file's head (to its first
 * payment group), the head of the group with the split payment and the
 * file from that payment to its end. Every byte of the file is read by
 * a part, each element within the same elements as in the file. That is
 * the file's own check as long as the schema counts no payments and
 * ties none to another (no maxOccurs below unbounded on them, no
 * identity constraint): so in the SPS schema. Validating is what takes
 * the time (about ten times writing), so two parts on two cores take
 * about half of it. The writer notes the offsets (mark) as it passes
 * them.
 */
#define CHECK_STEP	(64u * 1024)
#define SPLIT_MIN	256

enum {
	M_ZERO,		/* 0 */
	M_GROUPS,	/* the first PmtInf */
	M_GROUP,	/* the PmtInf of the split payment */
	M_GROUP_TX,	/* its first CdtTrfTxInf */
	M_SPLIT,	/* the split payment's CdtTrfTxInf */
	M_END,		/* the file's end, once written */
	M_CLOSE,	/* not an offset: the first part's closing tags */
	M_N = M_CLOSE
};

/* Bytes a part reads: from mark to mark, or the closing tags. */
struct seg {
	int	from;
	int	to;
};

struct check_part {
	struct ks_iso_check	*ck;
	const struct seg	*seg;
	int			 nseg;
	int			 i;		/* the segment being read */
	size_t			 pos;		/* read of it */
	pthread_t		 thread;
	int			 slot;		/* the helper's */
	int			 started;	/* the part runs */
	int			 rc;
	char			 err[256];
};

struct ks_iso_check {
	const struct ks_iso_schema *schema;
	const struct ks_iso_helper *helper;	/* or NULL: threads */
	pthread_mutex_t		 mu;
	pthread_cond_t		 more;
	const char		*p;
	size_t			 ready;
	int			 end;		/* 1 all written, -1 given up */
	const void		*split_at;	/* the struct tx, or NULL */
	size_t			 mark[M_N];	/* SIZE_MAX until passed */
	struct check_part	 part[2];
	int			 nparts;
};

static void	check_hand(struct ks_iso_check *, const char *, size_t, int);
static void	check_mark(struct ks_iso_check *, int, size_t);

/* A creditor or debtor address after character-set cleaning. */
struct caddr {
	char	*street;
	char	*building;
	char	*postcode;
	char	*town;
	char	 country[3];
};

/* One payment after all checks, ready to write. */
struct tx {
	const struct ks_iso_payment *p;
	size_t		 idx;
	int		 kind;
	int		 reftype;
	char		 date[11];
	char		 iban[KS_IBAN_BUFLEN];
	char		 ref[36];
	char		*name;
	char		*ustrd;
	struct caddr	 addr;
};

/* First error reported by libxml2 through a context's handler. */
struct xerr {
	char		*buf;
	size_t		 len;
	int		 seen;
	int		(*line_off)(void *);	/* added to a line, or NULL */
	void		*off_arg;
};

static int	seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static int
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * A check's message ("town: missing") with the front of its field's name
 * put before it ("payment 7 creditor" and " "): the names are made only
 * for a message, not for each of a run's thousands of payments.
 */
static int
err_front(char *err, size_t errlen, const char *front, const char *sep)
{
	char tail[256];

	if (err != NULL && errlen > 0) {
		snprintf(tail, sizeof(tail), "%s", err);
		snprintf(err, errlen, "%s%s%s", front, sep, tail);
	}
	return -1;
}

/* Locale-independent character classes: input is bytes, not text. */
static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static int
is_alnum_up(int c)
{
	return is_digit(c) || is_upper(c);
}

static int
to_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* A malloc'd copy of n bytes of s plus a NUL; NULL when out of memory. */
static char *
dupn(const char *s, size_t n)
{
	char *r;

	if ((r = malloc(n + 1)) != NULL) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

/* Whether the n bytes at p contain needle (no NUL in needle). */
static int
contains(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (p[i] == needle[0] && memcmp(p + i, needle, k) == 0)
			return 1;
	return 0;
}

/* At least n characters before the NUL. */
static int
has_len(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0')
			return 0;
	return 1;
}

/*
 * Copy s without spaces and uppercased into out (outlen bytes). Returns
 * the length, or -1 when it does not fit or holds other than A-Z a-z 0-9.
 */
static int
squeeze(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	if (s == NULL)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		if (!is_alnum_up(to_upper((unsigned char)*s)) ||
		    n + 1 >= outlen)
			return -1;
		out[n++] = (char)to_upper((unsigned char)*s);
	}
	out[n] = '\0';
	return (int)n;
}

/* ISO 7064 mod 97-10 of s, letters counting as 10..35. */
static unsigned
mod97(const char *s, size_t n)
{
	unsigned r = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (is_digit(s[i]))
			r = (r * 10 + (unsigned)(s[i] - '0')) % 97;
		else
			r = (r * 100 + (unsigned)(s[i] - 'A' + 10)) % 97;
	}
	return r;
}

/* mod97 of s with its first four characters moved to the end. */
static unsigned
mod97_rotated(const char *s, size_t n)
{
	char buf[40];

	if (n < 4 || n > sizeof(buf))
		return 0;
	memcpy(buf, s + 4, n - 4);
	memcpy(buf + n - 4, s, 4);
	return mod97(buf, n);
}

/* ------------------------------------------------------------------ */
/* Identifiers                                                          */
/* ------------------------------------------------------------------ */

/* IBAN registry lengths (SWIFT IBAN registry). */
static const struct {
	char		cc[3];
	unsigned char	len;
} iban_len[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 },
	{ "AZ", 28 }, { "BA", 20 }, { "BE", 16 }, { "BG", 22 },
	{ "BH", 22 }, { "BR", 29 }, { "BY", 28 }, { "CH", 21 },
	{ "CR", 22 }, { "CY", 28 }, { "CZ", 24 }, { "DE", 22 },
	{ "DK", 18 }, { "DO", 28 }, { "EE", 20 }, { "EG", 29 },
	{ "ES", 24 }, { "FI", 18 }, { "FO", 18 }, { "FR", 27 },
	{ "GB", 22 }, { "GE", 22 }, { "GI", 23 }, { "GL", 18 },
	{ "GR", 27 }, { "GT", 28 }, { "HR", 21 }, { "HU", 28 },
	{ "IE", 22 }, { "IL", 23 }, { "IQ", 23 }, { "IS", 26 },
	{ "IT", 27 }, { "JO", 30 }, { "KW", 30 }, { "KZ", 20 },
	{ "LB", 28 }, { "LC", 32 }, { "LI", 21 }, { "LT", 20 },
	{ "LU", 20 }, { "LV", 21 }, { "MC", 27 }, { "MD", 24 },
	{ "ME", 22 }, { "MK", 19 }, { "MR", 27 }, { "MT", 31 },
	{ "MU", 30 }, { "NL", 18 }, { "NO", 15 }, { "PK", 24 },
	{ "PL", 28 }, { "PS", 29 }, { "PT", 25 }, { "QA", 29 },
	{ "RO", 24 }, { "RS", 22 }, { "SA", 24 }, { "SC", 31 },
	{ "SE", 24 }, { "SI", 19 }, { "SK", 24 }, { "SM", 27 },
	{ "ST", 25 }, { "SV", 28 }, { "TL", 23 }, { "TN", 24 },
	{ "TR", 26 }, { "UA", 29 }, { "VA", 22 }, { "VG", 24 },
	{ "XK", 20 },
};

/* Countries reached by SEPA credit transfers in EUR (besides CH, LI). */
static const char sepa_cc[] =
    "AD AT BE BG CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LT LU "
    "LV MC MT NL NO PL PT RO SE SI SK SM VA";

static int
swiss(const char *iban)
{
	return strncmp(iban, "CH", 2) == 0 || strncmp(iban, "LI", 2) == 0;
}

int
ks_iban_valid(const char *iban, char *norm, size_t normlen)
{
	char buf[KS_IBAN_BUFLEN];
	size_t i, want = 0;
	int n;

	if ((n = squeeze(iban, buf, sizeof(buf))) < 5)
		return 0;
	if (!is_upper(buf[0]) || !is_upper(buf[1]) || !is_digit(buf[2]) ||
	    !is_digit(buf[3]))
		return 0;
	for (i = 0; i < sizeof(iban_len) / sizeof(iban_len[0]); i++)
		if (memcmp(buf, iban_len[i].cc, 2) == 0)
			want = iban_len[i].len;
	if (want == 0 || (size_t)n != want)
		return 0;
	if (swiss(buf))
		for (i = 4; i < 9; i++)
			if (!is_digit(buf[i]))
				return 0;
	if (mod97_rotated(buf, (size_t)n) != 1)
		return 0;
	if (norm != NULL) {
		if (normlen < (size_t)n + 1)
			return -1;
		memcpy(norm, buf, (size_t)n + 1);
	}
	return 1;
}

int
ks_iban_is_qr(const char *norm)
{
	long iid = 0;
	int i;

	if (norm == NULL || strlen(norm) != 21 || !swiss(norm))
		return 0;
	for (i = 4; i < 9; i++) {
		if (!is_digit(norm[i]))
			return 0;
		iid = iid * 10 + (norm[i] - '0');
	}
	return iid >= 30000 && iid <= 31999;
}

/* Normalise a QR reference into out[28]; 0 or -1 when malformed. */
static int
qrref_norm(const char *ref, char out[28])
{
	static const int tab[10] = { 0, 9, 4, 6, 8, 2, 7, 1, 3, 5 };
	int carry = 0, i, zero = 1;

	if (squeeze(ref, out, 28) != 27)
		return -1;
	for (i = 0; i < 27; i++) {
		if (!is_digit(out[i]))
			return -1;
		if (out[i] != '0')
			zero = 0;
	}
	for (i = 0; i < 26; i++)
		carry = tab[(carry + out[i] - '0') % 10];
	if (zero || (10 - carry) % 10 != out[26] - '0')
		return -1;
	return 0;
}

int
ks_qrref_valid(const char *ref)
{
	char buf[28];

	return qrref_norm(ref, buf) == 0;
}

/* Normalise an RF reference into out[26]; 0 or -1 when malformed. */
static int
scor_norm(const char *ref, char out[26])
{
	int n;

	if ((n = squeeze(ref, out, 26)) < 5 || n > 25)
		return -1;
	if (out[0] != 'R' || out[1] != 'F' || !is_digit(out[2]) ||
	    !is_digit(out[3]))
		return -1;
	return mod97_rotated(out, (size_t)n) == 1 ? 0 : -1;
}

int
ks_scor_valid(const char *ref)
{
	char buf[26];

	return scor_norm(ref, buf) == 0;
}

int
ks_ahv_valid(const char *s, char *norm, size_t normlen)
{
	char d[KS_AHV_BUFLEN];
	size_t i, n = 0, len;
	int sum = 0;

	if (s == NULL)
		return 0;
	len = strlen(s);
	if (len != 13 && len != 16)
		return 0;
	for (i = 0; i < len; i++) {
		/* Dots only where 756.XXXX.XXXX.XX puts them. */
		if (len == 16 && (i == 3 || i == 8 || i == 13)) {
			if (s[i] != '.')
				return 0;
			continue;
		}
		if (!is_digit(s[i]))
			return 0;
		d[n++] = s[i];
	}
	d[n] = '\0';
	if (strncmp(d, "756", 3) != 0)
		return 0;
	for (i = 0; i < 12; i++)
		sum += (d[i] - '0') * (i % 2 == 0 ? 1 : 3);
	if ((10 - sum % 10) % 10 != d[12] - '0')
		return 0;
	if (norm != NULL) {
		if (normlen < KS_AHV_BUFLEN)
			return -1;
		memcpy(norm, d, KS_AHV_BUFLEN);
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Output buffer                                                        */
/* ------------------------------------------------------------------ */

/* Room for n more bytes and the NUL; -1 when there is none (sb->oom). */
static int
sb_grow(struct sbuf *sb, size_t n)
{
	size_t ncap;
	char *np;

	if (sb->oom)
		return -1;
	ncap = sb->cap == 0 ? 64 : sb->cap;
	while (ncap < sb->len + n + 1)
		ncap *= 2;
	if (sb->check != NULL)
		pthread_mutex_lock(&sb->check->mu);
	if ((np = realloc(sb->p, ncap)) == NULL)
		sb->oom = 1;
	else {
		sb->p = np;
		sb->cap = ncap;
	}
	if (sb->check != NULL) {
		sb->check->p = sb->p;
		pthread_mutex_unlock(&sb->check->mu);
	}
	return sb->oom ? -1 : 0;
}

/* Called for every tag and value of a file: the growth is out of line. */
static inline void
sb_add(struct sbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap && sb_grow(sb, n) != 0)
		return;
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
	if (sb->check != NULL && sb->len - sb->check->ready >= CHECK_STEP)
		check_hand(sb->check, sb->p, sb->len, 0);
}

static inline void
sb_str(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static inline void
sb_indent(struct sbuf *sb, int depth)
{
	static const char sp[] = "                                ";

	sb_add(sb, sp, (size_t)(2 * depth) < sizeof(sp) - 1 ?
	    (size_t)(2 * depth) : sizeof(sp) - 1);
}

/* Text with &, < and > escaped; other characters pass as UTF-8. */
static inline void
sb_esc(struct sbuf *sb, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep = NULL;

		if (*s == '&')
			rep = "&amp;";
		else if (*s == '<')
			rep = "&lt;";
		else if (*s == '>')
			rep = "&gt;";
		if (rep == NULL)
			continue;
		sb_add(sb, run, (size_t)(s - run));
		sb_str(sb, rep);
		run = s + 1;
	}
	sb_add(sb, run, (size_t)(s - run));
}

static inline void
sb_open(struct sbuf *sb, int depth, const char *name)
{
	sb_indent(sb, depth);
	sb_str(sb, "<");
	sb_str(sb, name);
	sb_str(sb, ">\n");
}

static inline void
sb_close(struct sbuf *sb, int depth, const char *name)
{
	sb_indent(sb, depth);
	sb_str(sb, "</");
	sb_str(sb, name);
	sb_str(sb, ">\n");
}

/* <name>text</name>, skipped when text is empty. */
static inline void
sb_leaf(struct sbuf *sb, int depth, const char *name, const char *text)
{
	if (empty(text))
		return;
	sb_indent(sb, depth);
	sb_str(sb, "<");
	sb_str(sb, name);
	sb_str(sb, ">");
	sb_esc(sb, text);
	sb_str(sb, "</");
	sb_str(sb, name);
	sb_str(sb, ">\n");
}

/* "1234.50" from 123450 minor units. */
static void
fmt_amount(int64_t v, char out[KS_SWISS_MAX])
{
	ks_money(out, v, "", '\0');
}

/* ------------------------------------------------------------------ */
/* Character set                                                        */
/* ------------------------------------------------------------------ */

int
ks_utf8_next(const unsigned char **pp, uint32_t *cp)
{
	const unsigned char *p = *pp;
	uint32_t c, min;
	int n, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		*pp = p + 1;
		return 0;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 1, c = p[0] & 0x1f, min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 2, c = p[0] & 0x0f, min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 3, c = p[0] & 0x07, min = 0x10000;
	} else
		return -1;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	*pp = p + n + 1;
	return 0;
}

int
ks_sps_allowed(uint32_t c)
{
	if (c >= 0x20 && c <= 0x7e)
		return 1;
	if (c >= 0xa0 && c <= 0x17f && c != 0xad)
		return 1;
	return c == 0x20ac || (c >= 0x218 && c <= 0x21b);
}

/* What REPLACE puts for a character outside the set ("" drops it). */
static const char *
sps_replacement(uint32_t c)
{
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return " ";
	if (c == 0xad || (c >= 0x200b && c <= 0x200d) || c == 0xfeff)
		return "";
	if ((c >= 0x2000 && c <= 0x200a) || c == 0x202f || c == 0x205f ||
	    c == 0x3000)
		return " ";
	if ((c >= 0x2018 && c <= 0x201b) || c == 0x2032)
		return "'";
	if ((c >= 0x201c && c <= 0x201f) || c == 0x2033)
		return "\"";
	if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212)
		return "-";
	if (c == 0x2026)
		return "...";
	return ".";
}

/*
 * Check and clean one free-text field. Returns a malloc'd copy (NULL in
 * *out for absent input), or -1 with a message naming the field.
 */
static int
clean_text(const char *in, int policy, const char *field, size_t maxch,
    int required, char **out, char *err, size_t errlen)
{
	const unsigned char *p, *prev;
	struct sbuf sb = { 0 };
	size_t nch = 0, a, b;
	uint32_t c;

	*out = NULL;
	if (in == NULL)
		in = "";
	for (p = (const unsigned char *)in; *p != '\0';) {
		prev = p;
		if (*p >= 0x20 && *p <= 0x7e) {	/* printable ASCII: in the set */
			while (*p >= 0x20 && *p <= 0x7e)
				p++;
			sb_add(&sb, (const char *)prev, (size_t)(p - prev));
			continue;
		}
		if (ks_utf8_next(&p, &c) == -1) {
			free(sb.p);
			return seterr(err, errlen, "%s: invalid utf-8", field);
		}
		if (c == 0xa0)
			sb_str(&sb, " ");
		else if (ks_sps_allowed(c))
			sb_add(&sb, (const char *)prev, (size_t)(p - prev));
		else if (policy == KS_ISO_CHARSET_REFUSE) {
			free(sb.p);
			return seterr(err, errlen, "%s: character U+%04X is "
			    "outside the sps character set", field,
			    (unsigned)c);
		} else
			sb_str(&sb, sps_replacement(c));
	}
	sb_str(&sb, "");
	if (sb.oom)
		return seterr(err, errlen, "out of memory");
	/* Trim spaces, then count characters (UTF-8 lead bytes). */
	for (a = 0; sb.p[a] == ' '; a++)
		;
	for (b = sb.len; b > a && sb.p[b - 1] == ' '; b--)
		;
	memmove(sb.p, sb.p + a, b - a);
	sb.p[b - a] = '\0';
	for (p = (const unsigned char *)sb.p; *p != '\0'; p++)
		if ((*p & 0xc0) != 0x80)
			nch++;
	if (nch == 0) {
		free(sb.p);
		return required ? seterr(err, errlen, "%s: missing", field) : 0;
	}
	if (nch > maxch) {
		free(sb.p);
		return seterr(err, errlen, "%s: longer than %zu characters",
		    field, maxch);
	}
	*out = sb.p;
	return 0;
}

/* Identifiers: the SWIFT character set of Max35Text_pain001_ch. */
static int
check_id(const char *s, const char *field, int required, char *err,
    size_t errlen)
{
	size_t n;

	if (empty(s))
		return required ? seterr(err, errlen, "%s: missing", field) : 0;
	if ((n = strlen(s)) > 35)
		return seterr(err, errlen, "%s: longer than 35 characters",
		    field);
	if (s[0] == ' ' || s[n - 1] == ' ')
		return seterr(err, errlen, "%s: leading or trailing space",
		    field);
	for (; *s != '\0'; s++)
		if (!is_alnum_up(*s) && !(*s >= 'a' && *s <= 'z') &&
		    strchr(" +?/-:().,'", *s) == NULL)
			return seterr(err, errlen, "%s: only A-Z a-z 0-9 "
			    "space and +?/-:().,' are allowed", field);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dates                                                                */
/* ------------------------------------------------------------------ */

static int
num(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* YYYY-MM-DD at the start of s, a real calendar day. */
static int
date_ok(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, m, d, leap;

	if (!has_len(s, 10) || s[4] != '-' || s[7] != '-')
		return 0;
	y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

/* YYYY-MM-DDTHH:MM:SS, optional fraction, optional Z or +HH:MM. */
static int
datetime_ok(const char *s)
{
	const char *p;

	if (!has_len(s, 19) || !date_ok(s) || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return 0;
	if (num(s + 11, 2) < 0 || num(s + 11, 2) > 23 ||
	    num(s + 14, 2) < 0 || num(s + 14, 2) > 59 ||
	    num(s + 17, 2) < 0 || num(s + 17, 2) > 59)
		return 0;
	p = s + 19;
	if (*p == '.') {
		if (!is_digit(*++p))
			return 0;
		while (is_digit(*p))
			p++;
	}
	if (*p == 'Z')
		return p[1] == '\0';
	if (*p == '+' || *p == '-')
		return strlen(p) == 6 && p[3] == ':' && num(p + 1, 2) >= 0 &&
		    num(p + 1, 2) <= 14 && num(p + 4, 2) >= 0 &&
		    num(p + 4, 2) <= 59;
	return *p == '\0';
}

/* ------------------------------------------------------------------ */
/* pain.001: checks                                                     */
/* ------------------------------------------------------------------ */

static void
caddr_free(struct caddr *a)
{
	free(a->street);
	free(a->building);
	free(a->postcode);
	free(a->town);
	memset(a, 0, sizeof(*a));
}

/*
 * Clean an address. With required, town and country must be there;
 * otherwise an all-empty address is allowed (and left empty).
 */
static int
check_addr(const struct ks_iso_addr *in, int policy, const char *who,
    int required, struct caddr *out, char *err, size_t errlen)
{
	const char *c = in->country;

	memset(out, 0, sizeof(*out));
	if (!required && empty(in->street) && empty(in->building) &&
	    empty(in->postcode) && empty(in->town) && empty(in->country))
		return 0;
	if (clean_text(in->street, policy, "street", 70, 0, &out->street, err,
	    errlen) == -1 || clean_text(in->building, policy,
	    "building number", 16, 0, &out->building, err, errlen) == -1 ||
	    clean_text(in->postcode, policy, "postcode", 16, 0,
	    &out->postcode, err, errlen) == -1 || clean_text(in->town, policy,
	    "town", 35, 1, &out->town, err, errlen) == -1) {
		err_front(err, errlen, who, " ");
		goto fail;
	}
	if (empty(c)) {
		seterr(err, errlen, "%s country: missing", who);
		goto fail;
	}
	if (strlen(c) != 2 || !is_upper(to_upper(c[0])) ||
	    !is_upper(to_upper(c[1]))) {
		seterr(err, errlen, "%s country: not a two-letter code", who);
		goto fail;
	}
	out->country[0] = (char)to_upper(c[0]);
	out->country[1] = (char)to_upper(c[1]);
	return 0;
fail:
	caddr_free(out);
	return -1;
}

static int
bic_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n != 8 && n != 11)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_alnum_up(s[i]) || ((i == 4 || i == 5) &&
		    !is_upper(s[i])))
			return 0;
	return 1;
}

/* Account, reference and payment type of one payment. */
static int
check_account(struct tx *t, const char *field, char *err, size_t errlen)
{
	const struct ks_iso_payment *p = t->p;
	char cc[3];

	if (ks_iban_valid(p->creditor_iban, t->iban, sizeof(t->iban)) != 1)
		return seterr(err, errlen, "%s: creditor iban invalid", field);
	if (!empty(p->qr_ref) && !empty(p->scor_ref))
		return seterr(err, errlen, "%s: both a qr and a creditor "
		    "reference", field);
	if (ks_iban_is_qr(t->iban)) {
		if (empty(p->qr_ref))
			return seterr(err, errlen, "%s: qr-iban requires a qr "
			    "reference", field);
		if (qrref_norm(p->qr_ref, t->ref) == -1)
			return seterr(err, errlen, "%s: qr reference invalid",
			    field);
		t->reftype = REF_QRR;
	} else if (!empty(p->qr_ref)) {
		return seterr(err, errlen, "%s: qr reference requires a "
		    "qr-iban", field);
	} else if (!empty(p->scor_ref)) {
		if (scor_norm(p->scor_ref, t->ref) == -1)
			return seterr(err, errlen, "%s: creditor reference "
			    "invalid", field);
		t->reftype = REF_SCOR;
	}
	if (!empty(p->creditor_bic) && !bic_ok(p->creditor_bic))
		return seterr(err, errlen, "%s: creditor bic invalid", field);
	memcpy(cc, t->iban, 2);
	cc[2] = '\0';
	if (swiss(cc))
		t->kind = KIND_DOMESTIC;
	else if (strcmp(p->currency, "EUR") == 0 && strstr(sepa_cc, cc))
		t->kind = KIND_SEPA;
	else
		t->kind = KIND_FOREIGN;
	if (t->kind == KIND_FOREIGN && empty(p->creditor_bic))
		return seterr(err, errlen, "%s: payment abroad outside sepa "
		    "requires the creditor bic", field);
	/* SEPA carries the reference or text, never both (EPC rulebook). */
	if (t->kind == KIND_SEPA && t->reftype != REF_NONE &&
	    !empty(p->ustrd))
		return seterr(err, errlen, "%s: sepa payment takes a creditor "
		    "reference or text, not both", field);
	return 0;
}

static int
check_purpose(const char *s)
{
	size_t n, i;

	if (empty(s))
		return 0;
	if ((n = strlen(s)) > 4)
		return -1;
	for (i = 0; i < n; i++)
		if (!is_alnum_up(s[i]))
			return -1;
	return 0;
}

/* The name of payment i in messages: "payment 7". */
static const char *
payment_no(char out[32], size_t i)
{
	snprintf(out, 32, "payment %zu", i + 1);
	return out;
}

static int
check_payment(const struct ks_iso_run *run, size_t i, struct tx *t,
    char *err, size_t errlen)
{
	const struct ks_iso_payment *p = &run->payments[i];
	const char *date = empty(p->exec_date) ? run->exec_date : p->exec_date;
	const char *sep = " ";
	char no[32];

	memset(t, 0, sizeof(*t));
	t->p = p;
	t->idx = i;
	if (check_id(p->end_to_end_id, "end-to-end id", 1, err, errlen) == -1 ||
	    check_id(p->instr_id, "instruction id", 0, err, errlen) == -1)
		goto named;
	if (empty(date) || strlen(date) != 10 || !date_ok(date))
		return seterr(err, errlen, "%s: execution date not YYYY-MM-DD",
		    payment_no(no, i));
	memcpy(t->date, date, 11);
	if (p->amount <= 0)
		return seterr(err, errlen, "%s: amount must be positive",
		    payment_no(no, i));
	if (p->amount > AMOUNT_MAX)
		return seterr(err, errlen, "%s: amount too large",
		    payment_no(no, i));
	if (empty(p->currency) || (strcmp(p->currency, "CHF") != 0 &&
	    strcmp(p->currency, "EUR") != 0))
		return seterr(err, errlen, "%s: currency must be CHF or EUR",
		    payment_no(no, i));
	if (check_account(t, "", err, errlen) == -1) {
		sep = "";
		goto named;
	}
	if (check_purpose(p->purpose) == -1)
		return seterr(err, errlen, "%s: purpose is not a code of up "
		    "to 4 letters or digits", payment_no(no, i));
	if (clean_text(p->creditor_name, run->charset, "creditor name", 70, 1,
	    &t->name, err, errlen) == -1 || clean_text(p->ustrd,
	    run->charset, "remittance text", 140, 0, &t->ustrd, err,
	    errlen) == -1 || check_addr(&p->creditor_addr, run->charset,
	    "creditor", 1, &t->addr, err, errlen) == -1)
		goto named;
	return 0;
named:
	return err_front(err, errlen, payment_no(no, i), sep);
}

static void
tx_free(struct tx *t)
{
	free(t->name);
	free(t->ustrd);
	caddr_free(&t->addr);
}

/* B-level order: date, payment type, currency; then the run's order. */
static int
tx_cmp(const void *a, const void *b)
{
	const struct tx *x = a, *y = b;
	int c;

	if ((c = strcmp(x->date, y->date)) != 0)
		return c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->p->currency, y->p->currency)) != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
same_group(const struct tx *x, const struct tx *y)
{
	return strcmp(x->date, y->date) == 0 && x->kind == y->kind &&
	    strcmp(x->p->currency, y->p->currency) == 0;
}

static int
e2e_cmp(const void *a, const void *b)
{
	const struct tx *x = *(const struct tx *const *)a;
	const struct tx *y = *(const struct tx *const *)b;
	int c;

	if ((c = strcmp(x->p->end_to_end_id, y->p->end_to_end_id)) != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Payments are unique by end-to-end id: the key camt reports back.
 * Sorted, so a run of 100,000 stays fast; names the earliest repeat.
 */
static int
check_unique(struct tx *tx, size_t n, char *err, size_t errlen)
{
	struct tx **v;
	size_t i, first = SIZE_MAX, orig = 0;

	if ((v = malloc(n * sizeof(*v))) == NULL)
		return seterr(err, errlen, "out of memory");
	for (i = 0; i < n; i++)
		v[i] = &tx[i];
	qsort(v, n, sizeof(*v), e2e_cmp);
	/* In a group of equal ids the first is the original. */
	for (i = 1; i < n; i++)
		if (strcmp(v[i - 1]->p->end_to_end_id,
		    v[i]->p->end_to_end_id) == 0 &&
		    (i < 2 || strcmp(v[i - 2]->p->end_to_end_id,
		    v[i]->p->end_to_end_id) != 0) && v[i]->idx < first) {
			first = v[i]->idx;
			orig = v[i - 1]->idx;
		}
	free(v);
	if (first == SIZE_MAX)
		return 0;
	return seterr(err, errlen, "payment %zu: end-to-end id repeats "
	    "payment %zu", first + 1, orig + 1);
}

/* ------------------------------------------------------------------ */
/* pain.001: output                                                     */
/* ------------------------------------------------------------------ */

static void
put_addr(struct sbuf *sb, int d, const struct caddr *a)
{
	if (a->town == NULL)
		return;
	sb_open(sb, d, "PstlAdr");
	sb_leaf(sb, d + 1, "StrtNm", a->street);
	sb_leaf(sb, d + 1, "BldgNb", a->building);
	sb_leaf(sb, d + 1, "PstCd", a->postcode);
	sb_leaf(sb, d + 1, "TwnNm", a->town);
	sb_leaf(sb, d + 1, "Ctry", a->country);
	sb_close(sb, d, "PstlAdr");
}

static void
put_iban_acct(struct sbuf *sb, int d, const char *tag, const char *iban)
{
	sb_open(sb, d, tag);
	sb_open(sb, d + 1, "Id");
	sb_leaf(sb, d + 2, "IBAN", iban);
	sb_close(sb, d + 1, "Id");
	sb_close(sb, d, tag);
}

static void
put_rmtinf(struct sbuf *sb, int d, const struct tx *t)
{
	if (t->reftype == REF_NONE) {
		if (t->ustrd == NULL)
			return;
		sb_open(sb, d, "RmtInf");
		sb_leaf(sb, d + 1, "Ustrd", t->ustrd);
		sb_close(sb, d, "RmtInf");
		return;
	}
	sb_open(sb, d, "RmtInf");
	sb_open(sb, d + 1, "Strd");
	sb_open(sb, d + 2, "CdtrRefInf");
	sb_open(sb, d + 3, "Tp");
	sb_open(sb, d + 4, "CdOrPrtry");
	if (t->reftype == REF_QRR)
		sb_leaf(sb, d + 5, "Prtry", "QRR");
	else
		sb_leaf(sb, d + 5, "Cd", "SCOR");
	sb_close(sb, d + 4, "CdOrPrtry");
	sb_close(sb, d + 3, "Tp");
	sb_leaf(sb, d + 3, "Ref", t->ref);
	sb_close(sb, d + 2, "CdtrRefInf");
	sb_leaf(sb, d + 2, "AddtlRmtInf", t->ustrd);
	sb_close(sb, d + 1, "Strd");
	sb_close(sb, d, "RmtInf");
}

static void
put_tx(struct sbuf *sb, int d, const struct tx *t)
{
	const struct ks_iso_payment *p = t->p;
	char amt[KS_SWISS_MAX];

	fmt_amount(p->amount, amt);
	sb_open(sb, d, "CdtTrfTxInf");
	sb_open(sb, d + 1, "PmtId");
	sb_leaf(sb, d + 2, "InstrId", p->instr_id);
	sb_leaf(sb, d + 2, "EndToEndId", p->end_to_end_id);
	sb_close(sb, d + 1, "PmtId");
	sb_open(sb, d + 1, "Amt");
	sb_indent(sb, d + 2);
	sb_str(sb, "<InstdAmt Ccy=\"");
	sb_str(sb, p->currency);
	sb_str(sb, "\">");
	sb_str(sb, amt);
	sb_str(sb, "</InstdAmt>\n");
	sb_close(sb, d + 1, "Amt");
	if (!empty(p->creditor_bic)) {
		sb_open(sb, d + 1, "CdtrAgt");
		sb_open(sb, d + 2, "FinInstnId");
		sb_leaf(sb, d + 3, "BICFI", p->creditor_bic);
		sb_close(sb, d + 2, "FinInstnId");
		sb_close(sb, d + 1, "CdtrAgt");
	}
	sb_open(sb, d + 1, "Cdtr");
	sb_leaf(sb, d + 2, "Nm", t->name);
	put_addr(sb, d + 2, &t->addr);
	sb_close(sb, d + 1, "Cdtr");
	put_iban_acct(sb, d + 1, "CdtrAcct", t->iban);
	if (!empty(p->purpose)) {
		sb_open(sb, d + 1, "Purp");
		sb_leaf(sb, d + 2, "Cd", p->purpose);
		sb_close(sb, d + 1, "Purp");
	}
	put_rmtinf(sb, d + 1, t);
	sb_close(sb, d, "CdtTrfTxInf");
}

/* Debtor data shared by every PmtInf, already checked. */
struct dbtr {
	char		*name;
	char		*initiator;
	char		 iban[KS_IBAN_BUFLEN];
	const char	*bic;
	struct caddr	 addr;
};

static void
put_pmtinf(struct sbuf *sb, const struct ks_iso_run *run,
    const struct dbtr *db, const struct tx *g, size_t n, size_t no)
{
	char id[48], suffix[24], amt[KS_SWISS_MAX];
	int64_t sum = 0;
	size_t i;
	int split;

	for (i = 0; i < n; i++)
		sum += g[i].p->amount;
	fmt_amount(sum, amt);
	/* The message id, cut to leave room for "-<no>" within 35. */
	snprintf(suffix, sizeof(suffix), "-%zu", no);
	snprintf(id, sizeof(id), "%.*s%s", (int)(35 - strlen(suffix)),
	    run->msg_id, suffix);
	split = sb->check != NULL && sb->check->split_at != NULL &&
	    (const struct tx *)sb->check->split_at >= g &&
	    (const struct tx *)sb->check->split_at < g + n;
	if (split)
		check_mark(sb->check, M_GROUP, sb->len);
	sb_open(sb, 2, "PmtInf");
	sb_leaf(sb, 3, "PmtInfId", id);
	sb_leaf(sb, 3, "PmtMtd", "TRF");
	snprintf(id, sizeof(id), "%zu", n);
	sb_leaf(sb, 3, "NbOfTxs", id);
	sb_leaf(sb, 3, "CtrlSum", amt);
	if (g[0].kind == KIND_SEPA) {
		sb_open(sb, 3, "PmtTpInf");
		sb_open(sb, 4, "SvcLvl");
		sb_leaf(sb, 5, "Cd", "SEPA");
		sb_close(sb, 4, "SvcLvl");
		sb_close(sb, 3, "PmtTpInf");
	}
	sb_open(sb, 3, "ReqdExctnDt");
	sb_leaf(sb, 4, "Dt", g[0].date);
	sb_close(sb, 3, "ReqdExctnDt");
	sb_open(sb, 3, "Dbtr");
	sb_leaf(sb, 4, "Nm", db->name);
	put_addr(sb, 4, &db->addr);
	sb_close(sb, 3, "Dbtr");
	put_iban_acct(sb, 3, "DbtrAcct", db->iban);
	sb_open(sb, 3, "DbtrAgt");
	if (empty(db->bic))
		sb_str(sb, "        <FinInstnId/>\n");
	else {
		sb_open(sb, 4, "FinInstnId");
		sb_leaf(sb, 5, "BICFI", db->bic);
		sb_close(sb, 4, "FinInstnId");
	}
	sb_close(sb, 3, "DbtrAgt");
	if (g[0].kind == KIND_SEPA)
		sb_leaf(sb, 3, "ChrgBr", "SLEV");
	for (i = 0; i < n; i++) {
		if (split && i == 0)
			check_mark(sb->check, M_GROUP_TX, sb->len);
		if (split && &g[i] == sb->check->split_at)
			check_mark(sb->check, M_SPLIT, sb->len);
		put_tx(sb, 3, &g[i]);
	}
	sb_close(sb, 2, "PmtInf");
}

static void
put_document(struct sbuf *sb, const struct ks_iso_run *run,
    const struct dbtr *db, const struct tx *tx, int64_t total)
{
	char buf[KS_SWISS_MAX];
	size_t i, start, no = 0;

	sb_str(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Document xmlns=\"" PAIN_NS "\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	    "xsi:schemaLocation=\"" PAIN_NS " pain.001.001.09.ch.03.xsd\">\n");
	sb_open(sb, 1, "CstmrCdtTrfInitn");
	sb_open(sb, 2, "GrpHdr");
	sb_leaf(sb, 3, "MsgId", run->msg_id);
	sb_leaf(sb, 3, "CreDtTm", run->created);
	snprintf(buf, sizeof(buf), "%zu", run->npayments);
	sb_leaf(sb, 3, "NbOfTxs", buf);
	fmt_amount(total, buf);
	sb_leaf(sb, 3, "CtrlSum", buf);
	sb_open(sb, 3, "InitgPty");
	sb_leaf(sb, 4, "Nm", db->initiator != NULL ? db->initiator :
	    db->name);
	sb_close(sb, 3, "InitgPty");
	sb_close(sb, 2, "GrpHdr");
	if (sb->check != NULL && sb->check->split_at != NULL)
		check_mark(sb->check, M_GROUPS, sb->len);
	for (start = 0, i = 1; i <= run->npayments; i++) {
		if (i < run->npayments && same_group(&tx[start], &tx[i]))
			continue;
		put_pmtinf(sb, run, db, tx + start, i - start, ++no);
		start = i;
	}
	sb_close(sb, 1, "CstmrCdtTrfInitn");
	sb_str(sb, "</Document>\n");
}

static int
check_run(const struct ks_iso_run *run, struct dbtr *db, char *err,
    size_t errlen)
{
	if (run->charset != KS_ISO_CHARSET_REPLACE &&
	    run->charset != KS_ISO_CHARSET_REFUSE)
		return seterr(err, errlen, "unknown character set policy");
	if (run->payments == NULL || run->npayments == 0)
		return seterr(err, errlen, "run has no payments");
	if (run->npayments > 9999999)
		return seterr(err, errlen, "run has too many payments");
	if (check_id(run->msg_id, "message id", 1, err, errlen) == -1)
		return -1;
	if (empty(run->created) || !datetime_ok(run->created))
		return seterr(err, errlen, "creation time not "
		    "YYYY-MM-DDTHH:MM:SS");
	if (ks_iban_valid(run->debtor.iban, db->iban, sizeof(db->iban)) != 1)
		return seterr(err, errlen, "debtor iban invalid");
	if (!swiss(db->iban))
		return seterr(err, errlen, "debtor iban is not a swiss or "
		    "liechtenstein account");
	if (ks_iban_is_qr(db->iban))
		return seterr(err, errlen, "debtor iban is a qr-iban");
	db->bic = run->debtor.bic;
	if (!empty(db->bic) && !bic_ok(db->bic))
		return seterr(err, errlen, "debtor bic invalid");
	if (clean_text(run->debtor.name, run->charset, "debtor name", 70, 1,
	    &db->name, err, errlen) == -1)
		return -1;
	if (clean_text(run->initiator, run->charset, "initiating party name",
	    70, 0, &db->initiator, err, errlen) == -1)
		return -1;
	return check_addr(&run->debtor.addr, run->charset, "debtor", 0,
	    &db->addr, err, errlen);
}

static void	check_start(struct ks_iso_check *, struct sbuf *);
static void	check_stop(struct ks_iso_check *);

/*
 * Where a check in two parts splits the file (see ks_iso_check): the
 * payment about the middle, not the first of its group (the first part
 * ends before it and closes the group, which must keep a payment); NULL
 * for one part.
 */
static const struct tx *
split_at(const struct tx *tx, size_t n)
{
	size_t k = n / 2;

	if (n < SPLIT_MIN)
		return NULL;
	if (!same_group(&tx[k - 1], &tx[k])) {
		if (k + 1 >= n || !same_group(&tx[k], &tx[k + 1]))
			return NULL;
		k++;
	}
	return &tx[k];
}

/* The file of run; with ck, checked by ck's thread as it is written. */
static int
pain001_write(const struct ks_iso_run *run, struct ks_iso_check *ck,
    char **xml, size_t *len, char *err, size_t errlen)
{
	struct dbtr db;
	struct sbuf sb = { 0 };
	struct tx *tx = NULL;
	int64_t total = 0;
	size_t i, ntx = 0;
	int rc = -1;

	*xml = NULL;
	*len = 0;
	memset(&db, 0, sizeof(db));
	if (run == NULL)
		return seterr(err, errlen, "no run");
	if (check_run(run, &db, err, errlen) == -1)
		goto out;
	if ((tx = calloc(run->npayments, sizeof(*tx))) == NULL) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	for (; ntx < run->npayments; ntx++) {
		if (check_payment(run, ntx, &tx[ntx], err, errlen) == -1) {
			tx_free(&tx[ntx]);
			goto out;
		}
		if (tx[ntx].p->amount > CTRLSUM_MAX - total) {
			ntx++;
			seterr(err, errlen, "sum of the run too large");
			goto out;
		}
		total += tx[ntx].p->amount;
	}
	if (check_unique(tx, ntx, err, errlen) == -1)
		goto out;
	qsort(tx, ntx, sizeof(*tx), tx_cmp);
	/* About 700 bytes a payment: room made once, not doubled and copied
	   a dozen times on the way to a file of megabytes. */
	if (sb_grow(&sb, ntx < KS_ISO_MAX_XML / 768 ? 4096 + ntx * 768 :
	    KS_ISO_MAX_XML) != 0) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	if (ck != NULL) {
		ck->split_at = split_at(tx, ntx);
		check_start(ck, &sb);
	}
	put_document(&sb, run, &db, tx, total);
	if (sb.oom) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	if (sb.len > KS_ISO_MAX_XML) {
		seterr(err, errlen, "run gives a file above %u bytes: split "
		    "it", KS_ISO_MAX_XML);
		goto out;
	}
	if (ck != NULL)
		check_hand(ck, sb.p, sb.len, 1);
	*xml = sb.p;
	*len = sb.len;
	sb.p = NULL;
	rc = 0;
out:
	if (rc != 0 && ck != NULL)
		check_stop(ck);		/* before the buffer goes */
	for (i = 0; i < ntx; i++)
		tx_free(&tx[i]);
	free(tx);
	free(sb.p);
	free(db.name);
	free(db.initiator);
	caddr_free(&db.addr);
	return rc;
}

int
ks_iso_pain001_write(const struct ks_iso_run *run, char **xml, size_t *len,
    char *err, size_t errlen)
{
	return pain001_write(run, NULL, xml, len, err, errlen);
}

static void
check_free(struct ks_iso_check *ck)
{
	pthread_cond_destroy(&ck->more);
	pthread_mutex_destroy(&ck->mu);
	free(ck);
}

int
ks_iso_pain001_write_checked(const struct ks_iso_run *run,
    const struct ks_iso_schema *schema, const struct ks_iso_helper *helper,
    char **xml, size_t *len, struct ks_iso_check **check, char *err,
    size_t errlen)
{
	struct ks_iso_check *ck;

	*check = NULL;
	*xml = NULL;
	*len = 0;
	if ((ck = calloc(1, sizeof(*ck))) == NULL)
		return seterr(err, errlen, "out of memory");
	ck->schema = schema;
	ck->helper = helper;
	pthread_mutex_init(&ck->mu, NULL);
	pthread_cond_init(&ck->more, NULL);
	if (pain001_write(run, ck, xml, len, err, errlen) != 0) {
		check_free(ck);
		return -1;
	}
	*check = ck;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Parsing and XSD validation                                           */
/* ------------------------------------------------------------------ */

/*
 * libxml2 quotes offending values in its messages; those may be names or
 * account numbers, so they are cut out: "The value '...' is not" and
 * "': '...' is not a valid value". ISO 20022 namespaces are dropped.
 */
static void
redact(char *msg)
{
	static const struct {
		const char *open, *close;
	} pat[] = {
		{ "The value '", "' is not" },
		{ "': '", "' is not a valid value" },
	};
	char *a, *b;
	size_t i;

	/* "{urn:iso:std:iso:20022:tech:xsd:...}Nm" reads as "Nm". */
	while ((a = strstr(msg, "{urn:iso:std:iso:20022:")) != NULL &&
	    (b = strchr(a, '}')) != NULL)
		memmove(a, b + 1, strlen(b + 1) + 1);
	for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
		if ((a = strstr(msg, pat[i].open)) == NULL)
			continue;
		a += strlen(pat[i].open);
		if ((b = strstr(a, pat[i].close)) == NULL)
			continue;
		/* Never longer than the value: short ones just go. */
		if (b - a < 3) {
			memmove(a, b, strlen(b) + 1);
			continue;
		}
		memmove(a + 3, b, strlen(b) + 1);
		memcpy(a, "...", 3);
	}
}

static void
xerr_set(struct xerr *xe, int line, const char *msg)
{
	char *m;
	size_t n;

	if (xe->seen++ > 0 || xe->buf == NULL || xe->len == 0)
		return;
	if (msg == NULL)
		msg = "error";
	/* Cleaned in full before the caller's buffer may cut it. */
	if ((m = dupn(msg, strlen(msg))) == NULL) {
		snprintf(xe->buf, xe->len, "line %d: error", line);
		return;
	}
	n = strlen(m);
	while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
		m[--n] = '\0';
	redact(m);
	if (line > 0 && xe->line_off != NULL)
		line += xe->line_off(xe->off_arg);
	if (line > 0)
		snprintf(xe->buf, xe->len, "line %d: %s", line, m);
	else
		snprintf(xe->buf, xe->len, "%s", m);
	free(m);
}

static void
xerr_handler(void *arg, xerr_ptr e)
{
	if (e != NULL && e->level >= XML_ERR_ERROR)
		xerr_set(arg, e->line, e->message);
}

/* Errors of the parser under a streamed validation: "malformed xml: ". */
static void
xerr_parse_handler(void *arg, xerr_ptr e)
{
	struct xerr *xe = arg, sub;

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	if (e->domain != XML_FROM_PARSER || xe->seen > 0 || xe->buf == NULL ||
	    xe->len <= 15) {
		xerr_set(xe, e->line, e->message);
		return;
	}
	memcpy(xe->buf, "malformed xml: ", 15);
	sub.buf = xe->buf + 15;
	sub.len = xe->len - 15;
	sub.seen = 0;
	sub.line_off = xe->line_off;
	sub.off_arg = xe->off_arg;
	xerr_set(&sub, e->line, e->message);
	xe->seen++;
}

/*
 * What any XML we read must pass first: not empty, not too large, no
 * document type declaration (so no entities to expand, local or external).
 */
static int
precheck(const char *xml, size_t len, char *err, size_t errlen)
{
	if (xml == NULL || len == 0)
		return seterr(err, errlen, "empty document");
	if (len > KS_ISO_MAX_XML)
		return seterr(err, errlen, "document larger than %u bytes",
		    KS_ISO_MAX_XML);
	if (contains(xml, len, "<!DOCTYPE"))
		return seterr(err, errlen, "document type declarations are "
		    "not allowed");
	return 0;
}

/*
 * Parse untrusted XML: size-limited, no network, no DTD, no entity
 * substitution. Returns the document or NULL with a message.
 */
static xmlDocPtr
parse_doc(const char *xml, size_t len, char *err, size_t errlen)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	xerr_ptr e;
	struct xerr xe = { err, errlen, 0 };

	if (precheck(xml, len, err, errlen) != 0)
		return NULL;
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, XML_OPTS);
	if (doc == NULL) {
		e = xmlCtxtGetLastError(ctxt);
		seterr(err, errlen, "malformed xml");
		if (e != NULL && e->message != NULL && err != NULL &&
		    errlen > 15) {
			memcpy(err, "malformed xml: ", 15);
			xe.buf = err + 15;
			xe.len = errlen - 15;
			xerr_set(&xe, e->line, e->message);
		}
	} else if (doc->intSubset != NULL || doc->extSubset != NULL) {
		seterr(err, errlen, "document type declarations are not "
		    "allowed");
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

struct ks_iso_schema {
	xmlSchemaPtr	schema;
};

/*
 * The SPS schema's text pattern names three Unicode blocks,
 * [\p{IsBasicLatin}\p{IsLatin-1Supplement}\p{IsLatinExtended-A}...-[\p{C}]].
 * libxml2 looks a block up by its name (string compares) for every
 * character it checks against it: for a run of 20,000 payments that
 * was a third of validating the file. The three blocks are one range,
 * U+0000-U+017F; U+0000-U+001F are control characters, which the
 * pattern subtracts (\p{C}), so " -\u017F" accepts exactly the same
 * characters. The pattern is rewritten so in the parsed schema before
 * it is compiled; every other facet stays as SIX wrote it.
 */
#define LATIN_BLOCKS	"\\p{IsBasicLatin}\\p{IsLatin-1Supplement}" \
			"\\p{IsLatinExtended-A}"
#define LATIN_RANGE	" -\xc5\xbf"

static void
latin_blocks_as_range(xmlNodePtr n)
{
	xmlChar *v, *at;
	char *nv;
	size_t ol = strlen(LATIN_BLOCKS), rl = strlen(LATIN_RANGE), vl;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(n->name, BAD_CAST "pattern") &&
		    (v = xmlGetProp(n, BAD_CAST "value")) != NULL) {
			if ((at = (xmlChar *)strstr((char *)v,
			    LATIN_BLOCKS)) != NULL && (at == v || at[-1] ==
			    '[') && at[ol] != '\0' && at[ol] != '-' &&
			    strstr((char *)v, "-[\\p{C}]]") != NULL &&
			    (nv = malloc((vl = strlen((char *)v)) - ol +
			    rl + 1)) != NULL) {
				memcpy(nv, v, (size_t)(at - v));
				memcpy(nv + (at - v), LATIN_RANGE, rl);
				memcpy(nv + (at - v) + rl, at + ol,
				    vl - (size_t)(at - v) - ol + 1);
				xmlSetProp(n, BAD_CAST "value", BAD_CAST nv);
				free(nv);
			}
			xmlFree(v);
		}
		latin_blocks_as_range(n->children);
	}
}

struct ks_iso_schema *
ks_iso_schema_load(const char *xsd_path, char *err, size_t errlen)
{
	struct ks_iso_schema *s = NULL;
	xmlSchemaParserCtxtPtr pc = NULL;
	struct xerr xe = { err, errlen, 0 };
	xmlDocPtr doc;
	FILE *f;

	if (xsd_path == NULL || (f = fopen(xsd_path, "r")) == NULL) {
		seterr(err, errlen, "cannot read schema %s",
		    xsd_path != NULL ? xsd_path : "(none)");
		return NULL;
	}
	fclose(f);
	doc = xmlReadFile(xsd_path, NULL, XML_OPTS);
	if (doc == NULL) {
		seterr(err, errlen, "schema %s is not well-formed", xsd_path);
		return NULL;
	}
	latin_blocks_as_range(xmlDocGetRootElement(doc));
	/* The parser context owns nothing; the schema copies what it uses. */
	if ((pc = xmlSchemaNewDocParserCtxt(doc)) == NULL) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	xmlSchemaSetParserStructuredErrors(pc, xerr_handler, &xe);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	if ((s->schema = xmlSchemaParse(pc)) == NULL) {
		if (xe.seen == 0)
			seterr(err, errlen, "schema %s cannot be compiled",
			    xsd_path);
		free(s);
		s = NULL;
	}
out:
	xmlSchemaFreeParserCtxt(pc);
	xmlFreeDoc(doc);
	return s;
}

void
ks_iso_schema_free(struct ks_iso_schema *s)
{
	if (s == NULL)
		return;
	xmlSchemaFree(s->schema);
	free(s);
}

/*
 * Validate what in gives against s (in is freed); the first problem in
 * err. Streamed (SAX): no tree is built, which for a payment file of
 * 20,000 transactions (14 MB) halves the time. The stream's parser is
 * made inside libxml2 and reports well-formedness errors to the
 * thread's handler, set here for the call.
 */
static int
schema_validate_input(const struct ks_iso_schema *s,
    xmlParserInputBufferPtr in, int (*line_off)(void *), void *off_arg,
    char *err, size_t errlen)
{
	xmlSchemaValidCtxtPtr vc;
	xmlSAXHandler sax;
	struct xerr xe = { err, errlen, 0, line_off, off_arg };
	int rc;

	if ((vc = xmlSchemaNewValidCtxt(s->schema)) == NULL) {
		xmlFreeParserInputBuffer(in);
		return seterr(err, errlen, "out of memory");
	}
	xmlSchemaSetValidStructuredErrors(vc, xerr_handler, &xe);
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;	/* SAX2, nothing of our own */
	xmlSetStructuredErrorFunc(&xe, xerr_parse_handler);
	rc = xmlSchemaValidateStream(vc, in, XML_CHAR_ENCODING_NONE, &sax,
	    NULL);
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlSchemaFreeValidCtxt(vc);
	if (rc == 0)
		return 0;
	if (xe.seen == 0)
		seterr(err, errlen, "document does not validate");
	return -1;
}

int
ks_iso_schema_validate(const struct ks_iso_schema *s, const char *xml,
    size_t len, char *err, size_t errlen)
{
	xmlParserInputBufferPtr in;

	if (s == NULL)
		return seterr(err, errlen, "no schema");
	if (precheck(xml, len, err, errlen) != 0)
		return -1;
	if ((in = xmlParserInputBufferCreateMem(xml, (int)len,
	    XML_CHAR_ENCODING_NONE)) == NULL)
		return seterr(err, errlen, "out of memory");
	return schema_validate_input(s, in, NULL, NULL, err, errlen);
}

/*
 * The check of a file while it is written (ks_iso_pain001_write_checked).
 * The writer's own output needs no precheck: it writes no document type
 * declaration and refuses a file above KS_ISO_MAX_XML.
 */

/* What each part reads (struct seg): the whole file alone, or split. */
static const struct seg whole[] = { { M_ZERO, M_END } };
static const struct seg first[] = { { M_ZERO, M_SPLIT }, { M_CLOSE, 0 } };
static const struct seg second[] = {
	{ M_ZERO, M_GROUPS }, { M_GROUP, M_GROUP_TX }, { M_SPLIT, M_END }
};
static const char close_tags[] = "</PmtInf></CstmrCdtTrfInitn></Document>\n";

static size_t
lines_in(const char *p, size_t from, size_t to)
{
	const char *e = p + to;
	size_t n = 0;

	for (p += from; p < e && (p = memchr(p, '\n', (size_t)(e - p))) !=
	    NULL; p++)
		n++;
	return n;
}

/*
 * The second part's findings in the file's lines: the lines it skipped
 * before the split payment, counted when it reports one (then, having
 * read past the split, it was handed all of them). A finding before
 * that is in bytes the first part reads too, whose report comes first.
 */
static int
part_line_off(void *arg)
{
	struct check_part *pt = arg;
	struct ks_iso_check *ck = pt->ck;
	size_t n = 0;

	pthread_mutex_lock(&ck->mu);
	if (pt->seg == second && pt->i >= 2)
		n = lines_in(ck->p, ck->mark[M_GROUPS], ck->mark[M_GROUP]) +
		    lines_in(ck->p, ck->mark[M_GROUP_TX], ck->mark[M_SPLIT]);
	pthread_mutex_unlock(&ck->mu);
	return (int)n;
}

/* libxml2's read callback: the part's next bytes as they are handed
   over, waiting for more; 0 at its end, -1 when the writer gave up. */
static int
check_read(void *arg, char *buf, int len)
{
	struct check_part *pt = arg;
	struct ks_iso_check *ck = pt->ck;
	const struct seg *sg;
	const char *src = NULL;
	size_t at, lim, n = 0;
	int done;

	pthread_mutex_lock(&ck->mu);
	while (ck->end >= 0 && pt->i < pt->nseg) {
		sg = &pt->seg[pt->i];
		if (sg->from == M_CLOSE) {
			src = close_tags + pt->pos;
			n = sizeof(close_tags) - 1 - pt->pos;
			done = n == 0;
		} else if (ck->mark[sg->from] == SIZE_MAX) {
			n = 0;		/* its start not written yet */
			done = 0;
		} else {
			at = ck->mark[sg->from] + pt->pos;
			lim = ck->mark[sg->to] < ck->ready ? ck->mark[sg->to] :
			    ck->ready;
			src = ck->p + at;
			n = at < lim ? lim - at : 0;
			done = at >= ck->mark[sg->to];
		}
		if (n > 0)
			break;
		if (done) {
			pt->i++;
			pt->pos = 0;
			continue;
		}
		if (ck->end == 1)
			break;		/* all written, a mark never passed */
		pthread_cond_wait(&ck->more, &ck->mu);
	}
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(buf, src != NULL ? src : "", n);
	pt->pos += n;
	/* Given up, or all written but not where this part was to read:
	   an error for the parser, the check fails. */
	if (ck->end < 0 || (n == 0 && pt->i < pt->nseg))
		len = -1;
	else
		len = (int)n;
	pthread_mutex_unlock(&ck->mu);
	return len;
}

static void
check_main(void *arg)
{
	struct check_part *pt = arg;
	xmlParserInputBufferPtr in;

	if ((in = xmlParserInputBufferCreateIO(check_read, NULL, pt,
	    XML_CHAR_ENCODING_NONE)) == NULL)
		pt->rc = seterr(pt->err, sizeof(pt->err), "out of memory");
	else
		pt->rc = schema_validate_input(pt->ck->schema, in,
		    part_line_off, pt, pt->err, sizeof(pt->err));
}

static void *
check_thread(void *arg)
{
	check_main(arg);
	return NULL;
}

static int
part_start(struct check_part *pt)
{
	const struct ks_iso_helper *h = pt->ck->helper;

	if (h != NULL)
		pt->started = (pt->slot = h->start(check_main, pt)) >= 0;
	else
		pt->started = pthread_create(&pt->thread, NULL, check_thread,
		    pt) == 0;
	return pt->started;
}

/*
 * The writer's buffer is made: the check starts reading it on a helper
 * or a thread of its own, in two parts when the writer marks a split
 * and a second thread is free (else the second part runs when the check
 * is waited for). With no thread, the file is checked whole then.
 */
static void
check_start(struct ks_iso_check *ck, struct sbuf *sb)
{
	int i;

	ck->p = sb->p;
	sb->check = ck;
	for (i = 0; i < M_N; i++)
		ck->mark[i] = SIZE_MAX;
	ck->mark[M_ZERO] = 0;
	ck->part[0].ck = ck->part[1].ck = ck;
	ck->part[0].seg = whole;
	ck->part[0].nseg = 1;
	ck->nparts = 1;
	if (ck->schema == NULL)
		return;
	if (ck->split_at != NULL) {
		ck->part[1].seg = second;
		ck->part[1].nseg = 3;
		ck->part[0].seg = first;
		ck->part[0].nseg = 2;
		ck->nparts = 2;
	}
	if (!part_start(&ck->part[0])) {
		ck->part[0].seg = whole;	/* all of it when waited for */
		ck->part[0].nseg = 1;
		ck->nparts = 1;
	} else if (ck->nparts == 2)
		(void)part_start(&ck->part[1]);
}

/* The writer passed mark m (under the lock: the parts read it). */
static void
check_mark(struct ks_iso_check *ck, int m, size_t at)
{
	pthread_mutex_lock(&ck->mu);
	ck->mark[m] = at;
	pthread_mutex_unlock(&ck->mu);
}

/* The part's helper or thread is done. */
static void
part_join(struct check_part *pt)
{
	if (!pt->started)
		return;
	if (pt->ck->helper != NULL)
		pt->ck->helper->wait(pt->slot);
	else
		pthread_join(pt->thread, NULL);
	pt->started = 0;
}

/* Bytes up to len are written (end: all of them, or -1: given up). */
static void
check_hand(struct ks_iso_check *ck, const char *p, size_t len, int end)
{
	pthread_mutex_lock(&ck->mu);
	ck->p = p;
	ck->ready = len;
	if (end != 0)
		ck->end = end;
	if (end == 1)
		ck->mark[M_END] = len;
	pthread_cond_broadcast(&ck->more);
	pthread_mutex_unlock(&ck->mu);
}

/* The writer gave up: the check ends, its result unused. */
static void
check_stop(struct ks_iso_check *ck)
{
	check_hand(ck, ck->p, ck->ready, -1);
	part_join(&ck->part[0]);
	part_join(&ck->part[1]);
}

int
ks_iso_check_wait(struct ks_iso_check *ck, char *err, size_t errlen)
{
	struct check_part *pt;
	int i, rc = 0;

	if (ck == NULL)
		return seterr(err, errlen, "no check");
	if (ck->schema == NULL)
		rc = seterr(err, errlen, "no schema");
	else if (ck->part[0].started) {
		/* A second part no thread took runs here, on the file
		   written (it waits for nothing). */
		if (ck->nparts == 2 && !ck->part[1].started)
			check_main(&ck->part[1]);
		for (i = 0; i < ck->nparts; i++) {
			pt = &ck->part[i];
			part_join(pt);
			if (rc == 0 && pt->rc != 0)
				rc = seterr(err, errlen, "%s", pt->err);
		}
	} else
		rc = ks_iso_schema_validate(ck->schema, ck->p, ck->ready, err,
		    errlen);
	check_free(ck);
	return rc;
}

int
ks_iso_validate(const char *xml, size_t len, const char *xsd_path,
    char *err, size_t errlen)
{
	struct ks_iso_schema *s;
	int rc;

	if ((s = ks_iso_schema_load(xsd_path, err, errlen)) == NULL)
		return -1;
	rc = ks_iso_schema_validate(s, xml, len, err, errlen);
	ks_iso_schema_free(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* camt.054                                                             */
/* ------------------------------------------------------------------ */

/* Walk state of one parse. */
struct camt {
	xmlXPathContextPtr	 xp;
	struct ks_iso_camt_entry *v;
	size_t			 n;
	size_t			 cap;
	char			*err;
	size_t			 errlen;
};

/*
 * Parse a non-negative decimal into minor units (two decimals); digits
 * beyond the second must be zeros. -1 for anything else.
 */
static int
parse_amount(const char *s, int64_t *out)
{
	int64_t v = 0;
	int frac = -1;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '+')
		s++;
	if (!is_digit(*s) && !(*s == '.' && is_digit(s[1])))
		return -1;
	for (; is_digit(*s) || *s == '.'; s++) {
		if (*s == '.') {
			if (frac >= 0)
				return -1;
			frac = 0;
			continue;
		}
		if (frac >= 2) {
			if (*s != '0')
				return -1;
			continue;
		}
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
		if (frac >= 0)
			frac++;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s != '\0')
		return -1;
	for (frac = frac < 0 ? 0 : frac; frac < 2; frac++) {
		if (v > INT64_MAX / 10)
			return -1;
		v *= 10;
	}
	*out = v;
	return 0;
}

/* string(expr) relative to node, trimmed, malloc'd; NULL when OOM. */
static char *
xp_str(struct camt *c, xmlNodePtr node, const char *expr)
{
	xmlXPathObjectPtr o;
	const char *s = "";
	char *r;
	size_t n;

	o = xmlXPathNodeEval(node, (const xmlChar *)expr, c->xp);
	if (o != NULL && o->type == XPATH_STRING && o->stringval != NULL)
		s = (const char *)o->stringval;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	r = dupn(s, n);
	xmlXPathFreeObject(o);
	return r;
}

/* Node set of expr relative to node; the caller frees the object. */
static xmlXPathObjectPtr
xp_nodes(struct camt *c, xmlNodePtr node, const char *expr)
{
	xmlXPathObjectPtr o;

	o = xmlXPathNodeEval(node, (const xmlChar *)expr, c->xp);
	if (o != NULL && o->type != XPATH_NODESET) {
		xmlXPathFreeObject(o);
		o = NULL;
	}
	return o;
}

static int
xp_count(xmlXPathObjectPtr o)
{
	return o == NULL || o->nodesetval == NULL ? 0 :
	    o->nodesetval->nodeNr;
}

/* First non-empty of two expressions; NULL when OOM. */
static char *
xp_str2(struct camt *c, xmlNodePtr node, const char *e1, const char *e2)
{
	char *s = xp_str(c, node, e1);

	if (s != NULL && *s == '\0') {
		free(s);
		s = xp_str(c, node, e2);
	}
	return s;
}

static void
entry_free(struct ks_iso_camt_entry *e)
{
	free(e->account);
	free(e->status_code);
	free(e->end_to_end_id);
	free(e->instr_id);
	free(e->acct_svcr_ref);
	free(e->entry_ref);
	free(e->creditor_ref);
	free(e->ustrd);
	free(e->return_reason);
	free(e->debtor_name);
	free(e->debtor_iban);
	free(e->creditor_name);
	free(e->creditor_iban);
}

void
ks_iso_camt054_free(struct ks_iso_camt_entry *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		entry_free(&v[i]);
	free(v);
}

/* Dt or the date part of DtTm of a DateAndDateTime2Choice. */
static int
get_date(struct camt *c, xmlNodePtr ntry, const char *tag, char out[11])
{
	char e1[64], e2[64], *s;
	int ok;

	snprintf(e1, sizeof(e1), "string(c:%s/c:Dt)", tag);
	snprintf(e2, sizeof(e2), "string(c:%s/c:DtTm)", tag);
	if ((s = xp_str2(c, ntry, e1, e2)) == NULL)
		return -1;
	out[0] = '\0';
	ok = *s == '\0' || date_ok(s);
	if (ok && *s != '\0') {
		memcpy(out, s, 10);
		out[10] = '\0';
	}
	free(s);
	return ok ? 0 : -1;
}

/* Ustrd elements joined by one space. */
static char *
get_ustrd(struct camt *c, xmlNodePtr tx)
{
	xmlXPathObjectPtr o;
	struct sbuf sb = { 0 };
	xmlChar *t;
	int i;

	sb_str(&sb, "");
	o = xp_nodes(c, tx, "c:RmtInf/c:Ustrd");
	for (i = 0; i < xp_count(o); i++) {
		if ((t = xmlNodeGetContent(o->nodesetval->nodeTab[i])) == NULL)
			continue;
		if (sb.len > 0)
			sb_str(&sb, " ");
		sb_str(&sb, (const char *)t);
		xmlFree(t);
	}
	xmlXPathFreeObject(o);
	if (sb.oom) {
		free(sb.p);
		return NULL;
	}
	return sb.p;
}

/*
 * Amount, indicator and currency: the transaction's, else the entry's
 * when the entry holds this one transaction only.
 */
static int
get_money(struct camt *c, xmlNodePtr ntry, xmlNodePtr tx, int single,
    struct ks_iso_camt_entry *e)
{
	char *amt, *ccy, *cdi;
	int rc = -1;

	amt = xp_str2(c, tx, "string(c:Amt)",
	    "string(c:AmtDtls/c:TxAmt/c:Amt)");
	ccy = xp_str2(c, tx, "string(c:Amt/@Ccy)",
	    "string(c:AmtDtls/c:TxAmt/c:Amt/@Ccy)");
	cdi = xp_str(c, tx, "string(c:CdtDbtInd)");
	if (amt == NULL || ccy == NULL || cdi == NULL)
		goto out;
	if (*amt == '\0' && single) {
		free(amt);
		free(ccy);
		amt = xp_str(c, ntry, "string(c:Amt)");
		ccy = xp_str(c, ntry, "string(c:Amt/@Ccy)");
	}
	if (*cdi == '\0') {
		free(cdi);
		cdi = xp_str(c, ntry, "string(c:CdtDbtInd)");
	}
	if (amt == NULL || ccy == NULL || cdi == NULL)
		goto out;
	rc = -2;
	if (parse_amount(amt, &e->amount) == -1 || strlen(ccy) != 3)
		goto out;
	memcpy(e->currency, ccy, 4);
	if (strcmp(cdi, "CRDT") == 0)
		e->cdi = KS_ISO_CRDT;
	else if (strcmp(cdi, "DBIT") == 0)
		e->cdi = KS_ISO_DBIT;
	else
		goto out;
	rc = 0;
out:
	free(amt);
	free(ccy);
	free(cdi);
	return rc;
}

/* The fields that live on the transaction (or the entry without one). */
static int
get_tx_strings(struct camt *c, xmlNodePtr tx, struct ks_iso_camt_entry *e)
{
	e->end_to_end_id = xp_str(c, tx, "string(c:Refs/c:EndToEndId)");
	if (e->end_to_end_id != NULL &&
	    strcmp(e->end_to_end_id, "NOTPROVIDED") == 0)
		e->end_to_end_id[0] = '\0';
	e->instr_id = xp_str(c, tx, "string(c:Refs/c:InstrId)");
	e->acct_svcr_ref = xp_str(c, tx, "string(c:Refs/c:AcctSvcrRef)");
	e->creditor_ref = xp_str(c, tx,
	    "string(c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref)");
	e->ustrd = get_ustrd(c, tx);
	e->return_reason = xp_str2(c, tx, "string(c:RtrInf/c:Rsn/c:Cd)",
	    "string(c:RtrInf/c:Rsn/c:Prtry)");
	e->debtor_name = xp_str(c, tx, "string(c:RltdPties/c:Dbtr/c:Pty/c:Nm)");
	e->debtor_iban = xp_str(c, tx,
	    "string(c:RltdPties/c:DbtrAcct/c:Id/c:IBAN)");
	e->creditor_name = xp_str(c, tx,
	    "string(c:RltdPties/c:Cdtr/c:Pty/c:Nm)");
	e->creditor_iban = xp_str(c, tx,
	    "string(c:RltdPties/c:CdtrAcct/c:Id/c:IBAN)");
	if (e->end_to_end_id == NULL || e->instr_id == NULL ||
	    e->acct_svcr_ref == NULL || e->creditor_ref == NULL ||
	    e->ustrd == NULL || e->return_reason == NULL ||
	    e->debtor_name == NULL || e->debtor_iban == NULL ||
	    e->creditor_name == NULL || e->creditor_iban == NULL)
		return -1;
	return 0;
}

static struct ks_iso_camt_entry *
camt_push(struct camt *c)
{
	struct ks_iso_camt_entry *nv;
	size_t ncap;

	if (c->n == c->cap) {
		ncap = c->cap == 0 ? 16 : c->cap * 2;
		if ((nv = realloc(c->v, ncap * sizeof(*nv))) == NULL)
			return NULL;
		c->v = nv;
		c->cap = ncap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n++];
}

/* One record from an entry and one of its transactions (or none). */
static int
camt_record(struct camt *c, const char *acct, xmlNodePtr ntry,
    xmlNodePtr tx, int single, size_t ntry_no)
{
	struct ks_iso_camt_entry *e;
	char *rv;
	int rc;

	if ((e = camt_push(c)) == NULL)
		return seterr(c->err, c->errlen, "out of memory");
	if ((e->account = dupn(acct, strlen(acct))) == NULL)
		return seterr(c->err, c->errlen, "out of memory");
	if (get_date(c, ntry, "BookgDt", e->booking_date) == -1 ||
	    get_date(c, ntry, "ValDt", e->value_date) == -1)
		return seterr(c->err, c->errlen, "entry %zu: malformed date",
		    ntry_no);
	if ((rc = get_money(c, ntry, tx, single, e)) == -1)
		return seterr(c->err, c->errlen, "out of memory");
	if (rc == -2)
		return seterr(c->err, c->errlen, "entry %zu: transaction "
		    "amount, currency or credit/debit indicator missing or "
		    "malformed", ntry_no);
	e->status_code = xp_str2(c, ntry, "string(c:Sts/c:Cd)",
	    "string(c:Sts/c:Prtry)");
	e->entry_ref = xp_str(c, ntry, "string(c:AcctSvcrRef)");
	rv = xp_str(c, ntry, "string(c:RvslInd)");
	if (e->status_code == NULL || e->entry_ref == NULL || rv == NULL ||
	    get_tx_strings(c, tx, e) == -1) {
		free(rv);
		return seterr(c->err, c->errlen, "out of memory");
	}
	e->reversal = strcmp(rv, "true") == 0 || strcmp(rv, "1") == 0;
	free(rv);
	if (strcmp(e->status_code, "BOOK") == 0)
		e->status = KS_ISO_STS_BOOK;
	else if (strcmp(e->status_code, "PDNG") == 0)
		e->status = KS_ISO_STS_PDNG;
	else if (strcmp(e->status_code, "INFO") == 0)
		e->status = KS_ISO_STS_INFO;
	else if (*e->status_code != '\0')
		e->status = KS_ISO_STS_OTHER;
	else
		return seterr(c->err, c->errlen, "entry %zu: status missing",
		    ntry_no);
	return 0;
}

static int
camt_entry(struct camt *c, const char *acct, xmlNodePtr ntry,
    size_t ntry_no)
{
	xmlXPathObjectPtr txs;
	int i, n, rc = 0;

	if ((txs = xp_nodes(c, ntry, "c:NtryDtls/c:TxDtls")) == NULL)
		return seterr(c->err, c->errlen, "out of memory");
	n = xp_count(txs);
	if (n == 0)
		rc = camt_record(c, acct, ntry, ntry, 1, ntry_no);
	for (i = 0; i < n && rc == 0; i++)
		rc = camt_record(c, acct, ntry, txs->nodesetval->nodeTab[i],
		    n == 1, ntry_no);
	xmlXPathFreeObject(txs);
	return rc;
}

static int
camt_walk(struct camt *c, xmlNodePtr root)
{
	xmlXPathObjectPtr nfs, ntrys;
	xmlNodePtr nf;
	char *acct;
	size_t no = 0;
	int i, j, rc = 0;

	nfs = xp_nodes(c, root, "c:BkToCstmrDbtCdtNtfctn/c:Ntfctn");
	if (xp_count(nfs) == 0) {
		xmlXPathFreeObject(nfs);
		return seterr(c->err, c->errlen, "no notification in "
		    "document");
	}
	for (i = 0; i < xp_count(nfs) && rc == 0; i++) {
		nf = nfs->nodesetval->nodeTab[i];
		acct = xp_str2(c, nf, "string(c:Acct/c:Id/c:IBAN)",
		    "string(c:Acct/c:Id/c:Othr/c:Id)");
		ntrys = xp_nodes(c, nf, "c:Ntry");
		if (acct == NULL || ntrys == NULL)
			rc = seterr(c->err, c->errlen, "out of memory");
		else if (*acct == '\0')
			rc = seterr(c->err, c->errlen, "notification %d: "
			    "account missing", i + 1);
		for (j = 0; j < xp_count(ntrys) && rc == 0; j++)
			rc = camt_entry(c, acct, ntrys->nodesetval->nodeTab[j],
			    ++no);
		free(acct);
		xmlXPathFreeObject(ntrys);
	}
	xmlXPathFreeObject(nfs);
	return rc;
}

/* The root must be a camt.054.001.08 Document. */
static int
camt_check_root(xmlNodePtr root, char *err, size_t errlen)
{
	const char *ns;

	if (root == NULL || strcmp((const char *)root->name, "Document") != 0)
		return seterr(err, errlen, "not an iso 20022 document");
	ns = root->ns != NULL && root->ns->href != NULL ?
	    (const char *)root->ns->href : "";
	if (strcmp(ns, CAMT054_NS) == 0)
		return 0;
	if (strncmp(ns, CAMT054_PFX, strlen(CAMT054_PFX)) == 0)
		return seterr(err, errlen, "unsupported camt.054 version %.40s "
		    "(expected 001.08)", ns + strlen(CAMT054_PFX));
	return seterr(err, errlen, "not a camt.054.001.08 document");
}

int
ks_iso_camt054_parse(const char *xml, size_t len,
    struct ks_iso_camt_entry **out, size_t *n, char *err, size_t errlen)
{
	struct camt c;
	xmlDocPtr doc;
	xmlNodePtr root;
	int rc = -1;

	*out = NULL;
	*n = 0;
	memset(&c, 0, sizeof(c));
	c.err = err;
	c.errlen = errlen;
	if ((doc = parse_doc(xml, len, err, errlen)) == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (camt_check_root(root, err, errlen) == -1)
		goto out;
	if ((c.xp = xmlXPathNewContext(doc)) == NULL ||
	    xmlXPathRegisterNs(c.xp, (const xmlChar *)"c",
	    (const xmlChar *)CAMT054_NS) != 0) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = camt_walk(&c, root)) == 0) {
		*out = c.v;
		*n = c.n;
		c.v = NULL;
		c.n = 0;
	}
out:
	ks_iso_camt054_free(c.v, c.n);
	xmlXPathFreeContext(c.xp);
	xmlFreeDoc(doc);
	return rc;
}
