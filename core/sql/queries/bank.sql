-- Bank notifications (camt.054) of the casework layer
-- (core/casework/money/bank.c): uploads, files, their transactions, and
-- what they booked on payment lines and claims. Every statement runs
-- under the request's tenant (row-level security).

-- A notification for its import job ($1 the file, $2 the user).
-- name: bank_upload_insert
INSERT INTO bank_upload (tenant_id, body, created_by)
VALUES (kasus_tenant(), $1, $2)
RETURNING id

-- name: bank_upload_get
SELECT body FROM bank_upload WHERE id = $1

-- name: bank_upload_delete
DELETE FROM bank_upload WHERE id = $1

-- name: bank_file_insert
INSERT INTO bank_file (tenant_id, sha256, account, uploaded_by)
VALUES (kasus_tenant(), $1, $2, $3)
ON CONFLICT (tenant_id, sha256) DO NOTHING
RETURNING id

-- name: bank_file_by_sha
SELECT id FROM bank_file WHERE sha256 = $1

-- A file's counts from its transactions; $2 the duplicates it had (-1:
-- as counted at its upload).
-- name: bank_file_count
UPDATE bank_file f
   SET duplicates = CASE WHEN $2::integer < 0 THEN f.duplicates
                    ELSE $2::integer END,
       entries = x.n + CASE WHEN $2::integer < 0 THEN f.duplicates
                 ELSE $2::integer END,
       booked = x.booked, returned = x.returned,
       repayments = x.repayments, pending = x.pending,
       unmatched = x.unmatched, received = x.received
  FROM (SELECT count(*) AS n,
               count(*) FILTER (WHERE outcome = 'booked') AS booked,
               count(*) FILTER (WHERE outcome = 'returned') AS returned,
               count(*) FILTER (WHERE outcome = 'repayment') AS repayments,
               count(*) FILTER (WHERE outcome = 'pending') AS pending,
               count(*) FILTER (WHERE outcome = 'unmatched') AS unmatched,
               count(*) FILTER (WHERE outcome = 'received') AS received
          FROM bank_entry WHERE file_id = $1) x
 WHERE f.id = $1

-- Imported files, newest first; $1 one file, or 0 for all.
-- name: bank_files
SELECT f.id, f.sha256, f.account, f.entries, f.booked, f.returned,
       f.repayments, f.received, f.pending, f.duplicates, f.unmatched,
       f.uploaded_by,
       u.display_name, f.uploaded_at
  FROM bank_file f
  LEFT JOIN app_user u ON u.tenant_id = f.tenant_id AND u.id = f.uploaded_by
 WHERE ($1::bigint = 0 OR f.id = $1)
   AND ($2::bigint = 0 OR f.id < $2)
 ORDER BY f.id DESC LIMIT $3

-- name: bank_entry_insert
INSERT INTO bank_entry (tenant_id, key, file_sha256, cdi, amount,
       currency, status_code, booking_date, end_to_end_id, reference,
       return_reason, outcome, uploaded_by, file_id, account)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7::date, $8, $9, $10,
        'unmatched', $11, $12, $13)
ON CONFLICT (tenant_id, key) DO NOTHING
RETURNING id

-- A credit offered to the modules (bank.c match_module): what a module
-- that fails on it wrote is rolled back, the rest of the file stays.
-- name: bank_credit_savepoint
SAVEPOINT ks_module_credit

-- name: bank_credit_release
RELEASE SAVEPOINT ks_module_credit

-- name: bank_credit_rollback
ROLLBACK TO SAVEPOINT ks_module_credit

-- $6: the module that took a credit (outcome 'received'), else NULL
-- name: bank_entry_outcome
UPDATE bank_entry SET outcome = $2, reason = $3, line_id = $4::bigint,
       claim_id = $5::bigint, module = $6
 WHERE id = $1

-- name: bank_entry_list
SELECT * FROM bank_entry_v
 WHERE ($1::text IS NULL OR outcome = $1)
   AND ($2::bigint = 0 OR id < $2)
 ORDER BY id DESC LIMIT $3

-- The transactions of file $1, in the file's order.
-- name: bank_file_entries
SELECT * FROM bank_entry_v
 WHERE file_id = $1 AND id > $2
 ORDER BY id LIMIT $3

-- name: bank_entry_get
SELECT * FROM bank_entry_v WHERE id = $1

