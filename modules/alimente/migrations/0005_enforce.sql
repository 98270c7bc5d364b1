-- Alimentenhilfe, enforcement and end (ah_enforce.c): debt enforcement
-- proceedings (Betreibung, SchKG 67 ff.) with their steps and the fees
-- the community advances (InkHV 18: charged to the debtor), the
-- pension-fund report (InkHV 13-14) with the payout notices of the
-- institution, and the criminal complaint (StGB 217) as a recorded step.
-- Amounts are integer Rappen.

-- One proceeding against the debtor: what is claimed, at which office.
CREATE TABLE ah_enforcement (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	amount		bigint NOT NULL CHECK (amount BETWEEN 1 AND 100000000000),
	office		text NOT NULL CHECK (length(office) BETWEEN 1 AND 200),
	started_on	date NOT NULL,
	-- the office's number of the proceeding (Betreibungsnummer)
	reference	text CHECK (length(reference) BETWEEN 1 AND 60),
	-- the last step (NULL: none yet); loss_certificate and withdrawn end it
	last_step	text,
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);
CREATE INDEX ah_enforcement_dossier ON ah_enforcement (tenant_id,
    dossier_id);

-- A step of a proceeding, in the order of the SchKG (ah_enforce.c checks
-- it), with the office's fee for it.
CREATE TABLE ah_enforcement_step (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	enforcement_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	step		text NOT NULL CHECK (step IN ('request', 'payment_order',
			'objection', 'setting_aside', 'continuation', 'seizure',
			'loss_certificate', 'withdrawn')),
	done_on		date NOT NULL,
	fee		bigint NOT NULL DEFAULT 0 CHECK (fee BETWEEN 0 AND
			100000000),
	note		text CHECK (length(note) <= 1000),
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, enforcement_id, step),
	FOREIGN KEY (tenant_id, enforcement_id) REFERENCES ah_enforcement,
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);
CREATE INDEX ah_enforcement_step_of ON ah_enforcement_step (tenant_id,
    enforcement_id, done_on);

-- The report of the debtor to his pension or vested-benefits institution.
CREATE TABLE ah_pension_report (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	institution	text NOT NULL CHECK (length(institution) BETWEEN 1 AND 200),
	reported_on	date NOT NULL,
	-- months with an outstanding amount when it was made
	missing_months	integer NOT NULL CHECK (missing_months >= 0),
	status		text NOT NULL DEFAULT 'active' CHECK (status IN ('active',
			'revoked')),
	revoked_on	date,
	revoke_reason	text CHECK (revoke_reason IN ('paid', 'decision')),
	revoke_note	text CHECK (length(revoke_note) <= 1000),
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	CHECK ((status = 'revoked') = (revoked_on IS NOT NULL))
);
CREATE INDEX ah_pension_report_dossier ON ah_pension_report (tenant_id,
    dossier_id);
-- One active report per institution of a dossier.
CREATE UNIQUE INDEX ah_pension_report_active ON ah_pension_report
    (tenant_id, dossier_id, lower(institution)) WHERE status = 'active';

-- The institution reports a payout: it may pay no earlier than the end of
-- the block.
CREATE TABLE ah_payout_notice (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	report_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	notified_on	date NOT NULL,
	amount		bigint NOT NULL CHECK (amount BETWEEN 1 AND 100000000000),
	blocked_until	date NOT NULL,
	note		text CHECK (length(note) <= 1000),
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, report_id) REFERENCES ah_pension_report,
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	CHECK (blocked_until > notified_on)
);
CREATE INDEX ah_payout_notice_report ON ah_payout_notice (tenant_id,
    report_id);

-- A criminal complaint for neglect of maintenance duties (StGB 217).
CREATE TABLE ah_complaint (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	filed_on	date NOT NULL,
	authority	text NOT NULL CHECK (length(authority) BETWEEN 1 AND 200),
	note		text CHECK (length(note) <= 1000),
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);
CREATE INDEX ah_complaint_dossier ON ah_complaint (tenant_id, dossier_id);

-- A proceeding and a report as the API answers them (one JSON each).
CREATE VIEW ah_enforcement_v WITH (security_invoker = true) AS
SELECT e.tenant_id, e.id, e.dossier_id, e.last_step, e.version,
       json_build_object('id', e.id, 'dossier_id', e.dossier_id,
         'amount', e.amount, 'office', e.office, 'started_on', e.started_on,
         'reference', e.reference, 'last_step', e.last_step,
         'open', coalesce(e.last_step NOT IN ('loss_certificate',
           'withdrawn'), true),
         'fees', coalesce((SELECT sum(s.fee) FROM ah_enforcement_step s
           WHERE s.tenant_id = e.tenant_id AND s.enforcement_id = e.id), 0),
         'steps', coalesce((SELECT json_agg(json_build_object('id', s.id,
           'step', s.step, 'date', s.done_on, 'fee', s.fee, 'note', s.note)
           ORDER BY s.done_on, s.id) FROM ah_enforcement_step s
           WHERE s.tenant_id = e.tenant_id AND s.enforcement_id = e.id),
           '[]'),
         'created_at', e.created_at, 'version', e.version)::text AS doc
  FROM ah_enforcement e;

CREATE VIEW ah_pension_report_v WITH (security_invoker = true) AS
SELECT r.tenant_id, r.id, r.dossier_id, r.status, r.version,
       json_build_object('id', r.id, 'dossier_id', r.dossier_id,
         'institution', r.institution, 'reported_on', r.reported_on,
         'missing_months', r.missing_months, 'status', r.status,
         'revoked_on', r.revoked_on, 'revoke_reason', r.revoke_reason,
         'revoke_note', r.revoke_note,
         'payouts', coalesce((SELECT json_agg(json_build_object('id', n.id,
           'notified_on', n.notified_on, 'amount', n.amount,
           'blocked_until', n.blocked_until, 'note', n.note)
           ORDER BY n.notified_on, n.id) FROM ah_payout_notice n
           WHERE n.tenant_id = r.tenant_id AND n.report_id = r.id), '[]'),
         'created_at', r.created_at, 'version', r.version)::text AS doc
  FROM ah_pension_report r;

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['ah_enforcement', 'ah_enforcement_step',
	    'ah_pension_report', 'ah_payout_notice', 'ah_complaint'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
		    '(tenant_id = kasus_tenant()) WITH CHECK '
		    '(tenant_id = kasus_tenant())', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO '
		    'kasus_app', t);
	END LOOP;
END $$;
GRANT SELECT ON ah_enforcement_v, ah_pension_report_v TO kasus_app;
