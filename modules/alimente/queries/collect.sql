-- Statements of ah_collect.c (the debtor's payments, their allocation,
-- the pass-on to the creditor, the recovery ledger).

-- The title of dossier $1; locked: a title's payments are allocated one
-- after the other.
-- name: ah_collect_title_of
SELECT t.id, t.dossier_id, t.debtor_reference, t.debtor_id
  FROM ah_title t
 WHERE t.dossier_id = $1
   FOR UPDATE OF t

-- A payment of the debtor of a title (by its id $1, or by its debtor
-- reference $10 for the bank), in one round trip: the title locked, the
-- receipt stored ($2 dossier for a payment by hand, else the title's; $3
-- amount, $4 received on, $5 source, $6 bank entry, $7 user, $8 debtor's
-- name, $9 note; a bank entry is taken once: receipt_id NULL), and the
-- debtor's money not allocated yet (his credit, the new receipt
-- included), oldest first, locked. No row: no such title. The caller
-- gives the id or the reference, so t has one row at most: the credit
-- is read by an equality on the title in ah_receipt_credit. (With IN,
-- the plan read all of the tenant's entries of that partial index,
-- among them a dead entry for each receipt allocated since the last
-- vacuum: late in a camt.054 of 5,000 payments, 2 ms for each payment.)
-- name: ah_collect_book
WITH t AS (
	SELECT t.id, t.dossier_id
	  FROM ah_title t
	 WHERE t.id = $1::bigint OR t.debtor_reference = $10
	   FOR UPDATE OF t
), ins AS (
	INSERT INTO ah_receipt (tenant_id, dossier_id, title_id, amount,
	       received_on, source, bank_entry_id, created_by, debtor_name,
	       note, surplus)
	SELECT kasus_tenant(), coalesce($2::bigint, t.dossier_id), t.id, $3,
	       $4::date, $5, $6::bigint, $7::bigint, $8, $9, $3
	  FROM t
	ON CONFLICT (tenant_id, bank_entry_id) DO NOTHING
	RETURNING id, surplus, received_on
), cr AS (
	SELECT r.id, r.surplus, r.received_on
	  FROM ah_receipt r
	 WHERE r.title_id = (SELECT id FROM t) AND r.surplus > 0
	   FOR UPDATE OF r
)
SELECT t.id AS title_id, t.dossier_id, (SELECT id FROM ins) AS receipt_id,
       coalesce((SELECT json_agg(json_build_object('id', c.id::text,
           'surplus', c.surplus, 'received_on',
           to_char(c.received_on, 'YYYY-MM-DD')) ORDER BY c.received_on, c.id)
         FROM (SELECT * FROM cr UNION ALL SELECT * FROM ins) c
        WHERE EXISTS (SELECT 1 FROM ins)), '[]')::text AS credits
  FROM t

-- The open items of dossier $1 up to the month of $2 (ah_month_v): per
-- creditor and month the creditor's open part (due less what the
-- community advanced and what the creditor got) and the community's
-- (advanced less recovered).
-- name: ah_collect_items
SELECT m.creditor_id, to_char(m.month, 'YYYY-MM-DD') AS month,
       greatest(m.due - m.advanced - (m.received - m.recovered), 0)
           AS creditor_open,
       greatest(m.advanced - m.recovered, 0) AS community_open
  FROM ah_month_v m
 WHERE m.dossier_id = $1
   AND m.month <= date_trunc('month', $2::date)::date
 ORDER BY m.month, m.creditor_id

-- The parts of receipt $1 ($2: [{creditor_id, month, part, amount}])
-- and what is left of it ($3, its surplus), in one round trip; the
-- receipt as ah_collect_receipts shows it, with the parts just stored
-- (a receipt is allocated once per payment: the new receipt's parts are
-- all of them).
-- name: ah_collect_alloc_store
WITH p AS (
	INSERT INTO ah_allocation (tenant_id, receipt_id, creditor_id, month,
	       part, amount)
	SELECT kasus_tenant(), $1, (p->>'creditor_id')::bigint,
	       (p->>'month')::date, p->>'part', (p->>'amount')::bigint
	  FROM jsonb_array_elements($2::jsonb) p
	RETURNING id, creditor_id, month, part, amount
), r AS (
	UPDATE ah_receipt SET surplus = $3 WHERE id = $1
	RETURNING *
)
SELECT r.id, r.amount, to_char(r.received_on, 'YYYY-MM-DD') AS received_on,
       r.source, r.bank_entry_id, r.surplus, r.debtor_name, r.note,
       r.created_by, r.created_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id,
           'creditor_id', a.creditor_id, 'month',
           to_char(a.month, 'YYYY-MM'), 'part', a.part, 'amount', a.amount)
           ORDER BY a.id) FROM p a), '[]'::jsonb)::text AS parts
  FROM r

