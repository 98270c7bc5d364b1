-- Retention (core/retention/retention.c) and the value keys (core/lib/datakey.c).
-- Row-level security keeps every statement to the request's tenant.

-- name: datakey_keys_in_use
-- Every value key a row of the tenant names: protected fields ("KSV2" |
-- key id | ...) and the dossiers' keys (their documents name the same).
SELECT encode(substring(ahv_enc FROM 5 FOR 16), 'hex') AS key_id
  FROM person
 WHERE substring(ahv_enc FROM 1 FOR 4) = decode('4b535632', 'hex')
UNION ALL
SELECT encode(key_id, 'hex') FROM dossier_key

-- name: retention_due
-- Closed dossiers whose period is over ($1: closed before; $2: the first
-- day of the oldest business year whose records may go), oldest first,
-- after the cursor $3, at most $4 (0: all): due, on legal hold, or
-- waiting for accounting records of a younger business year.
SELECT d.id, d.number, d.closed_on, d.legal_hold, l.last_booking,
       CASE WHEN d.legal_hold THEN 'legal_hold'
            WHEN l.last_booking >= $2::date THEN 'accounting'
            ELSE 'due' END AS status
  FROM dossier d
  LEFT JOIN LATERAL (SELECT max(e.booked_on) AS last_booking
                       FROM ledger e
                      WHERE e.tenant_id = d.tenant_id
                        AND e.dossier_id = d.id) l ON true
 WHERE d.state = 'closed' AND d.closed_on < $1::date
   AND ($3::bigint = 0 OR d.id > $3::bigint)
 ORDER BY d.id
 LIMIT CASE WHEN $4::integer > 0 THEN $4::integer END

-- name: retention_dossier_key
-- The dossier's key id, the dossier locked: no key is made for it while
-- it is deleted (a document's insert waits and then finds no dossier).
SELECT encode(k.key_id, 'hex') AS key_id
  FROM dossier d
  JOIN dossier_key k ON k.tenant_id = d.tenant_id AND k.dossier_id = d.id
 WHERE d.id = $1
   FOR UPDATE OF d

-- name: retention_purge
SELECT retention_purge_dossier($1, $2::date, $3::date) AS result

-- name: retention_run_add
-- What one dossier's deletion removed, added to the job's run.
INSERT INTO retention_run (tenant_id, job_id, run_on, periods, dossiers,
       counts, keys_shredded)
VALUES (kasus_tenant(), $1, current_date, $2::jsonb, $3::integer,
        $4::jsonb, $5::integer)
ON CONFLICT (tenant_id, job_id) DO UPDATE
   SET dossiers = retention_run.dossiers + EXCLUDED.dossiers,
       keys_shredded = retention_run.keys_shredded + EXCLUDED.keys_shredded,
       counts = (SELECT coalesce(jsonb_object_agg(k, s), '{}')
                   FROM (SELECT k, sum(v::bigint) AS s
                           FROM (SELECT * FROM jsonb_each_text(
                                     retention_run.counts)
                                 UNION ALL
                                 SELECT * FROM jsonb_each_text(
                                     EXCLUDED.counts)) x (k, v)
                          GROUP BY k) y),
       updated_at = now()

-- name: retention_run_end
INSERT INTO retention_run (tenant_id, job_id, run_on, periods, held,
       waiting, keys_shredded)
VALUES (kasus_tenant(), $1, current_date, $2::jsonb, $3::integer,
        $4::integer, $5::integer)
ON CONFLICT (tenant_id, job_id) DO UPDATE
   SET held = EXCLUDED.held, waiting = EXCLUDED.waiting,
       keys_shredded = retention_run.keys_shredded + EXCLUDED.keys_shredded,
       updated_at = now()
RETURNING dossiers, counts, keys_shredded

-- name: retention_runs
SELECT id, job_id, run_on, periods, dossiers, counts, keys_shredded, held,
       waiting, created_at, updated_at
  FROM retention_run
 WHERE ($1::bigint = 0 OR id < $1::bigint)
 ORDER BY id DESC LIMIT $2::integer

-- name: retention_hold_get
SELECT id, number, state, closed_on, legal_hold, legal_hold_reason,
       legal_hold_by, legal_hold_at, version
  FROM dossier WHERE id = $1

-- name: retention_hold_set
UPDATE dossier
   SET legal_hold = $2::boolean,
       legal_hold_reason = CASE WHEN $2::boolean THEN $3 END,
       legal_hold_by = CASE WHEN $2::boolean THEN $4::bigint END,
       legal_hold_at = CASE WHEN $2::boolean THEN now() END,
       version = version + 1
 WHERE id = $1 AND version = $5::bigint
RETURNING id
