-- Sozialhilfe payments: account, one-off payments, the lines the module
-- contributes to the core's payment runs (core/sql/queries/money.sql),
-- bank notifications and claims on the core's tables. Every statement
-- runs under the request's tenant (row-level security).

-- name: pay_dossier
SELECT d.id, d.state, d.applicant_id
  FROM dossier d
 WHERE d.id = $1 AND d.module = 'sozialhilfe'

-- The core's paying account, for the bank files' check (sh_bank.c).
-- name: pay_account_get
SELECT name, iban, bic, street, house_no, postcode, town, country, version,
       updated_at
  FROM payment_account

-- ---------------------------------------------------- one-off payments

-- name: pay_oneoff_insert
INSERT INTO sh_one_off (tenant_id, dossier_id, amount, text, creditor,
       created_by)
VALUES (kasus_tenant(), $1, $2, $3, $4::jsonb, $5)
RETURNING id, dossier_id, amount, text, creditor::text, status, created_by,
       created_at, approved_by, approved_at, run_id, version

-- name: pay_oneoff_list
SELECT id, dossier_id, amount, text, creditor, status, created_by,
       created_at, approved_by, approved_at, run_id, version, client,
       created_by_name, approved_by_name
  FROM sh_one_off_v
 WHERE dossier_id = $1 AND id > $2
 ORDER BY id LIMIT $3

-- The tenant's one-off payments, newest first ($1: status or NULL).
-- name: pay_oneoff_list_all
SELECT id, dossier_id, amount, text, creditor, status, created_by,
       created_at, approved_by, approved_at, run_id, version, client,
       created_by_name, approved_by_name
  FROM sh_one_off_v
 WHERE ($1::text IS NULL OR status = $1)
   AND ($2::bigint = 0 OR id < $2)
 ORDER BY id DESC LIMIT $3

-- name: pay_oneoff_lock
SELECT id, dossier_id, amount, text, creditor::text, status, created_by,
       created_at, approved_by, approved_at, run_id, version
  FROM sh_one_off
 WHERE id = $1
   FOR UPDATE

-- name: pay_oneoff_approve
UPDATE sh_one_off SET status = 'approved', approved_by = $2,
       approved_at = now(), version = version + 1
 WHERE id = $1 AND status = 'proposed'
RETURNING id, dossier_id, amount, text, creditor::text, status, created_by,
       created_at, approved_by, approved_at, run_id, version

-- --------------------------------------------------------------- runs

-- The marked dossiers (sh_pay_mark) run $1 checks for back payments, with
-- the marks it saw: its approval removes exactly those.
-- name: pay_run_marks_take
INSERT INTO sh_run_check (tenant_id, run_id, checked_ids, checked_seqs)
SELECT kasus_tenant(), r.id, x.ids, x.seqs
  FROM payment_run r,
       (SELECT coalesce(array_agg(dossier_id ORDER BY dossier_id), '{}'),
               coalesce(array_agg(seq ORDER BY dossier_id), '{}')
          FROM sh_pay_mark) AS x(ids, seqs)
 WHERE r.id = $1 AND r.status = 'draft'
ON CONFLICT (tenant_id, run_id) DO UPDATE
   SET checked_ids = EXCLUDED.checked_ids,
       checked_seqs = EXCLUDED.checked_seqs

-- Unless a month of its window was approved after run $1 was computed
-- (the run did not compare that month then).
-- name: pay_run_marks_clear
DELETE FROM sh_pay_mark m
 USING payment_run r
  JOIN sh_run_check k ON k.tenant_id = r.tenant_id AND k.run_id = r.id,
       unnest(k.checked_ids, k.checked_seqs) AS c(id, seq)
 WHERE r.id = $1 AND m.dossier_id = c.id AND m.seq = c.seq
   AND NOT EXISTS (SELECT 1 FROM payment_run w
                    WHERE w.status = 'approved' AND w.id <> r.id
                      AND w.month < r.month
                      AND w.month >= r.month - interval '12 months'
                      AND w.approved_at > r.computed_at)

