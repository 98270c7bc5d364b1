-- Statements of ah_advance.c (advance decisions, their letter, the
-- advance lines of a payment run, the work list). Months are the first
-- day of the month; amounts integer Rappen.

-- A creditor of dossier $3 as an advance for month $2 needs it: the
-- child, whether in education then, and what the title says for the
-- month (the schedule's due amount, else the title's amount in force;
-- nothing after the title's end).
-- name: ah_advance_creditor
SELECT c.id, c.role, c.education_until, p.birth_date, p.first_name,
       p.last_name, t.ends_on,
       (c.education_until IS NOT NULL AND c.education_until >= $2::date)
           AS in_education,
       CASE WHEN t.ends_on IS NOT NULL AND t.ends_on <= $2::date THEN 0
       ELSE coalesce(
           (SELECT u.amount FROM ah_due u
             WHERE u.tenant_id = c.tenant_id AND u.creditor_id = c.id
               AND u.month = $2::date),
           (SELECT a.amount FROM ah_title_amount a
             WHERE a.tenant_id = c.tenant_id AND a.creditor_id = c.id
               AND a.valid_from <= $2::date
               AND (a.valid_to IS NULL OR a.valid_to > $2::date)
             ORDER BY a.valid_from DESC LIMIT 1)) END AS title_amount
  FROM ah_creditor c
  JOIN person p ON p.tenant_id = c.tenant_id AND p.id = c.person_id
  JOIN ah_title t ON t.tenant_id = c.tenant_id AND t.id = c.title_id
 WHERE c.id = $1 AND c.dossier_id = $3

-- name: ah_advance_insert
INSERT INTO ah_advance (tenant_id, dossier_id, creditor_id, valid_from,
       eligible, amount, cap, input, result, result_fr, provenance,
       created_by)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING id

-- An advance with the names the screens and the letter show.
-- name: ah_advance_get
SELECT * FROM ah_advance_v WHERE id = $1

-- The advances of dossier $1, a page at a time (after $2, at most $3).
-- name: ah_advance_list
SELECT * FROM ah_advance_v WHERE dossier_id = $1 AND id > $2
 ORDER BY id LIMIT $3

-- The service's advances in state $1 across its dossiers of the module,
-- a page at a time (after $2, at most $3): the team lead's overview of
-- decisions awaiting approval (state submitted), with the dossier's
-- number and client.
-- name: ah_advance_by_state
SELECT v.*, coalesce(d.number, d.id::text) AS dossier_number,
       btrim(coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, ''))
       AS client
  FROM ah_advance_v v
  JOIN dossier d ON d.tenant_id = v.tenant_id AND d.id = v.dossier_id
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
 WHERE v.status = $1 AND v.id > $2
 ORDER BY v.id LIMIT $3

-- Submitted advances user $1 may approve (neither proposed nor
-- submitted them), oldest first: a row of the team lead's work list.
-- name: ah_advance_awaiting
SELECT v.id, v.dossier_id, v.creditor_id, v.first_name, v.last_name,
       v.amount, v.valid_from, v.submitted_at
  FROM ah_advance_v v
  JOIN dossier d ON d.tenant_id = v.tenant_id AND d.id = v.dossier_id
 WHERE v.status = 'submitted' AND d.state <> 'closed'
   AND v.created_by <> $1 AND v.submitted_by <> $1
 ORDER BY v.submitted_at, v.id LIMIT 200

-- name: ah_advance_submit
UPDATE ah_advance SET status = 'submitted', submitted_by = $2,
       submitted_at = now(), version = version + 1
 WHERE id = $1 AND version = $3 AND status = 'draft'
RETURNING id

-- Approved: the yearly re-check falls a year after the start.
-- name: ah_advance_approve
UPDATE ah_advance SET status = 'approved', approved_by = $2,
       approved_at = now(),
       recheck_on = (valid_from + interval '1 year')::date,
       version = version + 1
 WHERE id = $1 AND version = $3 AND status = 'submitted'
RETURNING id, recheck_on

-- An approved advance of creditor $1 (other than $3) starting on or
-- after month $2: a new decision cannot go in before it.
-- name: ah_advance_later
SELECT id, valid_from FROM ah_advance
 WHERE creditor_id = $1 AND status = 'approved' AND id <> $3
   AND valid_from >= $2::date
 ORDER BY valid_from LIMIT 1

-- A new decision from month $2 on replaces the earlier ones of creditor
-- $1 from then on (each stays valid until that month).
-- name: ah_advance_supersede
UPDATE ah_advance SET valid_to = $2::date, version = version + 1
 WHERE creditor_id = $1 AND status = 'approved' AND id <> $3
   AND valid_from < $2::date
   AND (valid_to IS NULL OR valid_to > $2::date)
