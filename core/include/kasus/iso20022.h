/*
 * iso20022.h - Swiss payment identifiers and ISO 20022 payment files.
 *
 * Four parts, none of which keeps global state:
 *
 *   identifiers   IBAN (ISO 13616), QR-IBAN, QR reference, ISO 11649
 *                 creditor reference, AHV number (AHVN13)
 *   pain.001      credit transfer initiation, pain.001.001.09 as the
 *                 Swiss Payment Standards define it ("ch.03" schema)
 *   XSD           validation of any document against an XML schema
 *   camt.054      debit/credit notification, camt.054.001.08, parsed
 *                 into one flat record per transaction
 *
 * Money is an int64_t count of the currency's minor unit (Rappen, cent);
 * no floating point is used anywhere. Functions that can fail return 0 on
 * success and -1 on failure with a short lowercase message in err
 * (truncated to errlen; err may be NULL). Messages name the field and the
 * payment's position, never names, addresses or account numbers.
 *
 * XML input is parsed without network access, without entity
 * substitution, without DTDs (a document with a DOCTYPE is refused) and
 * up to KS_ISO_MAX_XML bytes. The library never calls xmlCleanupParser;
 * a multi-threaded program calls xmlInitParser once before its threads.
 */
#ifndef KS_ISO20022_H
#define KS_ISO20022_H

#include <stddef.h>
#include <stdint.h>

/** Largest XML document parsed or validated, in bytes. */
#define KS_ISO_MAX_XML		(50u * 1024 * 1024)

/** Buffer size that always holds a normalised IBAN (34 chars + NUL). */
#define KS_IBAN_BUFLEN		35
/** Buffer size that holds a normalised AHV number (13 digits + NUL). */
#define KS_AHV_BUFLEN		14

/* ------------------------------------------------------------------ */
/* Identifiers                                                          */
/* ------------------------------------------------------------------ */

/**
 * Check an IBAN: spaces are dropped and letters uppercased, then the
 * country must be known with its registered length (CH and LI: 21, with
 * a numeric 5-digit institution id), the BBAN alphanumeric and the
 * ISO 13616 mod-97 check must give 1. When valid and norm is not NULL,
 * the normalised form is written to norm.
 * Returns 1 when valid, 0 when not, -1 when valid but normlen is below
 * the normalised length + 1 (use KS_IBAN_BUFLEN).
 */
int	ks_iban_valid(const char *iban, char *norm, size_t normlen);

/**
 * Whether a normalised, valid IBAN is a Swiss or Liechtenstein QR-IBAN:
 * institution id (characters 5 to 9) in 30000-31999. Returns 1 or 0;
 * anything that is not a 21-character CH/LI IBAN gives 0.
 */
int	ks_iban_is_qr(const char *norm);

/**
 * Check a QR reference: 27 digits (spaces between them are ignored), the
 * last one the recursive mod-10 check digit of the first 26; the all-zero
 * reference is refused. Returns 1 when valid, 0 when not.
 */
int	ks_qrref_valid(const char *ref);

/**
 * Check an ISO 11649 creditor reference ("RF", two check digits, 1-21
 * alphanumerics; spaces ignored, letters case-insensitive): mod-97 of
 * the rearranged reference must give 1. Returns 1 when valid, 0 when not.
 */
int	ks_scor_valid(const char *ref);

/**
 * Decode one UTF-8 sequence at *pp into *cp and advance *pp; -1 for
 * malformed, overlong or surrogate sequences.
 */
int	ks_utf8_next(const unsigned char **pp, uint32_t *cp);
/**
 * Whether a character is in the Swiss Payment Standards' Latin subset
 * (the SPSText pattern of the ch.03 schema; QR-bills use the same): no
 * control characters, so no line feed.
 */
int	ks_sps_allowed(uint32_t c);

