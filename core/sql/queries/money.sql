-- Money services of the casework layer (core/casework/money/): payment
-- runs with their lines and pain.001 export, the client ledger. Every
-- statement runs under the request's tenant (row-level security). The
-- lines of a run come from the modules (struct ks_money).

-- ------------------------------------------------------------ account

-- name: money_account_get
SELECT name, iban, bic, street, house_no, postcode, town, country, version,
       updated_at, qr_iban
  FROM payment_account

-- name: money_account_insert
INSERT INTO payment_account (tenant_id, name, iban, bic, street,
       house_no, postcode, town, country, updated_by, qr_iban)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (tenant_id) DO NOTHING
RETURNING name, iban, bic, street, house_no, postcode, town, country,
       version, updated_at, qr_iban

-- name: money_account_update
UPDATE payment_account SET name = $1, iban = $2, bic = $3, street = $4,
       house_no = $5, postcode = $6, town = $7, country = $8,
       updated_by = $9, updated_at = now(), version = version + 1,
       qr_iban = $11
 WHERE version = $10
RETURNING name, iban, bic, street, house_no, postcode, town, country,
       version, updated_at, qr_iban

-- --------------------------------------------------------------- runs

-- name: payrun_insert
INSERT INTO payment_run (tenant_id, month, exec_date, created_by)
VALUES (kasus_tenant(), $1::date, $2::date, $3)
ON CONFLICT (tenant_id, month) DO NOTHING
RETURNING id

-- name: payrun_by_month
SELECT id FROM payment_run WHERE month = $1::date

-- For the rest of a run's computation: no JIT (its few large statements
-- are planned as costly enough for JIT compilation, which took longer
-- than running them), and room to sort its lines in memory (20,000
-- lines spilled 3.5 MB to disk at the default 4 MB: 10 ms).
-- name: payrun_settings
SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true)

-- Computing payment runs, one at a time per tenant (see payrun.c).
-- name: payrun_lock_tenant
SELECT pg_advisory_xact_lock(7406, (kasus_tenant() % 2147483647)::integer)

-- name: payrun_open_ibans
SELECT id, iban FROM payment_line WHERE run_id = $1 AND status = 'open'
 ORDER BY id

-- $2: line ids, $3: problems (text arrays of the same length)
-- name: payrun_hold
UPDATE payment_line l SET status = 'held', problem = x.problem
  FROM unnest($2::bigint[], $3::text[]) AS x(id, problem)
 WHERE l.run_id = $1 AND l.id = x.id AND l.status = 'open'

-- name: payrun_get
SELECT id, to_char(month, 'YYYY-MM') AS month, status, exec_date,
       created_by, created_at, approved_by, approved_at, msg_id, created_ts,
       debtor::text AS debtor, exported_at, exported_by, file_sha256,
       file_schema, version, computed_at
  FROM payment_run
 WHERE id = $1

-- name: payrun_lock
SELECT id, to_char(month, 'YYYY-MM') AS month, status, exec_date,
       created_by, created_at, approved_by, approved_at, msg_id, created_ts,
       debtor::text AS debtor, exported_at, exported_by, file_sha256,
       file_schema, version, computed_at
  FROM payment_run
 WHERE id = $1
   FOR UPDATE

-- name: payrun_list
SELECT id, to_char(month, 'YYYY-MM') AS month, status, exec_date,
       created_by, created_at, approved_by, approved_at, msg_id, created_ts,
       debtor::text AS debtor, exported_at, exported_by, file_sha256,
       file_schema, version, computed_at
  FROM payment_run
 WHERE ($1::bigint = 0 OR id < $1)
 ORDER BY id DESC LIMIT $2

-- name: payrun_summary
SELECT kind, status, count(*) AS n, sum(amount) AS total
  FROM payment_line
 WHERE run_id = $1
 GROUP BY kind, status
 ORDER BY kind, status

-- name: payrun_lines
SELECT id, dossier_id, module, kind, source_id, amount, name, street,
       house_no, postcode, town, country, iban, ustrd, end_to_end_id,
       status, problem, booked_on, return_reason,
       to_char(for_month, 'YYYY-MM') AS for_month
  FROM payment_line
 WHERE run_id = $1 AND id > $2 AND ($4::text IS NULL OR kind = $4)
 ORDER BY id LIMIT $3

-- name: payrun_export_lines
SELECT id, amount, name, street, house_no, postcode, town, country, iban,
       ustrd, end_to_end_id
  FROM payment_line
 WHERE run_id = $1 AND status <> 'held'
 ORDER BY id

-- name: payrun_approve
UPDATE payment_run r SET status = 'approved', approved_by = $2,
       approved_at = now(),
       msg_id = 'KS' || r.tenant_id::text || 'R' || r.id::text,
       created_ts = to_char(now() AT TIME ZONE 'Europe/Zurich',
           'YYYY-MM-DD"T"HH24:MI:SS'),
       exec_date = greatest(r.exec_date, current_date),
       debtor = (SELECT jsonb_build_object('name', a.name, 'iban', a.iban,
           'bic', a.bic, 'street', a.street, 'house_no', a.house_no,
           'postcode', a.postcode, 'town', a.town, 'country', a.country)
           FROM payment_account a),
       version = r.version + 1
 WHERE r.id = $1 AND r.status = 'draft'
RETURNING r.id

-- The run is exported with its file: from then on its lines are the
-- client accounts' payments (view ledger, booked on the run's execution
-- date).
-- name: payrun_mark_exported
UPDATE payment_run SET exported_at = now(), exported_by = $2,
       file_sha256 = $3, file_schema = $4, version = version + 1
 WHERE id = $1 AND status = 'approved' AND exported_at IS NULL
RETURNING id

-- The file of run $1 as its export wrote it (migration 0048).
-- name: payrun_file_store
INSERT INTO payment_file (tenant_id, run_id, payments, xml)
VALUES (kasus_tenant(), $1, $2::integer, $3)

-- name: payrun_file
SELECT xml, payments FROM payment_file WHERE run_id = $1

-- A draft run's lines are dropped to be computed again (the modules
-- released what the run took first).
-- name: payrun_clear
WITH r AS (
	SELECT id FROM payment_run WHERE id = $1 AND status = 'draft'
), l AS (
	DELETE FROM payment_line WHERE run_id IN (SELECT id FROM r)
	RETURNING id
)
UPDATE payment_run SET computed_at = clock_timestamp(),
       version = version + 1
 WHERE id IN (SELECT id FROM r) AND (SELECT count(*) FROM l) >= 0
RETURNING id

-- After payrun_clear.
-- name: payrun_delete
DELETE FROM payment_run WHERE id = $1 AND status = 'draft'
RETURNING id

-- --------------------------------------------------------------- ledger

-- The client account: its entries and the exported payment lines (view
-- ledger, migration 0044).
-- name: ledger_list
SELECT id, booked_on, kind, amount, text, ref, created_at
  FROM ledger
 WHERE dossier_id = $1 AND id > $2
 ORDER BY id LIMIT $3

-- name: ledger_totals
SELECT coalesce((SELECT sum(amount) FROM ledger
                  WHERE dossier_id = $1), 0) AS balance,
       coalesce((SELECT sum(amount - repaid) FROM claim
                  WHERE dossier_id = $1 AND status = 'open'), 0) AS open
