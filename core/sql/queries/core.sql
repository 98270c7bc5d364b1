-- The core's prepared statements. Each starts with "-- name: <name>"; the
-- build turns this file into build/gen/queries.{c,h} (enum Q_<NAME>).
-- Statements run inside the request's transaction, so row-level security
-- applies to every one of them.

-- name: set_tenant
SELECT set_config('kasus.tenant_id', $1, true),
       set_config('kasus.user_id', $2, true)

-- The same for the connection's session (db.c: a reading statement outside
-- a transaction skips it while the values in force are the ones it needs).
-- name: set_tenant_session
SELECT set_config('kasus.tenant_id', $1, false),
       set_config('kasus.user_id', $2, false)

-- The generic plan for the rest of the implicit transaction (db.c: for
-- the statements whose generic plan is good but estimated dear).
-- name: plan_generic
SELECT set_config('plan_cache_mode', 'force_generic_plan', true)

-- name: ping
SELECT 1

-- name: tenant_by_slug
SELECT id, slug, name, kind, language, active, version, created_at
  FROM tenant WHERE slug = $1

-- name: tenant_list
SELECT id, slug, name, kind, language, active, version, created_at
  FROM tenant WHERE id > $1 ORDER BY id LIMIT $2

-- name: tenant_insert
INSERT INTO tenant (canton_id, slug, name, language)
SELECT canton_id, $2, $3, $4 FROM tenant WHERE id = $1
RETURNING id, slug, name, kind, language, active, version, created_at

-- name: tenant_update
UPDATE tenant SET name = coalesce($2, name),
       language = coalesce($3, language),
       active = coalesce($4::boolean, active), version = version + 1
 WHERE slug = $1 AND version = $5
RETURNING id, slug, name, kind, language, active, version, created_at

-- name: muni_list
SELECT bfs, name, population, version FROM municipality
 WHERE bfs > $1 ORDER BY bfs LIMIT $2

-- name: muni_get
SELECT bfs, name, population, version FROM municipality WHERE bfs = $1

-- name: muni_insert
INSERT INTO municipality (bfs, canton_id, name, population)
SELECT $2, canton_id, $3, $4 FROM tenant WHERE id = $1
RETURNING bfs, name, population, version

-- name: muni_update
UPDATE municipality SET name = coalesce($2, name),
       population = coalesce($3::integer, population), version = version + 1
 WHERE bfs = $1 AND version = $4
RETURNING bfs, name, population, version

-- name: tm_list
SELECT m.bfs, m.name, m.population, tm.since
  FROM tenant_municipality tm JOIN municipality m USING (bfs)
 ORDER BY m.bfs

-- name: tm_assign
INSERT INTO tenant_municipality (tenant_id, bfs) VALUES (kasus_tenant(), $1)
ON CONFLICT (tenant_id, bfs) DO NOTHING

-- name: tm_remove
DELETE FROM tenant_municipality WHERE bfs = $1

-- Also what a session reads again after its tenant's epoch moved.
-- name: user_login
SELECT u.id, u.password_hash, u.active, u.language, u.display_name,
       array_to_string(u.roles, ',') AS roles,
       coalesce((SELECT string_agg(DISTINCT rp.permission, ',')
                   FROM user_role r JOIN role_permission rp ON rp.role = r.role
                  WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id), '')
         AS perms,
       coalesce(u.team, '') AS team, u.must_change_password,
       (SELECT t.active FROM tenant t WHERE t.id = u.tenant_id)
         AS tenant_active
  FROM app_user u WHERE u.username = $1

-- The roles from the user's row (migration 0040: user_role's copy, kept
-- by a trigger): one index scan, no subplan (issue 13, the authenticated
-- read).
-- name: user_list
SELECT u.id, u.username, u.display_name, u.email, u.language, u.active,
       u.version,
       array_to_string(u.roles, ',') AS roles,
       u.team
  FROM app_user u WHERE u.id > $1 ORDER BY u.id LIMIT $2

-- name: user_get
SELECT u.id, u.username, u.display_name, u.email, u.language, u.active,
       u.version,
       array_to_string(u.roles, ',') AS roles,
       u.team
  FROM app_user u WHERE u.id = $1

