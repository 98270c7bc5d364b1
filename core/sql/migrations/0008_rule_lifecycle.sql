-- The rule life cycle in the browser and tenants' own rule data.
--
-- A rule pack version is either code (Lua source) or data: a tenant's
-- figures (rent ceilings per municipality and household size) that the
-- canton's code of the same name reads as the global DATA. A data version's
-- source is its JSON text (sorted keys, compact), so the checksum and the
-- history work the same for both kinds.
ALTER TABLE rule_pack ADD COLUMN kind text NOT NULL DEFAULT 'code'
    CHECK (kind IN ('code', 'data'));
ALTER TABLE rule_pack ADD COLUMN retired_at timestamptz;
ALTER TABLE rule_pack ADD COLUMN submitted_at timestamptz;

-- draft -> tested (example cases pass) -> submitted (author asks for
-- review) -> approved or rejected by a second canton administrator.
ALTER TABLE rule_pack DROP CONSTRAINT rule_pack_status_check;
ALTER TABLE rule_pack ADD CONSTRAINT rule_pack_status_check CHECK (status IN
    ('draft', 'tested', 'submitted', 'approved', 'rejected', 'retired'));

ALTER TABLE rule_pack DROP CONSTRAINT rule_pack_tenant_id_name_version_key;
ALTER TABLE rule_pack ADD CONSTRAINT rule_pack_version_key
    UNIQUE (tenant_id, kind, name, version);

DROP INDEX rule_pack_resolve;
CREATE INDEX rule_pack_resolve ON rule_pack (name, kind, valid_from DESC)
    WHERE status = 'approved';

INSERT INTO permission (code, description) VALUES
	('rules.data', 'edit the own social service''s rule data within the canton''s bounds');
INSERT INTO role_permission (role, permission) VALUES
	('tenant_admin', 'rules.data');
