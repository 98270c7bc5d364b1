-- Letters written in a batch by the job sozialhilfe.letters (sh_letter.c):
-- one row per job and dossier, written in the same transaction as the
-- letter's document. A job that runs again after a crash or a retry
-- finds the dossiers it did and writes no second letter for them.
CREATE TABLE sh_letter_batch_item (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	job_id		bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	document_id	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, job_id, dossier_id),
	-- Retention deletes these with the dossier and its documents.
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	FOREIGN KEY (tenant_id, document_id) REFERENCES document
);
ALTER TABLE sh_letter_batch_item ENABLE ROW LEVEL SECURITY;
ALTER TABLE sh_letter_batch_item FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sh_letter_batch_item
    USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT ON sh_letter_batch_item TO kasus_app;
