-- The community's net cost of advances for the canton's burden sharing
-- (Lastenausgleich; advances are not social assistance, but their net
-- cost is shared like it): advances paid (booked lines of kind
-- ah_advance) less what the debtor paid back on them (the subrogated
-- parts of his payments), per municipality of the dossier, in a date
-- range. Runs under the social service's own tenant (row-level security
-- applies); only sums leave it (core migration 0009, cost_source).
CREATE FUNCTION ah_net_costs(p_from date, p_to date)
RETURNS TABLE (bfs integer, amount bigint) LANGUAGE sql STABLE AS $$
	SELECT d.municipality_bfs, sum(l.amount)::bigint
	  FROM payment_line l JOIN dossier d
	       ON d.tenant_id = l.tenant_id AND d.id = l.dossier_id
	 WHERE l.module = 'alimente' AND l.kind = 'ah_advance'
	   AND l.status = 'booked' AND l.booked_on BETWEEN p_from AND p_to
	 GROUP BY d.municipality_bfs
	UNION ALL
	SELECT d.municipality_bfs, -sum(a.amount)::bigint
	  FROM ah_allocation a
	  JOIN ah_receipt r ON r.tenant_id = a.tenant_id AND r.id = a.receipt_id
	  JOIN dossier d ON d.tenant_id = r.tenant_id AND d.id = r.dossier_id
	 WHERE a.part = 'subrogated' AND r.received_on BETWEEN p_from AND p_to
	 GROUP BY d.municipality_bfs
$$;

INSERT INTO cost_source (module, fn) VALUES ('alimente', 'ah_net_costs')
ON CONFLICT (module) DO NOTHING;
