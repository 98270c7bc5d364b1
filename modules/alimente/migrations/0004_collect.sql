-- Collection (ah_collect.c): what of a debtor's payment no open item
-- took yet (the debtor's credit: paid ahead, or more than was open) is
-- kept on the receipt and allocated first when his next payment comes
-- in; the payer as the bank named him. Pass-on lines of payment runs
-- point at the allocation they pass on (payment_line.source_id).
ALTER TABLE ah_receipt
    ADD COLUMN surplus bigint NOT NULL DEFAULT 0 CHECK (surplus >= 0),
    ADD COLUMN debtor_name text CHECK (length(debtor_name) <= 140),
    ADD COLUMN note text CHECK (length(note) <= 500),
    ADD CONSTRAINT ah_receipt_surplus CHECK (surplus <= amount),
    ADD CONSTRAINT ah_receipt_bank CHECK ((source = 'bank') =
	(bank_entry_id IS NOT NULL));
CREATE INDEX ah_receipt_credit ON ah_receipt (tenant_id, title_id, id)
    WHERE surplus > 0;

-- ah_month_v, the same rows and columns, read per schedule row: the
-- allocations and advances of one creditor and month are looked up by
-- their indexes, so a query for one dossier (a payment's allocation, a
-- schedule, a statement) reads that dossier's rows only instead of
-- grouping every allocation and advance line of the service first.
CREATE INDEX payment_line_ah_advance ON payment_line (tenant_id, dossier_id,
    for_month) WHERE module = 'alimente' AND kind = 'ah_advance';
CREATE OR REPLACE VIEW ah_month_v WITH (security_invoker = true) AS
SELECT d.tenant_id, d.dossier_id, d.creditor_id, d.month, d.amount AS due,
    coalesce(r.received, 0) AS received,
    coalesce(a.advanced, 0) AS advanced,
    coalesce(r.recovered, 0) AS recovered,
    d.amount - coalesce(r.received, 0) AS outstanding
FROM ah_due d
LEFT JOIN LATERAL (SELECT sum(x.amount) AS received,
	sum(x.amount) FILTER (WHERE x.part = 'subrogated') AS recovered
    FROM ah_allocation x
    WHERE x.tenant_id = d.tenant_id AND x.creditor_id = d.creditor_id AND
	x.month = d.month) r ON true
LEFT JOIN LATERAL (SELECT sum(l.amount) AS advanced
    FROM payment_line l
    JOIN payment_run pr ON pr.tenant_id = l.tenant_id AND pr.id = l.run_id
    JOIN ah_advance v ON v.tenant_id = l.tenant_id AND v.id = l.source_id
    WHERE l.tenant_id = d.tenant_id AND l.dossier_id = d.dossier_id AND
	l.for_month = d.month AND l.module = 'alimente' AND
	l.kind = 'ah_advance' AND v.creditor_id = d.creditor_id AND
	pr.status = 'approved' AND l.status <> 'returned') a ON true;