-- Every account an administrator creates has a password the user
-- did not choose: it is changed at the first sign-in.
-- name: user_insert
INSERT INTO app_user (tenant_id, username, display_name, email, language,
       password_hash, team, must_change_password)
VALUES (kasus_tenant(), $1, $2, $3, coalesce($4, 'de'), $5, $6, true)
RETURNING id

-- name: user_update
UPDATE app_user SET display_name = coalesce($2, display_name),
       email = CASE WHEN $7::boolean THEN $3 ELSE email END,
       team = CASE WHEN $9::boolean THEN $8 ELSE team END,
       language = coalesce($4, language),
       active = coalesce($5::boolean, active), version = version + 1
 WHERE id = $1 AND version = $6
RETURNING id

-- name: user_password
-- The hash is not part of the record users see: no new version, so an
-- open edit form does not conflict with a password reset. A password an
-- administrator set is changed by its user at the next sign-in.
UPDATE app_user SET password_hash = $2, must_change_password = true
 WHERE id = $1
RETURNING id

-- name: user_roles_clear
DELETE FROM user_role WHERE user_id = $1

-- name: user_role_add
INSERT INTO user_role (tenant_id, user_id, role)
SELECT kasus_tenant(), $1, code FROM role
 WHERE code = $2 AND canton_level = $3::boolean

-- name: user_version_bump
UPDATE app_user SET version = version + 1 WHERE id = $1 AND version = $2
RETURNING id

-- name: role_list
SELECT r.code, r.name_de, r.name_fr, r.canton_level,
       coalesce(string_agg(rp.permission, ',' ORDER BY rp.permission), '')
         AS permissions
  FROM role r LEFT JOIN role_permission rp ON rp.role = r.code
 GROUP BY r.code ORDER BY r.code

-- name: perm_known
SELECT count(*) AS known FROM permission WHERE code = ANY($1::text[])

-- A token acts with what its creator may do now: of the permissions it
-- was given, those the creator's current roles still grant (column 1),
-- and not at all once the creator or the tenant is switched off
-- (column 5); the creator's team binds it (column 6).
-- name: token_lookup
SELECT k.id,
       coalesce((SELECT string_agg(p, ',' ORDER BY p)
                   FROM unnest(k.permissions) p
                  WHERE p IN (SELECT rp.permission
                                FROM user_role r
                                JOIN role_permission rp ON rp.role = r.role
                               WHERE r.tenant_id = k.tenant_id
                                 AND r.user_id = k.created_by)), '')
         AS perms,
       k.expires_at > now() AS valid, k.revoked, k.created_by,
       u.active AND t.active AS active, coalesce(u.team, '') AS team
  FROM api_token k
  JOIN app_user u ON u.tenant_id = k.tenant_id AND u.id = k.created_by
  JOIN tenant t ON t.id = k.tenant_id
 WHERE k.token_hash = $1

-- name: token_insert
INSERT INTO api_token (tenant_id, name, token_hash, permissions, created_by,
       expires_at)
VALUES (kasus_tenant(), $1, $2, $3::text[], $4,
        now() + make_interval(days => $5::integer))
RETURNING id, expires_at

