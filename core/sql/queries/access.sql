-- The dossier access policy (core/access/access.c), the own password
-- (core/access/auth.c), and administrators a social service consents to
-- (core/access/admin_request.c).

-- The core's view of a dossier, in this column order:
--   0 id, 1 module, 2 state, 3 team, 4 household_id, 5 applicant_id,
--   6 version, 7 caseworker_id
-- name: access_dossier
SELECT id, module, state, team, household_id, applicant_id, version,
       caseworker_id
  FROM dossier WHERE tenant_id = kasus_tenant() AND id = $1

-- Teams ('' for none) of the open dossiers a person belongs to: as the
-- applicant, or as a member of the dossier's household whose membership
-- has not ended.
-- name: access_person_teams
SELECT DISTINCT coalesce(d.team, '') AS team FROM dossier d
 WHERE d.tenant_id = kasus_tenant() AND d.state <> 'closed'
   AND (d.applicant_id = $1 OR d.household_id IN (
        SELECT m.household_id FROM household_member m
         WHERE m.tenant_id = kasus_tenant() AND m.person_id = $1
           AND (m.valid_to IS NULL OR m.valid_to > current_date)))

-- name: access_household_teams
SELECT DISTINCT coalesce(team, '') AS team FROM dossier
 WHERE tenant_id = kasus_tenant() AND state <> 'closed' AND household_id = $1

-- name: user_password_get
SELECT password_hash, username FROM app_user WHERE id = $1 AND active

-- The user's own change: only when the hash is still the one checked.
-- name: user_password_own
UPDATE app_user SET password_hash = $2, must_change_password = false
 WHERE id = $1 AND password_hash = $3 AND active
RETURNING id

-- Active administrators of the transaction's tenant.
-- name: tenant_admin_count
SELECT count(*) AS admins FROM app_user u
  JOIN user_role r ON r.tenant_id = u.tenant_id AND r.user_id = u.id
 WHERE r.role = 'tenant_admin' AND u.active

-- An admin_request row has these columns everywhere (read by name):
--   id, username, display_name, email, language, reason,
--   requested_by_name, requested_at, status, decided_by, decided_at,
--   comment, user_id, version
-- name: admin_request_insert
INSERT INTO admin_request (tenant_id, username, display_name, email,
       language, reason, requested_by, requested_by_name)
VALUES (kasus_tenant(), $1, $2, $3, coalesce($4, 'de'), $5, $6, $7)
RETURNING id, username, display_name, email, language, reason,
       requested_by_name, requested_at, status, decided_by, decided_at,
       comment, user_id, version

-- name: admin_request_list
SELECT id, username, display_name, email, language, reason,
       requested_by_name, requested_at, status, decided_by, decided_at,
       comment, user_id, version
  FROM admin_request
 WHERE id > $1 AND ($3::text IS NULL OR status = $3)
 ORDER BY id LIMIT $2

-- name: admin_request_lock
SELECT id, username, display_name, email, language, reason,
       requested_by_name, requested_at, status, decided_by, decided_at,
       comment, user_id, version
  FROM admin_request WHERE id = $1 FOR UPDATE

-- name: admin_request_decide
UPDATE admin_request SET status = $2, decided_by = $3, decided_at = now(),
       comment = $4, user_id = $5, version = version + 1
 WHERE id = $1 AND status = 'pending' AND version = $6
RETURNING id, username, display_name, email, language, reason,
       requested_by_name, requested_at, status, decided_by, decided_at,
       comment, user_id, version

-- name: user_exists
SELECT 1 FROM app_user WHERE username = $1

-- Users of the transaction's tenant (whose sessions end with it).
-- name: tenant_user_ids
SELECT id FROM app_user

-- A switched-off tenant's tokens end for good: switching it on again
-- does not bring them back.
-- name: tokens_revoke_all
UPDATE api_token SET revoked = true WHERE NOT revoked RETURNING id
