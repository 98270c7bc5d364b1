-- The canton's billing: the platform's costs per period and phase, the
-- figures the keys use, allocation runs (by the Lua pack cost-allocation)
-- with their invoices, and the sums the burden-sharing report reads.
-- All rows belong to the canton's tenant.

INSERT INTO permission (code, description) VALUES
	('canton.billing', 'record platform costs, allocate them, issue invoices, burden-sharing report');
INSERT INTO role_permission (role, permission) VALUES
	('canton_admin', 'canton.billing');

-- Who the invoices come from (one per canton): the payment part's creditor.
CREATE TABLE billing_creditor (
	tenant_id	bigint PRIMARY KEY REFERENCES tenant,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 70),
	street		text CHECK (length(street) <= 70),
	building	text CHECK (length(building) <= 16),
	postcode	text NOT NULL CHECK (length(postcode) BETWEEN 1 AND 16),
	town		text NOT NULL CHECK (length(town) BETWEEN 1 AND 35),
	country		text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
	iban		text NOT NULL CHECK (iban ~ '^(CH|LI)[0-9]{2}[0-9A-Z]{17}$'),
	row_version	bigint NOT NULL DEFAULT 1
);

-- Where a social service's invoices go (the debtor of the QR-bill).
CREATE TABLE billing_address (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	subject_id	bigint NOT NULL REFERENCES tenant,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 70),
	street		text CHECK (length(street) <= 70),
	building	text CHECK (length(building) <= 16),
	postcode	text NOT NULL CHECK (length(postcode) BETWEEN 1 AND 16),
	town		text NOT NULL CHECK (length(town) BETWEEN 1 AND 35),
	country		text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
	PRIMARY KEY (tenant_id, subject_id)
);

CREATE TABLE billing_period (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	code		text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$'),
	starts_on	date NOT NULL,
	ends_on		date NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	row_version	bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, code),
	CHECK (ends_on >= starts_on)
);

CREATE TABLE billing_cost (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	period_id	bigint NOT NULL,
	phase		text NOT NULL CHECK (phase IN ('project', 'operation',
			'development', 'migration')),
	amount		bigint NOT NULL CHECK (amount > 0 AND amount <= 100000000000),
	description	text NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, period_id) REFERENCES billing_period
);

-- Figures per period: population per municipality (BFS), and per social
-- service its dossiers, users and migrated dossiers.
CREATE TABLE billing_population (
	tenant_id	bigint NOT NULL,
	period_id	bigint NOT NULL,
	bfs		integer NOT NULL REFERENCES municipality,
	subject_id	bigint NOT NULL REFERENCES tenant,	-- serves it
	population	integer NOT NULL CHECK (population BETWEEN 0 AND 100000000),
	PRIMARY KEY (tenant_id, period_id, bfs),
	FOREIGN KEY (tenant_id, period_id) REFERENCES billing_period
);

CREATE TABLE billing_tenant_figures (
	tenant_id	bigint NOT NULL,
	period_id	bigint NOT NULL,
	subject_id	bigint NOT NULL REFERENCES tenant,
	dossiers	integer NOT NULL DEFAULT 0 CHECK (dossiers BETWEEN 0 AND 100000000),
	users		integer NOT NULL DEFAULT 0 CHECK (users BETWEEN 0 AND 100000000),
	migrated_dossiers integer NOT NULL DEFAULT 0
			CHECK (migrated_dossiers BETWEEN 0 AND 100000000),
	PRIMARY KEY (tenant_id, period_id, subject_id),
	FOREIGN KEY (tenant_id, period_id) REFERENCES billing_period
);

-- An allocation: the pack version that made it, what went in and what
-- came out. Runs are never changed: a new key means a new run, and an
-- old run stays explained by the version that made it.
CREATE TABLE billing_run (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	period_id	bigint NOT NULL,
	pack		jsonb NOT NULL,
	input		jsonb NOT NULL,
	output		jsonb NOT NULL,
	total		bigint NOT NULL,
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, period_id) REFERENCES billing_period
);

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['billing_creditor', 'billing_address',
	    'billing_period', 'billing_cost', 'billing_population',
	    'billing_tenant_figures', 'billing_run'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
		    '(tenant_id = kasus_tenant()) WITH CHECK '
		    '(tenant_id = kasus_tenant())', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO '
		    'kasus_app', t);
	END LOOP;
END $$;

-- Eligible social-assistance costs come from the modules that pay them:
-- each registers a function (p_from date, p_to date) RETURNS TABLE (bfs
-- integer, amount bigint) giving the current tenant's sums per
-- municipality. Sums only: no person-level row leaves the tenant.
CREATE TABLE cost_source (
	module		text PRIMARY KEY,
	fn		text NOT NULL CHECK (fn ~ '^[a-z_][a-z0-9_]*$')
);
GRANT SELECT ON cost_source TO kasus_app;

CREATE FUNCTION kasus_eligible_costs(p_from date, p_to date)
RETURNS TABLE (bfs integer, amount bigint) LANGUAGE plpgsql STABLE AS $$
DECLARE s record;
BEGIN
	FOR s IN SELECT fn FROM cost_source ORDER BY module LOOP
		RETURN QUERY EXECUTE format('SELECT bfs, amount FROM %I($1, $2)',
		    s.fn) USING p_from, p_to;
	END LOOP;
END $$;
