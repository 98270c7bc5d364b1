-- Background jobs (core/jobs/job.c, core/jobs/job_runner.c). Everything but the
-- claim and the schedule runs in the job's tenant's transaction under
-- row-level security; a running job's rows are written only while its
-- lease number ($2 below) is still the job's.

-- name: job_claim
SELECT tenant_id, id, lease_no, wait_s FROM job_claim($1, $2::text[])

-- name: job_schedule
SELECT job_schedule($1, nullif($2, ''), $3, $4::integer, $5::integer,
       $6::integer) AS tenants

-- name: job_insert
INSERT INTO job (tenant_id, type, key, payload, max_attempts, backoff_ms,
       lease_s, created_by)
VALUES (kasus_tenant(), $1, $2, $3::jsonb, $4::integer, $5::integer,
        $6::integer, nullif($7, '')::bigint)
ON CONFLICT (tenant_id, type, key) WHERE key IS NOT NULL DO NOTHING
RETURNING id, pg_notify('kasus_jobs', type)

-- name: job_by_key
SELECT id FROM job WHERE type = $1 AND key = $2

-- The job as the runner needs it, with its creator's current rights (a
-- job acts for the person who started it; an inactive one has none).
-- name: job_load
SELECT j.type, j.payload, j.attempts, j.lease_no, j.lease_s,
       coalesce(j.created_by::text, '') AS created_by, t.slug, t.language,
       coalesce((SELECT string_agg(r.role, ',' ORDER BY r.role)
                   FROM user_role r JOIN app_user u ON u.tenant_id =
                        r.tenant_id AND u.id = r.user_id AND u.active
                  WHERE r.tenant_id = j.tenant_id
                    AND r.user_id = j.created_by), '') AS roles,
       coalesce((SELECT string_agg(DISTINCT rp.permission, ',')
                   FROM user_role r JOIN app_user u ON u.tenant_id =
                        r.tenant_id AND u.id = r.user_id AND u.active
                   JOIN role_permission rp ON rp.role = r.role
                  WHERE r.tenant_id = j.tenant_id
                    AND r.user_id = j.created_by), '') AS perms,
       coalesce((SELECT u.team FROM app_user u
                  WHERE u.tenant_id = j.tenant_id
                    AND u.id = j.created_by), '') AS team
  FROM job j JOIN tenant t ON t.id = j.tenant_id
 WHERE j.id = $1 AND j.lease_no = $2::bigint AND j.state = 'running'

-- name: job_progress
UPDATE job SET done = $3::bigint, total = coalesce($4::bigint, total),
       lease_until = clock_timestamp() + make_interval(secs => lease_s)
 WHERE id = $1 AND lease_no = $2::bigint AND state = 'running'
RETURNING id

-- A job's end (done here; in job_fail failed, dead or queued again) is
-- announced at commit with the job's id: kasus_job_end wakes the requests
-- waiting for a job (job.c, job_runner.c).
-- name: job_done
UPDATE job SET state = 'done', result = $3::jsonb, error = NULL,
       done = greatest(done, $4::bigint),
       total = coalesce(total, greatest(done, $4::bigint)), lease_until = NULL,
       finished_at = clock_timestamp(), version = version + 1
 WHERE id = $1 AND lease_no = $2::bigint AND state = 'running'
RETURNING id, pg_notify('kasus_job_end', id::text)

-- A failed attempt: final ($3 false) -> failed; otherwise queued again
-- after $4 seconds while attempts are left, else dead.
-- name: job_fail
UPDATE job SET state = CASE WHEN NOT $3::boolean THEN 'failed'
           WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
       finished_at = CASE WHEN NOT $3::boolean OR attempts >= max_attempts
           THEN clock_timestamp() END,
       run_after = clock_timestamp() + make_interval(secs => $4::float8),
       error = $5::jsonb, lease_until = NULL, worker = NULL,
       version = version + 1
 WHERE id = $1 AND lease_no = $2::bigint AND state = 'running'
RETURNING state, attempts, pg_notify('kasus_job_end', id::text)

-- The server stops: the job goes back to the queue; the attempt does not
-- count.
-- name: job_release
UPDATE job SET state = 'queued', attempts = greatest(attempts - 1, 0),
       run_after = clock_timestamp(), lease_until = NULL, worker = NULL,
       version = version + 1
 WHERE id = $1 AND lease_no = $2::bigint AND state = 'running'
RETURNING pg_notify('kasus_jobs', type)

-- name: job_get
SELECT id, type, key, state, attempts, max_attempts, done, total, result,
       error, created_by, created_at, started_at, finished_at, run_after,
       worker, version, payload,
       (SELECT u.display_name FROM app_user u
         WHERE u.tenant_id = job.tenant_id AND u.id = job.created_by)
       AS created_by_name
  FROM job WHERE id = $1

-- Newest first; $1 is the id of the last one on the page before (0: none).
-- name: job_list
SELECT id, type, key, state, attempts, max_attempts, done, total, result,
       error, created_by, created_at, started_at, finished_at, run_after,
       worker, version, payload,
       (SELECT u.display_name FROM app_user u
         WHERE u.tenant_id = job.tenant_id AND u.id = job.created_by)
       AS created_by_name
  FROM job
 WHERE ($1::bigint = 0 OR id < $1::bigint)
   AND ($3 = '' OR state = $3)
 ORDER BY id DESC LIMIT $2::integer

-- A failed or dead job gets as many attempts again as its type allows.
-- name: job_retry
UPDATE job SET state = 'queued', max_attempts = attempts + $3::integer,
       run_after = clock_timestamp(), finished_at = NULL,
       version = version + 1
 WHERE id = $1 AND version = $2::bigint AND state IN ('failed', 'dead')
RETURNING id, pg_notify('kasus_jobs', type)

-- name: job_prune
DELETE FROM job
 WHERE state IN ('done', 'failed')
   AND finished_at < clock_timestamp() - make_interval(days => $1::integer)
