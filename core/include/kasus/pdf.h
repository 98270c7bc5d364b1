/*
 * pdf.h - small PDF documents (decisions, invoices) without a library:
 * A4 pages, the standard Helvetica fonts in WinAnsi encoding (German and
 * French letters), text blocks, two-column tables, automatic page breaks
 * (nothing is ever dropped: what does not fit goes on the next page), a
 * mark and a footer on every page, and the payment part of a Swiss
 * QR-bill.
 */
#ifndef KS_PDF_H
#define KS_PDF_H

#include <stddef.h>
#include <stdlib.h>

enum ks_pdf_kind {
	KS_PDF_END = 0,
	KS_PDF_LETTERHEAD,	/* text: sender lines separated by '\n' */
	KS_PDF_ADDRESS,		/* text: recipient lines separated by '\n' */
	KS_PDF_TITLE,		/* text: bold, larger */
	KS_PDF_HEADING,		/* text: bold */
	KS_PDF_PARAGRAPH,	/* text: wrapped to the page width */
	KS_PDF_ROW,		/* text left, text2 right-aligned (amounts) */
	KS_PDF_TOTAL,		/* like ROW, bold, with a rule above */
	KS_PDF_SMALL,		/* text: small print (remedies notice) */
	KS_PDF_SIGNATURES,	/* text and text2: two signature blocks */
	KS_PDF_SPACE,		/* vertical space */
	KS_PDF_QRBILL,		/* text: payload from ks_qrbill_payload,
				 * text2: "de" (NULL, "") or "fr"; the
				 * receipt and payment part across the
				 * foot of the page, which ends the page */
	KS_PDF_MARK,		/* text: a mark at the top of every page
				 * (a draft's "ENTWURF"), wherever the
				 * block stands in the list */
	KS_PDF_FOOTER		/* text: a line at the foot of every page
				 * without a QR-bill; "{page}" and
				 * "{pages}" become the page's number and
				 * the number of pages */
};

/** One block of a document; a KS_PDF_END block ends the list. */
struct ks_pdf_block {
	enum ks_pdf_kind	 kind;
	const char		*text;	/* UTF-8 */
	const char		*text2;	/* UTF-8 */
};

/**
 * A list of blocks that grows as they are added, always ended by a
 * KS_PDF_END block; the texts stay the caller's. v is malloc'd: free(v)
 * after rendering. Header-only, for the core and the modules alike.
 */
struct ks_pdf_list {
	struct ks_pdf_block	*v;
	size_t			 n;
	size_t			 cap;
};

/** Append a block; out of memory ends the process like any allocation. */
static inline void
ks_pdf_add(struct ks_pdf_list *l, enum ks_pdf_kind kind, const char *text,
    const char *text2)
{
	struct ks_pdf_block *nv;

	if (l->n + 1 >= l->cap) {
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL)
			abort();
		l->v = nv;
	}
	l->v[l->n].kind = kind;
	l->v[l->n].text = text;
	l->v[l->n++].text2 = text2;
	l->v[l->n].kind = KS_PDF_END;
	l->v[l->n].text = l->v[l->n].text2 = NULL;
}

/**
 * Render blocks into a PDF. Characters outside WinAnsi are replaced by
 * '?'. title goes into the document information. A QR-bill goes to the
 * bottom 105 mm of the current page, or of a new page when less is
 * left; a malformed payload or another language is refused. On success
 * *out is a malloc'd buffer of *len bytes the caller frees;
 * deterministic output (no clock is read: creation date from created,
 * "YYYYMMDDHHMMSS").
 */
int	ks_pdf_render(const struct ks_pdf_block *blocks, const char *title,
	    const char *created, char **out, size_t *len, char *err,
	    size_t errlen);

#endif
