-- The key of each dossier (issue 15): the bytes of its documents are
-- sealed under it (core/casework/document.c, format "KSD1" in
-- core/lib/datakey.h).
-- Only the key's id is here; the key itself is a file in key_dir wrapped
-- by the master key, so that a database backup holds no key and
-- destroying the file (retention, after the dossier's deletion commits)
-- makes every copy of the documents unreadable. Made on first use. The
-- row refers to its dossier, so retention_cascade deletes it with it.
CREATE TABLE dossier_key (
	tenant_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	key_id		bytea NOT NULL CHECK (length(key_id) = 16),
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, dossier_id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);
ALTER TABLE dossier_key ENABLE ROW LEVEL SECURITY;
ALTER TABLE dossier_key FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dossier_key USING
    (tenant_id = kasus_tenant()) WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT ON dossier_key TO kasus_app;

-- A protected journal note's text is sealed under the dossier's key too
-- ("KSJ1", core/lib/datakey.h); text is then empty. Notes written before
-- stay as they are.
ALTER TABLE journal_entry ADD COLUMN text_sealed bytea;
ALTER TABLE journal_entry DROP CONSTRAINT journal_entry_text_check;
ALTER TABLE journal_entry ADD CONSTRAINT journal_entry_text_check CHECK (
	CASE WHEN text_sealed IS NULL THEN length(text) BETWEEN 1 AND 20000
	     ELSE protected AND text = '' END);
