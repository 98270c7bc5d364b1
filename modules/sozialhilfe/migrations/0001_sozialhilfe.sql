-- Sozialhilfe: intake checklist, goal agreements, budgets with their
-- lines and rule provenance, decisions (Verfügungen).

CREATE TABLE sh_checklist_item (
	tenant_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	code		text NOT NULL CHECK (code IN ('id', 'residence_permit',
			'rent_contract', 'income_proof', 'bank_statements',
			'health_insurance', 'assets_statement')),
	received_on	date,
	note		text CHECK (length(note) <= 500),
	PRIMARY KEY (tenant_id, dossier_id, code),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);

CREATE TABLE sh_goal (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	title		text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
	measures	text NOT NULL DEFAULT '' CHECK (length(measures) <= 4000),
	due_on		date NOT NULL,
	status		text NOT NULL DEFAULT 'open' CHECK (status IN ('open',
			'achieved', 'partly', 'missed', 'dropped')),
	review_result	text CHECK (length(review_result) <= 4000),
	signed_on	date,
	created_by	bigint NOT NULL,
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);

-- A budget for a dossier from a month on (effective-dated); computed by
-- the rule packs named in provenance, with every line kept.
CREATE TABLE sh_budget (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	valid_from	date NOT NULL CHECK (extract(day FROM valid_from) = 1),
	input		jsonb NOT NULL,
	need		bigint NOT NULL,
	income_counted	bigint NOT NULL,
	payment		bigint NOT NULL CHECK (payment >= 0),
	rent_direct	boolean NOT NULL DEFAULT false,
	landlord	jsonb,		-- name, iban, address when rent_direct
	provenance	jsonb NOT NULL,	-- [{name, version, sha256, scope}]
	status		text NOT NULL DEFAULT 'draft' CHECK (status IN
			('draft', 'approved', 'replaced')),
	created_by	bigint NOT NULL,
	approved_by	bigint,
	approved_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);
CREATE INDEX sh_budget_dossier ON sh_budget (tenant_id, dossier_id,
    valid_from DESC);

CREATE TABLE sh_budget_line (
	tenant_id	bigint NOT NULL,
	budget_id	bigint NOT NULL,
	pos		integer NOT NULL,
	code		text NOT NULL,
	amount		bigint NOT NULL,
	explain		text NOT NULL,
	PRIMARY KEY (tenant_id, budget_id, pos),
	FOREIGN KEY (tenant_id, budget_id) REFERENCES sh_budget
);

-- A Verfügung: drafted by the case worker from an approved budget,
-- approved by a team lead, then immutable and stored as a document.
CREATE TABLE sh_decision (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	budget_id	bigint NOT NULL,
	language	text NOT NULL CHECK (language IN ('de', 'fr')),
	status		text NOT NULL DEFAULT 'draft' CHECK (status IN
			('draft', 'approved')),
	drafted_by	bigint NOT NULL,
	approved_by	bigint,
	approved_at	timestamptz,
	document_id	bigint,
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	FOREIGN KEY (tenant_id, budget_id) REFERENCES sh_budget
);

-- Approved records do not change: the database refuses it too.
CREATE FUNCTION sh_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.status = 'approved' AND NEW.status = 'approved' THEN
		RAISE EXCEPTION 'approved records are immutable'
		    USING ERRCODE = '23514';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER sh_decision_frozen BEFORE UPDATE ON sh_decision
    FOR EACH ROW EXECUTE FUNCTION sh_frozen();

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['sh_checklist_item', 'sh_goal', 'sh_budget',
	    'sh_budget_line', 'sh_decision'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
		    '(tenant_id = kasus_tenant()) WITH CHECK '
		    '(tenant_id = kasus_tenant())', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO kasus_app',
		    t);
	END LOOP;
END $$;
GRANT DELETE ON sh_checklist_item TO kasus_app;
