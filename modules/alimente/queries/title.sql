-- Statements of ah_title.c (the application, title, creditors, schedule).

-- The dossier's title with its debtor (a person of the core).
-- name: ah_title_get
SELECT t.id, t.dossier_id, t.title_kind, t.authority, t.decided_on,
    t.enforceable_on, t.applied_on, t.arrears_from, t.ends_on,
    t.index_base_points, t.index_base_month, t.index_month,
    t.index_rounding, t.family_allowances, t.debtor_id,
    t.debtor_employer, t.debtor_pension, t.debtor_reference, t.version,
    p.last_name AS debtor_last_name, p.first_name AS debtor_first_name,
    p.birth_date AS debtor_birth_date, p.street AS debtor_street,
    p.house_no AS debtor_house_no, p.postcode AS debtor_postcode,
    p.town AS debtor_town, p.country AS debtor_country
FROM ah_title t
LEFT JOIN person p ON p.tenant_id = t.tenant_id AND p.id = t.debtor_id
WHERE t.dossier_id = $1

-- The same, locked for a change.
-- name: ah_title_lock
SELECT id, version FROM ah_title WHERE dossier_id = $1 FOR UPDATE

-- name: ah_title_next_id
SELECT nextval('object_id_seq') AS id

-- A person of the service (debtor or creditor) by id.
-- name: ah_title_person
SELECT id, last_name, first_name, birth_date FROM person WHERE id = $1

-- $1 id, $2 dossier, $3 kind, $4 authority, $5 decided, $6 enforceable,
-- $7 applied, $8 arrears_from, $9 ends, $10 base points, $11 base month,
-- $12 index month, $13 rounding, $14 family allowances, $15 debtor,
-- $16 employer, $17 pension, $18 reference, $19 user
-- name: ah_title_insert
INSERT INTO ah_title (tenant_id, id, dossier_id, title_kind, authority,
    decided_on, enforceable_on, applied_on, arrears_from, ends_on,
    index_base_points, index_base_month, index_month, index_rounding,
    family_allowances, debtor_id, debtor_employer, debtor_pension,
    debtor_reference, created_by)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
    $13, $14, $15, $16, $17, $18, $19)
RETURNING id

-- $1 dossier, $2..$17 as in ah_title_insert $3..$17 (kind .. pension)
-- name: ah_title_update
UPDATE ah_title SET title_kind = $2, authority = $3, decided_on = $4,
    enforceable_on = $5, applied_on = $6, arrears_from = $7, ends_on = $8,
    index_base_points = $9, index_base_month = $10, index_month = $11,
    index_rounding = $12, family_allowances = $13, debtor_id = $14,
    debtor_employer = $15, debtor_pension = $16, version = version + 1
WHERE dossier_id = $1
RETURNING id, version

-- Amounts changed: the title's ETag moves too (its answer holds them).
-- name: ah_title_touch
UPDATE ah_title SET version = version + 1 WHERE id = $1 RETURNING version

-- The creditors of a dossier with their amounts (age steps).
-- name: ah_title_creditors
SELECT c.id, c.person_id, c.role, c.education_until, c.version,
    p.last_name, p.first_name, p.birth_date,
    coalesce((SELECT json_agg(json_build_object('id', a.id,
	'valid_from', a.valid_from, 'valid_to', a.valid_to,
	'amount', a.amount, 'family_allowance', a.family_allowance)
	ORDER BY a.valid_from)
	FROM ah_title_amount a WHERE a.creditor_id = c.id), '[]') AS amounts
FROM ah_creditor c
JOIN person p ON p.tenant_id = c.tenant_id AND p.id = c.person_id
WHERE c.dossier_id = $1
ORDER BY p.birth_date DESC, c.id

-- $1 title, $2 dossier, $3 person, $4 role, $5 education_until
-- name: ah_title_creditor_insert
INSERT INTO ah_creditor (tenant_id, title_id, dossier_id, person_id, role,
    education_until)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, title_id, person_id) DO NOTHING
RETURNING id

