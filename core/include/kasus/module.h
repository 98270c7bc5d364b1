/*
 * kasus/module.h - the contract between kasusd and a domain module.
 *
 * A module is one shared object exporting kasus_module(), which returns
 * a const struct ks_module. The loader checks ABI major/minor, the struct
 * size and the build signature before calling init(); a module reaches
 * the core only through the struct ks_api handed to init() and links
 * against no core symbol (tests check this with nm).
 *
 * Minor ABI versions only append members to struct ks_api; a module built
 * for minor m runs on a core with minor >= m.
 */
#ifndef KS_MODULE_H
#define KS_MODULE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "kasus/db.h"
#include "kasus/route.h"

#define KS_ABI_MAJOR	2
#define KS_ABI_MINOR	7	/* 2.3 casework routes, 2.4 money services,
				   2.5 bank credits to modules, 2.6 a credit
				   assigned to a dossier by hand, 2.7 db_free */

/* Compiler and the layouts modules share; a mismatch is refused. */
#define KS_BUILD_SIGNATURE	"kasus-abi2:" __VERSION__ ":jansson-" \
	JANSSON_VERSION

struct ks_request;
struct ks_route;
struct ks_query;
struct ks_iso_run;
struct ks_iso_camt_entry;
struct ks_pdf_block;
struct ks_qrbill;

/** A permission a module defines, with the roles that get it by default. */
struct ks_perm_def {
	const char	*code;
	const char	*description;
	const char	*roles;		/* comma-separated role codes */
};

/**
 * A background job type (core/jobs/job_runner.c runs them; README "Background
 * jobs"). name is "<module>.<name>" ([a-z0-9_]). run() gets a job context
 * that works like a request's - the job's tenant under row-level
 * security, its creator as the user (with that person's current roles
 * and permissions; none for scheduled jobs), an arena, db_q, audit,
 * rules_eval - and the payload it was queued with. It returns 0 when the
 * job is done, or fails with ks->fail: a 4xx answer is final (the job is
 * failed), anything else is tried again after backoff_ms, doubling each
 * time, until max_attempts, and then the job is dead (a dead letter an
 * administrator can retry).
 *
 * Delivery is at least once: after a crash, a lost lease or a failed
 * attempt the job runs again from the start. run() must therefore be
 * idempotent - running it twice must change nothing twice: key every
 * effect by the job and the item (INSERT ... ON CONFLICT DO NOTHING, a
 * state checked before it is changed). job_progress() commits the work
 * done so far together with the count; call it at least every lease_s / 2
 * seconds, or the job is taken over by another worker.
 */
struct ks_job_type {
	const char	*name;
	int		(*run)(struct ks_request *job, json_t *payload);
	/* NULL (queued by a route), "hourly", "daily" or "monthly": once per
	   period in every tenant that has the module, once per cluster */
	const char	*schedule;
	int		 max_attempts;	/* 0: 5 */
	int		 backoff_ms;	/* first retry after; 0: 5000 */
	int		 lease_s;	/* 0: 60 */
};

/** The end of a list of job types (the core's and every module's). */
#define KS_JOB_TYPES_END	{ NULL, NULL, NULL, 0, 0, 0 }

/**
 * A code a module adds to a vocabulary of the casework layer: domain is
 * "deadline_kind", "journal_category", "document_category" or
 * "payment_kind" (the kinds of the payment lines it contributes to a
 * run). The core has the generic ones (manual; conversation ... other;
 * id, decision, letter, scanned_mail, other; no payment kinds);
 * GET /api/v1/vocabularies lists them.
 */
struct ks_vocab {
	const char	*domain;
	const char	*code;
};

/**
 * A step between two states of a dossier kind. perm: the permission the
 * step needs besides changing the dossier (NULL: none). automatic: the
 * step is not taken by hand but by the module itself (e.g. support
 * starts when the decision is approved); a request for it is refused
 * with this text.
 */
