-- The casework routes (core/casework/dossier.c, record.c, worklist.c):
-- dossiers of every module, their transitions, checklist, journal,
-- deadlines and the work list. Every statement runs under the request's
-- tenant (row-level security).

-- name: case_insert
INSERT INTO dossier (tenant_id, module, kind, household_id, applicant_id,
       state, municipality_bfs, caseworker_id, team, assigned_at)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7::bigint, $8,
        CASE WHEN $7::bigint IS NOT NULL THEN now() END)
RETURNING id

-- name: case_get
SELECT * FROM dossier_overview WHERE id = $1

-- name: case_answer
-- The dossier detail from its stored answer (dossier_answer, migration
-- 0045) when it is current for $2 (today): one row of one table. No row:
-- stale, from another day, or not the tenant's; case_show decides. The
-- answer is the same for every reader of the tenant (the tables behind
-- it have tenant-only row-level security; the caller applies the team
-- rule and the module switch to every read).
SELECT tenant_id, dossier_id AS id, module, kind, state, household_id,
       applicant_id, last_name, first_name, language, municipality_bfs,
       municipality, caseworker_id, caseworker, team, opened_on, closed_on,
       closure_reason, version, next_deadline, transferred_from, number,
       history, members
  FROM dossier_answer WHERE dossier_id = $1 AND on_date = $2::date

-- name: case_show
-- case_get's columns, then the state history and the household's members
-- on $2 (today) as JSON arrays: the dossier detail in one round trip, the
-- access check included (the caller applies the team rule to its team
-- column; issue 13). It stores what it computed as the dossier's answer
-- for $2 only if the answer's row is still at the generation this
-- statement's snapshot saw and no writer holds it (see 0045): never an
-- answer older than a committed write, and no wait for a writer.
WITH s AS (
SELECT o.*, da.gen AS answer_gen,
       (SELECT coalesce(json_agg(json_build_object('from', t.from_state,
               'to', t.to_state, 'reason', t.reason, 'reason_code',
               t.reason_code, 'actor_id', t.actor_id, 'actor',
               a.display_name, 'at', t.at::text) ORDER BY t.at, t.id),
               '[]')
          FROM dossier_transition t
          LEFT JOIN app_user a ON a.tenant_id = t.tenant_id
               AND a.id = t.actor_id
         WHERE t.tenant_id = o.tenant_id AND t.dossier_id = o.id)
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
         WHERE hm.tenant_id = o.tenant_id
           AND hm.household_id = o.household_id
           AND hm.valid_from <= $2::date
           AND (hm.valid_to IS NULL OR hm.valid_to > $2::date)) AS members
  FROM dossier_overview o
  LEFT JOIN dossier_answer da ON da.tenant_id = o.tenant_id
       AND da.dossier_id = o.id
 WHERE o.id = $1
), k AS (
SELECT a.tenant_id, a.dossier_id
  FROM dossier_answer a
  JOIN s ON a.tenant_id = s.tenant_id AND a.dossier_id = s.id
       AND a.gen = s.answer_gen
   FOR UPDATE OF a SKIP LOCKED
), f AS (
UPDATE dossier_answer a
   SET on_date = $2::date, module = s.module, kind = s.kind,
       state = s.state, household_id = s.household_id,
       applicant_id = s.applicant_id, last_name = s.last_name,
       first_name = s.first_name, language = s.language,
       municipality_bfs = s.municipality_bfs,
       municipality = s.municipality, caseworker_id = s.caseworker_id,
       caseworker = s.caseworker, team = s.team, opened_on = s.opened_on,
       closed_on = s.closed_on, closure_reason = s.closure_reason,
       version = s.version, next_deadline = s.next_deadline,
       transferred_from = s.transferred_from, number = s.number,
       history = s.history, members = s.members
  FROM s JOIN k ON k.tenant_id = s.tenant_id AND k.dossier_id = s.id
 WHERE a.tenant_id = k.tenant_id AND a.dossier_id = k.dossier_id
)
SELECT tenant_id, id, module, kind, state, household_id, applicant_id,
       last_name, first_name, language, municipality_bfs, municipality,
       caseworker_id, caseworker, team, opened_on, closed_on,
       closure_reason, version, next_deadline, transferred_from, number,
       history, members
  FROM s

