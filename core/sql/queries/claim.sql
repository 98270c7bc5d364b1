-- Recovery claims with instalment plans and their repayments, a part of
-- the casework layer's money services (core/casework/money/claim.c and
-- the camt.054 matching in bank.c). Every statement runs under the
-- request's tenant (row-level security).

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