RETURNING id

-- The approved decision as a document of dossier $1 ($2 title, $3 size,
-- $4 sha256, $5 the approver).
-- name: ah_advance_document
INSERT INTO document (tenant_id, dossier_id, category, title, mime, size,
       sha256, uploaded_by)
VALUES (kasus_tenant(), $1, 'decision', $2, 'application/pdf', $3, $4, $5)
RETURNING id

-- name: ah_advance_document_set
UPDATE ah_advance SET document_id = $2, language = $3
 WHERE id = $1 AND status = 'approved' AND document_id IS NULL
RETURNING id

-- name: ah_advance_reject
UPDATE ah_advance SET status = 'rejected', rejected_by = $2,
       rejected_at = now(), reject_reason = $3, version = version + 1
 WHERE id = $1 AND version = $4 AND status IN ('draft', 'submitted')
RETURNING id

-- name: ah_advance_end
UPDATE ah_advance SET status = 'ended', valid_to = $2::date,
       end_reason = $3, ended_by = $4, ended_at = now(),
       version = version + 1
 WHERE id = $1 AND version = $5 AND status = 'approved'
   AND $2::date > valid_from
RETURNING id

-- The approved advances of dossier $1 still running (other than $2).
-- name: ah_advance_running
SELECT count(*) AS n FROM ah_advance
 WHERE dossier_id = $1 AND status = 'approved' AND id <> $2

