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
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"

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

struct render {
	struct buf	 content;	/* every page's content stream */
	struct buf	 text;		/* the current block in WinAnsi */
	struct buf	 text2;
	struct lines	 l1;
	struct lines	 l2;
	size_t		*pages;		/* start of each page in content */
	size_t		 npages;
	size_t		 pagecap;
	double		 y;		/* top of the free space */
	int		 fresh;		/* nothing drawn on this page yet */
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
static void	 write_pdf(struct render *, const char *, const char *,
		    struct buf *);
static int	 render_block(struct render *, const struct ks_pdf_block *);
static int	 check_input(const struct ks_pdf_block *, const char *,
		    const char *, char *, size_t);

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
	size_t *np, ncap;

	if (r->npages == r->pagecap) {
		ncap = r->pagecap == 0 ? 8 : r->pagecap * 2;
		if ((np = realloc(r->pages, ncap * sizeof(*np))) == NULL) {
			r->content.err = ERR_NOMEM;
			return;
		}
		r->pages = np;
		r->pagecap = ncap;
	}
	r->pages[r->npages++] = r->content.len;
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

/* One line of WinAnsi text with its baseline at y. */
static void
draw_text(struct render *r, int font, double size, double x, double y,
    const char *s, size_t n)
{
	struct buf *b = &r->content;

	r->fresh = 0;
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

/* The file around the page contents: objects, xref, trailer. */
static void
write_pdf(struct render *r, const char *title, const char *created,
    struct buf *o)
{
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
	for (i = 0; i < r->npages; i++) {
		start = r->pages[i];
		end = i + 1 < r->npages ? r->pages[i + 1] : r->content.len;
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
		    OBJ_FIRST_PAGE + 2 * i + 1, end - start);
		buf_add(o, r->content.p + start, end - start);
		buf_puts(o, "\nendstream\nendobj\n");
	}
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
		else
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	*out = o.p;
	*len = o.len;
	return 0;
}