-- Run $1 approved after a later month's run was computed and approved:
-- what that run's approval unmarked may hide a gap of this month, so its
-- dossiers are marked again.
-- name: pay_run_marks_again
INSERT INTO sh_pay_mark (tenant_id, dossier_id, seq)
SELECT kasus_tenant(), x.dossier_id, nextval('sh_pay_mark_seq')
  FROM (SELECT DISTINCT unnest(k.checked_ids) AS dossier_id
          FROM payment_run r
          JOIN payment_run l ON l.tenant_id = r.tenant_id
          JOIN sh_run_check k ON k.tenant_id = l.tenant_id
               AND k.run_id = l.id
         WHERE r.id = $1 AND l.status = 'approved' AND l.id <> r.id
           AND l.month > r.month
           AND l.month <= r.month + interval '12 months'
           AND l.computed_at > r.computed_at) x
ON CONFLICT (tenant_id, dossier_id) DO UPDATE SET seq = EXCLUDED.seq

-- Regular lines for every dossier that is being supported and has an
-- approved budget in force for the month (the latest valid_from up to
-- the first of the month), back payments for earlier months, then the
-- approved one-off payments not paid yet. Rent goes to the landlord when
-- the budget says so, the KVG premium to the insurer when the budget
-- input names one (kvg_direct), the rest of the payment to the
-- applicant. Creditors are copied here.
--
-- Back payments: for each marked dossier the run checks (checked_ids)
-- and each of the twelve months before this one whose run is approved,
-- what the budget in force then says less what lines of any other run
-- pay for that month (open or booked; held and returned ones paid
-- nothing), when positive: one line to the applicant. A month without an
-- approved run is paid by its own run, not here (nor a month before the
-- service paid with Kasus). A dossier closed since is owed the months
-- that began before it was closed, when a decision granted its support.
-- iv: a checked dossier's approved budgets with
-- the months they are in force, from valid_from until the next one's (a
-- later id wins on the same day, as in b).
-- $1 run, $2 first of month, $3 'YYYY-MM'
-- name: pay_run_lines_create
WITH b AS (
	SELECT DISTINCT ON (d.id) d.id AS dossier_id, d.applicant_id,
	       bu.id AS budget_id, bu.payment, bu.rent_direct, bu.landlord,
	       bu.input,
	       (SELECT sum(l.amount) FROM sh_budget_line l
	         WHERE l.tenant_id = bu.tenant_id AND l.budget_id = bu.id
	           AND l.code = 'rent') AS rent_line,
	       (SELECT sum(l.amount) FROM sh_budget_line l
	         WHERE l.tenant_id = bu.tenant_id AND l.budget_id = bu.id
	           AND l.code = 'kvg') AS kvg_line
	  FROM dossier d
	  JOIN sh_budget bu ON bu.tenant_id = d.tenant_id
	       AND bu.dossier_id = d.id
	 WHERE d.module = 'sozialhilfe' AND d.state IN ('ongoing', 'review')
	   AND bu.status = 'approved' AND bu.valid_from <= $2::date
	 ORDER BY d.id, bu.valid_from DESC, bu.id DESC
), r AS (
	SELECT b.*,
	       CASE WHEN b.rent_direct AND jsonb_typeof(b.landlord) = 'object'
	       THEN least(b.payment, greatest(coalesce(b.rent_line,
	            CASE WHEN jsonb_typeof(b.input->'rent') = 'number'
	            THEN (b.input->>'rent')::numeric::bigint END, 0), 0))
	       ELSE 0 END AS rent_amt
	  FROM b
), k AS (
	SELECT r.*,
	       CASE WHEN r.input->'kvg_direct' = 'true'::jsonb
	            AND jsonb_typeof(r.input->'insurer') = 'object'
	       THEN least(r.payment - r.rent_amt, greatest(coalesce(r.kvg_line,
	            CASE WHEN jsonb_typeof(r.input->'kvg_premium') = 'number'
	            THEN (r.input->>'kvg_premium')::numeric::bigint END, 0), 0))
	       ELSE 0 END AS kvg_amt
	  FROM r
), bm AS (
	SELECT month FROM payment_run
	 WHERE status = 'approved' AND month < $2::date
	   AND month >= $2::date - interval '12 months'
), chk AS (
	SELECT unnest(checked_ids) AS dossier_id FROM sh_run_check
	 WHERE run_id = $1
), iv AS MATERIALIZED (
	SELECT d.id AS dossier_id, d.applicant_id, bu.id AS budget_id,
	       bu.payment, bu.valid_from,
	       lead(bu.valid_from) OVER (PARTITION BY d.id
	           ORDER BY bu.valid_from, bu.id) AS until,
	       CASE WHEN d.state = 'closed' THEN d.closed_on END AS ended
	  FROM dossier d
	  JOIN sh_budget bu ON bu.tenant_id = d.tenant_id
	       AND bu.dossier_id = d.id
	 WHERE d.module = 'sozialhilfe'
	   AND (d.state IN ('ongoing', 'review') OR (d.state = 'closed'
	        AND d.closed_on IS NOT NULL AND EXISTS (SELECT 1
	            FROM sh_decision x WHERE x.tenant_id = d.tenant_id
	             AND x.dossier_id = d.id AND x.status = 'approved')))
	   AND bu.status = 'approved' AND bu.valid_from < $2::date
	   AND d.id IN (SELECT dossier_id FROM chk)
	   AND EXISTS (SELECT 1 FROM bm)
), due AS (
	SELECT iv.dossier_id, iv.applicant_id, bm.month, iv.budget_id,
	       iv.payment
	  FROM iv JOIN bm ON bm.month >= iv.valid_from
	   AND (iv.until IS NULL OR bm.month < iv.until)
	   AND (iv.ended IS NULL OR bm.month < iv.ended)
), paid AS (
	SELECT l.dossier_id, l.for_month, sum(l.amount) AS amount
	  FROM payment_line l
	 WHERE l.run_id IN (SELECT id FROM payment_run
	                     WHERE month >= $2::date - interval '12 months'
	                       AND id <> $1)
	   AND l.dossier_id IN (SELECT dossier_id FROM chk)
	   AND l.for_month IN (SELECT month FROM bm)
	   AND l.status IN ('open', 'booked')
	 GROUP BY l.dossier_id, l.for_month
), src AS (
	SELECT dossier_id, 'rent' AS kind, budget_id AS source_id,
	       rent_amt AS amount, landlord AS cr, 'Miete ' || $3 AS txt,
	       applicant_id, $2::date AS for_month
	  FROM k WHERE rent_amt > 0
	UNION ALL
	SELECT dossier_id, 'kvg', budget_id, kvg_amt, input->'insurer',
	       'KVG-Prämie ' || $3 ||
	       coalesce(' ' || (input->'insurer'->>'reference'), ''),
	       applicant_id, $2::date
	  FROM k WHERE kvg_amt > 0
	UNION ALL
	SELECT dossier_id, 'support', budget_id, payment - rent_amt - kvg_amt,
	       NULL, 'Sozialhilfe ' || $3, applicant_id, $2::date
	  FROM k WHERE payment - rent_amt - kvg_amt > 0
	UNION ALL
	SELECT e.dossier_id, 'back_payment', e.budget_id,
	       e.payment - coalesce(p.amount, 0), NULL,
	       'Nachzahlung Sozialhilfe ' || to_char(e.month, 'YYYY-MM'),
	       e.applicant_id, e.month
	  FROM due e
	  LEFT JOIN paid p ON p.dossier_id = e.dossier_id
	       AND p.for_month = e.month
	 WHERE e.payment > coalesce(p.amount, 0)
	UNION ALL
	SELECT o.dossier_id, 'one_off', o.id, o.amount, o.creditor, o.text,
	       d.applicant_id, NULL
	  FROM sh_one_off o
	  JOIN dossier d ON d.tenant_id = o.tenant_id AND d.id = o.dossier_id
	 WHERE o.status = 'approved' AND o.run_id IS NULL
), c AS (
	SELECT s.dossier_id, s.kind, s.source_id, s.amount, s.for_month,
	       CASE WHEN s.kind IN ('rent', 'kvg')
	       THEN s.txt || ' ' || p.last_name || ' ' || p.first_name
	       ELSE s.txt END AS ustrd,
	       nullif(btrim(CASE WHEN s.cr IS NULL
	       THEN p.first_name || ' ' || p.last_name
	       ELSE s.cr->>'name' END), '') AS name,
	       CASE WHEN s.cr IS NULL THEN p.street
	       ELSE s.cr->>'street' END AS street,
	       CASE WHEN s.cr IS NULL THEN p.house_no
	       ELSE s.cr->>'house_no' END AS house_no,
	       CASE WHEN s.cr IS NULL THEN p.postcode
	       ELSE s.cr->>'postcode' END AS postcode,
	       nullif(btrim(CASE WHEN s.cr IS NULL THEN p.town
	       ELSE s.cr->>'town' END), '') AS town,
	       CASE WHEN s.cr IS NULL THEN p.country
	       ELSE s.cr->>'country' END AS country,
	       nullif(upper(replace(CASE WHEN s.cr IS NULL THEN p.iban
	       ELSE s.cr->>'iban' END, ' ', '')), '') AS iban
	  FROM src s
	  JOIN person p ON p.tenant_id = kasus_tenant()
	       AND p.id = s.applicant_id
), z AS (
	SELECT c.*,
	       CASE WHEN c.name IS NULL THEN 'no_name'
	            WHEN c.iban IS NULL THEN 'no_iban'
	            WHEN c.iban !~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$'
	            THEN 'invalid_iban'
	            WHEN c.town IS NULL OR c.country IS NULL OR
	                 c.country !~ '^[A-Z]{2}$' THEN 'no_address'
	       END AS problem
	  FROM c
)
INSERT INTO payment_line (tenant_id, run_id, dossier_id, module, kind,
       source_id, amount, name, street, house_no, postcode, town, country,
       iban, ustrd, status, problem, for_month)
