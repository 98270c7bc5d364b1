-- The eligible social-assistance costs for the canton's burden-sharing
-- report: booked payments less repayments received, per municipality of
-- the dossier, in a date range. Runs under the social service's own
-- tenant (row-level security applies); only sums leave it.
CREATE FUNCTION sh_eligible_costs(p_from date, p_to date)
RETURNS TABLE (bfs integer, amount bigint) LANGUAGE sql STABLE AS $$
	SELECT d.municipality_bfs, sum(l.amount)::bigint
	  FROM sh_payment_line l JOIN dossier d
	       ON d.tenant_id = l.tenant_id AND d.id = l.dossier_id
	 WHERE l.status = 'booked' AND l.booked_on BETWEEN p_from AND p_to
	 GROUP BY d.municipality_bfs
	UNION ALL
	SELECT d.municipality_bfs, -sum(r.amount)::bigint
	  FROM sh_repayment r
	  JOIN sh_claim c ON c.tenant_id = r.tenant_id AND c.id = r.claim_id
	  JOIN dossier d ON d.tenant_id = c.tenant_id AND d.id = c.dossier_id
	 WHERE r.paid_on BETWEEN p_from AND p_to
	 GROUP BY d.municipality_bfs
$$;

INSERT INTO cost_source (module, fn) VALUES ('sozialhilfe', 'sh_eligible_costs')
ON CONFLICT (module) DO NOTHING;