-- name: case_list
-- $6: the modules switched on for the tenant, comma-separated.
SELECT * FROM dossier_overview
 WHERE module = ANY (string_to_array($6, ','))
   AND ($1::text IS NULL OR state = $1)
   AND ($2::bigint IS NULL OR caseworker_id = $2)
   AND ($5::text IS NULL OR number LIKE '%' || $5 || '%'
        OR lower(last_name || ' ' || first_name) LIKE '%' || lower($5) || '%'
        OR lower(first_name || ' ' || last_name) LIKE '%' || lower($5) || '%')
   AND id > $3
 ORDER BY id LIMIT $4

-- name: case_update
UPDATE dossier SET caseworker_id = coalesce($2::bigint, caseworker_id),
       assigned_at = CASE WHEN $2::bigint IS DISTINCT FROM caseworker_id
                     AND $2::bigint IS NOT NULL THEN now()
                     ELSE assigned_at END,
       team = coalesce($3, team),
       municipality_bfs = coalesce($4::integer, municipality_bfs),
       version = version + 1
 WHERE id = $1 AND version = $5
RETURNING id

-- name: case_set_state
UPDATE dossier SET state = $2,
       closed_on = CASE WHEN $2 = 'closed' THEN current_date END,
       closure_reason = CASE WHEN $2 = 'closed' THEN $3 END,
       version = version + 1
 WHERE id = $1 AND version = $4
RETURNING id

-- name: case_transition_add
INSERT INTO dossier_transition (tenant_id, dossier_id, from_state, to_state,
       reason, actor_id, reason_code)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6)

-- name: case_serves_municipality
SELECT 1 AS serves FROM tenant_municipality WHERE bfs = $1

-- name: case_household_role_now
SELECT role FROM household_member
 WHERE household_id = $1 AND person_id = $2 AND valid_from <= current_date
   AND (valid_to IS NULL OR valid_to > current_date)

-- name: case_active_user
SELECT coalesce(team, '') AS team FROM app_user WHERE id = $1 AND active

-- name: case_team_exists
SELECT 1 AS found FROM team WHERE name = $1

-- name: case_deadline_auto
-- A deadline a module sets, once per dossier, kind and due date: an open
-- one stays, a done one is open again.
WITH x AS (
	SELECT id, done_on FROM deadline
	 WHERE dossier_id = $1 AND kind = $3 AND due_on = $2::date
	 ORDER BY done_on NULLS FIRST, id LIMIT 1
), u AS (
	UPDATE deadline d SET done_on = NULL, version = d.version + 1
	  FROM x WHERE d.id = x.id AND x.done_on IS NOT NULL
), i AS (
	INSERT INTO deadline (tenant_id, dossier_id, due_on, kind, text)
	SELECT kasus_tenant(), $1, $2::date, $3, $4
	 WHERE NOT EXISTS (SELECT 1 FROM x)
	RETURNING id
)
SELECT id FROM i UNION ALL SELECT id FROM x

-- name: case_deadlines_close
-- Open deadlines of a dossier done today: every kind ($2 NULL) or one,
-- except those due on $3.
UPDATE deadline SET done_on = current_date, version = version + 1
 WHERE dossier_id = $1 AND done_on IS NULL AND ($2::text IS NULL OR kind = $2)
   AND ($3::date IS NULL OR due_on <> $3::date)

-- A protected note's id is taken first: its sealed text ($9) is bound
-- to it; its text ($4) is then empty.
-- name: case_journal_add
INSERT INTO journal_entry (tenant_id, id, dossier_id, noted_on, category,
       text, author_id, protected, role_group, text_sealed)
VALUES (kasus_tenant(), coalesce($8::bigint, nextval('object_id_seq')), $1,
        coalesce($2::date, current_date), $3, $4, $5, $6::boolean, $7,
        $9::bytea)
RETURNING id

-- name: case_journal_next_id
SELECT nextval('object_id_seq') AS id

-- name: case_journal_list
SELECT j.id, j.noted_on, j.category, j.text, j.author_id, u.display_name,
       j.protected, j.role_group, j.created_at, j.text_sealed
  FROM journal_entry j
  LEFT JOIN app_user u ON u.tenant_id = j.tenant_id AND u.id = j.author_id
 WHERE j.dossier_id = $1
   AND (NOT j.protected OR j.role_group = ANY (string_to_array($2, ',')))
 ORDER BY j.noted_on DESC, j.id DESC