SELECT kasus_tenant(), $1, dossier_id, 'sozialhilfe', kind, source_id,
       amount,
       left(coalesce(name, '-'), 70), left(street, 70), left(house_no, 16),
       left(postcode, 16), left(town, 35), left(country, 2), left(iban, 34),
       left(ustrd, 140), CASE WHEN problem IS NULL THEN 'open' ELSE 'held'
       END, problem, for_month
  FROM z
 ORDER BY dossier_id, for_month NULLS LAST, kind, source_id
ON CONFLICT ON CONSTRAINT payment_line_once DO NOTHING

-- The draft run $1's lines go (recomputed or discarded): its one-off
-- payments are free again.
-- name: pay_run_oneoffs_release
UPDATE sh_one_off SET run_id = NULL, version = version + 1
 WHERE run_id = $1

-- name: pay_run_oneoffs_take
UPDATE sh_one_off o SET run_id = $1, version = version + 1
  FROM payment_line l
 WHERE l.tenant_id = o.tenant_id AND l.run_id = $1
   AND l.module = 'sozialhilfe' AND l.kind = 'one_off'
   AND l.source_id = o.id AND l.status <> 'held' AND o.run_id IS NULL

-- ------------------------------------------------- bank notifications

-- A notification for its import job ($1 the file, $2 the user).
-- name: pay_bank_upload_insert
INSERT INTO bank_upload (tenant_id, body, created_by)
VALUES (kasus_tenant(), $1, $2)
RETURNING id