-- name: bank_entry_lock
SELECT id, cdi, amount, currency, status_code, booking_date, return_reason,
       outcome, version, file_id
  FROM bank_entry
 WHERE id = $1
   FOR UPDATE

-- $1 entry, $2 outcome, $3 user, $4 line, $5 claim
-- name: bank_entry_match
UPDATE bank_entry SET outcome = $2, reason = NULL, matched_by = $3,
       matched_at = now(), line_id = $4::bigint, claim_id = $5::bigint,
       version = version + 1
 WHERE id = $1 AND outcome = 'unmatched'
RETURNING id

-- What unmatched entry $1 could belong to (newest first, by id):
-- payment lines of exported runs with its amount (open for a debit,
-- open or booked for a credit: a return) and, for a credit, open claims
-- that still owe at least its amount.
-- name: bank_candidates
WITH e AS (
	SELECT cdi, amount FROM bank_entry
	 WHERE id = $1 AND currency = 'CHF'
), c AS (
	SELECT l.id, 'line' AS type, l.dossier_id, l.amount, l.name,
	       l.end_to_end_id, to_char(r.month, 'YYYY-MM') AS run_month,
	       to_char(l.for_month, 'YYYY-MM') AS for_month,
	       NULL AS reference, l.status
	  FROM e
	  JOIN payment_line l ON l.amount = e.amount
	       AND l.status IN ('open', 'booked')
	       AND (l.status = 'open' OR e.cdi = 'CRDT')
	  JOIN payment_run r ON r.tenant_id = l.tenant_id AND r.id = l.run_id
	       AND r.exported_at IS NOT NULL
	UNION ALL
	SELECT cl.id, 'claim', cl.dossier_id, cl.amount - cl.repaid,
	       p.last_name || ' ' || p.first_name, NULL, NULL, NULL,
	       cl.reference, cl.status
	  FROM e
	  JOIN claim cl ON e.cdi = 'CRDT' AND cl.status = 'open'
	       AND cl.amount - cl.repaid >= e.amount
	  JOIN dossier d ON d.tenant_id = cl.tenant_id AND d.id = cl.dossier_id
	  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
)
SELECT * FROM c
 WHERE ($2::bigint = 0 OR id < $2)
 ORDER BY id DESC LIMIT $3

-- A line's end-to-end id is 'KS' tenant 'L' id (a generated column): the
-- line is found by its key (no index on the end-to-end id, 0044).
-- name: bank_line_by_e2e
SELECT l.id, l.status, l.amount, l.dossier_id,
       r.exported_at IS NOT NULL AS exported
  FROM payment_line l
  JOIN payment_run r ON r.tenant_id = l.tenant_id AND r.id = l.run_id
 WHERE l.id = substring($1 FROM '^KS[0-9]{1,19}L([0-9]{1,18})$')::bigint
   AND l.end_to_end_id = $1
   FOR UPDATE OF l

-- name: bank_line_lock
SELECT l.id, l.status, l.amount, l.dossier_id,
       r.exported_at IS NOT NULL AS exported
  FROM payment_line l
  JOIN payment_run r ON r.tenant_id = l.tenant_id AND r.id = l.run_id
 WHERE l.id = $1
   FOR UPDATE OF l

-- name: bank_line_booked
UPDATE payment_line SET status = 'booked', booked_on = $2::date
 WHERE id = $1 AND status = 'open'
RETURNING id

-- A return gives the money back to the service: the client account gets
-- a correction of the payment booked at export.
-- name: bank_line_returned
WITH l AS (
	UPDATE payment_line SET status = 'returned', return_reason = $2,
	       booked_on = coalesce($3::date, booked_on)
	 WHERE id = $1 AND status IN ('open', 'booked')
	RETURNING dossier_id, amount, end_to_end_id
)
INSERT INTO ledger_entry (tenant_id, dossier_id, booked_on, kind, amount,
       text, ref)
SELECT kasus_tenant(), l.dossier_id, coalesce($3::date, current_date),
       'correction', l.amount, 'Rückbuchung der Bank (' || $2 || ')',
       l.end_to_end_id
  FROM l
RETURNING id


-- Unmatched credit $1 assigned by hand to a dossier of module $3 (which
-- booked it), by user $2.
-- name: bank_entry_assign
UPDATE bank_entry SET outcome = 'received', module = $3, reason = NULL,
       matched_by = $2, matched_at = now(), version = version + 1
 WHERE id = $1 AND outcome = 'unmatched'
RETURNING id
