/*
 * pdf.c - see pdf.h.
 *
 * The file is written by hand: PDF 1.4, one uncompressed content stream
 * per page, the standard Helvetica fonts (not embedded) in
 * WinAnsiEncoding. The widths below are those of Adobe's Helvetica AFM
 * files, so wrapping and right alignment agree with what a viewer draws.
 * Numbers are formatted from integers, never with "%f": the bytes depend
 * on the input only, not on the locale or the clock.
 *
 * Layout (points, origin bottom left): A4, 20 mm margins (15 mm at the
 * foot); the address sits in the window of a Swiss C5/C6 envelope with
 * the window on the left (45 to 90 mm from the top), the body starts
 * below the window.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "kasus/pdf.h"
#include "kasus/qrbill.h"
#include "kasus/swiss.h"

#define MM		(72.0 / 25.4)
#define PAGE_W		595
#define PAGE_H		842
#define MARGIN_L	(20 * MM)
#define MARGIN_R	(20 * MM)
#define MARGIN_T	(20 * MM)
#define MARGIN_B	(15 * MM)
#define RIGHT		(PAGE_W - MARGIN_R)
#define CONTENT_W	(RIGHT - MARGIN_L)
#define WINDOW_TOP	(PAGE_H - 50 * MM)	/* first address line */
#define WINDOW_W	(85 * MM)
#define BODY_TOP	(PAGE_H - 95 * MM)	/* below the window */
#define COL_GAP		(12.0)			/* label to amount */
#define SIG_GAP		(30.0)			/* between signatures */
#define SIG_SPACE	(36.0)			/* room to sign */

/* Input text and output both: a bound against absurd documents. */
#define PDF_MAX		(10 * 1024 * 1024)

#define ERR_NOMEM	1
#define ERR_BIG		2
#define ERR_KIND	3
#define ERR_QRBILL	4
#define ERR_QRLANG	5

#define F_REG		1	/* /F1 Helvetica */
#define F_BOLD		2	/* /F2 Helvetica-Bold */

/* Objects before the pages: catalog, page tree, two fonts, info. */
#define OBJ_CATALOG	1
#define OBJ_PAGES	2
#define OBJ_FONT_REG	3
#define OBJ_FONT_BOLD	4
#define OBJ_INFO	5
#define OBJ_FIRST_PAGE	6

struct buf {
	char		*p;
	size_t		 len;
	size_t		 cap;
	int		 err;	/* ERR_* or 0 */
};

struct slice {
	size_t		 off;
	size_t		 len;
};

struct lines {
	struct slice	*v;
	size_t		 n;
	size_t		 cap;
};

/* How a kind of text block looks. */
struct style {
	int		 font;
	double		 size;
	double		 leading;
	double		 before;	/* space above, not at a page top */
	double		 after;		/* space below */
};

struct page {
	size_t		 start;		/* of its content in render.content */
	int		 slip;		/* holds a QR-bill: no footer */
};

struct render {
	struct buf	 content;	/* every page's content stream */
	struct buf	 text;		/* the current block in WinAnsi */
	struct buf	 text2;
	struct lines	 l1;
	struct lines	 l2;
	struct page	*pages;
	size_t		 npages;
	size_t		 pagecap;
	double		 y;		/* top of the free space */
	int		 fresh;		/* nothing drawn on this page yet */
	const char	*mark;		/* UTF-8, on every page; or NULL */
	const char	*footer;	/* UTF-8 with "{page}", "{pages}" */
};

static const struct style st_letterhead = { F_REG, 9, 11, 0, 4 };
static const struct style st_address = { F_REG, 10, 12.5, 0, 0 };
static const struct style st_title = { F_BOLD, 14, 17, 6, 8 };
static const struct style st_heading = { F_BOLD, 11, 14, 6, 2 };
static const struct style st_paragraph = { F_REG, 10, 13, 0, 6 };
static const struct style st_row = { F_REG, 10, 14, 0, 0 };
static const struct style st_total = { F_BOLD, 10, 14, 0, 6 };
static const struct style st_small = { F_REG, 8, 10, 4, 4 };
static const struct style st_signature = { F_REG, 10, 13, 12, 6 };
static const struct style st_mark = { F_BOLD, 16, 0, 0, 0 };
static const struct style st_footer = { F_REG, 8, 0, 0, 0 };

#define MARK_Y		(PAGE_H - 12 * MM)	/* baseline of the mark */
#define FOOTER_Y	(7 * MM)		/* baseline of the footer */

/*
 * Advance widths in 1/1000 em of the 256 WinAnsi codes; 0 for codes the
 * encoding leaves undefined (never produced by to_winansi()).
 */
static const unsigned short helv_w[256] = {
	/* 00 */    0,    0,    0,    0,    0,    0,    0,    0,
	/* 08 */    0,    0,    0,    0,    0,    0,    0,    0,
	/* 10 */    0,    0,    0,    0,    0,    0,    0,    0,
	/* 18 */    0,    0,    0,    0,    0,    0,    0,    0,
	/* 20 */  278,  278,  355,  556,  556,  889,  667,  191,
	/* 28 */  333,  333,  389,  584,  278,  333,  278,  278,
	/* 30 */  556,  556,  556,  556,  556,  556,  556,  556,
	/* 38 */  556,  556,  278,  278,  584,  584,  584,  556,
	/* 40 */ 1015,  667,  667,  722,  722,  667,  611,  778,
	/* 48 */  722,  278,  500,  667,  556,  833,  722,  778,
	/* 50 */  667,  778,  722,  667,  611,  722,  667,  944,
	/* 58 */  667,  667,  611,  278,  278,  278,  469,  556,
	/* 60 */  333,  556,  556,  500,  556,  556,  278,  556,
	/* 68 */  556,  222,  222,  500,  222,  833,  556,  556,
	/* 70 */  556,  556,  333,  500,  278,  556,  500,  722,
	/* 78 */  500,  500,  500,  334,  260,  334,  584,    0,
	/* 80 */  556,    0,  222,  556,  333, 1000,  556,  556,
	/* 88 */  333, 1000,  667,  333, 1000,    0,  611,    0,
	/* 90 */    0,  222,  222,  333,  333,  350,  556, 1000,
	/* 98 */  333, 1000,  500,  333,  944,    0,  500,  667,
	/* a0 */  278,  333,  556,  556,  556,  556,  260,  556,
	/* a8 */  333,  737,  370,  556,  584,  333,  737,  333,
	/* b0 */  400,  584,  333,  333,  333,  578,  537,  278,
	/* b8 */  333,  333,  365,  556,  834,  834,  834,  611,
	/* c0 */  667,  667,  667,  667,  667,  667, 1000,  722,
	/* c8 */  667,  667,  667,  667,  278,  278,  278,  278,
	/* d0 */  722,  722,  778,  778,  778,  778,  778,  584,
	/* d8 */  778,  722,  722,  722,  722,  667,  667,  611,
	/* e0 */  556,  556,  556,  556,  556,  556,  889,  500,
	/* e8 */  556,  556,  556,  556,  278,  278,  278,  278,
	/* f0 */  556,  556,  556,  556,  556,  556,  556,  584,
	/* f8 */  611,  556,  556,  556,  556,  500,  556,  500,
};
static const unsigned short helvb_w[256] = {
	/* 00 */    0,    0,    0,    0,    0,    0,    0,    0,
	/* 08 */    0,    0,    0,    0,    0,    0,    0,    0,
	/* 10 */    0,    0,    0,    0,    0,    0,    0,    0,
	/* 18 */    0,    0,    0,    0,    0,    0,    0,    0,
	/* 20 */  278,  333,  474,  556,  556,  889,  722,  238,
	/* 28 */  333,  333,  389,  584,  278,  333,  278,  278,
	/* 30 */  556,  556,  556,  556,  556,  556,  556,  556,
	/* 38 */  556,  556,  333,  333,  584,  584,  584,  611,
	/* 40 */  975,  722,  722,  722,  722,  667,  611,  778,
	/* 48 */  722,  278,  556,  722,  611,  833,  722,  778,
	/* 50 */  667,  778,  722,  667,  611,  722,  667,  944,
	/* 58 */  667,  667,  611,  333,  278,  333,  584,  556,
	/* 60 */  333,  556,  611,  556,  611,  556,  333,  611,
	/* 68 */  611,  278,  278,  556,  278,  889,  611,  611,
	/* 70 */  611,  611,  389,  556,  333,  611,  556,  778,
	/* 78 */  556,  556,  500,  389,  280,  389,  584,    0,
	/* 80 */  556,    0,  278,  556,  500, 1000,  556,  556,
	/* 88 */  333, 1000,  667,  333, 1000,    0,  611,    0,
	/* 90 */    0,  278,  278,  500,  500,  350,  556, 1000,
	/* 98 */  333, 1000,  556,  333,  944,    0,  500,  667,
	/* a0 */  278,  333,  556,  556,  556,  556,  280,  556,
	/* a8 */  333,  737,  370,  556,  584,  333,  737,  333,
	/* b0 */  400,  584,  333,  333,  333,  611,  556,  278,
	/* b8 */  333,  333,  365,  556,  834,  834,  834,  611,
	/* c0 */  722,  722,  722,  722,  722,  722, 1000,  722,
	/* c8 */  667,  667,  667,  667,  278,  278,  278,  278,
	/* d0 */  722,  722,  778,  778,  778,  778,  778,  584,
	/* d8 */  778,  722,  722,  722,  722,  667,  667,  611,
	/* e0 */  556,  556,  556,  556,  556,  556,  889,  556,
	/* e8 */  556,  556,  556,  556,  278,  278,  278,  278,
	/* f0 */  611,  611,  611,  611,  611,  611,  611,  584,
	/* f8 */  611,  611,  611,  611,  611,  556,  611,  556,
};

