-- Statements of ah_enforce.c: enforcement proceedings and their steps,
-- pension-fund reports and payout notices, criminal complaints, the
-- final statement and the limitation dates of the work list. Records
-- are answered as one JSON column "doc" built here.

-- name: ah_enforce_dossier
-- The dossier as the final statement and the deadlines' texts need it.
SELECT id, number, state, closure_reason, closed_on, applicant_id,
       last_name, first_name, language, current_date AS today
  FROM dossier_overview WHERE id = $1

-- name: ah_enforce_insert
INSERT INTO ah_enforcement (tenant_id, dossier_id, amount, office,
       started_on, reference, created_by)
VALUES (kasus_tenant(), $1, $2::bigint, $3, $4::date, $5, $6)
RETURNING id

-- name: ah_enforce_get
-- A proceeding with its steps and the sum of their fees ($1: its id).
SELECT id, dossier_id, last_step, version, doc
  FROM ah_enforcement_v WHERE id = $1

-- name: ah_enforce_list
SELECT id, doc FROM ah_enforcement_v
 WHERE dossier_id = $1 AND id > $2
 ORDER BY id LIMIT $3

-- name: ah_enforce_step_add
INSERT INTO ah_enforcement_step (tenant_id, enforcement_id, dossier_id,
       step, done_on, fee, note, created_by)
VALUES (kasus_tenant(), $1, $2, $3, $4::date, $5::bigint, $6, $7)
RETURNING id

-- name: ah_enforce_step_set
UPDATE ah_enforcement SET last_step = $2, version = version + 1
 WHERE id = $1
RETURNING version

-- name: ah_enforce_open
-- The proceedings of a dossier whose last step may set deadlines (every
-- one with a step but the withdrawn; a certificate of loss has its own).
SELECT id, last_step, doc FROM ah_enforcement_v
 WHERE dossier_id = $1 AND last_step IS NOT NULL
   AND last_step <> 'withdrawn'
 ORDER BY id

-- name: ah_enforce_due
-- $1 + $2 years $3 months $4 days and the days from $6 to $7 (a pause;
-- NULL: none); with $5 an end on a Saturday or Sunday moves to the
-- Monday (SchKG 31 para. 3).
SELECT (CASE WHEN $5::boolean AND extract(isodow FROM x.d) = 6 THEN x.d + 2
             WHEN $5::boolean AND extract(isodow FROM x.d) = 7 THEN x.d + 1
             ELSE x.d END)::text AS due
  FROM (SELECT ($1::date + make_interval(years => $2::int,
         months => $3::int, days => $4::int))::date
         + coalesce($7::date - $6::date, 0) AS d) x

-- name: ah_enforce_months
-- Months of a dossier's schedule up to the month $2 (its first day) with
-- an outstanding amount (of any creditor), and of the $3 months before
-- it how many were due and fully paid.
SELECT (SELECT count(*) FROM (SELECT month FROM ah_month_v
          WHERE dossier_id = $1 AND month <= $2::date
          GROUP BY month HAVING bool_or(outstanding > 0)) a) AS missing,
       (SELECT count(*) FROM (SELECT month FROM ah_month_v
          WHERE dossier_id = $1 AND month < $2::date
            AND month >= ($2::date - make_interval(months => $3::int))::date
          GROUP BY month
          HAVING sum(due) > 0 AND NOT bool_or(outstanding > 0)) b)
         AS regular

-- name: ah_enforce_title_pension
SELECT debtor_pension FROM ah_title WHERE dossier_id = $1

-- name: ah_enforce_report_insert
INSERT INTO ah_pension_report (tenant_id, dossier_id, institution,
       reported_on, missing_months, created_by)
VALUES (kasus_tenant(), $1, $2, $3::date, $4::integer, $5)
ON CONFLICT DO NOTHING
RETURNING id

-- name: ah_enforce_report_get
SELECT id, dossier_id, status, version, doc
  FROM ah_pension_report_v WHERE id = $1

-- name: ah_enforce_report_list
SELECT id, doc FROM ah_pension_report_v
 WHERE dossier_id = $1 AND id > $2
 ORDER BY id LIMIT $3

-- name: ah_enforce_report_revoke
UPDATE ah_pension_report SET status = 'revoked', revoked_on = $2::date,
       revoke_reason = $3, revoke_note = $4, version = version + 1
 WHERE id = $1 AND status = 'active'
RETURNING id

-- name: ah_enforce_payout_insert
INSERT INTO ah_payout_notice (tenant_id, report_id, dossier_id,
       notified_on, amount, blocked_until, note, created_by)
VALUES (kasus_tenant(), $1, $2, $3::date, $4::bigint,
        $3::date + $5::integer, $6, $7)
RETURNING id, blocked_until::text AS blocked_until

-- name: ah_enforce_report_bump
UPDATE ah_pension_report SET version = version + 1 WHERE id = $1

-- name: ah_enforce_complaint_insert
INSERT INTO ah_complaint (tenant_id, dossier_id, filed_on, authority, note,
       created_by)
