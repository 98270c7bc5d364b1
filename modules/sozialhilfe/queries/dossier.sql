-- Sozialhilfe dossiers: lifecycle, checklist, journal, goals, deadlines.
-- Every statement runs under the request's tenant (row-level security).

-- name: dossier_insert
INSERT INTO dossier (tenant_id, module, household_id, applicant_id, state,
       municipality_bfs, caseworker_id, team, assigned_at)
VALUES (kasus_tenant(), 'sozialhilfe', $1, $2, 'registration', $3, $4::bigint,
        $5, CASE WHEN $4::bigint IS NOT NULL THEN now() END)
RETURNING id

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

-- name: dossier_show
-- dossier_get's columns, then the state history and the household's
-- members on $2 (today) as JSON arrays: the dossier detail in one round
-- trip after the access check instead of three (issue 13).
SELECT d.id, d.state, d.household_id, d.applicant_id, p.last_name,
       p.first_name, d.municipality_bfs, m.name AS municipality_name,
       d.caseworker_id, u.display_name AS caseworker_name, d.team,
       d.opened_on, d.closed_on, d.closure_reason, d.version, d.created_at,
       (SELECT min(x.due_on) FROM deadline x
         WHERE x.tenant_id = d.tenant_id AND x.dossier_id = d.id
           AND x.done_on IS NULL) AS next_due,
       d.transferred_from, p.language, d.number, d.assigned_at,
       (SELECT coalesce(json_agg(json_build_object('from', t.from_state,
               'to', t.to_state, 'reason', t.reason, 'reason_code',
               t.reason_code, 'actor_id', t.actor_id, 'actor',
               a.display_name, 'at', t.at::text) ORDER BY t.at, t.id),
               '[]')
          FROM dossier_transition t
          LEFT JOIN app_user a ON a.tenant_id = t.tenant_id
               AND a.id = t.actor_id
         WHERE t.tenant_id = d.tenant_id AND t.dossier_id = d.id)
         AS history,
       (SELECT coalesce(json_agg(json_build_object('person_id',
               hm.person_id, 'role', hm.role, 'birth_date',
               q.birth_date::text, 'last_name', q.last_name, 'first_name',
               q.first_name, 'age', date_part('year', age($2::date,
               q.birth_date))::integer) ORDER BY CASE hm.role
               WHEN 'applicant' THEN 0 WHEN 'partner' THEN 1
               WHEN 'child' THEN 2 ELSE 3 END, q.birth_date), '[]')
          FROM household_member hm
          JOIN person q ON q.tenant_id = hm.tenant_id AND q.id = hm.person_id
         WHERE hm.tenant_id = d.tenant_id
           AND hm.household_id = d.household_id
           AND hm.valid_from <= $2::date
           AND (hm.valid_to IS NULL OR hm.valid_to > $2::date)) AS members
  FROM dossier d
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  JOIN municipality m ON m.bfs = d.municipality_bfs
  LEFT JOIN app_user u ON u.tenant_id = d.tenant_id AND u.id = d.caseworker_id
 WHERE d.id = $1 AND d.module = 'sozialhilfe'

-- name: dossier_list
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
 WHERE d.module = 'sozialhilfe'
   AND ($1::text IS NULL OR d.state = $1)
   AND ($2::bigint IS NULL OR d.caseworker_id = $2)
   AND ($5::text IS NULL OR d.number LIKE '%' || $5 || '%'
        OR lower(p.last_name || ' ' || p.first_name)
           LIKE '%' || lower($5) || '%'
        OR lower(p.first_name || ' ' || p.last_name)
           LIKE '%' || lower($5) || '%')
   AND d.id > $3
 ORDER BY d.id LIMIT $4

-- name: dossier_update
UPDATE dossier SET caseworker_id = coalesce($2::bigint, caseworker_id),
       assigned_at = CASE WHEN $2::bigint IS DISTINCT FROM caseworker_id
                     AND $2::bigint IS NOT NULL THEN now()
                     ELSE assigned_at END,
       team = coalesce($3, team),
       municipality_bfs = coalesce($4::integer, municipality_bfs),
       version = version + 1
 WHERE id = $1 AND version = $5 AND module = 'sozialhilfe'
RETURNING id

-- name: dossier_set_state
UPDATE dossier SET state = $2,
       closed_on = CASE WHEN $2 = 'closed' THEN current_date END,
       closure_reason = CASE WHEN $2 = 'closed' THEN $3 END,
       version = version + 1
 WHERE id = $1 AND version = $4 AND module = 'sozialhilfe'
RETURNING id

-- name: transition_add
INSERT INTO dossier_transition (tenant_id, dossier_id, from_state, to_state,
       reason, actor_id, reason_code)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6)