-- A creditor by id with its dossier, locked for a change of its amounts.
-- name: ah_title_creditor_lock
SELECT c.id, c.dossier_id, c.title_id, c.version
FROM ah_creditor c WHERE c.id = $1 FOR UPDATE

-- name: ah_title_amounts_delete
DELETE FROM ah_title_amount WHERE creditor_id = $1

-- $1 creditor, $2 [{valid_from, valid_to, amount, family_allowance}]
-- name: ah_title_amounts_insert
INSERT INTO ah_title_amount (tenant_id, creditor_id, valid_from, valid_to,
    amount, family_allowance)
SELECT kasus_tenant(), $1, (x->>'valid_from')::date,
    (x->>'valid_to')::date, (x->>'amount')::bigint,
    coalesce((x->>'family_allowance')::bigint, 0)
FROM jsonb_array_elements($2::jsonb) x

-- name: ah_title_creditor_touch
UPDATE ah_creditor SET version = version + 1 WHERE id = $1
RETURNING version

-- Every age step of a dossier's creditors, for the schedule.
-- name: ah_title_steps
SELECT a.creditor_id, a.valid_from, a.valid_to, a.amount,
    a.family_allowance
FROM ah_title_amount a
JOIN ah_creditor c ON c.tenant_id = a.tenant_id AND c.id = a.creditor_id
WHERE c.dossier_id = $1
ORDER BY a.creditor_id, a.valid_from

-- name: ah_title_due_delete
DELETE FROM ah_due WHERE dossier_id = $1

-- $1 dossier, $2 [{c, m, t, a, f, b, p, r, x}]: creditor, month, title
-- amount, amount (due), family allowance, base points, points, rounding,
-- the month of the points
-- name: ah_title_due_insert
INSERT INTO ah_due (tenant_id, creditor_id, dossier_id, month, title_amount,
    amount, family_allowance, base_index, index_points, rounding, index_ref)
SELECT kasus_tenant(), (x->>'c')::bigint, $1, (x->>'m')::date,
    (x->>'t')::bigint, (x->>'a')::bigint, (x->>'f')::bigint,
    (x->>'b')::integer, (x->>'p')::integer, (x->>'r')::integer,
    (x->>'x')::date
FROM jsonb_array_elements($2::jsonb) x

-- The arrears statement of dossier $1 (months $2..$3, first days; $4 the
-- current month YYYY-MM: what is outstanding before it is arrears) as
-- the API answers it, built in one statement: per creditor (youngest
-- first) the months of ah_month_v with the schedule's index details and
-- their totals, and the totals of all. No row: the dossier has no title.
-- name: ah_title_schedule_doc
WITH s AS (
	SELECT creditor_id, month, title_amount, family_allowance, due,
	    base_index, index_points, rounding, index_ref, received,
	    advanced, recovered, outstanding
	FROM ah_month_v
	WHERE dossier_id = $1 AND month >= $2::date AND month <= $3::date
), m AS (
	SELECT creditor_id,
	    json_agg(json_build_object('month', to_char(month, 'YYYY-MM'),
		'title_amount', title_amount,
		'family_allowance', family_allowance, 'due', due,
		'index', CASE WHEN index_points IS NOT NULL THEN
		    json_build_object('base', base_index, 'points',
			index_points, 'rounding', rounding, 'month',
			to_char(index_ref, 'YYYY-MM')) END,
		'received', received, 'advanced', advanced,
		'recovered', recovered, 'outstanding', outstanding)
		ORDER BY month) AS months,
	    sum(due) AS due, sum(received) AS received,
	    sum(advanced) AS advanced, sum(recovered) AS recovered,
	    sum(outstanding) AS outstanding,
	    coalesce(sum(outstanding) FILTER (WHERE
		to_char(month, 'YYYY-MM') < $4), 0) AS arrears
	FROM s GROUP BY creditor_id
), c AS (
	SELECT c.id, c.person_id, c.role, p.birth_date,
	    CASE WHEN p.last_name IS NOT NULL THEN
		p.first_name || ' ' || p.last_name END AS name,
	    coalesce(m.months, '[]') AS months,
	    coalesce(m.due, 0) AS due, coalesce(m.received, 0) AS received,
	    coalesce(m.advanced, 0) AS advanced,
	    coalesce(m.recovered, 0) AS recovered,
	    coalesce(m.outstanding, 0) AS outstanding,
	    coalesce(m.arrears, 0) AS arrears
	FROM ah_creditor c
	JOIN person p ON p.tenant_id = c.tenant_id AND p.id = c.person_id
	LEFT JOIN m ON m.creditor_id = c.id
	WHERE c.dossier_id = $1
)
SELECT json_build_object('dossier_id', t.dossier_id,
    'current_month', $4::text, 'reference', t.debtor_reference,
    'creditors', coalesce((SELECT json_agg(json_build_object(
	'creditor_id', c.id, 'person_id', c.person_id, 'name', c.name,
	'role', c.role, 'months', c.months, 'totals', json_build_object(
	    'due', c.due, 'received', c.received, 'advanced', c.advanced,
	    'recovered', c.recovered, 'outstanding', c.outstanding,
	    'arrears', c.arrears)) ORDER BY c.birth_date DESC, c.id)
	FROM c), '[]'),
    'totals', (SELECT json_build_object('due', coalesce(sum(c.due), 0),
	'received', coalesce(sum(c.received), 0),
	'advanced', coalesce(sum(c.advanced), 0),
	'recovered', coalesce(sum(c.recovered), 0),
	'outstanding', coalesce(sum(c.outstanding), 0),
	'arrears', coalesce(sum(c.arrears), 0)) FROM c))::text AS doc
