-- Payment runs as background jobs (sh_run.c).
--
-- The export job books a run's lines on the client accounts one by one
-- and commits as it goes; after a crash the job runs again from the
-- start. A payment is booked once: its end-to-end id is unique among the
-- tenant's payments, and the job inserts with ON CONFLICT DO NOTHING.
CREATE UNIQUE INDEX ledger_payment_once ON ledger_entry (tenant_id, ref)
    WHERE kind = 'payment';

-- A camt.054 notification waiting for its import job (sh_bank.c): the
-- request checks and stores it, the job sozialhilfe.bank_import books it
-- and deletes it in the same transaction.
CREATE TABLE sh_bank_upload (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	body		text NOT NULL,
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id)
);
ALTER TABLE sh_bank_upload ENABLE ROW LEVEL SECURITY;
ALTER TABLE sh_bank_upload FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sh_bank_upload
    USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT, DELETE ON sh_bank_upload TO kasus_app;
