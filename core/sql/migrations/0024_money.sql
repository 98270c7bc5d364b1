-- Money of the casework layer (issue 12): the account a social service
-- pays from, payment runs with frozen lines (pain.001), bank
-- notifications (camt.054) with their files and transactions, claims
-- with instalment plans and their repayments. They were Sozialhilfe's
-- tables (sh_*); its migration 0011_money.sql copies the rows with their
-- ids into these and drops its own. The core knows no module's
-- vocabulary: a payment line carries its module and a kind from the
-- vocabulary 'payment_kind' that modules declare (struct ks_vocab), and
-- the lines of a run come from the modules (struct ks_money).

ALTER TABLE vocabulary DROP CONSTRAINT vocabulary_domain_check,
    ADD CONSTRAINT vocabulary_domain_check CHECK (domain IN
	('deadline_kind', 'journal_category', 'document_category',
	 'payment_kind'));

-- The account a social service pays from (the pain.001 debtor). Set by
-- the tenant administrator; copied into a run when it is approved.
CREATE TABLE payment_account (
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

-- A monthly payment run. One regular run per tenant and month. Approval
-- (by another user than the creator) fixes the message id, creation
-- time, execution date and debtor, so that every export of the run is
-- the same file. computed_at: when its lines were last computed.
CREATE TABLE payment_run (
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
	debtor		jsonb,		-- payment_account at approval
	exported_at	timestamptz,
	exported_by	bigint,
	file_sha256	text,		-- of the first export
	computed_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, month),
	CHECK (approved_by IS NULL OR approved_by <> created_by),
	CHECK (status = 'draft' OR (msg_id IS NOT NULL AND
	    created_ts IS NOT NULL AND debtor IS NOT NULL))
);

-- One credit transfer of a run, contributed by a module (module, kind
-- from its vocabulary, source_id its record, for_month the month it
-- pays or NULL). Creditor and amount are copied when the run is
-- computed: later changes to persons or records do not reach a run.
-- 'held' lines lack a usable account or address and are neither
-- exported nor booked. The unique key carries amount and status: a
-- module comparing what was paid reads the index only.
CREATE TABLE payment_line (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	run_id		bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	module		text NOT NULL CHECK (module ~ '^[a-z][a-z0-9_]{1,30}$'),
	kind		text NOT NULL,
	source_id	bigint NOT NULL,
	for_month	date CHECK (extract(day FROM for_month) = 1),
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
	CONSTRAINT payment_line_once UNIQUE NULLS NOT DISTINCT
	    (tenant_id, run_id, dossier_id, module, kind, source_id,
	    for_month) INCLUDE (amount, status),
	UNIQUE (tenant_id, end_to_end_id),
	FOREIGN KEY (tenant_id, run_id) REFERENCES payment_run,
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	CHECK ((status = 'held') = (problem IS NOT NULL))
);
CREATE INDEX payment_line_run ON payment_line (tenant_id, run_id, id);
CREATE INDEX payment_line_dossier ON payment_line (tenant_id, dossier_id);
CREATE TRIGGER payment_kind BEFORE INSERT OR UPDATE OF kind ON payment_line
    FOR EACH ROW EXECUTE FUNCTION vocabulary_check('payment_kind', 'kind');

-- What never changes once written: the run's file identity after
-- approval, a line's creditor, amount, kind and month.
CREATE FUNCTION payment_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'payment_run' THEN
		IF OLD.status = 'approved' AND (NEW.status <> OLD.status OR
		    NEW.msg_id IS DISTINCT FROM OLD.msg_id OR
		    NEW.created_ts IS DISTINCT FROM OLD.created_ts OR
		    NEW.exec_date <> OLD.exec_date OR NEW.month <> OLD.month OR
		    NEW.debtor::text IS DISTINCT FROM OLD.debtor::text OR
		    NEW.approved_by IS DISTINCT FROM OLD.approved_by OR
		    NEW.computed_at <> OLD.computed_at) THEN
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
	    NEW.ustrd <> OLD.ustrd OR NEW.kind <> OLD.kind OR
	    NEW.module <> OLD.module OR NEW.source_id <> OLD.source_id OR
	    NEW.for_month IS DISTINCT FROM OLD.for_month THEN
		RAISE EXCEPTION 'payment lines are frozen'
		    USING ERRCODE = '23514';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER payment_run_frozen BEFORE UPDATE ON payment_run
    FOR EACH ROW EXECUTE FUNCTION payment_frozen();
CREATE TRIGGER payment_line_frozen BEFORE UPDATE ON payment_line
    FOR EACH ROW EXECUTE FUNCTION payment_frozen();

-- A recovery claim (Rückerstattung) against a dossier, repaid in
-- instalments. The reference is an ISO 11649 creditor reference built
-- from the id, for the client's payment slip and for matching credits.
-- The instalment plan: from first_due on, instalment (Rappen) each month
-- over what was owed when the plan was made (amount less plan_base, the
-- repayments until then), the last one the remainder.
CREATE TABLE claim (
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
	first_due	date NOT NULL DEFAULT (date_trunc('month', now()) +
			interval '1 month')::date,
	plan_base	bigint NOT NULL DEFAULT 0 CHECK (plan_base >= 0),
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, reference),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	CHECK (instalment <= amount),
	CHECK (repaid <= amount),
	-- At most 600 instalments (50 years); claims copied from before
	-- the plan existed are not checked.
	CONSTRAINT claim_plan CHECK (plan_base <= repaid AND
	    (amount - plan_base + instalment - 1) / instalment <= 600)
	    NOT VALID
);
CREATE INDEX claim_dossier ON claim (tenant_id, dossier_id);