-- name: pay_bank_upload_get
SELECT body FROM bank_upload WHERE id = $1

-- name: pay_bank_upload_delete
DELETE FROM bank_upload WHERE id = $1

-- name: pay_bank_file_insert
INSERT INTO bank_file (tenant_id, sha256, account, uploaded_by)
VALUES (kasus_tenant(), $1, $2, $3)
ON CONFLICT (tenant_id, sha256) DO NOTHING
RETURNING id

-- name: pay_bank_file_by_sha
SELECT id FROM bank_file WHERE sha256 = $1

-- A file's counts from its transactions; $2 the duplicates it had (-1:
-- as counted at its upload).
-- name: pay_bank_file_count
UPDATE bank_file f
   SET duplicates = CASE WHEN $2::integer < 0 THEN f.duplicates
                    ELSE $2::integer END,
       entries = x.n + CASE WHEN $2::integer < 0 THEN f.duplicates
                 ELSE $2::integer END,
       booked = x.booked, returned = x.returned,
       repayments = x.repayments, pending = x.pending,
       unmatched = x.unmatched
  FROM (SELECT count(*) AS n,
               count(*) FILTER (WHERE outcome = 'booked') AS booked,
               count(*) FILTER (WHERE outcome = 'returned') AS returned,
               count(*) FILTER (WHERE outcome = 'repayment') AS repayments,
               count(*) FILTER (WHERE outcome = 'pending') AS pending,
               count(*) FILTER (WHERE outcome = 'unmatched') AS unmatched
          FROM bank_entry WHERE file_id = $1) x
 WHERE f.id = $1