/* Unicode code points of the WinAnsi codes 0x80-0x9f, sorted. */
static const struct {
	uint16_t	 cp;
	unsigned char	 code;
} winansi_hi[] = {
	{ 0x0152, 0x8c }, { 0x0153, 0x9c }, { 0x0160, 0x8a }, { 0x0161, 0x9a },
	{ 0x0178, 0x9f }, { 0x017d, 0x8e }, { 0x017e, 0x9e }, { 0x0192, 0x83 },
	{ 0x02c6, 0x88 }, { 0x02dc, 0x98 }, { 0x2013, 0x96 }, { 0x2014, 0x97 },
	{ 0x2018, 0x91 }, { 0x2019, 0x92 }, { 0x201a, 0x82 }, { 0x201c, 0x93 },
	{ 0x201d, 0x94 }, { 0x201e, 0x84 }, { 0x2020, 0x86 }, { 0x2021, 0x87 },
	{ 0x2022, 0x95 }, { 0x2026, 0x85 }, { 0x2030, 0x89 }, { 0x2039, 0x8b },
	{ 0x203a, 0x9b }, { 0x20ac, 0x80 }, { 0x2122, 0x99 }
};

#define UNI_BAD		0xfffd
#define DROP		(-1)

static void	 buf_add(struct buf *, const void *, size_t);
static void	 buf_puts(struct buf *, const char *);
static void	 buf_printf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 buf_num(struct buf *, double);
static void	 buf_string(struct buf *, const char *, size_t);
static uint32_t	 utf8_next(const unsigned char *, size_t *);
static int	 winansi_code(uint32_t);
static void	 to_winansi(const char *, struct buf *);
static long	 measure(const unsigned char *, size_t, int, long);
static int	 lines_push(struct lines *, size_t, size_t);
static int	 wrap_segment(const unsigned char *, size_t, size_t, int,
		    long, struct lines *);
static int	 wrap(struct render *, const struct buf *, int, double,
		    double, struct lines *);
static double	 line_width(const struct buf *, const struct slice *, int,
		    double);
static void	 new_page(struct render *);
static void	 need(struct render *, double);
static void	 gap(struct render *, double);
static void	 text_op(struct buf *, int, double, double, double,
		    const char *, size_t);
static void	 draw_text(struct render *, int, double, double, double,
		    const char *, size_t);
static void	 draw_rule(struct render *, double, double, double);
static void	 block_text(struct render *, const char *,
		    const struct style *, int);
static void	 block_letterhead(struct render *, const char *);
static void	 block_address(struct render *, const char *);
static void	 block_row(struct render *, const char *, const char *,
		    const struct style *);
static void	 block_signatures(struct render *, const char *,
		    const char *);
static int	 check_date(const char *);
static void	 put_title(struct buf *, const char *);
static void	 centred_line(struct render *, struct buf *,
		    const struct style *, double, const char *);
static void	 page_extra(struct render *, size_t, struct buf *);
static void	 write_pdf(struct render *, const char *, const char *,
		    struct buf *);
static int	 render_block(struct render *, const struct ks_pdf_block *);
static int	 check_input(const struct ks_pdf_block *, const char *,
		    const char *, char *, size_t);

struct slip;
struct part;
static int	 qr_has(const struct slip *, int);
static int	 amount_ok(const char *);
static int	 slip_parse(const char *, const char *, struct slip *);
static void	 add_line(struct buf *, const char *, const char *,
		    const char *);
static void	 add_address(struct buf *, const struct slip *, int, int);
static void	 group_text(const struct slip *, const struct part *, int,
		    struct buf *);
static size_t	 group_lines(struct render *, const struct slip *,
		    const struct part *, int);
static int	 group_shown(const struct slip *, const struct part *, int);
static int	 part_spacing(struct render *, const struct slip *,
		    struct part *);
static void	 put_text(struct render *, int, double, double, double,
		    const char *, int);
static double	 amount_line(const struct part *);
static void	 put_point(struct buf *, double, double, const char *);
static void	 draw_corners(struct render *, double, double, double,
		    double);
static void	 draw_part(struct render *, const struct slip *,
		    const struct part *);
static void	 format_amount(const char *, char *, size_t);
static void	 draw_amount(struct render *, const struct slip *,
		    const struct part *, double, double, double, double,
		    double);
static void	 draw_receipt(struct render *, const struct slip *);
static int	 draw_payment(struct render *, const struct slip *,
		    const char *);
static void	 buf_fine(struct buf *, double);
static void	 centred_rect(struct buf *, double, double, double, double);
static void	 draw_cross(struct render *, double, double);
static int	 draw_qr(struct render *, const char *, double, double);
static void	 draw_separators(struct render *);
static void	 block_qrbill(struct render *, const char *, const char *);

/* Appends; past PDF_MAX or out of memory the buffer keeps its error. */
static void
buf_add(struct buf *b, const void *data, size_t n)
{
	size_t ncap;
	char *np;

	if (b->err != 0 || n == 0)
		return;
	if (n > PDF_MAX - b->len) {
		b->err = ERR_BIG;
		return;
	}
	if (b->len + n > b->cap) {
		ncap = b->cap == 0 ? 4096 : b->cap;
		while (ncap < b->len + n)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->err = ERR_NOMEM;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Short pieces only: names, integers, offsets. */
static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->err = ERR_BIG;
		return;
	}
	buf_add(b, tmp, (size_t)n);
}

/* A coordinate with two decimals and a '.', whatever the locale. */
static void
buf_num(struct buf *b, double v)
{
	long c;

	c = (long)(v * 100 + (v < 0 ? -0.5 : 0.5));
	if (c < 0) {
		buf_add(b, "-", 1);
		c = -c;
	}
	if (c % 100 == 0)
		buf_printf(b, "%ld", c / 100);
	else if (c % 10 == 0)
		buf_printf(b, "%ld.%ld", c / 100, c % 100 / 10);
	else
		buf_printf(b, "%ld.%02ld", c / 100, c % 100);
}