-- Column 6: what the token may do now (its creator's current roles).
-- name: token_list
SELECT k.id, k.name, array_to_string(k.permissions, ',') AS permissions,
       k.created_at,
       k.expires_at, k.revoked,
       coalesce((SELECT string_agg(p, ',' ORDER BY p)
                   FROM unnest(k.permissions) p
                  WHERE u.active AND p IN (SELECT rp.permission
                                FROM user_role r
                                JOIN role_permission rp ON rp.role = r.role
                               WHERE r.tenant_id = k.tenant_id
                                 AND r.user_id = k.created_by)), '')
         AS effective_permissions
  FROM api_token k
  JOIN app_user u ON u.tenant_id = k.tenant_id AND u.id = k.created_by
 ORDER BY k.id

-- name: token_revoke
UPDATE api_token SET revoked = true WHERE id = $1 RETURNING id

-- name: mod_list
SELECT module, enabled, start_date, version FROM tenant_module ORDER BY module

-- name: mod_enabled
SELECT module FROM tenant_module
 WHERE enabled AND start_date <= current_date ORDER BY module

-- name: mod_get
SELECT module, enabled, start_date, version FROM tenant_module
 WHERE module = $1

-- name: mod_set
INSERT INTO tenant_module (tenant_id, module, enabled, start_date)
VALUES (kasus_tenant(), $1, $2::boolean, coalesce($3::date, current_date))
ON CONFLICT (tenant_id, module) DO UPDATE
   SET enabled = EXCLUDED.enabled,
       start_date = coalesce($3::date, tenant_module.start_date),
       changed_at = now(), version = tenant_module.version + 1
RETURNING module, enabled, start_date, version

-- scope (column 6): true for a social service's own pack, false for the
-- canton's (also when a canton admin resolves it).
-- name: rule_resolve
SELECT id, tenant_id, name, version, sha256, valid_from,
       tenant_id = kasus_tenant() AND tenant_id <> kasus_canton_tenant()
       AS own
  FROM rule_pack
 WHERE name = $1 AND kind = 'code' AND status = 'approved'
   AND valid_from <= $2::date
 ORDER BY tenant_id = kasus_tenant() DESC, valid_from DESC,
       approved_at DESC
 LIMIT 1

-- The code in force and, in the same round trip, the tenant's own rule
-- data of that name in force: a row of kind 'code' and, when the tenant
-- has data, a second of kind 'data' (its source only there; 'code' sorts
-- first). One index scan and one sort for both: a LEFT JOIN LATERAL of
-- two LIMIT 1 queries took a second scan, sort and join, about 3.5 us of
-- the statement's 30 (rules_api.c reads the rows; own only for the code
-- row, after the sort: it asks kasus_canton_tenant()).
-- name: rule_resolve_with_data
SELECT kind, id, tenant_id, name, version, sha256, valid_from,
       kind = 'code' AND tenant_id = kasus_tenant() AND
       tenant_id <> kasus_canton_tenant() AS own, source
  FROM (SELECT DISTINCT ON (kind) kind, id, tenant_id, name, version,
               sha256, valid_from,
               CASE WHEN kind = 'data' THEN source END AS source
          FROM rule_pack
         WHERE name = $1 AND status = 'approved' AND valid_from <= $2::date
           AND (kind = 'code' OR kind = 'data' AND tenant_id = kasus_tenant())
         ORDER BY kind, tenant_id = kasus_tenant() DESC, valid_from DESC,
               approved_at DESC) p

-- name: rule_resolve_canton
SELECT id, tenant_id, name, version, sha256, valid_from, false AS own
  FROM rule_pack
 WHERE name = $1 AND kind = 'code' AND status = 'approved'
   AND valid_from <= $2::date AND tenant_id = (SELECT kasus_canton_tenant())
 ORDER BY valid_from DESC, approved_at DESC
 LIMIT 1

-- name: rule_resolve_data
SELECT id, version, sha256, valid_from, source
  FROM rule_pack
 WHERE name = $1 AND kind = 'data' AND status = 'approved'
   AND valid_from <= $2::date AND tenant_id = kasus_tenant()
 ORDER BY valid_from DESC, approved_at DESC
 LIMIT 1

-- name: rule_source
SELECT source, sha256 FROM rule_pack WHERE id = $1

-- name: rule_insert
INSERT INTO rule_pack (tenant_id, name, version, valid_from, source, sha256,
       examples, author_id, status, imported_from, approved_at, kind,
       review_comment)
VALUES (kasus_tenant(), $1, $2, $3::date, $4, $5, $6::jsonb, $7::bigint,
        $8, $9, CASE WHEN $8 = 'approved' THEN now() END,
        coalesce($10, 'code'), $11)
RETURNING id

-- name: rule_get
SELECT p.id, p.name, p.version, p.valid_from, p.sha256, p.status, p.examples,
       p.author_id, p.approver_id, p.review_comment, p.imported_from,
       p.created_at, p.approved_at, p.row_version, p.source, p.kind,
       p.submitted_at, p.retired_at, a.display_name AS author_name,
       b.display_name AS approver_name
  FROM rule_pack p
  LEFT JOIN app_user a ON a.tenant_id = p.tenant_id AND a.id = p.author_id
  LEFT JOIN app_user b ON b.tenant_id = p.tenant_id AND b.id = p.approver_id
 WHERE p.id = $1 AND p.tenant_id = kasus_tenant()

