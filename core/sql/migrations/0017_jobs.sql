-- Background jobs: a queue in PostgreSQL (core/job.c, core/job_runner.c).
--
-- A worker claims the oldest due job with FOR UPDATE SKIP LOCKED and holds
-- it under a lease that its progress reports extend. A lease that runs out
-- (the worker or its node died) puts the job back in the queue, so a job
-- is delivered at least once and handlers are idempotent. Every claim
-- counts a new lease number; the job's progress and end are written only
-- while that number is still the job's, so a worker that lost its lease
-- cannot finish what another took over.
--
-- Jobs are tenant data under row-level security like every other table:
-- a job runs in its tenant's transactions. Only claiming and scheduling
-- look across tenants, through the two SECURITY DEFINER functions below
-- (owned by the owner role, which bypasses row-level security); they
-- return ids and times, nothing of a job's content.

CREATE TABLE job (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	type		text NOT NULL CHECK (type ~
			'^[a-z][a-z0-9_]{1,31}\.[a-z][a-z0-9_]{1,62}$'),
	-- once-only: a second job of the type with the key is the first
	-- (scheduled jobs: the period, e.g. 2026-11-22)
	key		text CHECK (length(key) BETWEEN 1 AND 100),
	payload		jsonb NOT NULL DEFAULT '{}',
	state		text NOT NULL DEFAULT 'queued' CHECK (state IN
			('queued', 'running', 'done', 'failed', 'dead')),
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts	integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
	backoff_ms	integer NOT NULL DEFAULT 5000 CHECK (backoff_ms >= 0),
	lease_s		integer NOT NULL DEFAULT 60
			CHECK (lease_s BETWEEN 1 AND 86400),
	lease_no	bigint NOT NULL DEFAULT 0,
	run_after	timestamptz NOT NULL DEFAULT now(),
	lease_until	timestamptz,
	worker		text CHECK (length(worker) <= 200),
	done		bigint NOT NULL DEFAULT 0 CHECK (done >= 0),
	total		bigint CHECK (total >= 0),
	result		jsonb,
	error		jsonb,
	created_by	bigint,
	created_at	timestamptz NOT NULL DEFAULT now(),
	started_at	timestamptz,
	finished_at	timestamptz,
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, created_by) REFERENCES app_user,
	CHECK ((state = 'running') = (lease_until IS NOT NULL))
);
CREATE UNIQUE INDEX job_key ON job (tenant_id, type, key)
    WHERE key IS NOT NULL;
CREATE INDEX job_due ON job (run_after, id) WHERE state = 'queued';
CREATE INDEX job_leased ON job (lease_until) WHERE state = 'running';
CREATE INDEX job_finished ON job (tenant_id, finished_at)
    WHERE state IN ('done', 'failed');

ALTER TABLE job ENABLE ROW LEVEL SECURITY;
ALTER TABLE job FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON job USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON job TO kasus_app;

-- Claim the oldest due job of the given types for worker: first every
-- job whose lease ran out goes back to the queue (or to the dead letters
-- when it has no attempt left), then one due job is taken, its attempt
-- and lease number counted. Returns that job's tenant, id and lease
-- number; when none is due, one row with NULL ids and the seconds until
-- the next queued job of these types is due (NULL: none), so the runner
-- sleeps just that long.
CREATE FUNCTION job_claim(p_worker text, p_types text[])
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
	    greatest(0, extract(epoch FROM min(n.run_after) -
	    clock_timestamp()))::double precision
	  FROM job n WHERE n.state = 'queued' AND n.type = ANY (p_types);
END $$;

-- Queue a scheduled job for one period (key) in every active tenant that
-- has the module switched on (p_module NULL: every active tenant). Every
-- worker of every node calls this; the unique key makes it one job per
-- tenant and period however many do. Returns how many it queued.
CREATE FUNCTION job_schedule(p_type text, p_module text, p_key text,
    p_max integer, p_backoff integer, p_lease integer)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE n integer;
BEGIN
	INSERT INTO job (tenant_id, type, key, payload, max_attempts,
	    backoff_ms, lease_s)
	SELECT t.id, p_type, p_key, jsonb_build_object('period', p_key),
	       p_max, p_backoff, p_lease
	  FROM tenant t
	 WHERE t.active AND (p_module IS NULL OR EXISTS (
	       SELECT 1 FROM tenant_module m
	        WHERE m.tenant_id = t.id AND m.module = p_module
	          AND m.enabled AND m.start_date <= current_date))
	ON CONFLICT (tenant_id, type, key) WHERE key IS NOT NULL DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		PERFORM pg_notify('kasus_jobs', p_type);
	END IF;
	RETURN n;
END $$;

REVOKE ALL ON FUNCTION job_claim(text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_schedule(text, text, text, integer, integer,
    integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION job_claim(text, text[]) TO kasus_app;
GRANT EXECUTE ON FUNCTION job_schedule(text, text, text, integer, integer,
    integer) TO kasus_app;

INSERT INTO permission (code, description) VALUES
	('job.status', 'follow the background jobs one started'),
	('job.read', 'see every background job of the own tenant'),
	('job.admin', 'start scheduled jobs now and retry failed ones');
INSERT INTO role_permission (role, permission)
SELECT code, 'job.status' FROM role;
INSERT INTO role_permission (role, permission) VALUES
	('tenant_admin', 'job.read'),
	('tenant_admin', 'job.admin'),
	('canton_admin', 'job.read'),
	('canton_admin', 'job.admin');