/* A literal string; anything outside printable ASCII as octal. */
static void
buf_string(struct buf *b, const char *s, size_t n)
{
	unsigned char c;
	size_t i;

	buf_add(b, "(", 1);
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '(' || c == ')' || c == '\\') {
			buf_add(b, "\\", 1);
			buf_add(b, &c, 1);
		} else if (c < 0x20 || c > 0x7e)
			buf_printf(b, "\\%03o", c);
		else
			buf_add(b, &c, 1);
	}
	buf_add(b, ")", 1);
}

/*
 * The code point at s[*i] (s is NUL-terminated), advancing *i.
 * Malformed, overlong, surrogate or out-of-range sequences give
 * UNI_BAD; a bad continuation byte is not consumed.
 */
static uint32_t
utf8_next(const unsigned char *s, size_t *i)
{
	uint32_t cp, min;
	unsigned c;
	int k, n;

	c = s[*i];
	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		(*i)++;
		return UNI_BAD;
	}
	for (k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80) {
			*i += k;
			return UNI_BAD;
		}
		cp = cp << 6 | (s[*i + k] & 0x3f);
	}
	*i += n + 1;
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return UNI_BAD;
	return cp;
}

/*
 * The WinAnsi code for a code point, DROP for invisible ones, '?' for
 * the rest. Spaces of other widths become a space (or a no-break space
 * where Unicode forbids a break, as in French "« oui »").
 */
static int
winansi_code(uint32_t cp)
{
	size_t i;

	if (cp == '\n')
		return '\n';
	if (cp == '\t')
		return ' ';
	if (cp == '\r' || cp == 0x00ad || (cp >= 0x200b && cp <= 0x200d) ||
	    cp == 0x2060 || cp == 0xfeff)
		return DROP;
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return '?';
	if (cp < 0x7f || (cp >= 0xa0 && cp <= 0xff))
		return (int)cp;
	if (cp == 0x2007 || cp == 0x202f)
		return 0xa0;
	if (cp >= 0x2000 && cp <= 0x200a)
		return ' ';
	if (cp == 0x2010 || cp == 0x2011 || cp == 0x2212)
		return '-';
	if (cp == 0x2028 || cp == 0x2029)
		return '\n';
	for (i = 0; i < sizeof(winansi_hi) / sizeof(winansi_hi[0]); i++)
		if (winansi_hi[i].cp == cp)
			return winansi_hi[i].code;
	return '?';
}

/* UTF-8 (NULL is empty) into WinAnsi bytes; never longer than input. */
static void
to_winansi(const char *s, struct buf *out)
{
	unsigned char c;
	size_t i = 0;
	int code;

	out->len = 0;
	if (s == NULL)
		return;
	while (s[i] != '\0' && out->err == 0) {
		code = winansi_code(utf8_next((const unsigned char *)s, &i));
		if (code == DROP)
			continue;
		c = (unsigned char)code;
		buf_add(out, &c, 1);
	}
}

/* Width in 1/1000 em; stops early once past limit. */
static long
measure(const unsigned char *s, size_t n, int font, long limit)
{
	const unsigned short *w = font == F_BOLD ? helvb_w : helv_w;
	long sum = 0;
	size_t i;

	for (i = 0; i < n && sum <= limit; i++)
		sum += w[s[i]];
	return sum;
}

