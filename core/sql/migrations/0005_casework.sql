-- The shared casework layer every domain module builds on: persons,
-- households (support units) over time, dossiers, journal, deadlines,
-- documents and the client account. Domain modules add their own tables
-- (budgets, decisions, payment runs ...) that refer to these.

-- Per-tenant data keys for especially sensitive fields (AHV number):
-- AES-256-GCM keys wrapped by the deployment's master key, and a separate
-- key for the keyed hash that makes them searchable.
CREATE TABLE tenant_key (
	tenant_id	bigint PRIMARY KEY REFERENCES tenant,
	wrapped_key	bytea NOT NULL,
	hash_key	bytea NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE person (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	last_name	text NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
	first_name	text NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
	birth_date	date NOT NULL,
	sex		text CHECK (sex IN ('f', 'm', 'x')),
	ahv_enc		bytea,		-- AES-256-GCM: nonce | ciphertext | tag
	ahv_hash	text,		-- HMAC-SHA256 with the tenant's hash key
	nationality	text CHECK (nationality ~ '^[A-Z]{2}$'),
	permit		text CHECK (length(permit) <= 10),
	street		text CHECK (length(street) <= 70),
	house_no	text CHECK (length(house_no) <= 16),
	postcode	text CHECK (length(postcode) <= 16),
	town		text CHECK (length(town) <= 35),
	country		text NOT NULL DEFAULT 'CH' CHECK (country ~ '^[A-Z]{2}$'),
	phone		text CHECK (length(phone) <= 40),
	email		text CHECK (length(email) <= 254),
	language	text NOT NULL DEFAULT 'de' CHECK (language IN ('de', 'fr')),
	iban		text CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$'),
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX person_ahv ON person (tenant_id, ahv_hash)
    WHERE ahv_hash IS NOT NULL;
CREATE INDEX person_name_trgm ON person USING gin
    ((lower(last_name || ' ' || first_name)) gin_trgm_ops);
CREATE INDEX person_name_prefix ON person (tenant_id, lower(last_name)
    text_pattern_ops, lower(first_name) text_pattern_ops);

-- A support unit; members belong for a period, and one person may belong
-- to different households over time.
CREATE TABLE household (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	-- persons living in the flat who are not part of the support unit;
	-- shared costs are split per head over members + these
	flat_extra_persons integer NOT NULL DEFAULT 0
			CHECK (flat_extra_persons BETWEEN 0 AND 20),
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id)
);

CREATE TABLE household_member (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	household_id	bigint NOT NULL,
	person_id	bigint NOT NULL,
	role		text NOT NULL CHECK (role IN ('applicant', 'partner',
			'child', 'other')),
	valid_from	date NOT NULL,
	valid_to	date,		-- exclusive; NULL: still a member
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, household_id) REFERENCES household,
	FOREIGN KEY (tenant_id, person_id) REFERENCES person,
	CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX household_member_person ON household_member (tenant_id,
    person_id);

-- A dossier of one domain module (module names the owner).
CREATE TABLE dossier (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	module		text NOT NULL,
	household_id	bigint NOT NULL,
	applicant_id	bigint NOT NULL,
	state		text NOT NULL,
	municipality_bfs integer NOT NULL REFERENCES municipality,
	caseworker_id	bigint,
	team		text CHECK (length(team) <= 60),
	opened_on	date NOT NULL DEFAULT current_date,
	closed_on	date,
	closure_reason	text,
	transferred_from text,		-- "<tenant slug>/<dossier id>"
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, household_id) REFERENCES household,
	FOREIGN KEY (tenant_id, applicant_id) REFERENCES person,
	FOREIGN KEY (tenant_id, caseworker_id) REFERENCES app_user
);
CREATE INDEX dossier_caseworker ON dossier (tenant_id, caseworker_id, state);
CREATE INDEX dossier_state ON dossier (tenant_id, module, state);

-- Every state transition, dated and attributed.
CREATE TABLE dossier_transition (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	from_state	text NOT NULL,
	to_state	text NOT NULL,
	reason		text,
	actor_id	bigint NOT NULL,
	at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);

-- Aktennotizen. A protected note is visible to its author's role group
-- only, and every read of it is audited.
CREATE TABLE journal_entry (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	noted_on	date NOT NULL DEFAULT current_date,
	category	text NOT NULL CHECK (category IN ('conversation',
			'phone', 'letter', 'home_visit', 'assessment',
			'decision', 'other')),
	text		text NOT NULL CHECK (length(text) BETWEEN 1 AND 20000),
	author_id	bigint NOT NULL,
	protected	boolean NOT NULL DEFAULT false,
	role_group	text NOT NULL,	-- the author's role when written
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);