-- name: serves_municipality
SELECT 1 FROM tenant_municipality WHERE bfs = $1

-- name: household_role_now
SELECT role FROM household_member
 WHERE household_id = $1 AND person_id = $2 AND valid_from <= current_date
   AND (valid_to IS NULL OR valid_to > current_date)

-- name: active_user
SELECT coalesce(team, '') FROM app_user WHERE id = $1 AND active

-- name: team_exists
SELECT 1 FROM team WHERE name = $1

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

-- name: checklist_get
SELECT code, received_on, note FROM sh_checklist_item
 WHERE dossier_id = $1 ORDER BY code

-- name: checklist_version
SELECT version FROM sh_checklist WHERE dossier_id = $1

-- name: checklist_first
-- The first save of a checklist (If-Match "0"); someone else's first
-- save in between makes it a conflict (no row returned).
INSERT INTO sh_checklist AS c (tenant_id, dossier_id, updated_by)
VALUES (kasus_tenant(), $1, $2)
ON CONFLICT (tenant_id, dossier_id) DO UPDATE SET version = c.version
 WHERE false
RETURNING version

-- name: checklist_bump
UPDATE sh_checklist SET version = version + 1, updated_by = $2,
       updated_at = now()
 WHERE dossier_id = $1 AND version = $3::bigint
RETURNING version

-- name: checklist_set
INSERT INTO sh_checklist_item (tenant_id, dossier_id, code, received_on, note)
VALUES (kasus_tenant(), $1, $2, $3::date, $4)
ON CONFLICT (tenant_id, dossier_id, code) DO UPDATE
   SET received_on = EXCLUDED.received_on, note = EXCLUDED.note

-- A protected note's id is taken first: its sealed text ($9) is bound
-- to it; its text ($4) is then empty.
-- name: journal_add
INSERT INTO journal_entry (tenant_id, id, dossier_id, noted_on, category,
       text, author_id, protected, role_group, text_sealed)
VALUES (kasus_tenant(), coalesce($8::bigint, nextval('object_id_seq')), $1,
        coalesce($2::date, current_date), $3, $4, $5, $6::boolean, $7,
        $9::bytea)
RETURNING id

-- name: journal_next_id
SELECT nextval('object_id_seq')

-- name: journal_list
SELECT j.id, j.noted_on, j.category, j.text, j.author_id, u.display_name,
       j.protected, j.role_group, j.created_at, j.text_sealed
  FROM journal_entry j
  LEFT JOIN app_user u ON u.tenant_id = j.tenant_id AND u.id = j.author_id
 WHERE j.dossier_id = $1
   AND (NOT j.protected OR j.role_group = ANY (string_to_array($2, ',')))
 ORDER BY j.noted_on DESC, j.id DESC

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

-- name: deadline_add
INSERT INTO deadline (tenant_id, dossier_id, due_on, kind, text, assignee_id,
       created_by)
VALUES (kasus_tenant(), $1, $2::date, $3, $4, $5::bigint, $6::bigint)
RETURNING id

-- name: deadline_auto
-- The system sets a deadline once per dossier, kind and due date; set
-- again, a done one is open again.
INSERT INTO deadline AS x (tenant_id, dossier_id, due_on, kind, text)
VALUES (kasus_tenant(), $1, $2::date, $3, $4)
ON CONFLICT (tenant_id, dossier_id, kind, due_on)
   WHERE kind IN ('review_due', 'missing_document', 'decision_expiring')
   DO UPDATE SET done_on = NULL, version = x.version + 1
 WHERE x.done_on IS NOT NULL

-- name: deadlines_close
-- Open deadlines of a dossier done today: every kind ($2 NULL) or one.
UPDATE deadline SET done_on = current_date, version = version + 1
 WHERE dossier_id = $1 AND done_on IS NULL AND ($2::text IS NULL OR kind = $2)
   AND ($3::date IS NULL OR due_on <> $3::date)

-- name: deadline_list
SELECT x.id, x.due_on, x.kind, x.text, x.assignee_id, x.done_on, x.version,
       x.dossier_id, u.display_name
  FROM deadline x
  LEFT JOIN app_user u ON u.tenant_id = x.tenant_id AND u.id = x.assignee_id
 WHERE x.dossier_id = $1 ORDER BY x.due_on, x.id

-- name: deadline_get
SELECT x.id, x.due_on, x.kind, x.text, x.assignee_id, x.done_on, x.version,
       x.dossier_id, u.display_name
  FROM deadline x
  LEFT JOIN app_user u ON u.tenant_id = x.tenant_id AND u.id = x.assignee_id
 WHERE x.id = $1

-- name: deadline_done
UPDATE deadline SET done_on = CASE WHEN $2::boolean THEN current_date END,
       version = version + 1
 WHERE id = $1 AND version = $3
RETURNING id

