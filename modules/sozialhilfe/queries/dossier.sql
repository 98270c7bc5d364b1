-- Sozialhilfe dossiers: checklist, goals, the deadlines the module sets.
-- Every statement runs under the request's tenant (row-level security).

-- name: dossier_get
SELECT d.id, d.state, d.household_id, d.applicant_id, p.last_name,
       p.first_name, d.municipality_bfs, m.name AS municipality_name,
       d.caseworker_id, u.display_name AS caseworker_name, d.team,
       d.opened_on, d.closed_on, d.closure_reason, d.version, d.created_at,
       (SELECT min(x.due_on) FROM deadline x
         WHERE x.dossier_id = d.id AND x.done_on IS NULL) AS next_due,
       d.transferred_from, p.language, d.number, d.assigned_at
  FROM dossier d
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  JOIN municipality m ON m.bfs = d.municipality_bfs
  LEFT JOIN app_user u ON u.tenant_id = d.tenant_id AND u.id = d.caseworker_id
 WHERE d.id = $1 AND d.module = 'sozialhilfe'

-- name: members_on
SELECT hm.person_id, hm.role, p.birth_date, p.last_name, p.first_name,
       date_part('year', age($2::date, p.birth_date))::integer AS age
  FROM household_member hm
  JOIN person p ON p.tenant_id = hm.tenant_id AND p.id = hm.person_id
 WHERE hm.household_id = $1 AND hm.valid_from <= $2::date
   AND (hm.valid_to IS NULL OR hm.valid_to > $2::date)
 ORDER BY CASE hm.role WHEN 'applicant' THEN 0 WHEN 'partner' THEN 1
          WHEN 'child' THEN 2 ELSE 3 END, p.birth_date

-- name: household_extra
SELECT flat_extra_persons FROM household WHERE id = $1

-- name: goal_add
INSERT INTO sh_goal (tenant_id, dossier_id, title, measures, due_on,
       created_by)
VALUES (kasus_tenant(), $1, $2, coalesce($3, ''), $4::date, $5)
RETURNING id

-- name: goal_list
SELECT id, title, measures, due_on, status, review_result, signed_on, version
  FROM sh_goal WHERE dossier_id = $1 ORDER BY due_on, id

-- name: goal_get
SELECT id, title, measures, due_on, status, review_result, signed_on, version,
       dossier_id
  FROM sh_goal WHERE id = $1

-- name: goal_update
UPDATE sh_goal SET status = coalesce($2, status),
       review_result = coalesce($3, review_result),
       due_on = coalesce($4::date, due_on), version = version + 1
 WHERE id = $1 AND version = $5
RETURNING id

-- name: goals_sign
UPDATE sh_goal SET signed_on = $2::date, version = version + 1
 WHERE dossier_id = $1 AND status = 'open' AND signed_on IS NULL

-- name: deadline_auto
-- The system sets a deadline once per dossier, kind and due date; set
-- again, a done one is open again.
INSERT INTO deadline AS x (tenant_id, dossier_id, due_on, kind, text)
VALUES (kasus_tenant(), $1, $2::date, $3, $4)
ON CONFLICT (tenant_id, dossier_id, kind, due_on)
   WHERE kind IN ('review_due', 'missing_document', 'decision_expiring')
   DO UPDATE SET done_on = NULL, version = x.version + 1
 WHERE x.done_on IS NOT NULL