-- Wiedervorlagen, by hand or automatic (kind names the source).
CREATE TABLE deadline (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	due_on		date NOT NULL,
	kind		text NOT NULL CHECK (kind IN ('manual', 'review_due',
			'missing_document', 'goal_due', 'decision_expiring')),
	text		text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
	assignee_id	bigint,
	done_on		date,
	created_by	bigint,
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);
CREATE INDEX deadline_open ON deadline (tenant_id, assignee_id, due_on)
    WHERE done_on IS NULL;

-- Documents of a dossier; each upload of the same logical document is a
-- new version. The bytes live in document_blob.
CREATE TABLE document (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	category	text NOT NULL CHECK (category IN ('id', 'rent_contract',
			'income_proof', 'decision', 'scanned_mail', 'other')),
	title		text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
	version_no	integer NOT NULL DEFAULT 1,
	previous_id	bigint,
	mime		text NOT NULL CHECK (mime IN ('application/pdf',
			'image/jpeg', 'image/png')),
	size		bigint NOT NULL CHECK (size > 0),
	sha256		text NOT NULL,
	uploaded_by	bigint NOT NULL,
	uploaded_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);

CREATE TABLE document_blob (
	tenant_id	bigint NOT NULL,
	document_id	bigint NOT NULL,
	content		bytea NOT NULL,
	PRIMARY KEY (tenant_id, document_id),
	FOREIGN KEY (tenant_id, document_id) REFERENCES document
);

-- The client account: every payment, income and repayment of a dossier.
CREATE TABLE ledger_entry (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	booked_on	date NOT NULL,
	kind		text NOT NULL CHECK (kind IN ('payment', 'income',
			'repayment', 'claim', 'correction')),
	amount		bigint NOT NULL,	-- Rappen; payments negative
	text		text NOT NULL,
	ref		text,			-- e.g. end-to-end id
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);
CREATE INDEX ledger_dossier ON ledger_entry (tenant_id, dossier_id, booked_on);

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['tenant_key', 'person', 'household',
	    'household_member', 'dossier', 'dossier_transition',
	    'journal_entry', 'deadline', 'document', 'document_blob',
	    'ledger_entry'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
		    '(tenant_id = kasus_tenant()) WITH CHECK '
		    '(tenant_id = kasus_tenant())', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO kasus_app',
		    t);
	END LOOP;
END $$;
GRANT DELETE ON household_member TO kasus_app;

INSERT INTO permission (code, description) VALUES
	('person.read', 'find and read persons and households'),
	('person.write', 'register and change persons and households'),
	('person.override_duplicate', 'register a person despite a likely duplicate'),
	('case.register', 'register a new dossier'),
	('case.read', 'read dossiers, journal, deadlines, documents'),
	('case.write', 'work on dossiers of the own tenant'),
	('case.approve', 'approve budgets and decisions (four-eyes)'),
	('case.protected', 'read protected journal notes of the own role group'),
	('document.read', 'download documents'),
	('document.write', 'upload documents'),
	('ledger.read', 'read client accounts'),
	('payment.run', 'create and export payment runs, reconcile bank files'),
	('payment.approve', 'approve payment runs (four-eyes)');

INSERT INTO role_permission (role, permission) VALUES
	('caseworker', 'person.read'), ('caseworker', 'person.write'),
	('caseworker', 'person.override_duplicate'),
	('caseworker', 'case.read'), ('caseworker', 'case.write'),
	('caseworker', 'case.protected'),
	('caseworker', 'document.read'), ('caseworker', 'document.write'),
	('caseworker', 'ledger.read'),
	('teamlead', 'person.read'), ('teamlead', 'person.write'),
	('teamlead', 'person.override_duplicate'),
	('teamlead', 'case.read'), ('teamlead', 'case.write'),
	('teamlead', 'case.approve'), ('teamlead', 'case.protected'),
	('teamlead', 'document.read'), ('teamlead', 'document.write'),
	('teamlead', 'ledger.read'), ('teamlead', 'payment.approve'),
	('reception', 'person.read'), ('reception', 'person.write'),
	('reception', 'case.register'), ('caseworker', 'case.register'),
	('teamlead', 'case.register'),
	('reception', 'case.read'), ('reception', 'document.write'),
	('accounting', 'person.read'), ('accounting', 'case.read'),
	('accounting', 'ledger.read'), ('accounting', 'payment.run'),
	('accounting', 'document.read'),
	('legal', 'person.read'), ('legal', 'case.read'),
	('legal', 'document.read'), ('legal', 'ledger.read'),
	('auditor', 'person.read'), ('auditor', 'case.read'),
	('auditor', 'ledger.read');
