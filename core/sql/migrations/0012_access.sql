-- Access: passwords that an administrator set must be changed at the
-- first sign-in, and a second administrator of a social service that has
-- one only with that service's consent.

-- Set by an administrator (first password or reset): the session can do
-- nothing but change it. Users who chose their own password have false.
ALTER TABLE app_user
	ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- The canton asks a social service that already has an administrator to
-- add another one; the service's administrator approves (and sets the
-- first password, which the canton never learns) or rejects. The first
-- administrator of a new service is created by the canton directly.
-- Tenant-owned: the rows and their events live in the service's own
-- tenant, where its administrators and auditors see them.
CREATE TABLE admin_request (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	username	text NOT NULL
			CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
	display_name	text NOT NULL
			CHECK (length(display_name) BETWEEN 1 AND 200),
	email		text CHECK (length(email) BETWEEN 3 AND 254),
	language	text NOT NULL DEFAULT 'de'
			CHECK (language IN ('de', 'fr')),
	reason		text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
	-- the canton's user (a row of the canton's tenant) and the name
	-- shown to the service, which cannot read the canton's users
	requested_by	bigint NOT NULL,
	requested_by_name text NOT NULL,
	requested_at	timestamptz NOT NULL DEFAULT now(),
	status		text NOT NULL DEFAULT 'pending'
			CHECK (status IN ('pending', 'approved', 'rejected')),
	decided_by	bigint,
	decided_at	timestamptz,
	comment		text CHECK (length(comment) <= 500),
	user_id		bigint,
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, decided_by) REFERENCES app_user,
	FOREIGN KEY (tenant_id, user_id) REFERENCES app_user
);
CREATE UNIQUE INDEX admin_request_pending ON admin_request
    (tenant_id, username) WHERE status = 'pending';

ALTER TABLE admin_request ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin_request FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON admin_request
    USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT, UPDATE ON admin_request TO kasus_app;

-- The access policy asks which open dossiers a person or household
-- belongs to before either is changed (core/access.c).
CREATE INDEX dossier_open_household ON dossier (tenant_id, household_id)
    WHERE state <> 'closed';
CREATE INDEX dossier_open_applicant ON dossier (tenant_id, applicant_id)
    WHERE state <> 'closed';