FROM ah_title t
WHERE t.dossier_id = $1

-- name: ah_title_cooperation_open
SELECT id FROM deadline
WHERE dossier_id = $1 AND kind = 'ah_cooperation' AND done_on IS NULL

-- A transfer: the sender keeps what fell due before $2 (the month the
-- receiver's instalments begin).
-- name: ah_title_xfer_due_cut
DELETE FROM ah_due WHERE dossier_id = $1 AND month >= $2::date

-- A transfer: the receiver's person for a creditor or the debtor - a
-- member of the new dossier's household of that name and birth date
-- (the core copied them), another person of the service of that name
-- and birth date, or a copy.
-- $1 new dossier, $2 last, $3 first, $4 birth, $5 street, $6 house no,
-- $7 postcode, $8 town, $9 country
-- name: ah_title_xfer_person
WITH f AS (
	SELECT p.id FROM person p
	WHERE p.last_name = $2 AND p.first_name = $3 AND
	    p.birth_date = $4::date
	ORDER BY EXISTS (SELECT 1 FROM household_member m
	    JOIN dossier d ON d.tenant_id = m.tenant_id AND
		d.household_id = m.household_id
	    WHERE d.id = $1 AND m.person_id = p.id) DESC, p.id DESC
	LIMIT 1
), i AS (
	INSERT INTO person (tenant_id, last_name, first_name, birth_date,
	    street, house_no, postcode, town, country)
	SELECT kasus_tenant(), $2, $3, $4::date, $5, $6, $7, $8,
	    coalesce($9, 'CH')
	WHERE NOT EXISTS (SELECT 1 FROM f)
	RETURNING id
)
SELECT id FROM f UNION ALL SELECT id FROM i

-- The sender's persons of a title (creditors and debtor) to look up or
-- copy at the receiver.
-- name: ah_title_xfer_persons
SELECT p.id, p.last_name, p.first_name, p.birth_date, p.street, p.house_no,
    p.postcode, p.town, p.country
FROM person p
WHERE p.id IN (SELECT c.person_id FROM ah_creditor c WHERE c.dossier_id = $1
    UNION SELECT t.debtor_id FROM ah_title t WHERE t.dossier_id = $1)

-- The dossiers whose schedule the monthly job carries on.
-- name: ah_title_open_dossiers
SELECT t.dossier_id FROM ah_title t
JOIN dossier d ON d.tenant_id = t.tenant_id AND d.id = t.dossier_id
WHERE d.module = 'alimente' AND d.state <> 'closed'
ORDER BY t.dossier_id