-- Receipts of dossier $1 with their parts, newest first (below id $2).
-- name: ah_collect_receipts
SELECT r.id, r.amount, to_char(r.received_on, 'YYYY-MM-DD') AS received_on,
       r.source, r.bank_entry_id, r.surplus, r.debtor_name, r.note,
       r.created_by, r.created_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id,
           'creditor_id', a.creditor_id, 'month',
           to_char(a.month, 'YYYY-MM'), 'part', a.part, 'amount', a.amount)
           ORDER BY a.id)
         FROM ah_allocation a
        WHERE a.tenant_id = r.tenant_id AND a.receipt_id = r.id),
         '[]'::jsonb)::text AS parts
  FROM ah_receipt r
 WHERE r.dossier_id = $1
   AND ($2::bigint = 0 OR r.id < $2)
 ORDER BY r.id DESC LIMIT $3

-- The creditors' parts (current maintenance, arrears) not passed on yet
-- go to the dossier's applicant, one line per part, in run $1 (month
-- $3 as text). Held when name, IBAN or address is missing. A part of a
-- line that was held or returned in another run is passed on again.
-- z makes c's columns once and the problem once (OFFSET 0: see
-- modules/README.md, "Money").
-- name: ah_collect_run_lines
WITH a AS (
	SELECT a.id, r.dossier_id, a.month, a.amount, a.part,
	       d.applicant_id, cp.first_name AS child
	  FROM ah_allocation a
	  JOIN ah_receipt r ON r.tenant_id = a.tenant_id AND r.id = a.receipt_id
	  JOIN dossier d ON d.tenant_id = r.tenant_id AND d.id = r.dossier_id
	  JOIN ah_creditor c ON c.tenant_id = a.tenant_id
	       AND c.id = a.creditor_id
	  JOIN person cp ON cp.tenant_id = c.tenant_id AND cp.id = c.person_id
	 WHERE a.part IN ('current', 'arrears')
	   AND NOT EXISTS (SELECT 1 FROM payment_line l
	        WHERE l.tenant_id = a.tenant_id AND l.module = 'alimente'
	          AND l.kind = 'ah_passon' AND l.source_id = a.id
	          AND l.run_id <> $1 AND l.status IN ('open', 'booked'))
), c AS (
	SELECT a.id AS source_id, a.dossier_id, a.month AS for_month,
	       a.amount,
	       'Alimente ' || to_char(a.month, 'YYYY-MM') || ' ' ||
	       a.child AS ustrd,
	       nullif(btrim(p.first_name || ' ' || p.last_name), '') AS name,
	       p.street, p.house_no, p.postcode,
	       nullif(btrim(p.town), '') AS town, p.country,
	       nullif(upper(replace(p.iban, ' ', '')), '') AS iban
	  FROM a
	  JOIN person p ON p.tenant_id = kasus_tenant()
	       AND p.id = a.applicant_id
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
SELECT kasus_tenant(), $1, dossier_id, 'alimente', 'ah_passon', source_id,
       amount,
       left(coalesce(name, '-'), 70), left(street, 70), left(house_no, 16),
       left(postcode, 16), left(town, 35), left(country, 2), left(iban, 34),
       left(ustrd, 140), CASE WHEN problem IS NULL THEN 'open' ELSE 'held'
       END, problem, for_month
  FROM z
 ORDER BY dossier_id, for_month, source_id
ON CONFLICT ON CONSTRAINT payment_line_once DO NOTHING

-- The recovery ledger of dossier $1 per creditor: due, received,
-- outstanding, advanced, recovered, the community's cost.
-- name: ah_collect_recovery
SELECT c.id AS creditor_id, c.person_id, c.role, p.first_name,
       p.last_name, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date,
       coalesce(sum(m.due), 0) AS due,
       coalesce(sum(m.received), 0) AS received,
       coalesce(sum(m.outstanding), 0) AS outstanding,
       coalesce(sum(m.advanced), 0) AS advanced,
       coalesce(sum(m.recovered), 0) AS recovered,
       coalesce(sum(m.advanced - m.recovered), 0) AS community_cost
  FROM ah_creditor c
  JOIN person p ON p.tenant_id = c.tenant_id AND p.id = c.person_id
  LEFT JOIN ah_month_v m ON m.tenant_id = c.tenant_id
       AND m.creditor_id = c.id
 WHERE c.dossier_id = $1
 GROUP BY c.id, c.person_id, c.role, p.first_name, p.last_name,
       p.birth_date
 ORDER BY c.id

-- The debtor's credit (money not allocated yet) of dossier $1.
-- name: ah_collect_credit_of
SELECT coalesce(sum(surplus), 0) AS credit, coalesce(sum(amount), 0) AS paid
  FROM ah_receipt WHERE dossier_id = $1

-- The community's net cost per month from $1 to $2 (exclusive), as the
-- canton's burden sharing counts it (ah_net_costs, migration 0006):
-- advances by the day the bank booked them, recoveries by the day the
-- debtor's payment came in.
-- name: ah_collect_net_cost
SELECT to_char(m, 'YYYY-MM') AS month,
       coalesce(sum(c.amount) FILTER (WHERE c.amount > 0), 0) AS advanced,
       coalesce(-sum(c.amount) FILTER (WHERE c.amount < 0), 0) AS recovered,
       coalesce(sum(c.amount), 0) AS net_cost
  FROM generate_series($1::date, $2::date - 1, interval '1 month') m
 CROSS JOIN LATERAL ah_net_costs(m::date,
       (m + interval '1 month' - interval '1 day')::date) c
 GROUP BY m
 ORDER BY m

-- Dossiers collecting (voluntary, enforcement) whose month $1 had
-- something due and no payment of the debtor came in from its first
-- day to $2 (the 10th of the next month).
-- name: ah_collect_missing
SELECT d.id AS dossier_id, d.state, p.last_name, p.first_name,
       to_char($1::date, 'YYYY-MM') AS month, sum(u.amount) AS due
  FROM dossier d
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  JOIN ah_due u ON u.tenant_id = d.tenant_id AND u.dossier_id = d.id
       AND u.month = $1::date
 WHERE d.module = 'alimente' AND d.state IN ('voluntary', 'enforcement')
   AND NOT EXISTS (SELECT 1 FROM ah_receipt r
        WHERE r.tenant_id = d.tenant_id AND r.dossier_id = d.id
          AND r.received_on >= $1::date AND r.received_on <= $2::date)
 GROUP BY d.id, d.state, p.last_name, p.first_name
HAVING sum(u.amount) > 0
 ORDER BY d.id
 LIMIT 500

-- What the debtor's QR-bill of dossier $1 needs: the title's reference,
-- the debtor, the service's account, what is due in the month of $2.
-- name: ah_collect_bill
SELECT t.debtor_reference, p.first_name, p.last_name, p.street,
       p.house_no, p.postcode, p.town, p.country, p.language,
       a.name AS acc_name, a.iban AS acc_iban, a.qr_iban AS acc_qr_iban,
       a.street AS acc_street, a.house_no AS acc_house_no,
       a.postcode AS acc_postcode, a.town AS acc_town,
       a.country AS acc_country,
       (SELECT coalesce(sum(u.amount), 0) FROM ah_due u
         WHERE u.tenant_id = t.tenant_id AND u.dossier_id = t.dossier_id
           AND u.month = date_trunc('month', $2::date)::date) AS due
  FROM ah_title t
  LEFT JOIN person p ON p.tenant_id = t.tenant_id AND p.id = t.debtor_id
  LEFT JOIN payment_account a ON a.tenant_id = t.tenant_id
 WHERE t.dossier_id = $1