/**
 * Check an AHV number (AHVN13): either 13 digits or the printed form
 * 756.XXXX.XXXX.XX, starting with 756 and ending with the EAN-13 check
 * digit. When valid and norm is not NULL, the 13 digits are written to
 * norm. Returns 1 when valid, 0 when not, -1 when valid but normlen is
 * below KS_AHV_BUFLEN.
 */
int	ks_ahv_valid(const char *s, char *norm, size_t normlen);

/* ------------------------------------------------------------------ */
/* pain.001.001.09 (SPS, ch.03)                                         */
/* ------------------------------------------------------------------ */

/*
 * What the writer does with free text (names, address parts, remittance
 * text) that holds a character outside the SPS character set (Basic
 * Latin, Latin-1 Supplement, Latin Extended-A, the euro sign and
 * Ș ș Ț ț, without control characters):
 *
 *   KS_ISO_CHARSET_REPLACE  (the default) tab, CR and LF become a space,
 *                           no-break space a space, the soft hyphen is
 *                           dropped, typographic quotes, dashes and the
 *                           ellipsis become their ASCII forms, any other
 *                           character becomes '.' (as Swiss banks
 *                           convert); leading and trailing spaces are
 *                           trimmed
 *   KS_ISO_CHARSET_REFUSE   the run is refused, naming the field
 *
 * Identifiers (message, end-to-end and instruction ids) are refused in
 * both modes unless they use only A-Z a-z 0-9 space and + ? / - : ( ) . , '
 * because they are the keys the bank reports back. Invalid UTF-8 is
 * always refused.
 */
#define KS_ISO_CHARSET_REPLACE	0
#define KS_ISO_CHARSET_REFUSE	1

/** A structured postal address; NULL or "" means absent. */
struct ks_iso_addr {
	const char	*street;	/* StrtNm, up to 70 chars */
	const char	*building;	/* BldgNb, up to 16 */
	const char	*postcode;	/* PstCd, up to 16 */
	const char	*town;		/* TwnNm, up to 35, required */
	const char	*country;	/* Ctry, ISO 3166 alpha-2, required */
};

/** The paying account: one per run. */
struct ks_iso_debtor {
	const char		*name;	/* up to 70 chars, required */
	const char		*iban;	/* required, not a QR-IBAN */
	const char		*bic;	/* optional: DbtrAgt BICFI */
	struct ks_iso_addr	 addr;	/* optional: all empty = omitted */
};

/** One credit transfer. */
struct ks_iso_payment {
	const char	*end_to_end_id;	/* required, 1-35, unique in run */
	const char	*instr_id;	/* optional, up to 35 */
	const char	*exec_date;	/* optional YYYY-MM-DD, else run's */
	int64_t		 amount;	/* minor units, > 0 */
	const char	*currency;	/* "CHF" or "EUR" */
	const char	*creditor_name;	/* up to 70 chars, required */
	struct ks_iso_addr creditor_addr; /* town and country required */
	const char	*creditor_iban;	/* required */
	const char	*creditor_bic;	/* needed only outside CH/LI/SEPA */
	const char	*qr_ref;	/* QR reference: needs a QR-IBAN */
	const char	*scor_ref;	/* or an RF creditor reference */
	const char	*ustrd;		/* optional text, up to 140 chars */
	const char	*purpose;	/* optional ISO purpose code: SSBE */
};

/** A payment run: becomes one pain.001 message. */
struct ks_iso_run {
	const char		*msg_id;	/* 1-35, SWIFT characters */
	const char		*created;	/* YYYY-MM-DDTHH:MM:SS[zone] */
	const char		*exec_date;	/* default YYYY-MM-DD */
	const char		*initiator;	/* optional, else debtor name */
	struct ks_iso_debtor	 debtor;
	const struct ks_iso_payment *payments;
	size_t			 npayments;	/* at least 1 */
	int			 charset;	/* KS_ISO_CHARSET_* */
};