CREATE TABLE repayment (
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
	FOREIGN KEY (tenant_id, claim_id) REFERENCES claim
);

-- The instalments of a plan over p_amount with p_paid repaid on it.
CREATE FUNCTION claim_plan(p_amount bigint, p_instalment bigint,
    p_first_due date, p_paid bigint)
RETURNS TABLE (no integer, due_on date, amount bigint, paid bigint)
LANGUAGE sql IMMUTABLE AS $$
	SELECT k::integer + 1,
	       (p_first_due + make_interval(months => k::integer))::date,
	       least(p_instalment, p_amount - k * p_instalment),
	       greatest(0, least(p_instalment, p_amount - k * p_instalment,
	           p_paid - k * p_instalment))
	  FROM generate_series(0, (p_amount - 1) / p_instalment) k
	 WHERE p_amount > 0
	 ORDER BY k
$$;

-- What a plan asks today: the instalments due and not paid (overdue),
-- the next instalment not paid in full, how many instalments there are.
CREATE FUNCTION claim_due(p_amount bigint, p_instalment bigint,
    p_first_due date, p_paid bigint)
RETURNS TABLE (overdue bigint, next_due_on date, next_amount bigint,
    instalments integer)
LANGUAGE sql STABLE AS $$
	SELECT coalesce(sum(amount - paid) FILTER (WHERE due_on <=
	           current_date), 0)::bigint,
	       min(due_on) FILTER (WHERE paid < amount),
	       (array_agg(amount - paid ORDER BY no) FILTER (WHERE paid <
	           amount))[1],
	       count(*)::integer
	  FROM claim_plan(p_amount, p_instalment, p_first_due, p_paid)
$$;

-- A camt.054 notification waiting for its import job: the request
-- checks and stores it, the import job books it and deletes it in the
-- same transaction.
CREATE TABLE bank_upload (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	body		text NOT NULL,
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id)
);

-- One row per uploaded bank file (by content): when, by whom, for which
-- account, and what its transactions became.
CREATE TABLE bank_file (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	sha256		text NOT NULL,
	account		text,		-- the notification's account (IBAN)
	entries		integer NOT NULL DEFAULT 0,
	booked		integer NOT NULL DEFAULT 0,
	returned	integer NOT NULL DEFAULT 0,
	repayments	integer NOT NULL DEFAULT 0,
	pending		integer NOT NULL DEFAULT 0,
	duplicates	integer NOT NULL DEFAULT 0,
	unmatched	integer NOT NULL DEFAULT 0,
	uploaded_by	bigint NOT NULL,
	uploaded_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, sha256)
);

-- Every transaction of an uploaded bank notification, once: re-uploading
-- a file books nothing twice (the key hashes the transaction's
-- identity). An unmatched one can be matched by hand (If-Match on its
-- version; who and when are kept).
CREATE TABLE bank_entry (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	key		text NOT NULL,
	file_sha256	text NOT NULL,
	file_id		bigint NOT NULL,
	account		text,
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
	matched_by	bigint,
	matched_at	timestamptz,
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, key),
	FOREIGN KEY (tenant_id, file_id) REFERENCES bank_file
);
CREATE INDEX bank_entry_unmatched ON bank_entry (tenant_id, id)
    WHERE outcome = 'unmatched';
CREATE INDEX bank_entry_file ON bank_entry (tenant_id, file_id, id);

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['payment_account', 'payment_run',
	    'payment_line', 'claim', 'repayment', 'bank_upload', 'bank_file',
	    'bank_entry'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
		    '(tenant_id = kasus_tenant()) WITH CHECK '
		    '(tenant_id = kasus_tenant())', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO kasus_app',
		    t);
	END LOOP;
END $$;
-- A draft run may be discarded (and created again); an upload is gone
-- once booked.
GRANT DELETE ON payment_run, payment_line, bank_upload TO kasus_app;

-- A transaction with what it was matched to and by whom (the lists and
-- the manual matching read it). security_invoker: the caller's row-level
-- security applies to every table behind it.
CREATE VIEW bank_entry_v WITH (security_invoker = true) AS
SELECT e.id, e.cdi, e.amount, e.currency, e.status_code, e.booking_date,
       e.end_to_end_id, e.reference, e.return_reason, e.outcome, e.reason,
       e.line_id, e.claim_id, e.uploaded_at, e.file_id, e.version,
       e.matched_by, u.display_name AS matched_by_name, e.matched_at,
       coalesce(l.dossier_id, c.dossier_id) AS dossier_id,
       coalesce(l.name, p.last_name || ' ' || p.first_name) AS name,
       to_char(r.month, 'YYYY-MM') AS run_month,
       to_char(l.for_month, 'YYYY-MM') AS for_month,
       c.reference AS claim_reference
  FROM bank_entry e
  LEFT JOIN payment_line l ON l.tenant_id = e.tenant_id
       AND l.id = e.line_id
  LEFT JOIN payment_run r ON r.tenant_id = l.tenant_id AND r.id = l.run_id
  LEFT JOIN claim c ON c.tenant_id = e.tenant_id AND c.id = e.claim_id
  LEFT JOIN dossier d ON d.tenant_id = c.tenant_id AND d.id = c.dossier_id
  LEFT JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  LEFT JOIN app_user u ON u.tenant_id = e.tenant_id AND u.id = e.matched_by;
GRANT SELECT ON bank_entry_v TO kasus_app;