-- Imported files, newest first; $1 one file, or 0 for all.
-- name: pay_bank_files
SELECT f.id, f.sha256, f.account, f.entries, f.booked, f.returned,
       f.repayments, f.pending, f.duplicates, f.unmatched, f.uploaded_by,
       u.display_name, f.uploaded_at
  FROM bank_file f
  LEFT JOIN app_user u ON u.tenant_id = f.tenant_id AND u.id = f.uploaded_by
 WHERE ($1::bigint = 0 OR f.id = $1)
   AND ($2::bigint = 0 OR f.id < $2)
 ORDER BY f.id DESC LIMIT $3

-- name: pay_bank_insert
INSERT INTO bank_entry (tenant_id, key, file_sha256, cdi, amount,
       currency, status_code, booking_date, end_to_end_id, reference,
       return_reason, outcome, uploaded_by, file_id, account)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7::date, $8, $9, $10,
        'unmatched', $11, $12, $13)
ON CONFLICT (tenant_id, key) DO NOTHING
RETURNING id

-- name: pay_bank_outcome
UPDATE bank_entry SET outcome = $2, reason = $3, line_id = $4::bigint,
       claim_id = $5::bigint
 WHERE id = $1

-- name: pay_bank_list
SELECT * FROM bank_entry_v
 WHERE ($1::text IS NULL OR outcome = $1)
   AND ($2::bigint = 0 OR id < $2)
 ORDER BY id DESC LIMIT $3

-- The transactions of file $1, in the file's order.
-- name: pay_bank_file_entries
SELECT * FROM bank_entry_v
 WHERE file_id = $1 AND id > $2
 ORDER BY id LIMIT $3

-- name: pay_bank_entry_get
SELECT * FROM bank_entry_v WHERE id = $1

-- name: pay_bank_entry_lock
SELECT id, cdi, amount, currency, status_code, booking_date, return_reason,
       outcome, version, file_id
  FROM bank_entry
 WHERE id = $1
   FOR UPDATE

-- $1 entry, $2 outcome, $3 user, $4 line, $5 claim
-- name: pay_bank_match
UPDATE bank_entry SET outcome = $2, reason = NULL, matched_by = $3,
       matched_at = now(), line_id = $4::bigint, claim_id = $5::bigint,
       version = version + 1
 WHERE id = $1 AND outcome = 'unmatched'
RETURNING id

-- What unmatched entry $1 could belong to (newest first, by id):
-- payment lines of exported runs with its amount (open for a debit,
-- open or booked for a credit: a return) and, for a credit, open claims
-- that still owe at least its amount.
-- name: pay_bank_candidates
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

-- name: pay_line_by_e2e
SELECT l.id, l.status, l.amount, l.dossier_id, r.exported_at IS NOT NULL
  FROM payment_line l
  JOIN payment_run r ON r.tenant_id = l.tenant_id AND r.id = l.run_id
 WHERE l.end_to_end_id = $1
   FOR UPDATE OF l