VALUES (kasus_tenant(), $1, $2::date, $3, $4, $5)
RETURNING id, json_build_object('id', id, 'dossier_id', dossier_id,
       'filed_on', filed_on, 'authority', authority, 'note', note,
       'created_at', created_at)::text AS doc

-- name: ah_enforce_complaint_list
SELECT id, json_build_object('id', id, 'dossier_id', dossier_id,
       'filed_on', filed_on, 'authority', authority, 'note', note,
       'created_at', created_at)::text AS doc
  FROM ah_complaint
 WHERE dossier_id = $1 AND id > $2
 ORDER BY id LIMIT $3

-- name: ah_enforce_statement
-- Per creditor of dossier $1 (only $2 when given) the sums of the
-- schedule up to the month $3 (its first day).
SELECT c.id, c.role, p.first_name, p.last_name, p.birth_date,
       min(v.month) AS first_month, max(v.month) AS last_month,
       coalesce(sum(v.due), 0) AS due,
       coalesce(sum(v.received), 0) AS received,
       coalesce(sum(v.advanced), 0) AS advanced,
       coalesce(sum(v.recovered), 0) AS recovered,
       coalesce(sum(v.outstanding), 0) AS outstanding
  FROM ah_creditor c
  JOIN person p ON p.tenant_id = c.tenant_id AND p.id = c.person_id
  LEFT JOIN ah_month_v v ON v.tenant_id = c.tenant_id
   AND v.creditor_id = c.id AND v.month <= $3::date
 WHERE c.dossier_id = $1 AND ($2::bigint IS NULL OR c.id = $2::bigint)
 GROUP BY c.id, c.role, p.first_name, p.last_name, p.birth_date
 ORDER BY p.birth_date, c.id

-- name: ah_enforce_fees
-- The proceedings of a dossier with the fees the community advanced.
SELECT e.id, e.office, coalesce(e.reference, '') AS reference,
       e.started_on, e.amount, coalesce(sum(s.fee), 0) AS fees
  FROM ah_enforcement e
  LEFT JOIN ah_enforcement_step s ON s.tenant_id = e.tenant_id
   AND s.enforcement_id = e.id
 WHERE e.dossier_id = $1
 GROUP BY e.id, e.office, e.reference, e.started_on, e.amount
 ORDER BY e.started_on, e.id

-- name: ah_enforce_sender
SELECT t.name, coalesce(a.street, '') AS street,
       coalesce(a.house_no, '') AS house_no,
       coalesce(a.postcode, '') AS postcode, coalesce(a.town, '') AS town
  FROM tenant t LEFT JOIN payment_account a ON a.tenant_id = t.id
 WHERE t.id = kasus_tenant()

-- name: ah_enforce_addressee
SELECT first_name, last_name, coalesce(street, '') AS street,
       coalesce(house_no, '') AS house_no,
       coalesce(postcode, '') AS postcode, coalesce(town, '') AS town
  FROM person WHERE id = $1

-- name: ah_enforce_limitation
-- The work list: months still outstanding (due less received, as in
-- ah_month_v) of the caller's open dossiers whose limitation date (OR
-- 128: $2 years from the month; a child's claim not before the birthday
-- $3 years on, OR 134) falls in the next $4 days. Read from the caller's
-- dossiers and their months old enough (the limitation date is never
-- before month + $2 years), not through the view over the whole service.
SELECT d.dossier_id, o.number, ap.last_name AS client, d.creditor_id,
       cp.first_name AS creditor_first_name,
       cp.last_name AS creditor_last_name, d.month::text AS month,
       d.amount - coalesce(r.received, 0) AS outstanding,
       l.limitation_on::text AS limitation_on
  FROM dossier o
  JOIN person ap ON ap.tenant_id = o.tenant_id AND ap.id = o.applicant_id
  JOIN ah_due d ON d.tenant_id = o.tenant_id AND d.dossier_id = o.id
   AND d.month <= (current_date + $4::integer
       - make_interval(years => $2::int))::date
  JOIN ah_creditor c ON c.tenant_id = d.tenant_id AND c.id = d.creditor_id
  JOIN person cp ON cp.tenant_id = c.tenant_id AND cp.id = c.person_id
  LEFT JOIN LATERAL (SELECT sum(a.amount) AS received FROM ah_allocation a
         WHERE a.tenant_id = d.tenant_id AND a.creditor_id = d.creditor_id
           AND a.month = d.month) r ON true
  CROSS JOIN LATERAL (SELECT (greatest(d.month, CASE WHEN c.role = 'child'
         THEN (cp.birth_date + make_interval(years => $3::int))::date END)
         + make_interval(years => $2::int))::date AS limitation_on) l
 WHERE o.caseworker_id = $1 AND o.module = 'alimente' AND o.state <> 'closed'
   AND d.amount > coalesce(r.received, 0)
   AND l.limitation_on BETWEEN current_date AND current_date + $4::integer
 ORDER BY l.limitation_on, d.dossier_id, d.creditor_id LIMIT 200