struct ks_transition {
	const char	*from;
	const char	*to;
	const char	*perm;
	const char	*automatic;
};

/**
 * An item of a dossier kind's checklist (documents to collect, steps to
 * take). required: the dossier cannot enter the kind's checklist_before
 * state until the item is received (409 checklist_incomplete).
 */
struct ks_checklist_item {
	const char	*code;		/* [a-z][a-z0-9_]* */
	int		 required;
};

/**
 * A kind of dossier a module manages (the casework layer's routes under
 * /api/v1/cases serve it and its transition engine enforces it): its
 * states, the first one, the steps between them, and when a state named
 * "closed" exists, the reasons for closing. Arrays are NULL-terminated.
 * A module's main kind carries the module's name: POST /api/v1/cases
 * without "kind" registers a dossier of it.
 *
 * Since 2.3 (the array's layout changed: a module built for an older
 * minor that declares kinds is refused) a kind also brings what the
 * core's casework routes call; each hook runs in the request's
 * transaction with the module's statements (ks->db_q), may fail with
 * ks->fail (the whole request is then rolled back) and may be NULL.
 */
struct ks_dossier_kind {
	const char			*code;		/* [a-z][a-z0-9_]* */
	const char			*initial;
	const char *const		*states;
	const struct ks_transition	*transitions;
	const char *const		*closing_reasons;
	/* 2.3: casework routes */
	/** The checklist (GET/PUT /cases/{id}/checklist); NULL: none. */
	const struct ks_checklist_item	*checklist;	/* NULL code ends */
	/** The state the required items must be received before. */
	const char			*checklist_before;
	/**
	 * After the dossier moved from `from` to `to` (by hand or through
	 * ks->dossier_transition); e.g. the deadlines of a state.
	 */
	int				(*on_transition)(struct ks_request *,
					    int64_t dossier, const char *from,
					    const char *to);
	/**
	 * After the checklist of a dossier was saved (e.g. a reminder for
	 * missing items is done): missing is the array of the required
	 * codes still missing.
	 */
	int				(*on_checklist)(struct ks_request *,
					    int64_t dossier, json_t *missing);
	/**
	 * The work list (GET /api/v1/worklist): add the module's own items
	 * to lists, an object of arrays (the core's "due_today", "overdue",
	 * "open_dossiers", "newly_assigned", "unassigned", or a list of the
	 * module's own); the core marks each item with "module". Called
	 * once per module (for its first kind that has it).
	 */
	int				(*worklist)(struct ks_request *,
					    json_t *lists);
	/**
	 * A dossier of this kind moved to another social service
	 * (POST /cases/{id}/transfer): from is the closed dossier of the
	 * sender, to the new one of the receiver. Called in the transfer's
	 * transaction with the receiver's tenant set; switch with
	 * ks->db_set_tenant to read the sender's rows and back to write.
	 */
	int				(*transfer)(struct ks_request *,
					    int64_t from, int64_t from_tenant,
					    int64_t to, int64_t to_tenant);
};

/** A party of a payment (an account holder, a creditor): text or NULL. */
struct ks_party {
	const char	*name, *iban, *bic, *street, *house_no, *postcode,
			*town, *country;
};

/**
 * A credit of a bank notification (camt.054) whose reference matches no
 * claim of the core (2.5): what a module's ks_money.credit is asked to
 * take. Strings are the request's; NULL when the file has none.
 */
struct ks_credit {
	int64_t		 entry;		/* the bank_entry's id */
	const char	*reference;	/* spaces dropped, letters upper */
	int64_t		 amount;	/* Rappen, > 0 */
	const char	*currency;	/* "CHF" */
	const char	*booking_date;	/* YYYY-MM-DD */
	const char	*debtor_name;	/* RltdPties/Dbtr/Pty/Nm */
	const char	*debtor_iban;	/* RltdPties/DbtrAcct IBAN */
	/*
	 * 2.6: 0 while a file is imported; else the dossier a person
	 * assigned the entry to by hand (a credit without a reference, or
	 * with one nobody knew), read and changeable by the caller. Only
	 * the dossier's module is asked: it books the money on that
	 * dossier whatever the reference says, or fails.
	 */
	int64_t		 dossier;
};