-- name: pay_line_lock
SELECT l.id, l.status, l.amount, l.dossier_id, r.exported_at IS NOT NULL
  FROM payment_line l
  JOIN payment_run r ON r.tenant_id = l.tenant_id AND r.id = l.run_id
 WHERE l.id = $1
   FOR UPDATE OF l

-- name: pay_line_booked
UPDATE payment_line SET status = 'booked', booked_on = $2::date
 WHERE id = $1 AND status = 'open'
RETURNING id

-- A return gives the money back to the service: the client account gets
-- a correction of the payment booked at export.
-- name: pay_line_returned
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

-- --------------------------------------------------- claims, repayments

-- $1 dossier, $2 amount, $3 reason, $4 instalment, $5 user, $6 first due
-- name: pay_claim_insert
INSERT INTO claim (tenant_id, dossier_id, amount, reason, instalment,
       created_by, first_due)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6::date)
RETURNING id

-- A claim with what its plan asks today (claim_due).
-- name: pay_claim_list
SELECT c.id, c.dossier_id, c.amount, c.reason, c.instalment, c.reference,
       c.repaid, c.status, c.created_by, c.created_at, c.version,
       c.first_due, c.plan_base, d.overdue, d.next_due_on, d.next_amount,
       d.instalments
  FROM claim c,
       claim_due(c.amount - c.plan_base, c.instalment, c.first_due,
           c.repaid - c.plan_base) d
 WHERE ($1::bigint = 0 OR c.dossier_id = $1)
   AND ($4::bigint = 0 OR c.id = $4)
   AND c.id > $2
 ORDER BY c.id LIMIT $3

-- name: pay_claim_schedule
SELECT s.no, s.due_on, s.amount, s.paid
  FROM claim c,
       claim_plan(c.amount - c.plan_base, c.instalment, c.first_due,
           c.repaid - c.plan_base) s
 WHERE c.id = $1
 ORDER BY s.no

-- name: pay_claim_repayments
SELECT r.id, r.amount, r.paid_on, r.source, r.bank_entry_id, r.created_by,
       u.display_name, r.created_at
  FROM repayment r
  LEFT JOIN app_user u ON u.tenant_id = r.tenant_id AND u.id = r.created_by
 WHERE r.claim_id = $1
 ORDER BY r.paid_on, r.id

-- name: pay_claim_lock
SELECT id, dossier_id, amount, reason, instalment, reference, repaid,
       status, created_by, created_at, version
  FROM claim
 WHERE id = $1
   FOR UPDATE

-- name: pay_claim_by_ref
SELECT id, dossier_id, amount, reason, instalment, reference, repaid,
       status, created_by, created_at, version
  FROM claim
 WHERE reference = $1
   FOR UPDATE

-- A new plan over what is owed now: $2 instalment, $3 first due.
-- name: pay_claim_plan_set
UPDATE claim SET instalment = $2, first_due = $3::date,
       plan_base = repaid, version = version + 1
 WHERE id = $1 AND status = 'open'
RETURNING id

-- $1 claim, $2 amount, $3 date, $4 source, $5 bank entry, $6 user
-- name: pay_repayment_book
WITH c AS (
	UPDATE claim SET repaid = repaid + $2,
	       status = CASE WHEN repaid + $2 >= amount THEN 'settled'
	                ELSE 'open' END,
	       version = version + 1
	 WHERE id = $1 AND repaid + $2 <= amount
	RETURNING id, dossier_id, reference
), p AS (
	INSERT INTO repayment (tenant_id, claim_id, amount, paid_on,
	       source, bank_entry_id, created_by)
	SELECT kasus_tenant(), c.id, $2, $3::date, $4, $5::bigint, $6 FROM c
	RETURNING id
), e AS (
	INSERT INTO ledger_entry (tenant_id, dossier_id, booked_on, kind,
	       amount, text, ref)
	SELECT kasus_tenant(), c.dossier_id, $3::date, 'repayment', $2,
	       'Rückerstattung ' || c.reference, c.reference FROM c
	RETURNING id
)
SELECT p.id, e.id FROM p, e
