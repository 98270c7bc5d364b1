-- Search keys, indexes and upload staging for persons, households and
-- documents.
--
-- Why the generated name keys: under row-level security PostgreSQL only
-- uses a query's condition as an index condition when every function in
-- it over a column is leakproof, and lower() is not. So
-- lower(last_name) LIKE 'x%' can never use person_name_prefix for the
-- application role: it scans all of the tenant's persons. A stored,
-- already-lowered column compared with the (leakproof) pattern operators
-- ~>=~ and ~<~ is used as an index range.
ALTER TABLE person
	ADD COLUMN last_key text GENERATED ALWAYS AS (lower(last_name)) STORED,
	ADD COLUMN first_key text GENERATED ALWAYS AS (lower(first_name)) STORED;
CREATE INDEX person_key_prefix ON person (tenant_id, last_key text_pattern_ops,
    first_key text_pattern_ops, id);

-- The duplicate check looks at persons born on the same day (date_eq is
-- leakproof; the trigram operators are not, so the trigram index is of
-- no use under row-level security either).
CREATE INDEX person_birth ON person (tenant_id, birth_date);

-- Households of a person over time, and members of a household.
CREATE INDEX household_member_household ON household_member (tenant_id,
    household_id, valid_from);

-- A document is replaced at most once: versions form a chain, never a
-- tree, even when two uploads race.
CREATE UNIQUE INDEX document_previous ON document (tenant_id, previous_id)
    WHERE previous_id IS NOT NULL;
CREATE INDEX document_dossier ON document (tenant_id, dossier_id, id);

-- Pieces of an upload while it streams in, inside the upload's
-- transaction: inserted per piece, joined into document_blob at the end
-- and deleted in the same transaction, so no other session ever sees
-- them. Unlogged: the bytes are written to the WAL once (with the blob),
-- not twice; after a crash the table is empty, which is its normal state.
-- A large object would stream as well, but large objects have no
-- row-level security and would still have to be copied into
-- document_blob.
CREATE UNLOGGED TABLE document_upload_piece (
	tenant_id	bigint NOT NULL,
	upload_id	text NOT NULL,
	seq		integer NOT NULL,
	data		bytea NOT NULL,
	PRIMARY KEY (tenant_id, upload_id, seq)
);
-- Uploads are already compressed (PDF, JPEG, PNG): do not try again.
ALTER TABLE document_upload_piece ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE document_upload_piece ENABLE ROW LEVEL SECURITY;
ALTER TABLE document_upload_piece FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON document_upload_piece USING
    (tenant_id = kasus_tenant()) WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT, DELETE ON document_upload_piece TO kasus_app;