/**
 * What a module contributes to the casework layer's payment runs
 * (core/casework/money/payrun.c), through its descriptor (2.4). Every
 * hook runs in the run's transaction, under the tenant's run lock, with
 * the run's id as text; it returns KS_OK or fails with ks->fail. Only
 * the modules switched on for the tenant are asked. A hook's statements
 * are the module's own (ks->db_q), as in its routes.
 */
struct ks_money {
	/**
	 * Add the module's lines of run for the month beginning on first
	 * (YYYY-MM-DD; month is YYYY-MM) to payment_line - set-based: one
	 * INSERT ... SELECT with module = the module's name, kind a code of
	 * its "payment_kind" vocabulary, source_id its record, for_month
	 * the month a line pays (or NULL), creditor and amount copied, and
	 * status 'held' with a problem when name, IBAN or address is
	 * missing. ON CONFLICT ON CONSTRAINT payment_line_once DO NOTHING.
	 */
	int	(*run_lines)(struct ks_request *, const char *run,
		    const char *first, const char *month);
	/** After the core held the lines with a bad IBAN (NULL: nothing). */
	int	(*run_held)(struct ks_request *, const char *run);
	/** The draft run's lines are about to be dropped (recomputed or
	   discarded): release what the run took (NULL: nothing). */
	int	(*run_cleared)(struct ks_request *, const char *run);
	/** The run was approved (NULL: nothing). */
	int	(*run_approved)(struct ks_request *, const char *run);
	/**
	 * 2.5 (only asked of modules built for minor 5 or later): a booked
	 * CHF credit with a reference that is no claim's, while a bank
	 * notification is imported (the job core.bank_import, its
	 * transaction, its user). Return 1 when the reference is the
	 * module's and it booked the money on its records (keyed by
	 * c->entry: the core asks once per transaction, a file imported
	 * again asks nothing), 0 when the reference is not the module's
	 * (the next module is asked; none: the entry stays unmatched), or
	 * fail with ks->fail (the whole file is not booked). The entry's
	 * outcome is then "received" with the module's name (the bank-entry
	 * lists show it). NULL: none.
	 */
	int	(*credit)(struct ks_request *, const struct ks_credit *c);
};

/** The core, as a module sees it. Every pointer stays valid until fini. */
struct ks_api {
	int		 abi_major;
	int		 abi_minor;
	size_t		 size;

	int		(*fail)(struct ks_request *, int http, const char *code,
			    const char *message);
	int		(*fail_detail)(struct ks_request *, int http,
			    const char *code, const char *message, json_t *);
	int		(*reply)(struct ks_request *, int http, json_t *);
	const char	*(*param)(struct ks_request *, const char *name);
	int		(*param_id)(struct ks_request *, const char *name,
			    int64_t *out);
	json_t		*(*body)(struct ks_request *);
	int64_t		(*tenant_id)(struct ks_request *);
	int64_t		(*user_id)(struct ks_request *);
	int		(*has_perm)(struct ks_request *, const char *perm);
	void		*(*alloc)(struct ks_request *, size_t);
	int		(*check_etag)(struct ks_request *, long long version,
			    json_t *current);
	void		(*set_etag)(struct ks_request *, long long version);

	/** Register statements; returns the id of the first one. */
	int		(*db_register)(const struct ks_query *, int n);
	PGresult	*(*db_q)(struct ks_request *, int qid, int n,
			    const char *const *v);
	int		(*audit)(struct ks_request *, const char *action,
			    const char *otype, const char *oid, json_t *before,
			    json_t *after, json_t *detail);
	/**
	 * Evaluate function fn of the rule pack resolved for the request's
	 * tenant on date (YYYY-MM-DD). On success *out is the result and
	 * *prov names the pack (name, version, sha256, scope); both owned
	 * by the caller.
	 */
	int		(*rules_eval)(struct ks_request *, const char *pack,
			    const char *fn, const char *date, json_t *input,
			    json_t **out, json_t **prov);
	void		(*log)(int level, const char *fmt, ...);

