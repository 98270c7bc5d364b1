-- The stored answers made stale in one order (issue 13, after 0045).
--
-- A statement that makes several answers stale locks their rows. Two
-- such statements that lock the same rows in different orders deadlock:
-- a person in two dossiers renamed while the daily job adds a deadline to
-- every dossier of the tenant could lock one row each and wait for the
-- other's. Every statement now locks its rows in (tenant, dossier) order
-- first, then empties them (0045's function, renamed): no such cycle
-- between two statements is left. (Two transactions that each make
-- answers stale in several statements can still deadlock, as any two
-- writers can; one of them then answers 409 concurrent_change.)
ALTER FUNCTION dossier_answer_stale(bigint[], bigint[])
    RENAME TO dossier_answer_empty;

CREATE FUNCTION dossier_answer_stale(p_tenant bigint[], p_dossier bigint[])
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	PERFORM 1
	   FROM dossier_answer l
	   JOIN unnest(p_tenant, p_dossier) AS x (tenant_id, dossier_id)
	     ON l.tenant_id = x.tenant_id AND l.dossier_id = x.dossier_id
	  ORDER BY l.tenant_id, l.dossier_id
	    FOR UPDATE OF l;
	PERFORM dossier_answer_empty(p_tenant, p_dossier);
END $$;
