-- Sozialhilfe budgets and decisions.

-- name: budget_insert
INSERT INTO sh_budget (tenant_id, dossier_id, valid_from, input, need,
       income_counted, payment, rent_direct, landlord, provenance, created_by)
VALUES (kasus_tenant(), $1, $2::date, $3::jsonb, $4, $5, $6, $7::boolean,
        $8::jsonb, $9::jsonb, $10)
RETURNING id

-- name: budget_lines_insert
INSERT INTO sh_budget_line (tenant_id, budget_id, pos, code, amount, explain,
       explains)
SELECT kasus_tenant(), $1, l.ord::integer, l.v->>'code',
       (l.v->>'amount')::bigint, l.v->>'explain', l.v->'explains'
  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS l(v, ord)

-- name: budget_get
SELECT b.id, b.dossier_id, b.valid_from, b.input, b.need, b.income_counted,
       b.payment, b.rent_direct, b.landlord, b.provenance, b.status,
       b.created_by, b.approved_by, b.approved_at, b.created_at, b.version,
       u1.display_name AS created_by_name,
       u2.display_name AS approved_by_name, d.state AS dossier_state
  FROM sh_budget b JOIN dossier d ON d.tenant_id = b.tenant_id
   AND d.id = b.dossier_id AND d.module = 'sozialhilfe'
  LEFT JOIN app_user u1 ON u1.tenant_id = b.tenant_id AND u1.id = b.created_by
  LEFT JOIN app_user u2 ON u2.tenant_id = b.tenant_id AND u2.id = b.approved_by
 WHERE b.id = $1

-- name: budget_list
SELECT b.id, b.dossier_id, b.valid_from, b.input, b.need, b.income_counted,
       b.payment, b.rent_direct, b.landlord, b.provenance, b.status,
       b.created_by, b.approved_by, b.approved_at, b.created_at, b.version,
       u1.display_name AS created_by_name,
       u2.display_name AS approved_by_name
  FROM sh_budget b
  LEFT JOIN app_user u1 ON u1.tenant_id = b.tenant_id AND u1.id = b.created_by
  LEFT JOIN app_user u2 ON u2.tenant_id = b.tenant_id AND u2.id = b.approved_by
 WHERE b.dossier_id = $1 ORDER BY b.valid_from DESC, b.id DESC

-- name: budget_lines
SELECT pos, code, amount, explain, explains FROM sh_budget_line
 WHERE budget_id = $1 ORDER BY pos

-- The household a budget counts on day $3: the one the applicant ($2)
-- belongs to then, who may have moved since the dossier was opened
-- (core/casework/person.c: a move ends one membership and starts the next on the
-- same day); else the dossier's own ($1).
-- name: budget_household
SELECT coalesce((SELECT household_id FROM household_member
                  WHERE person_id = $2 AND valid_from <= $3::date
                    AND (valid_to IS NULL OR valid_to > $3::date)
                  LIMIT 1), $1::bigint) AS household_id

-- name: budget_approve
UPDATE sh_budget SET status = 'approved', approved_by = $2,
       approved_at = now(), version = version + 1
 WHERE id = $1 AND status = 'draft' AND version = $3
RETURNING id

-- name: budget_replace_older
UPDATE sh_budget SET status = 'replaced', version = version + 1
 WHERE dossier_id = $1 AND valid_from = $2::date AND status = 'approved'
   AND id <> $3

-- name: decision_insert
INSERT INTO sh_decision (tenant_id, dossier_id, budget_id, language,
       drafted_by)
VALUES (kasus_tenant(), $1, $2, $3, $4)
RETURNING id

-- name: decision_get
SELECT id, dossier_id, budget_id, language, status, drafted_by,
       approved_by, approved_at, document_id, created_at, version,
       drafted_by_name, approved_by_name, revoked_by, revoked_at,
       revoke_reason, revoked_by_name, budget_valid_from, budget_status
  FROM sh_decision_v
 WHERE id = $1

-- name: decision_list
SELECT id, dossier_id, budget_id, language, status, drafted_by,
       approved_by, approved_at, document_id, created_at, version,
       drafted_by_name, approved_by_name, revoked_by, revoked_at,
       revoke_reason, revoked_by_name, budget_valid_from, budget_status
  FROM sh_decision_v
 WHERE dossier_id = $1 ORDER BY id DESC

-- name: decision_approve
UPDATE sh_decision SET status = 'approved', approved_by = $2,
       approved_at = now(), document_id = $3, version = version + 1
 WHERE id = $1 AND status = 'draft' AND version = $4
RETURNING id

-- name: decision_live
-- The decision that is not revoked on a budget, if any.
SELECT id, status FROM sh_decision
 WHERE budget_id = $1 AND status <> 'revoked'

-- name: decision_revoke
UPDATE sh_decision SET status = 'revoked', revoked_by = $2,
       revoked_at = now(), revoke_reason = $3, version = version + 1
 WHERE id = $1 AND status <> 'revoked' AND version = $4
RETURNING id

-- name: decision_document
INSERT INTO document (tenant_id, dossier_id, category, title, mime, size,
       sha256, uploaded_by)
VALUES (kasus_tenant(), $1, 'decision', $2, 'application/pdf', $3, $4, $5)
RETURNING id

-- name: user_display
SELECT display_name FROM app_user WHERE id = $1