	/* Minor 1 */
	/** Answer with a non-JSON body (copied), e.g. XML or PDF. */
	int		(*raw)(struct ks_request *, int http, const char *ctype,
			    const void *data, size_t len);
	void		(*header)(struct ks_request *, const char *name,
			    const char *value);
	/** A query-string argument, or NULL. */
	const char	*(*query)(struct ks_request *, const char *name);
	/** fn(req, arg) once the transaction commits (each commit runs
	    those queued before it); dropped when it is rolled back. */
	void		(*after_commit)(struct ks_request *,
			    void (*)(struct ks_request *, void *), void *);
	/** Work on another tenant's rows in this transaction (transfers). */
	int		(*db_set_tenant)(struct ks_request *, int64_t tenant);
	/** Comma-separated role codes of the caller. */
	const char	*(*roles)(struct ks_request *);
	/** The project root (rule packs, schemas). */
	const char	*(*root)(void);
	void		(*sha256_hex)(const void *, size_t, char out[65]);
	/** The request id, for references in generated files. */
	const char	*(*request_id)(struct ks_request *);
	void		*(*strdup)(struct ks_request *, const char *);
	/* Identifiers and ISO 20022 files (core/include/kasus/iso20022.h). */
	int		(*iban_valid)(const char *, char *norm, size_t);
	int		(*iban_is_qr)(const char *norm);
	int		(*ahv_valid)(const char *, char *norm, size_t);
	int		(*pain001_write)(const struct ks_iso_run *, char **xml,
			    size_t *len, char *err, size_t errlen);
	/** Validate against a schema under the root's shared refdata. */
	int		(*xml_validate)(const char *xml, size_t len,
			    const char *xsd_path, char *err, size_t errlen);
	int		(*camt054_parse)(const char *xml, size_t len,
			    struct ks_iso_camt_entry **out, size_t *n,
			    char *err, size_t errlen);
	void		(*camt054_free)(struct ks_iso_camt_entry *, size_t);
	/** free() for memory the core's functions malloc'd (xml). */
	void		(*free)(void *);
	/** The caller's team, "" when none (dossiers of other teams). */
	const char	*(*team)(struct ks_request *);
	/** The request's HTTP method. */
	const char	*(*method)(struct ks_request *);
	/** Render a document (see core/include/kasus/pdf.h); the buffer goes to free. */
	int		(*pdf_render)(const struct ks_pdf_block *,
			    const char *title, const char *created, char **out,
			    size_t *len, char *err, size_t errlen);
	/* 1.2 */
	/** ?limit and ?after of a KS_R_PAGED route (see ks_page). */
	int		(*page)(struct ks_request *, const char **after,
			    const char **limit, long long *n);
	/* 1.3 */
	/**
	 * The one dossier access policy (core/access/access.c): every route that
	 * reads or changes a dossier, or a record of one (resolve its
	 * dossier first), asks it. mode is KS_ACCESS_READ, _WRITE or
	 * _AUTO (write unless the request only reads; kasus.h). Returns
	 * the core's row of the dossier (id, module, state, team,
	 * household_id, applicant_id, version, caseworker_id; owned by the
	 * request), or NULL with 404 not_found or 403 other_team set.
	 */
	PGresult	*(*access_dossier)(struct ks_request *, int64_t id,
			    int mode);
	/* 1.4: background jobs (struct ks_job_type) */
	/**
	 * Queue a job of a type a module declared, for the request's tenant
	 * and user, with payload (reference not taken); it starts when the
	 * request's transaction commits. key (NULL: none) makes it
	 * once-only: queuing the type with the same key again gives the
	 * first job's id.
	 */
	int		(*job_enqueue)(struct ks_request *, const char *type,
			    json_t *payload, const char *key, int64_t *id);
	/** Answer 202 Accepted, Location: /api/v1/jobs/{id}, with the job. */
	int		(*job_accepted)(struct ks_request *, int64_t id);
	/**
	 * In a job: done of total items (total < 0: unknown or unchanged).
	 * Commits the work so far with the count (at most four times a
	 * second; between, it only notes the count) and extends the lease.
	 * Fails when the job must stop - 409 job_lease_lost (another worker
	 * took it over) or 503 job_interrupted (the server stops; the job
	 * goes back to the queue): return the error at once.
	 */
	int		(*job_progress)(struct ks_request *, long long done,
			    long long total);
	/** In a job: what it produced, shown with it when done (ref taken). */
	void		(*job_result)(struct ks_request *, json_t *);
	/** In a job: its id, and the attempt (1 the first time). */
	int64_t		(*job_id)(struct ks_request *);
	int		(*job_attempt)(struct ks_request *);
	/* 2.0: the request is opaque; what a handler reads of it */
	/**
	 * The body of a KS_R_BODY_RAW route as the client sent it (not
	 * parsed; NUL-terminated for text), NULL when there is none.
	 */
	const char	*(*body_raw)(struct ks_request *, size_t *len);
	/** A request header, or NULL. */
	const char	*(*req_header)(struct ks_request *, const char *name);
	/** Today YYYY-MM-DD (local time), in the request's arena. */
	const char	*(*today)(struct ks_request *);
	/** A number as text in the request's arena (statement parameter). */
	const char	*(*num)(struct ks_request *, long long);
	/** printf into the request's arena. */
	char		*(*printf)(struct ks_request *, const char *fmt, ...)
			    __attribute__((format(printf, 2, 3)));
	/* 2.1: documents and texts sealed under their dossier's key (issue 15) */
	/**
	 * Store the bytes of document doc (its row in document exists),
	 * sealed under its dossier's key like an upload's. Every document
	 * a module makes (decisions, letters) goes through here.
	 */
	int		(*document_put)(struct ks_request *, const char *doc,
			    const void *bytes, size_t len);
	/**
	 * The plain bytes of document doc, *out in the request's arena;
	 * 404 not_found when it has none, 500 data_unreadable when its
	 * dossier's key was destroyed.
	 */
	int		(*document_get)(struct ks_request *, const char *doc,
			    unsigned char **out, size_t *len);
	/**
	 * Seal a text of dossier (e.g. a protected journal note) under the
	 * dossier's key, bound to what (the row: "journal_entry:<id>"):
	 * *out is a bytea literal for a statement parameter.
	 */
	int		(*dossier_seal)(struct ks_request *, int64_t dossier,
			    const char *what, const char *plain,
			    const char **out);
	/**
	 * Open it again (the bytea as libpq returns it); 500
	 * data_unreadable when the dossier's key was destroyed.
	 */
	int		(*dossier_open)(struct ks_request *, int64_t dossier,
			    const char *what, const char *bytea, char **out);
	/* 2.2: the casework layer's transition engine */
	/**
	 * May the caller move a dossier of kind (one the module declared)
	 * from `from` to `to` by hand? The kind's steps, the permission a
	 * step needs and, for the closed state, a closing reason (NULL
	 * otherwise). KS_OK, or 409 transition_not_allowed (detail: from,
	 * to, allowed), 403 forbidden or 400 invalid_value set.
	 */
	int		(*transition_check)(struct ks_request *,
			    const char *kind, const char *from, const char *to,
			    const char *closing_reason);
	/**
	 * The states reachable by hand from `from` in a declared kind (new
	 * reference); with a request, only the steps its caller may take.
	 */
	json_t		*(*transitions_from)(struct ks_request *,
			    const struct ks_dossier_kind *, const char *from);
	/* 2.3: casework routes */
	/**
	 * Move dossier id (read with version) from `from` to `to` when the
	 * module itself takes a step (e.g. support starts when a decision
	 * is approved): the core records the step with a person's reason
	 * and a system reason code (the closing reason when closing), calls
	 * the kind's on_transition and audits it. 409 conflict with
	 * detail.current when the version is stale.
	 */
	int		(*dossier_transition)(struct ks_request *, int64_t id,
			    const char *from, const char *to,
			    const char *reason, const char *code,
			    const char *version);
	/**
	 * A deadline of dossier id the module sets (kind from the
	 * vocabulary), once per dossier, kind and due date: set again, an
	 * open one stays and a done one is open again. *out: its id (NULL:
	 * not wanted).
	 */
	int		(*deadline_add)(struct ks_request *, int64_t id,
			    const char *due, const char *kind,
			    const char *text, int64_t *out);
	/**
	 * Mark the open deadlines of dossier id done: of kind (NULL: every
	 * kind), except those due on keep_due (NULL: none kept).
	 */
	int		(*deadlines_close)(struct ks_request *, int64_t id,
			    const char *kind, const char *keep_due);
	/**
	 * The required items of dossier id's checklist still missing, a
	 * JSON array of codes (new reference); NULL with the error set.
	 */
	json_t		*(*checklist_missing)(struct ks_request *, int64_t id);
	/* 2.4: money services */
	/**
	 * Check a party a payment goes to (the service's account, a
	 * module's creditor): IBAN present, valid by mod 97 and no QR-IBAN
	 * (normalised in place, in the request's arena), country two
	 * capital letters, BIC 8 or 11 capitals and digits. prefix names
	 * the fields in errors ("creditor."). KS_OK or 400 with
	 * detail.field.
	 */
	int		(*party_check)(struct ks_request *, struct ks_party *,
			    const char *prefix);
	/* 2.5: bills */
	/**
	 * The payload of a Swiss QR-bill (kasus/qrbill.h: what it checks),
	 * for a KS_PDF_QRBILL block; *out goes to ks->free. KS_OK, or
	 * KS_ERROR with the reason in err.
	 */
	int		(*qrbill_payload)(const struct ks_qrbill *, char **out,
			    char *err, size_t errlen);
	/* 2.7 */
	/**
	 * Free a result of db_q before the request or job ends (NULL:
	 * nothing). Results live until then otherwise: a job that loops
	 * over thousands of items frees each item's results when the item
	 * is done, so its memory is that of one item, not of all.
	 */
	void		(*db_free)(struct ks_request *, PGresult *);
};

