-- Alimentenhilfe, reminders to the debtor (Mahnungen, InkHV art. 12,
-- ah_remind.c): what was outstanding per creditor and month when the
-- reminder went out, its level (the pack alimente-enforcement's steps)
-- and payment deadline, the letter as a document of the dossier and its
-- journal entry. A reminder is a record of what was sent: never changed.
CREATE TABLE ah_reminder (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	level		integer NOT NULL CHECK (level BETWEEN 1 AND 9),
	issued_on	date NOT NULL,
	pay_by		date NOT NULL CHECK (pay_by > issued_on),
	-- the sum of items, Rappen
	amount		bigint NOT NULL CHECK (amount > 0),
	-- [{creditor_id, first_name, last_name, month, outstanding}]
	items		jsonb NOT NULL CHECK (jsonb_typeof(items) = 'array'),
	language	text NOT NULL CHECK (language IN ('de', 'fr')),
	document_id	bigint,
	journal_id	bigint,
	-- the pack's provenance (name, version, sha256)
	provenance	jsonb NOT NULL,
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);
CREATE INDEX ah_reminder_dossier ON ah_reminder (tenant_id, dossier_id, id);

ALTER TABLE ah_reminder ENABLE ROW LEVEL SECURITY;
ALTER TABLE ah_reminder FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ah_reminder USING
    (tenant_id = kasus_tenant()) WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT, UPDATE ON ah_reminder TO kasus_app;
