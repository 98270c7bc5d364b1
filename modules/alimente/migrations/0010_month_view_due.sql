-- ah_month_v brings the schedule's own columns of the month (the title's
-- amount, the family allowance, the index details): the arrears statement
-- (ah_title_schedule_doc) read them by joining ah_due a second time for
-- every month. Appended columns; the others unchanged.
CREATE OR REPLACE VIEW ah_month_v WITH (security_invoker = true) AS
SELECT d.tenant_id, d.dossier_id, d.creditor_id, d.month, d.amount AS due,
    coalesce(r.received, 0) AS received,
    coalesce(a.advanced, 0) AS advanced,
    coalesce(r.recovered, 0) AS recovered,
    d.amount - coalesce(r.received, 0) AS outstanding,
    d.title_amount, d.family_allowance, d.base_index, d.index_points,
    d.rounding, d.index_ref
FROM ah_due d
LEFT JOIN (SELECT x.tenant_id, p.dossier_id, x.creditor_id, x.month,
	sum(x.amount) AS received,
	sum(x.amount) FILTER (WHERE x.part = 'subrogated') AS recovered
    FROM ah_allocation x
    JOIN ah_receipt p ON p.tenant_id = x.tenant_id AND p.id = x.receipt_id
    GROUP BY x.tenant_id, p.dossier_id, x.creditor_id, x.month) r
    ON r.tenant_id = d.tenant_id AND r.dossier_id = d.dossier_id AND
    r.creditor_id = d.creditor_id AND r.month = d.month
LEFT JOIN (SELECT l.tenant_id, l.dossier_id, v.creditor_id,
	l.for_month AS month, sum(l.amount) AS advanced
    FROM payment_line l
    JOIN payment_run pr ON pr.tenant_id = l.tenant_id AND pr.id = l.run_id
    JOIN ah_advance v ON v.tenant_id = l.tenant_id AND v.id = l.source_id
    WHERE l.module = 'alimente' AND l.kind = 'ah_advance' AND
	pr.status = 'approved' AND l.status <> 'returned'
    GROUP BY l.tenant_id, l.dossier_id, v.creditor_id, l.for_month) a
    ON a.tenant_id = d.tenant_id AND a.dossier_id = d.dossier_id AND
    a.creditor_id = d.creditor_id AND a.month = d.month;
