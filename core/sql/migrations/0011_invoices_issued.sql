-- A run's invoices reach the social services once the canton issues the
-- run; until then a run is the canton's working result. An issued run
-- stays issued: a correction is a new run, issued in turn, and the earlier
-- invoice is shown as replaced by it. The billing rows stay the canton's;
-- a social service reads its own invoices through the core, which checks
-- that the invoice is addressed to it.

ALTER TABLE billing_run ADD COLUMN issued_at timestamptz,
	ADD COLUMN issued_by bigint;

INSERT INTO permission (code, description) VALUES
	('invoice.read', 'read the invoices the canton issued to the own social service');
INSERT INTO role_permission (role, permission) VALUES
	('tenant_admin', 'invoice.read'),
	('accounting', 'invoice.read');
