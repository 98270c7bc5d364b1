/*
 * qrbill.h - Swiss QR-bill payloads (SIX "Swiss Implementation Guidelines
 * QR-bill", QRType SPC, version 0200, coding 1).
 *
 * Only structured addresses (AdrTp "S") are written: combined addresses
 * ("K") are no longer accepted since November 2025. Alternative schemes
 * (AV1, AV2) are not supported. The payment part itself is drawn by the
 * PDF renderer (KS_PDF_QRBILL in pdf.h) from the payload built here.
 *
 * Text is UTF-8 restricted to the Swiss Payment Standards character set
 * (Basic Latin, Latin-1 Supplement, Latin Extended-A, the euro sign and
 * Ș ș Ț ț, no control characters); lengths count characters, not bytes.
 * Nothing here keeps global state.
 */
#ifndef KS_QRBILL_H
#define KS_QRBILL_H

#include <stddef.h>

/**
 * A structured address (AdrTp "S"); NULL and "" both mean absent. A
 * party without a name is no party; with one, postcode, town and
 * country are required.
 */
struct ks_qr_address {
	const char	*name;		/* <= 70 characters */
	const char	*street;	/* StrtNmOrAdrLine1, <= 70, optional */
	const char	*building;	/* BldgNbOrAdrLine2, <= 16, optional */
	const char	*postcode;	/* <= 16 */
	const char	*town;		/* <= 35 */
	const char	*country;	/* ISO 3166 alpha-2, capitals: "CH" */
};

/** One bill: what the payload says. */
struct ks_qrbill {
	const char		*iban;		/* IBAN or QR-IBAN, CH or LI */
	struct ks_qr_address	 creditor;	/* required */
	struct ks_qr_address	 debtor;	/* ultimate debtor; optional */
	long long		 amount;	/* Rappen or cent; -1: open */
	const char		*currency;	/* "CHF" or "EUR" */
	const char		*reference;	/* QRR or RF; NULL/"": NON */
	const char		*message;	/* Ustrd, optional */
	const char		*bill_info;	/* StrdBkgInf, optional */
};

/** Buffer sizes for ks_qrref_make and ks_scor_make. */
#define KS_QRREF_BUFLEN		28
#define KS_SCOR_BUFLEN		26

/**
 * Validate a bill and build its Swiss QR code payload: 31 elements, or
 * 32 when bill_info is given, separated by "\n" with none after the last
 * (QRType SPC, Version 0200, Coding 1, the IBAN without spaces, the
 * creditor as seven "S" address lines, seven empty ultimate creditor
 * lines, the amount as "1234.50" or empty when open, the currency, the
 * ultimate debtor's seven lines (all empty without a debtor), the
 * reference type QRR, SCOR or NON, the reference without spaces, the
 * message, "EPD" and the bill information). The IBAN and reference
 * lose their spaces and have their letters uppercased; all other text
 * is copied as given, nothing is trimmed.
 *
 * Refused, with a lowercase message naming the field: an invalid IBAN or
 * one outside CH and LI; a QR-IBAN without a QR reference, a QR
 * reference without a QR-IBAN (so an RF reference needs a normal IBAN);
 * a bad reference check digit; amounts outside 0.01 to 999999999.99
 * (other than -1); currencies other than CHF and EUR; a party without
 * name, postcode, town or a two-letter country (street and building are
 * optional), or debtor address parts without a debtor name; over-long
 * fields; message and bill information longer than 140 characters
 * together; characters outside the character set and invalid UTF-8;
 * a payload over 997 bytes (what a version 25 QR code holds at error
 * correction M; only text full of accented letters gets there).
 *
 * Returns KS_OK with *out a malloc'd, NUL-terminated payload the caller
 * frees, or KS_ERROR with *out NULL and the message in err (err may be
 * NULL).
 */
int	ks_qrbill_payload(const struct ks_qrbill *b, char **out, char *err,
	    size_t errlen);

/**
 * Make a QR reference from 1 to 26 digits: left-padded with zeros to 26
 * and followed by the recursive modulo-10 check digit. out receives the
 * 27 digits and a NUL. KS_ERROR for anything but digits, more than 26 of
 * them, none, or only zeros (the all-zero reference is not valid).
 */
int	ks_qrref_make(const char *digits, char out[KS_QRREF_BUFLEN]);

/**
 * Make an ISO 11649 creditor reference "RFnn<base>" from 1 to 21 letters
 * and digits (letters are uppercased). out receives up to 25 characters
 * and a NUL. KS_ERROR for any other character or length.
 */
int	ks_scor_make(const char *base, char out[KS_SCOR_BUFLEN]);

/**
 * Group an IBAN or reference for reading, spaces in the input ignored:
 * with qrr set in blocks of five from the right ("21 00000 00003 13947
 * 14300 09017"), otherwise in blocks of four from the left (IBAN, RF
 * reference). The result is truncated to fit outlen bytes incl. the NUL.
 */
void	ks_qrbill_group(const char *in, int qrr, char *out, size_t outlen);

#endif
