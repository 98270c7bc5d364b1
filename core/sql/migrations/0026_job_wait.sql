-- job_claim answered wait_s 0 instead of NULL when no job of the given
-- types was queued at all (greatest(0, NULL) is 0, not NULL), so every
-- job runner of every worker claimed again after 5 ms, about 200 times a
-- second each, on an idle system: a plpgsql call with two UPDATEs per
-- claim that took CPU from every request (found profiling issue 13's
-- bench). Now NULL when nothing is queued, as 0017 documents; the runner
-- then sleeps job_poll_ms or until a NOTIFY on kasus_jobs.
CREATE OR REPLACE FUNCTION job_claim(p_worker text, p_types text[])
    RETURNS TABLE (tenant_id bigint, id bigint, lease_no bigint,
    wait_s double precision)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
	t bigint;
	j bigint;
	l bigint;
BEGIN
	UPDATE job x SET
	       state = CASE WHEN x.attempts >= x.max_attempts THEN 'dead'
	           ELSE 'queued' END,
	       finished_at = CASE WHEN x.attempts >= x.max_attempts
	           THEN clock_timestamp() END,
	       run_after = clock_timestamp(), lease_until = NULL,
	       worker = NULL, version = x.version + 1,
	       error = jsonb_build_object('code', 'job_lost', 'message',
	           'the worker running it stopped answering; it was taken '
	           'over', 'attempt', x.attempts, 'at', clock_timestamp())
	  FROM (SELECT e.tenant_id, e.id FROM job e
	         WHERE e.state = 'running' AND e.lease_until < clock_timestamp()
	         FOR UPDATE SKIP LOCKED) e
	 WHERE x.tenant_id = e.tenant_id AND x.id = e.id;

	UPDATE job x SET state = 'running', attempts = x.attempts + 1,
	       lease_no = x.lease_no + 1, worker = p_worker,
	       lease_until = clock_timestamp() + make_interval(secs => x.lease_s),
	       started_at = coalesce(x.started_at, clock_timestamp()),
	       version = x.version + 1
	  FROM (SELECT n.tenant_id, n.id FROM job n
	         WHERE n.state = 'queued' AND n.run_after <= clock_timestamp()
	           AND n.type = ANY (p_types)
	         ORDER BY n.run_after, n.id LIMIT 1
	         FOR UPDATE SKIP LOCKED) n
	 WHERE x.tenant_id = n.tenant_id AND x.id = n.id
	RETURNING x.tenant_id, x.id, x.lease_no INTO t, j, l;
	IF j IS NOT NULL THEN
		RETURN QUERY SELECT t, j, l, NULL::double precision;
		RETURN;
	END IF;
	RETURN QUERY SELECT NULL::bigint, NULL::bigint, NULL::bigint,
	    CASE WHEN min(n.run_after) IS NOT NULL THEN
	    greatest(0, extract(epoch FROM min(n.run_after) -
	    clock_timestamp()))::double precision END
	  FROM job n WHERE n.state = 'queued' AND n.type = ANY (p_types);
END $$;
