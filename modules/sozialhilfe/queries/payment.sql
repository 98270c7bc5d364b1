-- Sozialhilfe payments: one-off payments and the lines the module
-- contributes to the core's payment runs (core/sql/queries/money.sql);
-- bank notifications and claims are the core's (core/sql/queries/bank.sql,
-- claim.sql). Every statement runs under the request's tenant (row-level
-- security).

-- name: pay_dossier
SELECT d.id, d.state, d.applicant_id
  FROM dossier d
 WHERE d.id = $1 AND d.module = 'sozialhilfe'

-- ---------------------------------------------------- one-off payments

-- name: pay_oneoff_insert
INSERT INTO sh_one_off (tenant_id, dossier_id, amount, text, creditor,
       created_by)
VALUES (kasus_tenant(), $1, $2, $3, $4::jsonb, $5)
RETURNING id, dossier_id, amount, text, creditor::text AS creditor, status,
       created_by,
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
SELECT id, dossier_id, amount, text, creditor::text AS creditor, status,
       created_by, created_at, approved_by, approved_at, run_id, version
  FROM sh_one_off
 WHERE id = $1
   FOR UPDATE

-- name: pay_oneoff_approve
UPDATE sh_one_off SET status = 'approved', approved_by = $2,
       approved_at = now(), version = version + 1
 WHERE id = $1 AND status = 'proposed'
RETURNING id, dossier_id, amount, text, creditor::text AS creditor, status,
       created_by,
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
-- The run has no line of this module when this runs (a draft's lines are
-- cleared before it is computed again) and the statement makes each key
-- of payment_line_once once, so a plain INSERT: a duplicate would be a
-- fault that fails the run, not a line to drop (ON CONFLICT's check cost
-- a twentieth of the statement).
-- b reads the rent and KVG lines of the budget in force only, in one
-- pass; z makes c's columns once and the problem once (OFFSET 0: see
-- modules/README.md, "Money").
-- $1 run, $2 first of month, $3 'YYYY-MM'
-- name: pay_run_lines_create
WITH b0 AS (
	SELECT DISTINCT ON (d.id) d.id AS dossier_id, d.applicant_id,
	       bu.tenant_id, bu.id AS budget_id, bu.payment, bu.rent_direct,
	       bu.landlord, bu.input
	  FROM dossier d
	  JOIN sh_budget bu ON bu.tenant_id = d.tenant_id
	       AND bu.dossier_id = d.id
	 WHERE d.module = 'sozialhilfe' AND d.state IN ('ongoing', 'review')
	   AND bu.status = 'approved' AND bu.valid_from <= $2::date
	 ORDER BY d.id, bu.valid_from DESC, bu.id DESC
), b AS (
	SELECT b0.*, bl.rent_line, bl.kvg_line
	  FROM b0
	  CROSS JOIN LATERAL (
		SELECT sum(l.amount) FILTER (WHERE l.code = 'rent')
		       AS rent_line,
		       sum(l.amount) FILTER (WHERE l.code = 'kvg') AS kvg_line
		  FROM sh_budget_line l
		 WHERE l.tenant_id = b0.tenant_id
		   AND l.budget_id = b0.budget_id
		   AND l.code IN ('rent', 'kvg')) bl
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
	       payment_line_problem(c.name, c.iban, c.town, c.country)
	       AS problem
	  FROM (SELECT * FROM c OFFSET 0) c
	OFFSET 0
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
