-- Recovery claims with instalment plans and their repayments, a part of
-- the casework layer's money services (core/casework/money/claim.c and
-- the camt.054 matching in bank.c). Every statement runs under the
-- request's tenant (row-level security).

-- $1 dossier, $2 amount, $3 reason, $4 instalment, $5 user, $6 first due
-- name: claim_insert
INSERT INTO claim (tenant_id, dossier_id, amount, reason, instalment,
       created_by, first_due)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6::date)
RETURNING id

-- A claim with what its plan asks today (claim_due).
-- name: claim_list
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

-- name: claim_schedule
SELECT s.no, s.due_on, s.amount, s.paid
  FROM claim c,
       claim_plan(c.amount - c.plan_base, c.instalment, c.first_due,
           c.repaid - c.plan_base) s
 WHERE c.id = $1
 ORDER BY s.no

-- name: claim_repayments
SELECT r.id, r.amount, r.paid_on, r.source, r.bank_entry_id, r.created_by,
       u.display_name, r.created_at
  FROM repayment r
  LEFT JOIN app_user u ON u.tenant_id = r.tenant_id AND u.id = r.created_by
 WHERE r.claim_id = $1
 ORDER BY r.paid_on, r.id

-- name: claim_lock
SELECT id, dossier_id, amount, reason, instalment, reference, repaid,
       status, created_by, created_at, version
  FROM claim
 WHERE id = $1
   FOR UPDATE

-- name: claim_by_ref
SELECT id, dossier_id, amount, reason, instalment, reference, repaid,
       status, created_by, created_at, version
  FROM claim
 WHERE reference = $1
   FOR UPDATE

-- A new plan over what is owed now: $2 instalment, $3 first due.
-- name: claim_plan_set
UPDATE claim SET instalment = $2, first_due = $3::date,
       plan_base = repaid, version = version + 1
 WHERE id = $1 AND status = 'open'
RETURNING id

-- $1 claim, $2 amount, $3 date, $4 source, $5 bank entry, $6 user
-- name: repayment_book
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
SELECT p.id, e.id AS ledger_id FROM p, e
