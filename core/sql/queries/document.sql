-- Documents of dossiers (core/casework/document.c).
--
-- A document row has these columns everywhere (read by name):
--   id, dossier_id, category, title, version_no, previous_id, mime, size,
--   sha256, uploaded_by, uploaded_at, replaced_by (the next version's id,
--   or NULL)

-- name: document_get
SELECT d.id, d.dossier_id, d.category, d.title, d.version_no, d.previous_id,
       d.mime, d.size, d.sha256, d.uploaded_by, d.uploaded_at,
       (SELECT n.id FROM document n
         WHERE n.tenant_id = d.tenant_id AND n.previous_id = d.id)
       AS replaced_by
  FROM document d WHERE d.tenant_id = kasus_tenant() AND d.id = $1

-- Every version of every document of a dossier, oldest first.
-- name: document_list
SELECT d.id, d.dossier_id, d.category, d.title, d.version_no, d.previous_id,
       d.mime, d.size, d.sha256, d.uploaded_by, d.uploaded_at,
       (SELECT n.id FROM document n
         WHERE n.tenant_id = d.tenant_id AND n.previous_id = d.id)
       AS replaced_by
  FROM document d
 WHERE d.tenant_id = kasus_tenant() AND d.dossier_id = $1 AND d.id > $2
 ORDER BY d.id LIMIT $3

-- name: document_insert
INSERT INTO document (tenant_id, dossier_id, category, title, version_no,
       previous_id, mime, size, sha256, uploaded_by)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id, dossier_id, category, title, version_no, previous_id, mime,
       size, sha256, uploaded_by, uploaded_at, NULL::bigint AS replaced_by

-- A small document in one piece.
-- name: document_blob_insert
INSERT INTO document_blob (tenant_id, document_id, content)
VALUES (kasus_tenant(), $1, $2)

-- name: upload_piece_insert
INSERT INTO document_upload_piece (tenant_id, upload_id, seq, data)
VALUES (kasus_tenant(), $1, $2, $3)

-- Join the pieces once, in PostgreSQL: linear, never in this process.
-- name: upload_pieces_join
INSERT INTO document_blob (tenant_id, document_id, content)
SELECT kasus_tenant(), $1, string_agg(data, ''::bytea ORDER BY seq)
  FROM document_upload_piece
 WHERE tenant_id = kasus_tenant() AND upload_id = $2
RETURNING length(content)

-- name: upload_pieces_delete
DELETE FROM document_upload_piece
 WHERE tenant_id = kasus_tenant() AND upload_id = $1

-- name: document_content
SELECT b.content, d.mime, d.title, d.dossier_id, d.version_no, d.size, d.id
  FROM document d
  JOIN document_blob b ON b.tenant_id = d.tenant_id AND b.document_id = d.id
 WHERE d.tenant_id = kasus_tenant() AND d.id = $1

-- The dossier's key id (0022_dossier_keys.sql; the key is in key_dir).
-- name: dossier_key_get
SELECT encode(key_id, 'hex') AS key_id FROM dossier_key
 WHERE tenant_id = kasus_tenant() AND dossier_id = $1

-- name: dossier_key_insert
INSERT INTO dossier_key (tenant_id, dossier_id, key_id)
VALUES (kasus_tenant(), $1, decode($2, 'hex'))
ON CONFLICT (tenant_id, dossier_id) DO NOTHING
RETURNING encode(key_id, 'hex') AS key_id