/**
 * Write a run as a pain.001.001.09 document for Swiss banks (SPS 2022,
 * schema pain.001.001.09.ch.03).
 *
 * Payments are grouped into one PmtInf per (execution date, payment
 * type, currency), in ascending order of that key; inside a group they
 * keep the order of the run. Payment types: domestic (creditor account
 * in CH or LI, CHF or EUR; QR and IBAN payments alike, no PmtTpInf),
 * SEPA (EUR to an account in another SEPA country: SvcLvl SEPA, ChrgBr
 * SLEV) and foreign (anything else; needs creditor_bic). PmtInfId is the
 * message id (shortened if needed) plus "-<group number>". NbOfTxs and
 * CtrlSum are counted from the integer amounts. A QR reference goes to
 * CdtrRefInf with Prtry QRR, an RF reference with Cd SCOR; text given
 * with a reference goes to Strd/AddtlRmtInf (refused for SEPA, which
 * allows only the reference there), text alone to Ustrd.
 *
 * Refused: invalid or unknown-country IBANs, a QR-IBAN as debtor, a
 * QR-IBAN without QR reference, a QR or RF reference with the wrong kind
 * of account or a bad check digit, both references at once, amount <= 0
 * or above 99,999,999,999.99, sums that overflow, currencies other than
 * CHF and EUR, a creditor without town or country, over-long fields,
 * duplicate end-to-end ids, malformed dates, text outside the
 * character set under KS_ISO_CHARSET_REFUSE, and a file that would be
 * larger than KS_ISO_MAX_XML (about 75,000 payments: split the run).
 *
 * The output depends on the run alone (the clock is never read), so the
 * same run gives a byte-identical file. On success *xml is a malloc'd,
 * NUL-terminated UTF-8 document the caller frees, *len its length
 * without the NUL; on failure *xml is NULL.
 */
