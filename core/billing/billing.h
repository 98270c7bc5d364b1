/*
 * billing.h - shared between billing.c (periods, allocation, burden
 * sharing) and invoice.c (runs, invoices with QR-bills, CSV exports).
 */
#ifndef KS_BILLING_H
#define KS_BILLING_H

#include "kasus.h"

/** The period named by the path's {id}, or NULL with a 404 set. */
PGresult	*ks_bill_period(struct ks_request *);
/** A jsonb column parsed (json null when unreadable). */
/** Reply with an allocation run and its invoices. */
int		 ks_bill_run_reply(struct ks_request *, const char *id,
		    int status);
/** The burden-sharing report of the path's period. */
int		 ks_bill_burden(struct ks_request *, json_t **res);
void		 ks_invoice_register(void);

#endif
