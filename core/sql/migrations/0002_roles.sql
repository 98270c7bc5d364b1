-- The built-in roles and the core's permissions. Modules add their own
-- permissions (with default roles) in their migrations.

INSERT INTO role (code, name_de, name_fr, canton_level) VALUES
	('caseworker', 'Sozialarbeiter/in', 'Assistant(e) social(e)', false),
	('teamlead', 'Teamleitung', 'Responsable d''équipe', false),
	('accounting', 'Buchhaltung', 'Comptabilité', false),
	('reception', 'Empfang / Administration', 'Réception / administration', false),
	('legal', 'Rechtsdienst', 'Service juridique', false),
	('auditor', 'Revision', 'Révision', false),
	('tenant_admin', 'Administration Sozialdienst', 'Administration du service social', false),
	('canton_admin', 'Administration Kanton', 'Administration cantonale', true);

INSERT INTO permission (code, description) VALUES
	('canton.tenants', 'create and change tenants and their modules'),
	('canton.municipalities', 'create and change municipalities'),
	('tenant.users', 'manage the own tenant''s users and roles'),
	('tenant.tokens', 'manage the own tenant''s API tokens'),
	('audit.read', 'read and verify the own tenant''s audit log'),
	('directory.read', 'read the own tenant''s users and municipalities');

INSERT INTO role_permission (role, permission) VALUES
	('canton_admin', 'canton.tenants'),
	('canton_admin', 'canton.municipalities'),
	('canton_admin', 'directory.read'),
	('tenant_admin', 'tenant.users'),
	('tenant_admin', 'tenant.tokens'),
	('tenant_admin', 'directory.read'),
	('auditor', 'audit.read'),
	('auditor', 'directory.read'),
	('caseworker', 'directory.read'),
	('teamlead', 'directory.read'),
	('accounting', 'directory.read'),
	('reception', 'directory.read'),
	('legal', 'directory.read');