/** The descriptor a module exports. */
struct ks_module {
	int				 abi_major;
	int				 abi_minor;
	size_t				 struct_size;
	const char			*build_signature;
	const char			*name;
	const char			*version;
	int				(*init)(const struct ks_api *,
					    char *err, size_t errlen);
	void				(*fini)(void);
	const struct ks_route		*routes;
	const struct ks_perm_def	*permissions;
	const char			*migrations;	/* relative to root */
	const struct ks_job_type	*jobs;
	const struct ks_vocab		*vocabulary;	/* NULL-terminated */
	const struct ks_dossier_kind	*dossier_kinds;	/* NULL code ends */
	const struct ks_money		*money;		/* 2.4; NULL: none */
	/* The error codes only this module answers with (NULL code ends);
	   a code the core has is used, not declared again. */
	const struct ks_errdef		*errors;
	void				*spare[6];
};

/**
 * Fills the header fields of a descriptor; name the others with
 * designated initializers:
 *   static struct ks_module descriptor = { KS_MODULE_HEADER,
 *       .name = "echo", .version = "1.0.0", .routes = routes };
 */
#define KS_MODULE_HEADER	.abi_major = KS_ABI_MAJOR, \
	.abi_minor = KS_ABI_MINOR, .struct_size = sizeof(struct ks_module), \
	.build_signature = KS_BUILD_SIGNATURE

typedef const struct ks_module *(*ks_module_fn)(void);

#endif
