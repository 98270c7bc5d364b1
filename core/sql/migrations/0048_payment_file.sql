-- The pain.001 file of an exported run, as its export wrote and checked
-- it (core.payment_export, in the transaction that marks the run
-- exported). A download hands out these bytes after comparing their
-- checksum with the run's file_sha256, instead of writing the file again
-- from the frozen lines; a run exported before this table existed has no
-- row here and its file is written again as before. Written once: the
-- application role may insert and read, never change or delete. lz4:
-- the XML shrinks to about a fifth, and lz4 costs a tenth of pglz's time
-- on a run's megabytes.
CREATE TABLE payment_file (
	tenant_id	bigint NOT NULL,
	run_id		bigint NOT NULL,
	payments	integer NOT NULL,	-- the file's CdtTrfTxInf
	xml		text NOT NULL,
	PRIMARY KEY (tenant_id, run_id),
	FOREIGN KEY (tenant_id, run_id) REFERENCES payment_run
	    ON DELETE CASCADE
);
ALTER TABLE payment_file ALTER COLUMN xml SET COMPRESSION lz4;

ALTER TABLE payment_file ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_file FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON payment_file USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT ON payment_file TO kasus_app;
