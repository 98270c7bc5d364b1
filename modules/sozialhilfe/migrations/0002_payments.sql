-- Sozialhilfe payments: the tenant's paying account, one-off payments,
-- monthly payment runs with frozen lines, bank notifications (camt.054)
-- and recovery claims with their repayments.

-- The account a social service pays from (the pain.001 debtor). Set by
-- the tenant administrator; copied into a run when it is approved.
CREATE TABLE sh_tenant_account (
	tenant_id	bigint PRIMARY KEY REFERENCES tenant,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 70),
	iban		text NOT NULL CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$'),
	bic		text CHECK (bic ~ '^[A-Z0-9]{8}([A-Z0-9]{3})?$'),
	street		text CHECK (length(street) <= 70),
	house_no	text CHECK (length(house_no) <= 16),
	postcode	text CHECK (length(postcode) <= 16),
	town		text NOT NULL CHECK (length(town) BETWEEN 1 AND 35),
	country		text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
	updated_by	bigint NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1
);

-- A payment outside the monthly budget (deposit, furniture, dentist):
-- proposed by a case worker, approved by a team lead (four-eyes), paid
-- by the next payment run. creditor NULL: the applicant, as of the run.
CREATE TABLE sh_one_off (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	amount		bigint NOT NULL CHECK (amount > 0),
	text		text NOT NULL CHECK (length(text) BETWEEN 1 AND 140),
	creditor	jsonb,		-- name, iban, street, house_no,
					-- postcode, town, country
	status		text NOT NULL DEFAULT 'proposed' CHECK (status IN
			('proposed', 'approved')),
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	approved_by	bigint,
	approved_at	timestamptz,
	run_id		bigint,		-- the run that pays it
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	CHECK (approved_by IS NULL OR approved_by <> created_by)
);
CREATE INDEX sh_one_off_dossier ON sh_one_off (tenant_id, dossier_id);
CREATE INDEX sh_one_off_due ON sh_one_off (tenant_id)
    WHERE status = 'approved' AND run_id IS NULL;

-- A monthly payment run. One regular run per tenant and month. Approval
-- (by another user than the creator) fixes the message id, creation
-- time, execution date and debtor, so that every export of the run is
-- the same file.
CREATE TABLE sh_payment_run (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	month		date NOT NULL CHECK (extract(day FROM month) = 1),
	status		text NOT NULL DEFAULT 'draft' CHECK (status IN
			('draft', 'approved')),
	exec_date	date NOT NULL,
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	approved_by	bigint,
	approved_at	timestamptz,
	msg_id		text CHECK (length(msg_id) BETWEEN 1 AND 35),
	created_ts	text,		-- GrpHdr/CreDtTm as exported
	debtor		jsonb,		-- sh_tenant_account at approval
	exported_at	timestamptz,
	exported_by	bigint,
	file_sha256	text,		-- of the first export
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, month),
	CHECK (approved_by IS NULL OR approved_by <> created_by),
	CHECK (status = 'draft' OR (msg_id IS NOT NULL AND
	    created_ts IS NOT NULL AND debtor IS NOT NULL))
);

-- One credit transfer of a run. Creditor and amount are copied when the
-- run is created: later changes to persons, budgets or landlords do not
-- reach a run. 'held' lines lack a usable account or address and are
-- neither exported nor booked.
CREATE TABLE sh_payment_line (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	run_id		bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	kind		text NOT NULL CHECK (kind IN ('support', 'rent', 'kvg',
			'one_off')),
	source_id	bigint NOT NULL,	-- budget or one-off payment
	amount		bigint NOT NULL CHECK (amount > 0),
	name		text NOT NULL,
	street		text,
	house_no	text,
	postcode	text,
	town		text,
	country		text,
	iban		text,
	ustrd		text NOT NULL,
	end_to_end_id	text GENERATED ALWAYS AS
			('KS' || tenant_id::text || 'L' || id::text) STORED,
	status		text NOT NULL DEFAULT 'open' CHECK (status IN ('open',
			'held', 'booked', 'returned')),
	problem		text CHECK (problem IN ('no_iban', 'invalid_iban',
			'qr_iban', 'no_address', 'no_name')),
	booked_on	date,
	return_reason	text CHECK (length(return_reason) <= 35),
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, run_id, dossier_id, kind, source_id),
	UNIQUE (tenant_id, end_to_end_id),
	FOREIGN KEY (tenant_id, run_id) REFERENCES sh_payment_run,
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	CHECK ((status = 'held') = (problem IS NOT NULL))
);
CREATE INDEX sh_payment_line_run ON sh_payment_line (tenant_id, run_id, id);
-- A one-off payment is paid by one run only, whatever the month.
CREATE UNIQUE INDEX sh_payment_line_one_off ON sh_payment_line
    (tenant_id, source_id) WHERE kind = 'one_off' AND status <> 'held';