-- name: rule_list
SELECT p.id, p.name, p.version, p.valid_from, p.sha256, p.status, p.examples,
       p.author_id, p.approver_id, p.review_comment, p.imported_from,
       p.created_at, p.approved_at, p.row_version, NULL AS source, p.kind,
       p.submitted_at, p.retired_at, a.display_name AS author_name,
       b.display_name AS approver_name
  FROM rule_pack p
  LEFT JOIN app_user a ON a.tenant_id = p.tenant_id AND a.id = p.author_id
  LEFT JOIN app_user b ON b.tenant_id = p.tenant_id AND b.id = p.approver_id
 WHERE p.tenant_id = kasus_tenant() AND p.kind = $1
 ORDER BY p.name, p.valid_from DESC, p.id DESC

-- name: rule_data_list
SELECT p.id, p.name, p.version, p.valid_from, p.sha256, p.status, p.examples,
       p.author_id, p.approver_id, p.review_comment, p.imported_from,
       p.created_at, p.approved_at, p.row_version, p.source,
       a.display_name AS author_name
  FROM rule_pack p
  LEFT JOIN app_user a ON a.tenant_id = p.tenant_id AND a.id = p.author_id
 WHERE p.tenant_id = kasus_tenant() AND p.kind = $1
 ORDER BY p.name, p.valid_from DESC, p.id DESC

-- name: rule_set_status
UPDATE rule_pack SET status = $2, approver_id = coalesce($3::bigint, approver_id),
       review_comment = coalesce($4, review_comment),
       approved_at = CASE WHEN $2 = 'approved' THEN now() ELSE approved_at END,
       submitted_at = CASE WHEN $2 = 'submitted' THEN now() ELSE submitted_at END,
       retired_at = CASE WHEN $2 = 'retired' THEN now() ELSE retired_at END,
       row_version = row_version + 1
 WHERE id = $1 AND tenant_id = kasus_tenant() AND status = $5
RETURNING id

-- An edited draft goes back to draft: its example cases must run again.
-- The editor becomes the author, so the four-eyes rule covers the edit.
-- name: rule_update
UPDATE rule_pack SET source = $2, sha256 = $3, examples = $4::jsonb,
       valid_from = $5::date, author_id = $6::bigint, status = 'draft',
       approver_id = NULL, submitted_at = NULL, row_version = row_version + 1
 WHERE id = $1 AND tenant_id = kasus_tenant() AND row_version = $7::bigint
   AND status IN ('draft', 'tested', 'rejected')
RETURNING id, row_version

-- What was in force on a date: per pack name the approved (or since
-- retired, but not yet then) version with the latest valid_from.
-- name: rule_as_of
SELECT DISTINCT ON (name) id, name, version, valid_from, sha256, status,
       approved_at, retired_at
  FROM rule_pack
 WHERE tenant_id = kasus_tenant() AND kind = $2
   AND status IN ('approved', 'retired') AND valid_from <= $1::date
   AND (retired_at IS NULL OR retired_at::date > $1::date)
 ORDER BY name, valid_from DESC, approved_at DESC

-- name: rule_exists
SELECT id FROM rule_pack
 WHERE tenant_id = kasus_tenant() AND name = $1 AND version = $2
   AND kind = coalesce($3, 'code')

-- name: rule_data_versions
SELECT count(*) AS versions FROM rule_pack
 WHERE tenant_id = kasus_tenant() AND kind = 'data' AND name = $1

-- name: tenant_id_by_slug
SELECT id FROM tenant WHERE slug = $1

-- name: canton_tenant
SELECT kasus_canton_tenant() AS id

-- name: staff_list
SELECT u.id, u.display_name, u.language,
       array_to_string(u.roles, ',') AS roles
  FROM app_user u WHERE u.active ORDER BY u.display_name, u.id