int	ks_iso_pain001_write(const struct ks_iso_run *run, char **xml,
	    size_t *len, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* XSD validation                                                       */
/* ------------------------------------------------------------------ */

/** A compiled XML schema; opaque. */
struct ks_iso_schema;

/**
 * Load and compile the XSD at xsd_path (read without network access).
 * Returns a schema the caller releases with ks_iso_schema_free, or NULL
 * with a message.
 */
struct ks_iso_schema *ks_iso_schema_load(const char *xsd_path, char *err,
	    size_t errlen);

/**
 * Validate xml (len bytes) against a loaded schema. Returns 0 when the
 * document is well-formed and valid, -1 otherwise with the first problem
 * as "line N: message" (values quoted by libxml2 are replaced with "..."
 * so that no payment data ends up in logs). Each call uses its own
 * validation context, so one schema may serve several threads.
 */
int	ks_iso_schema_validate(const struct ks_iso_schema *schema,
	    const char *xml, size_t len, char *err, size_t errlen);

/** A schema check running beside the writer; opaque. */
struct ks_iso_check;

/**
 * Where a check runs: start(fn, arg) has fn(arg) run on another thread
 * and returns a slot that wait(slot) waits for, or -1 when no thread is
 * free (the check then reads the whole file when it is waited for; a
 * second part no thread took runs then too). Given NULL, the check
 * makes threads of its own.
 */
struct ks_iso_helper {
	int	(*start)(void (*fn)(void *), void *arg);
	void	(*wait)(int slot);
};

/**
 * ks_iso_pain001_write, with the file checked against schema while it
 * is written: a helper thread reads the bytes as the writer hands them
 * over (streamed validation, as ks_iso_schema_validate), so writing and
 * checking take about the time of the longer of the two. A run of 256
 * payments or more is checked in two parts at once (the file up to its
 * middle payment, and its head with the rest), on two helper threads;
 * sound for a schema that neither counts payments nor ties one to
 * another, as the SPS schema. Returns what ks_iso_pain001_write
 * returns, with the same file; on success *check is the running check,
 * which the caller ends with ks_iso_check_wait before it frees *xml (the
 * check reads it); on failure *check is NULL.
 */
int	ks_iso_pain001_write_checked(const struct ks_iso_run *run,
	    const struct ks_iso_schema *schema,
	    const struct ks_iso_helper *helper, char **xml, size_t *len,
	    struct ks_iso_check **check, char *err, size_t errlen);

/**
 * Wait for a check from ks_iso_pain001_write_checked to end and release
 * it: 0 when the file is well-formed and valid, -1 otherwise with the
 * first problem as ks_iso_schema_validate gives it.
 */
int	ks_iso_check_wait(struct ks_iso_check *check, char *err,
	    size_t errlen);

/** Release a schema from ks_iso_schema_load; NULL is accepted. */
void	ks_iso_schema_free(struct ks_iso_schema *schema);

/**
 * Load the XSD at xsd_path, validate xml against it and release it:
 * ks_iso_schema_load plus ks_iso_schema_validate, with their results.
 */
int	ks_iso_validate(const char *xml, size_t len, const char *xsd_path,
	    char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* camt.054.001.08                                                      */
/* ------------------------------------------------------------------ */

#define KS_ISO_CRDT		1	/* credit: money came in */
#define KS_ISO_DBIT		2	/* debit: money went out */

#define KS_ISO_STS_BOOK		1	/* booked */
#define KS_ISO_STS_PDNG		2	/* pending */
#define KS_ISO_STS_INFO		3	/* information only */
#define KS_ISO_STS_OTHER	4	/* any other status code */

/**
 * One transaction of a notification. Every string is malloc'd and never
 * NULL ("" when the file does not carry it); dates are "YYYY-MM-DD" or
 * "". The record belongs to the array from ks_iso_camt054_parse.
 */
struct ks_iso_camt_entry {
	char		*account;	/* Ntfctn/Acct IBAN (or Othr/Id) */
	char		 booking_date[11];	/* Ntry/BookgDt */
	char		 value_date[11];	/* Ntry/ValDt */
	int		 cdi;		/* KS_ISO_CRDT or KS_ISO_DBIT */
	int		 reversal;	/* Ntry/RvslInd true: 1 */
	int64_t		 amount;	/* minor units, >= 0 */
	char		 currency[4];
	int		 status;	/* KS_ISO_STS_* */
	char		*status_code;	/* the code as written: "BOOK" */
	char		*end_to_end_id;	/* "NOTPROVIDED" gives "" */
	char		*instr_id;
	char		*acct_svcr_ref;	/* TxDtls/Refs/AcctSvcrRef */
	char		*entry_ref;	/* Ntry/AcctSvcrRef */
	char		*creditor_ref;	/* RmtInf/Strd/CdtrRefInf/Ref */
	char		*ustrd;		/* RmtInf/Ustrd, joined by " " */
	char		*return_reason;	/* RtrInf/Rsn/Cd (or Prtry) */
	char		*debtor_name;	/* RltdPties/Dbtr/Pty/Nm */
	char		*debtor_iban;	/* RltdPties/DbtrAcct IBAN */
	char		*creditor_name;	/* RltdPties/Cdtr/Pty/Nm */
	char		*creditor_iban;	/* RltdPties/CdtrAcct IBAN */
};

/**
 * Parse a camt.054.001.08 document into one record per TxDtls, in
 * document order (an entry without TxDtls gives one record from the
 * entry itself). The transaction's amount, indicator and currency come
 * from TxDtls, falling back to the entry's when absent and the entry
 * has a single transaction. Amounts are parsed from their decimal text;
 * more than two non-zero decimals are refused.
 *
 * Returns 0 with *out a malloc'd array of *n records (NULL when *n is 0)
 * that the caller releases with ks_iso_camt054_free, or -1 with a
 * message for malformed XML, another document type or version, and
 * missing or malformed mandatory data; *out is then NULL and *n 0.
 */
int	ks_iso_camt054_parse(const char *xml, size_t len,
	    struct ks_iso_camt_entry **out, size_t *n, char *err,
	    size_t errlen);

/** Release an array from ks_iso_camt054_parse; NULL is accepted. */
void	ks_iso_camt054_free(struct ks_iso_camt_entry *entries, size_t n);

#endif