static int
lines_push(struct lines *l, size_t off, size_t len)
{
	struct slice *nv;
	size_t ncap;

	if (l->n == l->cap) {
		ncap = l->cap == 0 ? 16 : l->cap * 2;
		if ((nv = realloc(l->v, ncap * sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n].off = off;
	l->v[l->n].len = len;
	l->n++;
	return 0;
}

/*
 * Greedy wrap of s[a..b) (no '\n' inside) at spaces into lines of at
 * most maxu units; a word wider than a line is broken where it must.
 * A segment without words is one empty line.
 */
static int
wrap_segment(const unsigned char *s, size_t a, size_t b, int font,
    long maxu, struct lines *out)
{
	const unsigned short *w = font == F_BOLD ? helvb_w : helv_w;
	size_t i = a, ls, le, ws, k, before = out->n;
	long wle, cand;

	for (;;) {
		while (i < b && s[i] == ' ')
			i++;
		if (i >= b)
			break;
		ls = le = i;
		wle = 0;
		for (;;) {
			for (ws = le; ws < b && s[ws] == ' '; ws++)
				;
			if (ws >= b)
				break;
			/* The spaces and the next word, until too wide. */
			cand = wle;
			for (k = le; k < b && (k < ws || s[k] != ' ') &&
			    cand <= maxu; k++)
				cand += w[s[k]];
			if (cand <= maxu) {
				le = k;
				wle = cand;
				continue;
			}
			/* A word alone too wide: break before s[k - 1]. */
			if (le == ls)
				le = k - 1 > ls ? k - 1 : ls + 1;
			break;
		}
		if (lines_push(out, ls, le - ls) == -1)
			return -1;
		i = le;
	}
	if (out->n == before && lines_push(out, a, 0) == -1)
		return -1;
	return 0;
}

/* Lines of t (split at '\n', then wrapped) for maxw points at size. */
static int
wrap(struct render *r, const struct buf *t, int font, double size,
    double maxw, struct lines *out)
{
	const unsigned char *s = (const unsigned char *)t->p;
	long maxu;
	size_t i = 0, end;

	out->n = 0;
	if (t->len == 0)
		return 0;
	maxu = (long)(maxw * 1000 / size);
	for (;;) {
		for (end = i; end < t->len && s[end] != '\n'; end++)
			;
		if (wrap_segment(s, i, end, font, maxu, out) == -1) {
			r->content.err = ERR_NOMEM;
			return -1;
		}
		if (end + 1 >= t->len)
			break;
		i = end + 1;
	}
	return 0;
}

static double
line_width(const struct buf *t, const struct slice *l, int font,
    double size)
{
	return measure((const unsigned char *)t->p + l->off, l->len, font,
	    LONG_MAX - 1000) * size / 1000;
}

static void
new_page(struct render *r)
{
	struct page *np;
	size_t ncap;

	if (r->npages == r->pagecap) {
		ncap = r->pagecap == 0 ? 8 : r->pagecap * 2;
		if ((np = realloc(r->pages, ncap * sizeof(*np))) == NULL) {
			r->content.err = ERR_NOMEM;
			return;
		}
		r->pages = np;
		r->pagecap = ncap;
	}
	r->pages[r->npages].start = r->content.len;
	r->pages[r->npages++].slip = 0;
	r->y = PAGE_H - MARGIN_T;
	r->fresh = 1;
}

/*
 * Room for h points, or a new page. A page that holds nothing yet takes
 * anything: a block taller than a page then runs over line by line.
 */
static void
need(struct render *r, double h)
{
	if (r->y - h < MARGIN_B && !r->fresh)
		new_page(r);
}

/* Vertical space; swallowed at the top of a page. */
static void
gap(struct render *r, double h)
{
	if (!r->fresh)
		r->y -= h;
}

/* One line of WinAnsi text with its baseline at y, into b. */
static void
text_op(struct buf *b, int font, double size, double x, double y,
    const char *s, size_t n)
{
	if (n == 0)
		return;
	buf_printf(b, "BT /F%d ", font);
	buf_num(b, size);
	buf_puts(b, " Tf ");
	buf_num(b, x);
	buf_puts(b, " ");
	buf_num(b, y);
	buf_puts(b, " Td ");
	buf_string(b, s, n);
	buf_puts(b, " Tj ET\n");
}

/* One line of WinAnsi text on the current page. */
static void
draw_text(struct render *r, int font, double size, double x, double y,
    const char *s, size_t n)
{
	r->fresh = 0;
	text_op(&r->content, font, size, x, y, s, n);
}

/* A thin horizontal line at y from x1 to x2. */
static void
draw_rule(struct render *r, double x1, double x2, double y)
{
	struct buf *b = &r->content;

	r->fresh = 0;
	buf_puts(b, "0.6 w ");
	buf_num(b, x1);
	buf_puts(b, " ");
	buf_num(b, y);
	buf_puts(b, " m ");
	buf_num(b, x2);
	buf_puts(b, " ");
	buf_num(b, y);
	buf_puts(b, " l S\n");
}

/*
 * Wrapped text over the body width. keep is the number of following
 * lines (of body text) a heading wants on its page.
 */
static void
block_text(struct render *r, const char *text, const struct style *st,
    int keep)
{
	size_t i;

	to_winansi(text, &r->text);
	if (r->text.len == 0 ||
	    wrap(r, &r->text, st->font, st->size, CONTENT_W, &r->l1) == -1)
		return;
	gap(r, st->before);
	if (keep > 0)
		need(r, r->l1.n * st->leading + keep * st_paragraph.leading);
	for (i = 0; i < r->l1.n; i++) {
		need(r, st->leading);
		draw_text(r, st->font, st->size, MARGIN_L, r->y - st->size,
		    r->text.p + r->l1.v[i].off, r->l1.v[i].len);
		r->y -= st->leading;
	}
	gap(r, st->after);
}

/* Sender lines, small; the first (the office) in bold. */
static void
block_letterhead(struct render *r, const char *text)
{
	const struct style *st = &st_letterhead;
	size_t i;
	int font;

	to_winansi(text, &r->text);
	if (r->text.len == 0 ||
	    wrap(r, &r->text, st->font, st->size, CONTENT_W, &r->l1) == -1)
		return;
	for (i = 0; i < r->l1.n; i++) {
		need(r, st->leading);
		font = i == 0 ? F_BOLD : F_REG;
		draw_text(r, font, st->size, MARGIN_L, r->y - st->size,
		    r->text.p + r->l1.v[i].off, r->l1.v[i].len);
		r->y -= st->leading;
	}
	gap(r, st->after);
}

/*
 * The recipient in the envelope window when the page still has room
 * above it; the body then starts below the window. Elsewhere the
 * address simply follows the text.
 */
static void
block_address(struct render *r, const char *text)
{
	const struct style *st = &st_address;
	size_t i;
	int windowed;

	to_winansi(text, &r->text);
	if (r->text.len == 0 ||
	    wrap(r, &r->text, st->font, st->size, WINDOW_W, &r->l1) == -1)
		return;
	windowed = r->y >= WINDOW_TOP;
	if (windowed)
		r->y = WINDOW_TOP;
	else {
		gap(r, 12);
		need(r, r->l1.n * st->leading);
	}
	for (i = 0; i < r->l1.n; i++) {
		need(r, st->leading);
		draw_text(r, st->font, st->size, MARGIN_L, r->y - st->size,
		    r->text.p + r->l1.v[i].off, r->l1.v[i].len);
		r->y -= st->leading;
	}
	if (windowed && r->y > BODY_TOP)
		r->y = BODY_TOP;
	else
		gap(r, 12);
}

/*
 * Label on the left, amount right-aligned; both wrap in their column
 * (an amount gets at most 45 % of the width) and the row stays on one
 * page. A total is bold with a rule above.
 */
static void
block_row(struct render *r, const char *label, const char *amount,
    const struct style *st)
{
	double aw = 0, w, y;
	size_t i, n;
	int total = st == &st_total;

	to_winansi(label, &r->text);
	to_winansi(amount, &r->text2);
	if (wrap(r, &r->text2, st->font, st->size, CONTENT_W * 0.45,
	    &r->l2) == -1)
		return;
	for (i = 0; i < r->l2.n; i++)
		if ((w = line_width(&r->text2, &r->l2.v[i], st->font,
		    st->size)) > aw)
			aw = w;
	if (wrap(r, &r->text, st->font, st->size,
	    CONTENT_W - aw - (aw > 0 ? COL_GAP : 0), &r->l1) == -1)
		return;
	n = r->l1.n > r->l2.n ? r->l1.n : r->l2.n;
	if (n == 0 && !total)
		return;
	need(r, n * st->leading + (total ? 4 : 0));
	if (total) {
		draw_rule(r, MARGIN_L, RIGHT, r->y - 1);
		r->y -= 4;
	}
	for (i = 0; i < n; i++) {
		need(r, st->leading);
		y = r->y - st->size;
		if (i < r->l1.n)
			draw_text(r, st->font, st->size, MARGIN_L, y,
			    r->text.p + r->l1.v[i].off, r->l1.v[i].len);
		if (i < r->l2.n)
			draw_text(r, st->font, st->size, RIGHT -
			    line_width(&r->text2, &r->l2.v[i], st->font,
			    st->size), y, r->text2.p + r->l2.v[i].off,
			    r->l2.v[i].len);
		r->y -= st->leading;
	}
	gap(r, st->after);
}

/* Two signature blocks side by side: room to sign, a line, the name. */
static void
block_signatures(struct render *r, const char *left, const char *right)
{
	const struct style *st = &st_signature;
	double colw = (CONTENT_W - SIG_GAP) / 2, x2 = MARGIN_L + colw + SIG_GAP;
	size_t i, n;

	to_winansi(left, &r->text);
	to_winansi(right, &r->text2);
	if (wrap(r, &r->text, st->font, st->size, colw, &r->l1) == -1 ||
	    wrap(r, &r->text2, st->font, st->size, colw, &r->l2) == -1)
		return;
	n = r->l1.n > r->l2.n ? r->l1.n : r->l2.n;
	if (n == 0)
		return;
	gap(r, st->before);
	need(r, SIG_SPACE + 4 + n * st->leading);
	r->y -= SIG_SPACE;
	if (r->l1.n > 0)
		draw_rule(r, MARGIN_L, MARGIN_L + colw, r->y);
	if (r->l2.n > 0)
		draw_rule(r, x2, x2 + colw, r->y);
	r->y -= 4;
	for (i = 0; i < n; i++) {
		need(r, st->leading);
		if (i < r->l1.n)
			draw_text(r, st->font, st->size, MARGIN_L,
			    r->y - st->size, r->text.p + r->l1.v[i].off,
			    r->l1.v[i].len);
		if (i < r->l2.n)
			draw_text(r, st->font, st->size, x2, r->y - st->size,
			    r->text2.p + r->l2.v[i].off, r->l2.v[i].len);
		r->y -= st->leading;
	}
	gap(r, st->after);
}

/* ------------------------------------------------------------------ */
/* QR-bill payment part                                                 */
/* ------------------------------------------------------------------ */

/*
 * The geometry is that of the SIX style guide: a 210 x 105 mm strip at
 * the foot of the page, the receipt (62 mm) on the left, the payment
 * part (148 mm) on the right, 5 mm margins. Headings in bold, text in
 * regular Helvetica: 6/8 pt in the receipt, 8/10 pt in the payment
 * part. Positions below are from the bottom left corner of the page.
 */
#define SLIP_H		(105 * MM)
#define RC_W		(62 * MM)
#define SLIP_M		(5 * MM)
#define PP_X		(RC_W + SLIP_M)		/* payment part text */
#define PP_INFO_X	(RC_W + 56 * MM)	/* right of the QR code */
#define QR_SIZE		(46 * MM)
#define QR_BOTTOM	(42 * MM)
#define AMOUNT_TOP	(37 * MM)
#define ACCEPT_TOP	(23 * MM)
#define TITLE_SIZE	11.0
#define ASCENT		0.718			/* Helvetica, of the size */
#define BOX_PAD		2.0			/* box below its heading */
#define CORNER		(3 * MM)

/*
 * Versions 7 to 13 have an alignment pattern in the very centre, under
 * the Swiss cross; zbar then reads none of them (it does read 14 to 20,
 * whose alignment patterns lie clear of the cross). Typical payloads
 * (150 to 400 bytes) would get 7 to 13, so 14 is the least version
 * used: 0.63 mm modules, well within the guidelines' version 25.
 */
#define QR_MIN_VERSION	14
#define QR_MAX_VERSION	25

/* Element positions of the payload (IG QR-bill 0200, as qrbill.c). */
#define E_IBAN		3
#define E_CDTR		4	/* AdrTp, Name, street, building, ... */
#define E_AMT		18
#define E_CCY		19
#define E_UDBTR		20
#define E_REFTP		27
#define E_REF		28
#define E_USTRD		29
#define E_TRAILER	30
#define E_BKGINF	31
#define E_MIN		31
#define E_MAX		34	/* with both alternative schemes */

enum {
	L_RECEIPT, L_PAYMENT, L_ACCOUNT, L_REF, L_INFO, L_PAYABLE,
	L_PAYABLE_BOX, L_CURRENCY, L_AMOUNT, L_ACCEPT, L_COUNT
};

/* The headings in the guidelines' wording, German and French. */
static const char *const qr_labels[2][L_COUNT] = {
	{ "Empfangsschein", "Zahlteil", "Konto / Zahlbar an", "Referenz",
	  "Zusätzliche Informationen", "Zahlbar durch",
	  "Zahlbar durch (Name/Adresse)", "Währung", "Betrag",
	  "Annahmestelle" },
	{ "Récépissé", "Section paiement", "Compte / Payable à",
	  "Référence", "Informations supplémentaires", "Payable par",
	  "Payable par (nom/adresse)", "Monnaie", "Montant",
	  "Point de dépôt" }
};

/* The groups of an information section, top to bottom. */
enum { G_ACCOUNT, G_REF, G_INFO, G_DEBTOR, G_COUNT };

/* A payload split into its elements (pointers into copy). */
struct slip {
	char		*copy;
	const char	*el[E_MAX];
	int		 n;
	int		 lang;		/* 0 German, 1 French */
};

/* One information section: the receipt's or the payment part's. */
struct part {
	double		 x;
	double		 width;
	double		 top;
	double		 height;
	double		 label;		/* heading size */
	double		 size;		/* text size */
	double		 box_w;		/* debtor box when there is none */
	double		 box_h;
	int		 info;		/* shows the additional information */
	int		 compact;	/* addresses without the street */
	double		 leading;	/* from part_spacing() */
	double		 extra;		/* between groups */
};

static int
qr_has(const struct slip *s, int i)
{
	return i < s->n && s->el[i][0] != '\0';
}

/* "1234.50" (digits, a point, two decimals, at most 12 in all)? */
static int
amount_ok(const char *a)
{
	size_t n = strspn(a, "0123456789");

	return n >= 1 && n <= 9 && a[n] == '.' &&
	    strspn(a + n + 1, "0123456789") == 2 && a[n + 3] == '\0';
}

/*
 * Split and check what the layout relies on; the payload itself is
 * ks_qrbill_payload's business. Returns 0 or an ERR_* code.
 */
static int
slip_parse(const char *payload, const char *lang, struct slip *s)
{
	char *p;

	memset(s, 0, sizeof(*s));
	if (lang == NULL || *lang == '\0' || strcmp(lang, "de") == 0)
		s->lang = 0;
	else if (strcmp(lang, "fr") == 0)
		s->lang = 1;
	else
		return ERR_QRLANG;
	if (payload == NULL || (s->copy = strdup(payload)) == NULL)
		return payload == NULL ? ERR_QRBILL : ERR_NOMEM;
	for (p = s->copy; s->n < E_MAX; p++) {
		s->el[s->n++] = p;
		if ((p = strchr(p, '\n')) == NULL)
			break;
		*p = '\0';
	}
	if (p != NULL || s->n < E_MIN || strcmp(s->el[0], "SPC") != 0 ||
	    strcmp(s->el[1], "0200") != 0 ||
	    strcmp(s->el[E_TRAILER], "EPD") != 0 ||
	    strcmp(s->el[E_CDTR], "S") != 0 ||
	    (strcmp(s->el[E_UDBTR], "S") != 0 && qr_has(s, E_UDBTR)) ||
	    (strcmp(s->el[E_CCY], "CHF") != 0 &&
	    strcmp(s->el[E_CCY], "EUR") != 0) ||
	    (qr_has(s, E_AMT) && !amount_ok(s->el[E_AMT])) ||
	    (strcmp(s->el[E_REFTP], "NON") != 0 &&
	    strcmp(s->el[E_REFTP], "QRR") != 0 &&
	    strcmp(s->el[E_REFTP], "SCOR") != 0))
		return ERR_QRBILL;
	return 0;
}

/* Appends a line of text unless it is empty. */
static void
add_line(struct buf *u, const char *a, const char *sep, const char *b)
{
	if (*a == '\0' && (b == NULL || *b == '\0'))
		return;
	if (u->len > 0)
		buf_add(u, "\n", 1);
	buf_puts(u, a);
	if (b != NULL && *b != '\0') {
		if (*a != '\0')
			buf_puts(u, sep);
		buf_puts(u, b);
	}
}

/*
 * An address as printed: name, street and number, postcode and town;
 * outside Switzerland and Liechtenstein with the country code in front
 * of the postcode ("DE-80331 München").
 */
static void
add_address(struct buf *u, const struct slip *s, int at, int compact)
{
	char town[64];
	const char *cc = s->el[at + 6];

	add_line(u, s->el[at + 1], "", NULL);
	if (!compact)
		add_line(u, s->el[at + 2], " ", s->el[at + 3]);
	if (strcmp(cc, "CH") == 0 || strcmp(cc, "LI") == 0)
		add_line(u, s->el[at + 4], " ", s->el[at + 5]);
	else {
		snprintf(town, sizeof(town), "%s-%s", cc, s->el[at + 4]);
		add_line(u, town, " ", s->el[at + 5]);
	}
}

/*
 * A group's text lines in UTF-8 into u, NUL-terminated (empty when
 * the group has none).
 */
static void
group_text(const struct slip *s, const struct part *p, int g,
    struct buf *u)
{
	char tmp[64];

	u->len = 0;
	switch (g) {
	case G_ACCOUNT:
		ks_qrbill_group(s->el[E_IBAN], 0, tmp, sizeof(tmp));
		add_line(u, tmp, "", NULL);
		add_address(u, s, E_CDTR, p->compact);
		break;
	case G_REF:
		ks_qrbill_group(s->el[E_REF],
		    strcmp(s->el[E_REFTP], "QRR") == 0, tmp, sizeof(tmp));
		add_line(u, tmp, "", NULL);
		break;
	case G_INFO:
		add_line(u, s->el[E_USTRD], "", NULL);
		if (s->n > E_BKGINF)
			add_line(u, s->el[E_BKGINF], "", NULL);
		break;
	case G_DEBTOR:
		if (qr_has(s, E_UDBTR))
			add_address(u, s, E_UDBTR, p->compact);
		break;
	}
	buf_add(u, "", 1);
}

/* The group's text wrapped into r->l1 (of r->text); the line count. */
static size_t
group_lines(struct render *r, const struct slip *s, const struct part *p,
    int g)
{
	group_text(s, p, g, &r->text2);
	if (r->text2.err != 0)
		return 0;
	to_winansi(r->text2.p, &r->text);
	if (wrap(r, &r->text, F_REG, p->size, p->width, &r->l1) == -1)
		return 0;
	return r->l1.n;
}

/* Whether a group shows: the account and the debtor always. */
static int
group_shown(const struct slip *s, const struct part *p, int g)
{
	if (g == G_REF)
		return strcmp(s->el[E_REFTP], "NON") != 0;
	if (g == G_INFO)
		return p->info && (qr_has(s, E_USTRD) || qr_has(s, E_BKGINF));
	return 1;
}

/*
 * Line spacing of one point more than the text, and the room left over
 * spread between the groups (at most a line each). Returns whether the
 * lines fit at that spacing; if not, they are squeezed to fit.
 */
static int
part_spacing(struct render *r, const struct slip *s, struct part *p)
{
	double fixed = 0, need;
	size_t lines = 0;
	int g, groups = 0;

	for (g = 0; g < G_COUNT; g++) {
		if (!group_shown(s, p, g))
			continue;
		groups++;
		lines++;
		if (g == G_DEBTOR && !qr_has(s, E_UDBTR))
			fixed += p->box_h;
		else
			lines += group_lines(r, s, p, g);
	}
	p->leading = p->size + 1;
	need = fixed + lines * p->leading;
	p->extra = (p->height - need) / groups;
	if (p->extra > p->leading)
		p->extra = p->leading;
	if (p->extra >= 0)
		return 1;
	p->extra = 0;
	p->leading = (p->height - fixed) / lines;
	return 0;
}

/* A line of UTF-8 text starting at x, or ending there with right. */
static void
put_text(struct render *r, int font, double size, double x, double y,
    const char *s, int right)
{
	double w;

	to_winansi(s, &r->text);
	w = measure((const unsigned char *)r->text.p, r->text.len, font,
	    LONG_MAX - 1000) * size / 1000;
	draw_text(r, font, size, right ? x - w : x, y, r->text.p,
	    r->text.len);
}

static void
put_point(struct buf *b, double x, double y, const char *op)
{
	buf_num(b, x);
	buf_puts(b, " ");
	buf_num(b, y);
	buf_puts(b, op);
}

/* Corner marks of a box left open for handwriting (x, y: bottom left). */
static void
draw_corners(struct render *r, double x, double y, double w, double h)
{
	static const int sx[4] = { 0, 1, 0, 1 }, sy[4] = { 0, 0, 1, 1 };
	struct buf *b = &r->content;
	double cx, cy, dx, dy;
	int i;

	buf_puts(b, "0.75 w\n");
	for (i = 0; i < 4; i++) {
		cx = x + sx[i] * w;
		cy = y + sy[i] * h;
		dx = sx[i] ? -CORNER : CORNER;
		dy = sy[i] ? -CORNER : CORNER;
		put_point(b, cx, cy + dy, " m ");
		put_point(b, cx, cy, " l ");
		put_point(b, cx + dx, cy, " l S\n");
	}
}

/* The headings and text of one information section. */
static void
draw_part(struct render *r, const struct slip *s, const struct part *p)
{
	const char *const *lab = qr_labels[s->lang];
	double y = p->top - ASCENT * p->label, top;
	size_t i;
	int g, l;

	for (g = 0; g < G_COUNT; g++) {
		if (!group_shown(s, p, g))
			continue;
		l = g == G_ACCOUNT ? L_ACCOUNT : g == G_REF ? L_REF :
		    g == G_INFO ? L_INFO : qr_has(s, E_UDBTR) ? L_PAYABLE :
		    L_PAYABLE_BOX;
		put_text(r, F_BOLD, p->label, p->x, y, lab[l], 0);
		y -= p->leading;
		if (l == L_PAYABLE_BOX) {
			/* The last group: nothing goes below the box. */
			top = y + ASCENT * p->size - BOX_PAD;
			draw_corners(r, p->x, top - p->box_h, p->box_w,
			    p->box_h);
			break;
		}
		group_lines(r, s, p, g);
		for (i = 0; i < r->l1.n; i++, y -= p->leading)
			draw_text(r, F_REG, p->size, p->x, y,
			    r->text.p + r->l1.v[i].off, r->l1.v[i].len);
		y -= p->extra;
	}
}

/*
 * "1234567.50" (checked by amount_ok) as "1 234 567.50": the
 * guidelines' thousands spaces.
 */
static void
format_amount(const char *a, char *out, size_t outlen)
{
	char m[KS_SWISS_MAX];
	long long v = strtoll(a, NULL, 10) * 100 +
	    strtoll(a + strspn(a, "0123456789") + 1, NULL, 10);

	snprintf(out, outlen, "%s", ks_money(m, v, "", ' '));
}

/* Baseline of the currency and amount, below their headings. */
static double
amount_line(const struct part *p)
{
	return AMOUNT_TOP - ASCENT * p->label - (p->size + 3);
}

/*
 * Currency and amount side by side at x; an open amount is a box with
 * corner marks at (bx, by) for the payer to fill in.
 */
static void
draw_amount(struct render *r, const struct slip *s, const struct part *p,
    double cur_w, double bx, double by, double bw, double bh)
{
	const char *const *lab = qr_labels[s->lang];
	double y = AMOUNT_TOP - ASCENT * p->label;
	char amount[32];

	put_text(r, F_BOLD, p->label, p->x, y, lab[L_CURRENCY], 0);
	put_text(r, F_BOLD, p->label, p->x + cur_w, y, lab[L_AMOUNT], 0);
	y = amount_line(p);
	put_text(r, F_REG, p->size, p->x, y, s->el[E_CCY], 0);
	if (qr_has(s, E_AMT)) {
		format_amount(s->el[E_AMT], amount, sizeof(amount));
		put_text(r, F_REG, p->size, p->x + cur_w, y, amount, 0);
	} else
		draw_corners(r, bx, by, bw, bh);
}

/* The receipt: 52 mm of text, shortened addresses when tight. */
static void
draw_receipt(struct render *r, const struct slip *s)
{
	const char *const *lab = qr_labels[s->lang];
	struct part p = {
		.x = SLIP_M, .width = 52 * MM, .top = SLIP_H - 12 * MM,
		.height = 56 * MM, .label = 6, .size = 8,
		.box_w = 52 * MM, .box_h = 20 * MM
	};

	if (!part_spacing(r, s, &p)) {
		p.compact = 1;
		part_spacing(r, s, &p);
	}
	put_text(r, F_BOLD, TITLE_SIZE, p.x, SLIP_H - SLIP_M -
	    ASCENT * TITLE_SIZE, lab[L_RECEIPT], 0);
	draw_part(r, s, &p);
	/* An open amount's box stands level with the headings. */
	draw_amount(r, s, &p, 12 * MM, p.x + 22 * MM, AMOUNT_TOP - 10 * MM,
	    30 * MM, 10 * MM);
	put_text(r, F_BOLD, p.label, p.x + p.width, ACCEPT_TOP -
	    ASCENT * p.label, lab[L_ACCEPT], 1);
}

/* The payment part: title, QR code and amount left, text right. */
static int
draw_payment(struct render *r, const struct slip *s, const char *payload)
{
	const char *const *lab = qr_labels[s->lang];
	struct part p = {
		.x = PP_INFO_X, .width = 87 * MM, .top = SLIP_H - SLIP_M,
		.height = 85 * MM, .label = 8, .size = 10,
		.box_w = 65 * MM, .box_h = 25 * MM, .info = 1
	};
	double top;
	int e;

	part_spacing(r, s, &p);
	put_text(r, F_BOLD, TITLE_SIZE, PP_X, SLIP_H - SLIP_M -
	    ASCENT * TITLE_SIZE, lab[L_PAYMENT], 0);
	if ((e = draw_qr(r, payload, PP_X, QR_BOTTOM)) != 0)
		return e;
	draw_part(r, s, &p);
	/*
	 * Here the box hangs from the amount's line, right of the
	 * currency and 1 mm short of the information section.
	 */
	p.x = PP_X;
	top = amount_line(&p) + ASCENT * p.size;
	draw_amount(r, s, &p, 15 * MM, PP_INFO_X - 41 * MM, top - 15 * MM,
	    40 * MM, 15 * MM);
	return 0;
}

/* A number with four decimals, for the QR code's scale. */
static void
buf_fine(struct buf *b, double v)
{
	long c = (long)(v * 10000 + 0.5);

	buf_printf(b, "%ld.%04ld", c / 10000, c % 10000);
}

/* A rectangle centred on (cx, cy) into the current path. */
static void
centred_rect(struct buf *b, double cx, double cy, double w, double h)
{
	put_point(b, cx - w / 2, cy - h / 2, " ");
	put_point(b, w, h, " re\n");
}

/*
 * The Swiss cross over the centre of the code: a 7 mm white square, a
 * black square inside it and a white cross, in the proportions of the
 * SIX artwork (19.8 units: square 17, arms 11 long and 3.3 wide).
 */
static void
draw_cross(struct render *r, double cx, double cy)
{
	struct buf *b = &r->content;
	const double u = 7 * MM / 19.8;

	buf_puts(b, "1 g\n");
	centred_rect(b, cx, cy, 19.8 * u, 19.8 * u);
	buf_puts(b, "f 0 g\n");
	centred_rect(b, cx, cy, 17 * u, 17 * u);
	buf_puts(b, "f 1 g\n");
	centred_rect(b, cx, cy, 11 * u, 3.3 * u);
	centred_rect(b, cx, cy, 3.3 * u, 11 * u);
	buf_puts(b, "f 0 g\n");
}

/*
 * The Swiss QR code, 46 mm square with its bottom left corner at (x, y)
 * (the quiet zone is the white margin around it): error correction M,
 * the smallest version from QR_MIN_VERSION up that holds the payload's
 * bytes. Each row's runs of dark modules are one rectangle, in module
 * units under a scaling matrix, so neighbouring modules share exact
 * edges.
 */
static int
draw_qr(struct render *r, const char *payload, double x, double y)
{
	struct buf *b = &r->content;
	QRcode *q;
	int i, j, k, w;

	errno = 0;
	q = QRcode_encodeString8bit(payload, QR_MIN_VERSION, QR_ECLEVEL_M);
	if (q == NULL)
		return errno == ENOMEM ? ERR_NOMEM : ERR_QRBILL;
	if (q->version > QR_MAX_VERSION) {
		QRcode_free(q);
		return ERR_QRBILL;
	}
	w = q->width;
	buf_puts(b, "q ");
	buf_fine(b, QR_SIZE / w);
	buf_puts(b, " 0 0 ");
	buf_fine(b, QR_SIZE / w);
	buf_puts(b, " ");
	put_point(b, x, y, " cm\n");
	for (i = 0; i < w; i++)
		for (j = 0; j < w; j = k + 1) {
			for (k = j; k < w && (q->data[i * w + k] & 1); k++)
				;
			if (k > j)
				buf_printf(b, "%d %d %d 1 re\n", j, w - 1 - i,
				    k - j);
		}
	buf_puts(b, "f Q\n");
	QRcode_free(q);
	draw_cross(r, x + QR_SIZE / 2, y + QR_SIZE / 2);
	return 0;
}

/* Where the slip is cut off: across the page and between the parts. */
static void
draw_separators(struct render *r)
{
	struct buf *b = &r->content;

	buf_puts(b, "0.5 w ");
	put_point(b, 0, SLIP_H, " m ");
	put_point(b, PAGE_W, SLIP_H, " l S\n");
	put_point(b, RC_W, 0, " m ");
	put_point(b, RC_W, SLIP_H, " l S\n");
}

/*
 * The QR-bill across the foot of the page (a new page when the text
 * already reaches into it); nothing more goes on that page.
 */
static void
block_qrbill(struct render *r, const char *payload, const char *lang)
{
	struct slip s;
	int e;

	if ((e = slip_parse(payload, lang, &s)) == 0) {
		if (r->y < SLIP_H)
			new_page(r);
		r->fresh = 0;
		r->pages[r->npages - 1].slip = 1;
		draw_separators(r);
		draw_receipt(r, &s);
		e = draw_payment(r, &s, payload);
		r->y = 0;
	}
	free(s.copy);
	if (e != 0 && r->content.err == 0)
		r->content.err = e;
}

/* 0 when created is a valid "YYYYMMDDHHMMSS", -1 otherwise. */
static int
check_date(const char *s)
{
	static const int mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int i, y, mo, d, h, mi, sec;

	if (s == NULL)
		return -1;
	for (i = 0; i < 14; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (s[14] != '\0')
		return -1;
#define DIG2(p)	(((p)[0] - '0') * 10 + (p)[1] - '0')
	y = DIG2(s) * 100 + DIG2(s + 2);
	mo = DIG2(s + 4);
	d = DIG2(s + 6);
	h = DIG2(s + 8);
	mi = DIG2(s + 10);
	sec = DIG2(s + 12);
#undef DIG2
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	return 0;
}

/*
 * The title as a PDF text string: plain ASCII as is, anything else as
 * UTF-16BE with a byte order mark (PDF 1.4, 3.8.1).
 */
static void
put_title(struct buf *b, const char *title)
{
	const unsigned char *s = (const unsigned char *)title;
	size_t i;
	uint32_t cp;
	int ascii = 1;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			ascii = 0;
	if (ascii) {
		buf_string(b, title, i);
		return;
	}
	buf_puts(b, "<FEFF");
	for (i = 0; s[i] != '\0' && b->err == 0; ) {
		cp = utf8_next(s, &i);
		if (cp < 0x20 || cp == 0x7f)
			cp = ' ';
		if (cp >= 0x10000) {
			cp -= 0x10000;
			buf_printf(b, "%04X%04X", 0xd800 | (unsigned)(cp >> 10),
			    0xdc00 | (unsigned)(cp & 0x3ff));
		} else
			buf_printf(b, "%04X", (unsigned)cp);
	}
	buf_puts(b, ">");
}

/* One line of UTF-8 text centred on the page with its baseline at y. */
static void
centred_line(struct render *r, struct buf *b, const struct style *st,
    double y, const char *s)
{
	double w;

	to_winansi(s, &r->text);
	w = measure((const unsigned char *)r->text.p, r->text.len, st->font,
	    LONG_MAX - 1000) * st->size / 1000;
	text_op(b, st->font, st->size, (PAGE_W - w) / 2, y, r->text.p,
	    r->text.len);
}

/*
 * What every page gets once the pages are known (into b, emptied
 * first): the mark at the top in grey, the footer with the page
 * numbers filled in, except on a page that holds a QR-bill, whose
 * payment part must stay clear.
 */
static void
page_extra(struct render *r, size_t i, struct buf *b)
{
	struct buf f;
	const char *p, *q;

	b->len = 0;
	if (r->mark != NULL && *r->mark != '\0') {
		buf_puts(b, "q 0.45 g\n");
		centred_line(r, b, &st_mark, MARK_Y, r->mark);
		buf_puts(b, "Q\n");
	}
	if (r->footer == NULL || *r->footer == '\0' || r->pages[i].slip)
		return;
	memset(&f, 0, sizeof(f));
	for (p = r->footer; (q = strchr(p, '{')) != NULL; p = q) {
		buf_add(&f, p, (size_t)(q - p));
		if (strncmp(q, "{page}", 6) == 0) {
			buf_printf(&f, "%zu", i + 1);
			q += 6;
		} else if (strncmp(q, "{pages}", 7) == 0) {
			buf_printf(&f, "%zu", r->npages);
			q += 7;
		} else
			buf_add(&f, q++, 1);
	}
	buf_puts(&f, p);
	buf_add(&f, "", 1);
	if (f.err == 0)
		centred_line(r, b, &st_footer, FOOTER_Y, f.p);
	else
		b->err = f.err;
	free(f.p);
}

/* The file around the page contents: objects, xref, trailer. */
static void
write_pdf(struct render *r, const char *title, const char *created,
    struct buf *o)
{
	struct buf extra;
	size_t *off, nobj, i, start, end;

	nobj = OBJ_FIRST_PAGE + 2 * r->npages;
	if ((off = calloc(nobj, sizeof(*off))) == NULL) {
		o->err = ERR_NOMEM;
		return;
	}
	/* A binary comment line marks the file as binary for transfers. */
	buf_puts(o, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
	off[OBJ_CATALOG] = o->len;
	buf_printf(o, "%d 0 obj\n<< /Type /Catalog /Pages %d 0 R >>\n"
	    "endobj\n", OBJ_CATALOG, OBJ_PAGES);
	off[OBJ_PAGES] = o->len;
	buf_printf(o, "%d 0 obj\n<< /Type /Pages /Kids [", OBJ_PAGES);
	for (i = 0; i < r->npages; i++)
		buf_printf(o, "%s%zu 0 R", i == 0 ? "" : " ",
		    OBJ_FIRST_PAGE + 2 * i);
	buf_printf(o, "] /Count %zu >>\nendobj\n", r->npages);
	off[OBJ_FONT_REG] = o->len;
	buf_printf(o, "%d 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont "
	    "/Helvetica /Encoding /WinAnsiEncoding >>\nendobj\n",
	    OBJ_FONT_REG);
	off[OBJ_FONT_BOLD] = o->len;
	buf_printf(o, "%d 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont "
	    "/Helvetica-Bold /Encoding /WinAnsiEncoding >>\nendobj\n",
	    OBJ_FONT_BOLD);
	off[OBJ_INFO] = o->len;
	buf_printf(o, "%d 0 obj\n<< ", OBJ_INFO);
	if (title != NULL) {
		buf_puts(o, "/Title ");
		put_title(o, title);
		buf_puts(o, " ");
	}
	buf_printf(o, "/Producer (Kasus) /CreationDate (D:%s) >>\nendobj\n",
	    created);
	memset(&extra, 0, sizeof(extra));
	for (i = 0; i < r->npages; i++) {
		start = r->pages[i].start;
		end = i + 1 < r->npages ? r->pages[i + 1].start :
		    r->content.len;
		page_extra(r, i, &extra);
		if (extra.err != 0)
			o->err = extra.err;
		off[OBJ_FIRST_PAGE + 2 * i] = o->len;
		buf_printf(o, "%zu 0 obj\n<< /Type /Page /Parent %d 0 R "
		    "/MediaBox [0 0 %d %d]\n", OBJ_FIRST_PAGE + 2 * i,
		    OBJ_PAGES, PAGE_W, PAGE_H);
		buf_printf(o, "/Resources << /Font << /F1 %d 0 R /F2 %d 0 R "
		    ">> >>\n", OBJ_FONT_REG, OBJ_FONT_BOLD);
		buf_printf(o, "/Contents %zu 0 R >>\nendobj\n",
		    OBJ_FIRST_PAGE + 2 * i + 1);
		off[OBJ_FIRST_PAGE + 2 * i + 1] = o->len;
		buf_printf(o, "%zu 0 obj\n<< /Length %zu >>\nstream\n",
		    OBJ_FIRST_PAGE + 2 * i + 1, end - start + extra.len);
		buf_add(o, r->content.p + start, end - start);
		buf_add(o, extra.p, extra.len);
		buf_puts(o, "\nendstream\nendobj\n");
	}
	free(extra.p);
	start = o->len;
	/* Each entry is exactly 20 bytes: "nnnnnnnnnn ggggg n" SP LF. */
	buf_printf(o, "xref\n0 %zu\n0000000000 65535 f \n", nobj);
	for (i = 1; i < nobj; i++)
		buf_printf(o, "%010zu 00000 n \n", off[i]);
	buf_printf(o, "trailer\n<< /Size %zu /Root %d 0 R /Info %d 0 R >>\n"
	    "startxref\n%zu\n%%%%EOF\n", nobj, OBJ_CATALOG, OBJ_INFO, start);
	free(off);
}

/* One block onto the pages; -1 for a kind this renderer does not know. */
static int
render_block(struct render *r, const struct ks_pdf_block *b)
{
	switch (b->kind) {
	case KS_PDF_LETTERHEAD:
		block_letterhead(r, b->text);
		break;
	case KS_PDF_ADDRESS:
		block_address(r, b->text);
		break;
	case KS_PDF_TITLE:
		block_text(r, b->text, &st_title, 2);
		break;
	case KS_PDF_HEADING:
		block_text(r, b->text, &st_heading, 2);
		break;
	case KS_PDF_PARAGRAPH:
		block_text(r, b->text, &st_paragraph, 0);
		break;
	case KS_PDF_ROW:
		block_row(r, b->text, b->text2, &st_row);
		break;
	case KS_PDF_TOTAL:
		block_row(r, b->text, b->text2, &st_total);
		break;
	case KS_PDF_SMALL:
		block_text(r, b->text, &st_small, 0);
		break;
	case KS_PDF_SIGNATURES:
		block_signatures(r, b->text, b->text2);
		break;
	case KS_PDF_SPACE:
		gap(r, 10);
		break;
	case KS_PDF_QRBILL:
		block_qrbill(r, b->text, b->text2);
		break;
	case KS_PDF_MARK:
		r->mark = b->text;
		break;
	case KS_PDF_FOOTER:
		r->footer = b->text;
		break;
	default:
		return -1;
	}
	if (r->text.err != 0 || r->text2.err != 0)
		r->content.err = ERR_NOMEM;
	return 0;
}

/* The refusals that need no rendering; 0 or -1 with err set. */
static int
check_input(const struct ks_pdf_block *blocks, const char *title,
    const char *created, char *err, size_t errlen)
{
	const struct ks_pdf_block *b;
	size_t total;

	if (blocks == NULL) {
		snprintf(err, errlen, "no document blocks");
		return -1;
	}
	if (check_date(created) == -1) {
		snprintf(err, errlen, "creation date must be YYYYMMDDHHMMSS");
		return -1;
	}
	total = title != NULL ? strlen(title) : 0;
	for (b = blocks; b->kind != KS_PDF_END && total <= PDF_MAX; b++)
		total += (b->text != NULL ? strlen(b->text) : 0) +
		    (b->text2 != NULL ? strlen(b->text2) : 0);
	if (total > PDF_MAX) {
		snprintf(err, errlen, "document too large");
		return -1;
	}
	return 0;
}

int
ks_pdf_render(const struct ks_pdf_block *blocks, const char *title,
    const char *created, char **out, size_t *len, char *err, size_t errlen)
{
	struct render r;
	struct buf o;
	const struct ks_pdf_block *b;
	int kind = 0;

	if (err == NULL)
		errlen = 0;
	if (out == NULL || len == NULL) {
		snprintf(err, errlen, "no place for the document");
		return -1;
	}
	*out = NULL;
	*len = 0;
	if (check_input(blocks, title, created, err, errlen) == -1)
		return -1;
	memset(&r, 0, sizeof(r));
	memset(&o, 0, sizeof(o));
	new_page(&r);
	for (b = blocks; b->kind != KS_PDF_END && r.content.err == 0; b++)
		if (render_block(&r, b) == -1) {
			kind = (int)b->kind;
			r.content.err = ERR_KIND;
		}
	if (r.content.err == 0)
		write_pdf(&r, title, created, &o);
	else
		o.err = r.content.err;
	free(r.content.p);
	free(r.text.p);
	free(r.text2.p);
	free(r.l1.v);
	free(r.l2.v);
	free(r.pages);
	if (o.err != 0) {
		free(o.p);
		if (o.err == ERR_KIND)
			snprintf(err, errlen, "unknown block kind %d", kind);
		else if (o.err == ERR_BIG)
			snprintf(err, errlen, "document too large");
		else if (o.err == ERR_QRBILL)
			snprintf(err, errlen, "invalid qr-bill payload");
		else if (o.err == ERR_QRLANG)
			snprintf(err, errlen, "qr-bill language must be de "
			    "or fr");
		else
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	*out = o.p;
	*len = o.len;
	return 0;
}
