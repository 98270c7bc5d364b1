-- Per-tenant module enablement and versioned Lua rule packs.

CREATE TABLE tenant_module (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	module		text NOT NULL CHECK (module ~ '^[a-z][a-z0-9_]{1,31}$'),
	enabled		boolean NOT NULL,
	start_date	date NOT NULL DEFAULT current_date,
	changed_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, module)
);
ALTER TABLE tenant_module ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_module FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_module USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());

INSERT INTO permission (code, description) VALUES
	('canton.rules', 'write, test and approve canton-wide rule packs'),
	('rules.evaluate', 'evaluate rules in force and see which apply');
INSERT INTO role_permission (role, permission) VALUES
	('canton_admin', 'canton.rules'),
	('canton_admin', 'rules.evaluate'),
	('caseworker', 'rules.evaluate'),
	('teamlead', 'rules.evaluate'),
	('accounting', 'rules.evaluate'),
	('tenant_admin', 'rules.evaluate');

-- A rule pack version. Canton-wide packs belong to the canton's own
-- tenant; a social service's packs to that tenant. Every tenant reads
-- its own packs and the canton's (resolution falls back to the canton).
CREATE TABLE rule_pack (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	name		text NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{1,62}$'),
	version		text NOT NULL CHECK (length(version) BETWEEN 1 AND 32),
	valid_from	date NOT NULL,
	source		text NOT NULL,
	sha256		text NOT NULL,
	status		text NOT NULL DEFAULT 'draft' CHECK (status IN
			('draft', 'tested', 'approved', 'rejected', 'retired')),
	examples	jsonb NOT NULL DEFAULT '[]',
	author_id	bigint,
	approver_id	bigint,
	review_comment	text,
	imported_from	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	approved_at	timestamptz,
	row_version	bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, name, version)
);
CREATE INDEX rule_pack_resolve ON rule_pack (name, valid_from DESC)
    WHERE status = 'approved';

CREATE FUNCTION kasus_canton_tenant() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM tenant WHERE kind = 'canton' ORDER BY id LIMIT 1 $$;

ALTER TABLE rule_pack ENABLE ROW LEVEL SECURITY;
ALTER TABLE rule_pack FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON rule_pack FOR SELECT
    USING (tenant_id = kasus_tenant() OR tenant_id = kasus_canton_tenant());
CREATE POLICY tenant_insert ON rule_pack FOR INSERT
    WITH CHECK (tenant_id = kasus_tenant());
CREATE POLICY tenant_update ON rule_pack FOR UPDATE
    USING (tenant_id = kasus_tenant()) WITH CHECK (tenant_id = kasus_tenant());

GRANT SELECT, INSERT, UPDATE ON tenant_module, rule_pack TO kasus_app;