-- name: case_deadline_add
INSERT INTO deadline (tenant_id, dossier_id, due_on, kind, text, assignee_id,
       created_by)
VALUES (kasus_tenant(), $1, $2::date, $3, $4, $5::bigint, $6::bigint)
RETURNING id

-- name: case_deadline_list
SELECT x.id, x.due_on, x.kind, x.text, x.assignee_id, x.done_on, x.version,
       x.dossier_id, u.display_name
  FROM deadline x
  LEFT JOIN app_user u ON u.tenant_id = x.tenant_id AND u.id = x.assignee_id
 WHERE x.dossier_id = $1 ORDER BY x.due_on, x.id

-- name: case_deadline_get
SELECT x.id, x.due_on, x.kind, x.text, x.assignee_id, x.done_on, x.version,
       x.dossier_id, u.display_name
  FROM deadline x
  LEFT JOIN app_user u ON u.tenant_id = x.tenant_id AND u.id = x.assignee_id
 WHERE x.id = $1

-- name: case_deadline_done
UPDATE deadline SET done_on = CASE WHEN $2::boolean THEN current_date END,
       version = version + 1
 WHERE id = $1 AND version = $3
RETURNING id

-- The work list (core/casework/worklist.c); $2: the modules switched on
-- for the tenant, comma-separated.

-- name: case_work_deadlines
-- Open deadlines due by today of the caller's open dossiers.
SELECT x.id, x.due_on, x.kind, x.text, x.dossier_id, p.last_name,
       p.first_name, x.version, d.number, d.module
  FROM deadline x
  JOIN dossier d ON d.tenant_id = x.tenant_id AND d.id = x.dossier_id
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
 WHERE x.done_on IS NULL AND x.due_on <= current_date
   AND d.state <> 'closed'
   AND d.module = ANY (string_to_array($2, ','))
   AND coalesce(x.assignee_id, d.caseworker_id) = $1
 ORDER BY x.due_on, x.id LIMIT 200

-- name: case_work_dossiers
-- The caller's open dossiers; "new" when assigned in the last 7 days.
SELECT d.id, d.state, p.last_name, p.first_name, d.opened_on,
       coalesce(d.assigned_at, d.created_at) > now() - interval '7 days'
         AS new,
       d.number, d.transferred_from, d.module
  FROM dossier d
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
 WHERE d.caseworker_id = $1 AND d.state <> 'closed'
   AND d.module = ANY (string_to_array($2, ','))
 ORDER BY coalesce(d.assigned_at, d.created_at) DESC LIMIT 500

-- name: case_work_unassigned
-- Open dossiers nobody works on yet: those of the caller's team and
-- those without a team; everything for a team lead without a team ($3).
SELECT d.id, d.state, p.last_name, p.first_name, d.opened_on, true AS new,
       d.number, d.transferred_from, d.team, d.module
  FROM dossier d
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
 WHERE d.caseworker_id IS NULL AND d.state <> 'closed'
   AND d.module = ANY (string_to_array($2, ','))
   AND ($3::boolean OR d.team IS NULL OR d.team = $1)
 ORDER BY d.created_at, d.id LIMIT 500

-- The checklist of a dossier (core/casework/checklist.c).

-- name: case_checklist_get
SELECT code, received_on, note FROM checklist_item
 WHERE dossier_id = $1 ORDER BY code

-- name: case_checklist_version
SELECT version FROM checklist WHERE dossier_id = $1

-- name: case_checklist_first
-- The first save of a checklist (If-Match "0"); someone else's first
-- save in between makes it a conflict (no row returned).
INSERT INTO checklist AS c (tenant_id, dossier_id, updated_by)
VALUES (kasus_tenant(), $1, $2)
ON CONFLICT (tenant_id, dossier_id) DO UPDATE SET version = c.version
 WHERE false
RETURNING version

-- name: case_checklist_bump
UPDATE checklist SET version = version + 1, updated_by = $2,
       updated_at = now()
 WHERE dossier_id = $1 AND version = $3::bigint
RETURNING version

-- name: case_checklist_set
INSERT INTO checklist_item (tenant_id, dossier_id, code, received_on, note)
VALUES (kasus_tenant(), $1, $2, $3::date, $4)
ON CONFLICT (tenant_id, dossier_id, code) DO UPDATE
   SET received_on = EXCLUDED.received_on, note = EXCLUDED.note