-- The letter's sender (the service and its paying account's address),
-- recipient (the dossier's applicant, the parent) and the applicant's
-- language.
-- name: ah_advance_letter_parties
SELECT t.name AS sender, coalesce(a.street, '') AS s_street,
       coalesce(a.house_no, '') AS s_house_no,
       coalesce(a.postcode, '') AS s_postcode, coalesce(a.town, '') AS s_town,
       p.first_name, p.last_name, coalesce(p.street, '') AS street,
       coalesce(p.house_no, '') AS house_no,
       coalesce(p.postcode, '') AS postcode, coalesce(p.town, '') AS town,
       p.language, coalesce(d.number, d.id::text) AS number
  FROM dossier d
  JOIN tenant t ON t.id = d.tenant_id
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  LEFT JOIN payment_account a ON a.tenant_id = d.tenant_id
 WHERE d.id = $1

-- A payment run's advance lines ($1 the run, $2 the month's first day,
-- $3 YYYY-MM): each advance in force in the month (approved, or ended
-- later), of a dossier not closed, to the applicant (the parent), never
-- more than the month's due amount; not after the title's end, nor for
-- a month starting on or after the 18th birthday unless the child is in
-- education then (and never on or after the 25th). Held with a problem
-- when the applicant's name, IBAN or address is missing.
--
-- Back payments (Nachzahlung): a decision is often approved after the
-- runs of the months it covers were computed and approved without it.
-- Each such month (an approved run of it computed before the decision's
-- approval, from the decision's start, before its end) gets its own
-- line in this run, under the same rules of that month, for what the
-- decision grants for the month less what any other run (draft or
-- approved) already pays the child for it (open or booked lines): once,
-- however often runs are computed or discarded (the tenant's run lock
-- orders them), and topped up when a later decision grants more.
-- z makes c's columns once and the problem once (OFFSET 0: see
-- modules/README.md, "Money").
-- name: ah_advance_run_lines
WITH m AS (
	SELECT v.id, $2::date AS month, false AS back
	  FROM ah_advance v
	 WHERE v.status IN ('approved', 'ended') AND v.amount > 0
	   AND v.valid_from <= $2::date
	   AND (v.valid_to IS NULL OR v.valid_to > $2::date)
	UNION ALL
	SELECT v.id, r.month, true
	  FROM ah_advance v
	  JOIN payment_run r ON r.tenant_id = v.tenant_id
	       AND r.status = 'approved' AND r.computed_at < v.approved_at
	       AND r.month >= v.valid_from AND r.month < $2::date
	       AND (v.valid_to IS NULL OR r.month < v.valid_to)
	 WHERE v.status IN ('approved', 'ended') AND v.amount > 0
), a AS (
	SELECT v.id, v.dossier_id, d.applicant_id, m.month, m.back,
	       least(v.amount, coalesce(u.amount, v.amount)) -
	       CASE WHEN m.back THEN coalesce((SELECT sum(l.amount)
	         FROM payment_line l
	         JOIN ah_advance w ON w.tenant_id = l.tenant_id
	              AND w.id = l.source_id
	        WHERE l.tenant_id = v.tenant_id
	          AND l.dossier_id = v.dossier_id AND l.module = 'alimente'
	          AND l.kind = 'ah_advance' AND l.for_month = m.month
	          AND w.creditor_id = v.creditor_id AND l.run_id <> $1
	          AND l.status IN ('open', 'booked')), 0) ELSE 0 END
	       AS amount,
	       ch.first_name || ' ' || ch.last_name AS child
	  FROM m
	  JOIN ah_advance v ON v.tenant_id = kasus_tenant() AND v.id = m.id
	  JOIN dossier d ON d.tenant_id = v.tenant_id AND d.id = v.dossier_id
	  JOIN ah_creditor c ON c.tenant_id = v.tenant_id
	       AND c.id = v.creditor_id
	  JOIN ah_title t ON t.tenant_id = c.tenant_id AND t.id = c.title_id
	  JOIN person ch ON ch.tenant_id = c.tenant_id AND ch.id = c.person_id
	  LEFT JOIN ah_due u ON u.tenant_id = v.tenant_id
	       AND u.creditor_id = v.creditor_id AND u.month = m.month
	 WHERE d.module = 'alimente' AND d.state <> 'closed'
	   AND (t.ends_on IS NULL OR t.ends_on > m.month)
	   AND (m.month < ch.birth_date + interval '18 years' OR
	        (c.education_until >= m.month AND
	         m.month < ch.birth_date + interval '25 years'))
), c AS (
	SELECT a.id, a.dossier_id, a.amount, a.month,
	       CASE WHEN a.back THEN 'Nachzahlung Bevorschussung Unterhalt '
	           || a.child || ' ' || to_char(a.month, 'YYYY-MM')
	       ELSE 'Bevorschussung Unterhalt ' || a.child || ' ' || $3 END
	       AS ustrd,
	       nullif(btrim(coalesce(p.first_name, '') || ' ' ||
	           coalesce(p.last_name, '')), '') AS name,
	       p.street, p.house_no, p.postcode,
	       nullif(btrim(p.town), '') AS town, p.country,
	       nullif(upper(replace(p.iban, ' ', '')), '') AS iban
	  FROM a
	  JOIN person p ON p.tenant_id = kasus_tenant() AND p.id = a.applicant_id
	 WHERE a.amount > 0
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
SELECT kasus_tenant(), $1, dossier_id, 'alimente', 'ah_advance', id, amount,
       left(coalesce(name, '-'), 70), left(street, 70), left(house_no, 16),
       left(postcode, 16), left(town, 35), left(country, 2), left(iban, 34),
       left(ustrd, 140), CASE WHEN problem IS NULL THEN 'open' ELSE 'held'
       END, problem, month
  FROM z
 ORDER BY dossier_id, id, month
ON CONFLICT ON CONSTRAINT payment_line_once DO NOTHING

-- The caller's ($1) approved advances ending within 60 days: the first
-- of the advance's own end, the title's end and the child's age limit
-- (the 18th birthday; in education its end, at the latest the 25th).
-- name: ah_advance_ending
SELECT v.id, v.dossier_id, v.creditor_id, p.first_name, p.last_name,
       e.ends_on, e.reason
  FROM ah_advance v
  JOIN dossier d ON d.tenant_id = v.tenant_id AND d.id = v.dossier_id
  JOIN ah_creditor c ON c.tenant_id = v.tenant_id AND c.id = v.creditor_id
  JOIN ah_title t ON t.tenant_id = c.tenant_id AND t.id = c.title_id
  JOIN person p ON p.tenant_id = c.tenant_id AND p.id = c.person_id
  CROSS JOIN LATERAL (
	SELECT x.ends_on, x.reason FROM (VALUES
	    (v.valid_to, 'valid_to'),
	    (t.ends_on, 'title_end'),
	    (CASE WHEN c.education_until IS NULL OR c.education_until <
	        (p.birth_date + interval '18 years')::date
	     THEN (p.birth_date + interval '18 years')::date END, 'age_18'),
	    (CASE WHEN c.education_until >=
	        (p.birth_date + interval '18 years')::date AND
	        c.education_until < (p.birth_date + interval '25 years')::date
	     THEN c.education_until END, 'education_end'),
	    (CASE WHEN c.education_until >=
	        (p.birth_date + interval '25 years')::date
	     THEN (p.birth_date + interval '25 years')::date END, 'age_25')
	    ) x(ends_on, reason)
	 WHERE x.ends_on IS NOT NULL ORDER BY x.ends_on LIMIT 1) e
 WHERE v.status = 'approved' AND d.state <> 'closed'
   AND d.module = 'alimente' AND d.caseworker_id = $1
   AND e.ends_on BETWEEN current_date AND current_date + 60
 ORDER BY e.ends_on, v.id LIMIT 200
