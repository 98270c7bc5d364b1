-- Teams of a social service (core/access/team.c). Row-level security keeps
-- every statement to the request's tenant.

-- name: team_list
-- Every team ($1 NULL) or one, with its active members and open dossiers.
SELECT t.id, t.name, t.version, t.created_at,
       (SELECT count(*) FROM app_user u
         WHERE u.tenant_id = t.tenant_id AND u.team = t.name AND u.active)
         AS members,
       (SELECT count(*) FROM dossier d
         WHERE d.tenant_id = t.tenant_id AND d.team = t.name
           AND d.state <> 'closed') AS open_dossiers
  FROM team t WHERE $1::bigint IS NULL OR t.id = $1
 ORDER BY t.name, t.id

-- name: team_members
SELECT u.id, u.display_name, u.active FROM app_user u
  JOIN team t ON t.tenant_id = u.tenant_id AND t.name = u.team
 WHERE t.id = $1 ORDER BY u.display_name, u.id

-- name: team_by_name
SELECT id FROM team WHERE name = $1

-- name: team_insert
INSERT INTO team (tenant_id, name) VALUES (kasus_tenant(), $1)
RETURNING id

-- name: team_rename
UPDATE team SET name = $2, version = version + 1
 WHERE id = $1 AND version = $3
RETURNING id

-- name: team_in_use
SELECT (SELECT count(*) FROM app_user u
         WHERE u.tenant_id = t.tenant_id AND u.team = t.name) AS users,
       (SELECT count(*) FROM dossier d
         WHERE d.tenant_id = t.tenant_id AND d.team = t.name) AS dossiers
  FROM team t WHERE t.id = $1

-- name: team_delete
DELETE FROM team WHERE id = $1 AND version = $2
RETURNING id
