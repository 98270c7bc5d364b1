-- Case transfer between tenants (core/casework/transfer.c). The statements run
-- first under the sending tenant, then under the receiving one.

-- name: xfer_dossier
SELECT id, module, coalesce(kind, '') AS kind, state, household_id,
       applicant_id, version, number
  FROM dossier WHERE id = $1

-- name: xfer_members
SELECT p.id, p.last_name, p.first_name, p.birth_date, p.sex, p.ahv_enc,
       p.nationality, p.permit, p.street, p.house_no, p.postcode, p.town,
       p.country, p.phone, p.email, p.language, p.iban, p.civil_status,
       hm.role
  FROM household_member hm
  JOIN person p ON p.tenant_id = hm.tenant_id AND p.id = hm.person_id
 WHERE hm.household_id = $1 AND hm.valid_from <= current_date
   AND (hm.valid_to IS NULL OR hm.valid_to > current_date)

-- name: xfer_document
-- Its bytes are read (and opened) by ks_document_get.
SELECT d.id, d.category, d.title, d.mime, d.size, d.sha256
  FROM document d JOIN document_blob b
    ON b.tenant_id = d.tenant_id AND b.document_id = d.id
 WHERE d.id = $1 AND d.dossier_id = $2

-- name: xfer_close
UPDATE dossier SET state = 'closed', closed_on = current_date,
       closure_reason = 'moved', version = version + 1
 WHERE id = $1 AND version = $2 AND state <> 'closed'
RETURNING id

-- name: xfer_transition
INSERT INTO dossier_transition (tenant_id, dossier_id, from_state, to_state,
       reason, actor_id, reason_code)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6)

-- name: xfer_close_deadlines
-- The sender's open deadlines end with the dossier.
UPDATE deadline SET done_on = current_date, version = version + 1
 WHERE dossier_id = $1 AND done_on IS NULL

-- name: xfer_target
SELECT id, kind, active FROM tenant WHERE slug = $1

-- name: xfer_serves
SELECT 1 FROM tenant_municipality WHERE bfs = $1

-- name: xfer_module_on
SELECT 1 FROM tenant_module
 WHERE module = $1 AND enabled AND start_date <= current_date

-- name: xfer_person_by_ahv
SELECT id FROM person WHERE ahv_hash = $1

-- name: xfer_person_insert
INSERT INTO person (tenant_id, last_name, first_name, birth_date, sex,
       ahv_enc, ahv_hash, nationality, permit, street, house_no, postcode,
       town, country, phone, email, language, iban, civil_status)
VALUES (kasus_tenant(), $1, $2, $3::date, $4, $5::bytea, $6, $7, $8, $9, $10,
        $11, $12, $13, $14, $15, $16, $17, $18)
RETURNING id

-- name: xfer_household
INSERT INTO household (tenant_id, name) VALUES (kasus_tenant(), $1)
RETURNING id

-- name: xfer_member
INSERT INTO household_member (tenant_id, household_id, person_id, role,
       valid_from)
VALUES (kasus_tenant(), $1, $2, $3, current_date)

-- name: xfer_new_dossier
-- In the initial state of its kind ($7: its code; $6 NULL before kinds).
INSERT INTO dossier (tenant_id, module, household_id, applicant_id, state,
       municipality_bfs, transferred_from, kind)
VALUES (kasus_tenant(), $1, $2, $3, $6, $4, $5, nullif($7, ''))
RETURNING id, number

-- name: xfer_doc_insert
INSERT INTO document (tenant_id, dossier_id, category, title, mime, size,
       sha256, uploaded_by)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7)
RETURNING id

-- name: xfer_tenant_slug
SELECT slug FROM tenant WHERE id = kasus_tenant()

-- name: xfer_tenants
-- The other active social services (the tenant table has no RLS).
SELECT id, slug, name, language FROM tenant
 WHERE kind = 'social_service' AND active AND id <> $1
 ORDER BY name, id

-- name: xfer_tenant_munis
-- Under the receiving tenant: the municipalities it serves.
SELECT m.bfs, m.name FROM tenant_municipality tm
  JOIN municipality m ON m.bfs = tm.bfs
 ORDER BY m.name, m.bfs
