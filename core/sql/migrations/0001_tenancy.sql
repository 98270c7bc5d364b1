-- Canton, tenants (social services), municipalities, users, roles.
-- Runs as the owner role; the application role kasus_app only gets the
-- privileges granted at the end and cannot bypass row-level security.

CREATE TABLE canton (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	code		text NOT NULL UNIQUE CHECK (code ~ '^[A-Z]{2}$'),
	name		text NOT NULL
);

CREATE TABLE tenant (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	canton_id	bigint NOT NULL REFERENCES canton,
	slug		text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	kind		text NOT NULL DEFAULT 'social_service'
			CHECK (kind IN ('social_service', 'canton')),
	language	text NOT NULL DEFAULT 'de' CHECK (language IN ('de', 'fr')),
	active		boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1
);

CREATE TABLE municipality (
	bfs		integer PRIMARY KEY CHECK (bfs BETWEEN 1 AND 9999),
	canton_id	bigint NOT NULL REFERENCES canton,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	population	integer NOT NULL CHECK (population >= 0),
	version		bigint NOT NULL DEFAULT 1
);

-- Which municipalities a tenant serves (tenant-owned: tenant_id first).
CREATE TABLE tenant_municipality (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	bfs		integer NOT NULL REFERENCES municipality,
	since		date NOT NULL DEFAULT current_date,
	PRIMARY KEY (tenant_id, bfs)
);
CREATE UNIQUE INDEX tenant_municipality_bfs ON tenant_municipality (bfs);

CREATE TABLE role (
	code		text PRIMARY KEY,
	name_de		text NOT NULL,
	name_fr		text NOT NULL,
	canton_level	boolean NOT NULL DEFAULT false
);

CREATE TABLE permission (
	code		text PRIMARY KEY,
	description	text NOT NULL,
	module		text NOT NULL DEFAULT 'core'
);

CREATE TABLE role_permission (
	role		text NOT NULL REFERENCES role,
	permission	text NOT NULL REFERENCES permission,
	PRIMARY KEY (role, permission)
);

CREATE SEQUENCE object_id_seq;

CREATE TABLE app_user (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	username	text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
	display_name	text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
	email		text,
	language	text NOT NULL DEFAULT 'de' CHECK (language IN ('de', 'fr')),
	password_hash	text NOT NULL,
	active		boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, username)
);

CREATE TABLE user_role (
	tenant_id	bigint NOT NULL,
	user_id		bigint NOT NULL,
	role		text NOT NULL REFERENCES role,
	PRIMARY KEY (tenant_id, user_id, role),
	FOREIGN KEY (tenant_id, user_id) REFERENCES app_user
);

CREATE TABLE api_token (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	token_hash	text NOT NULL UNIQUE,
	permissions	text[] NOT NULL,
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	revoked		boolean NOT NULL DEFAULT false,
	PRIMARY KEY (tenant_id, id)
);

-- The tenant boundary. kasus.tenant_id is set per transaction by the core
-- before any handler runs; without it current_setting() is NULL and no
-- row is visible.
CREATE FUNCTION kasus_tenant() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('kasus.tenant_id', true), '')::bigint $$;

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['tenant_municipality', 'app_user',
	    'user_role', 'api_token'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
		    '(tenant_id = kasus_tenant()) WITH CHECK '
		    '(tenant_id = kasus_tenant())', t);
	END LOOP;
END $$;

GRANT USAGE ON SCHEMA public TO kasus_app;
GRANT SELECT ON canton, role, permission, role_permission TO kasus_app;
GRANT SELECT, INSERT, UPDATE ON tenant, municipality TO kasus_app;
GRANT SELECT, INSERT, DELETE ON tenant_municipality TO kasus_app;
GRANT SELECT, INSERT, UPDATE ON app_user TO kasus_app;
GRANT SELECT, INSERT, DELETE ON user_role TO kasus_app;
GRANT SELECT, INSERT, UPDATE ON api_token TO kasus_app;
GRANT USAGE ON SEQUENCE object_id_seq TO kasus_app;