-- What never changes once written: the run's file identity after
-- approval, a line's creditor and amount.
CREATE FUNCTION sh_payment_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'sh_payment_run' THEN
		IF OLD.status = 'approved' AND (NEW.status <> OLD.status OR
		    NEW.msg_id IS DISTINCT FROM OLD.msg_id OR
		    NEW.created_ts IS DISTINCT FROM OLD.created_ts OR
		    NEW.exec_date <> OLD.exec_date OR NEW.month <> OLD.month OR
		    NEW.debtor::text IS DISTINCT FROM OLD.debtor::text OR
		    NEW.approved_by IS DISTINCT FROM OLD.approved_by) THEN
			RAISE EXCEPTION 'approved payment runs are frozen'
			    USING ERRCODE = '23514';
		END IF;
	ELSIF NEW.amount <> OLD.amount OR NEW.name <> OLD.name OR
	    NEW.iban IS DISTINCT FROM OLD.iban OR
	    NEW.street IS DISTINCT FROM OLD.street OR
	    NEW.house_no IS DISTINCT FROM OLD.house_no OR
	    NEW.postcode IS DISTINCT FROM OLD.postcode OR
	    NEW.town IS DISTINCT FROM OLD.town OR
	    NEW.country IS DISTINCT FROM OLD.country OR
	    NEW.run_id <> OLD.run_id OR NEW.dossier_id <> OLD.dossier_id OR
	    NEW.ustrd <> OLD.ustrd THEN
		RAISE EXCEPTION 'payment lines are frozen'
		    USING ERRCODE = '23514';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER sh_payment_run_frozen BEFORE UPDATE ON sh_payment_run
    FOR EACH ROW EXECUTE FUNCTION sh_payment_frozen();
CREATE TRIGGER sh_payment_line_frozen BEFORE UPDATE ON sh_payment_line
    FOR EACH ROW EXECUTE FUNCTION sh_payment_frozen();

-- Every transaction of an uploaded bank notification, once: re-uploading
-- a file books nothing twice (the key hashes the transaction's identity).
CREATE TABLE sh_bank_entry (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	key		text NOT NULL,
	file_sha256	text NOT NULL,
	cdi		text NOT NULL CHECK (cdi IN ('CRDT', 'DBIT')),
	amount		bigint NOT NULL,
	currency	text NOT NULL,
	status_code	text NOT NULL,
	booking_date	date,
	end_to_end_id	text,
	reference	text,
	return_reason	text,
	outcome		text NOT NULL CHECK (outcome IN ('booked', 'returned',
			'repayment', 'pending', 'unmatched')),
	reason		text,		-- why unmatched
	line_id		bigint,
	claim_id	bigint,
	uploaded_by	bigint NOT NULL,
	uploaded_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, key)
);
CREATE INDEX sh_bank_entry_unmatched ON sh_bank_entry (tenant_id, id)
    WHERE outcome = 'unmatched';

-- A recovery claim (Rückerstattung) against a dossier, repaid in
-- instalments. The reference is an ISO 11649 creditor reference built
-- from the id, for the client's payment slip and for matching credits.
CREATE TABLE sh_claim (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	amount		bigint NOT NULL CHECK (amount > 0),
	reason		text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
	instalment	bigint NOT NULL CHECK (instalment > 0),
	reference	text GENERATED ALWAYS AS ('RF' || lpad((98 -
			((id::text || '271500')::numeric % 97))::text, 2,
			'0') || id::text) STORED,
	repaid		bigint NOT NULL DEFAULT 0 CHECK (repaid >= 0),
	status		text NOT NULL DEFAULT 'open' CHECK (status IN ('open',
			'settled')),
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, reference),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	CHECK (instalment <= amount),
	CHECK (repaid <= amount)
);
CREATE INDEX sh_claim_dossier ON sh_claim (tenant_id, dossier_id);

CREATE TABLE sh_repayment (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	claim_id	bigint NOT NULL,
	amount		bigint NOT NULL CHECK (amount > 0),
	paid_on		date NOT NULL,
	source		text NOT NULL CHECK (source IN ('manual', 'bank')),
	bank_entry_id	bigint,
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, claim_id) REFERENCES sh_claim
);

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['sh_tenant_account', 'sh_one_off',
	    'sh_payment_run', 'sh_payment_line', 'sh_bank_entry', 'sh_claim',
	    'sh_repayment'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
		    '(tenant_id = kasus_tenant()) WITH CHECK '
		    '(tenant_id = kasus_tenant())', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO kasus_app',
		    t);
	END LOOP;
END $$;
-- A draft run may be discarded (and created again).
GRANT DELETE ON sh_payment_run, sh_payment_line TO kasus_app;

INSERT INTO permission (code, description, module) VALUES
	('payment.account', 'set the account payments are made from',
	 'sozialhilfe')
ON CONFLICT (code) DO NOTHING;
INSERT INTO role_permission (role, permission) VALUES
	('tenant_admin', 'payment.account')
ON CONFLICT DO NOTHING;
