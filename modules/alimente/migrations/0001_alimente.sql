-- Alimentenhilfe (collection help and advances of child support): the
-- maintenance title of a dossier with its creditors and amounts, the
-- schedule of what is due per creditor and month, advance decisions,
-- the debtor's payments and their allocation. One title per dossier
-- (the federal statistics count one dossier per title). Amounts are
-- integer Rappen; months are the first day of the month.

CREATE TABLE ah_title (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	title_kind	text NOT NULL CHECK (title_kind IN ('judgment',
			'decision', 'agreement')),
	authority	text NOT NULL CHECK (length(authority) BETWEEN 1 AND 200),
	decided_on	date NOT NULL,
	enforceable_on	date,
	-- the application (InkHV art. 9): maintenance is due from its month
	applied_on	date NOT NULL,
	-- arrears before the application taken on from this month (NULL: none)
	arrears_from	date CHECK (extract(day FROM arrears_from) = 1),
	ends_on		date,		-- the title's own end (exclusive)
	-- indexation clause: base points in tenths (NULL: not indexed), the
	-- base month, the month of the year the amount moves, the rounding
	index_base_points integer CHECK (index_base_points > 0),
	index_base_month date CHECK (extract(day FROM index_base_month) = 1),
	index_month	smallint CHECK (index_month BETWEEN 1 AND 12),
	index_rounding	integer NOT NULL DEFAULT 100 CHECK (index_rounding > 0),
	family_allowances boolean NOT NULL DEFAULT false,
	debtor_id	bigint,		-- a person of the core
	debtor_employer	text CHECK (length(debtor_employer) <= 200),
	debtor_pension	text CHECK (length(debtor_pension) <= 200),
	-- the QR reference (27 digits) on the debtor's QR-bill
	debtor_reference text CHECK (debtor_reference ~ '^[0-9]{27}$'),
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, dossier_id),
	UNIQUE (tenant_id, debtor_reference),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	FOREIGN KEY (tenant_id, debtor_id) REFERENCES person,
	CHECK (ends_on IS NULL OR ends_on > decided_on),
	CHECK ((index_base_points IS NULL) = (index_base_month IS NULL))
);

-- Who the maintenance is owed to: a child, or a spouse / partner.
CREATE TABLE ah_creditor (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	title_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	person_id	bigint NOT NULL,
	role		text NOT NULL CHECK (role IN ('child', 'spouse')),
	-- a child in education: the expected end (NULL: not in education)
	education_until	date,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, title_id, person_id),
	FOREIGN KEY (tenant_id, title_id) REFERENCES ah_title,
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	FOREIGN KEY (tenant_id, person_id) REFERENCES person
);
CREATE INDEX ah_creditor_dossier ON ah_creditor (tenant_id, dossier_id);

-- The amounts the title fixes per creditor and month over time (age
-- steps): from valid_from (a first of the month) to valid_to (exclusive).
CREATE TABLE ah_title_amount (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	creditor_id	bigint NOT NULL,
	valid_from	date NOT NULL CHECK (extract(day FROM valid_from) = 1),
	valid_to	date CHECK (extract(day FROM valid_to) = 1),
	amount		bigint NOT NULL CHECK (amount BETWEEN 0 AND 10000000),
	family_allowance bigint NOT NULL DEFAULT 0 CHECK (family_allowance
			BETWEEN 0 AND 1000000),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, creditor_id) REFERENCES ah_creditor,
	CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX ah_title_amount_creditor ON ah_title_amount (tenant_id,
    creditor_id, valid_from);

-- The schedule: what is due per creditor and month, indexed as the
-- title's clause says (the inputs kept to show how), rewritten whenever
-- the title or its amounts change.
CREATE TABLE ah_due (
	tenant_id	bigint NOT NULL,
	creditor_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	month		date NOT NULL CHECK (extract(day FROM month) = 1),
	title_amount	bigint NOT NULL CHECK (title_amount >= 0),
	amount		bigint NOT NULL CHECK (amount >= 0),
	family_allowance bigint NOT NULL DEFAULT 0 CHECK (family_allowance >= 0),
	base_index	integer,
	index_points	integer,
	rounding	integer,
	PRIMARY KEY (tenant_id, creditor_id, month),
	FOREIGN KEY (tenant_id, creditor_id) REFERENCES ah_creditor,
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);
CREATE INDEX ah_due_dossier ON ah_due (tenant_id, dossier_id, month);

-- An advance decision (Bevorschussung) for one child from a month on,
-- computed by the canton's pack alimente-advance (input, result and the
-- pack's provenance kept), approved by a second person (four eyes).
CREATE TABLE ah_advance (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	creditor_id	bigint NOT NULL,
	valid_from	date NOT NULL CHECK (extract(day FROM valid_from) = 1),
	valid_to	date CHECK (extract(day FROM valid_to) = 1),
	eligible	boolean NOT NULL,
	amount		bigint NOT NULL CHECK (amount >= 0),	-- per month
	cap		bigint NOT NULL CHECK (cap >= 0),
	input		jsonb NOT NULL,
	result		jsonb NOT NULL,
	provenance	jsonb NOT NULL,
	status		text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft',
			'submitted', 'approved', 'rejected', 'ended')),
	recheck_on	date,		-- the yearly re-check
	end_reason	text CHECK (length(end_reason) <= 60),
	created_by	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	approved_by	bigint,
	approved_at	timestamptz,
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	FOREIGN KEY (tenant_id, creditor_id) REFERENCES ah_creditor,
	CHECK (valid_to IS NULL OR valid_to > valid_from),
	CHECK (approved_by IS NULL OR approved_by <> created_by)
);
CREATE INDEX ah_advance_dossier ON ah_advance (tenant_id, dossier_id);
CREATE INDEX ah_advance_active ON ah_advance (tenant_id, status, valid_from)
    WHERE status = 'approved';

-- A payment of the debtor, from a bank notification (camt.054, by the
-- title's QR reference) or entered by hand.
CREATE TABLE ah_receipt (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	dossier_id	bigint NOT NULL,
	title_id	bigint NOT NULL,
	amount		bigint NOT NULL CHECK (amount > 0),
	received_on	date NOT NULL,
	source		text NOT NULL CHECK (source IN ('bank', 'manual')),
	bank_entry_id	bigint,
	created_by	bigint,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, bank_entry_id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier,
	FOREIGN KEY (tenant_id, title_id) REFERENCES ah_title
);
CREATE INDEX ah_receipt_dossier ON ah_receipt (tenant_id, dossier_id,
    received_on);

-- How a receipt was split by the pack alimente-allocation: per creditor
-- and month, current maintenance and arrears go to the creditor, the
-- subrogated part to the community (it advanced that month).
CREATE TABLE ah_allocation (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	receipt_id	bigint NOT NULL,
	creditor_id	bigint NOT NULL,
	month		date NOT NULL CHECK (extract(day FROM month) = 1),
	part		text NOT NULL CHECK (part IN ('current', 'arrears',
			'subrogated')),
	amount		bigint NOT NULL CHECK (amount > 0),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, receipt_id) REFERENCES ah_receipt,
	FOREIGN KEY (tenant_id, creditor_id) REFERENCES ah_creditor
);
CREATE INDEX ah_allocation_receipt ON ah_allocation (tenant_id, receipt_id);
CREATE INDEX ah_allocation_creditor ON ah_allocation (tenant_id,
    creditor_id, month);

-- Per creditor and month: due, received from the debtor, advanced by the
-- community (lines of approved payment runs that were not returned),
-- recovered (the subrogated part received) and outstanding (due less
-- received). due = received + outstanding; advanced = recovered +
-- the community's cost.
CREATE VIEW ah_month_v WITH (security_invoker = true) AS
SELECT d.tenant_id, d.dossier_id, d.creditor_id, d.month, d.amount AS due,
    coalesce(r.received, 0) AS received,
    coalesce(a.advanced, 0) AS advanced,
    coalesce(r.recovered, 0) AS recovered,
    d.amount - coalesce(r.received, 0) AS outstanding
FROM ah_due d
LEFT JOIN (SELECT tenant_id, creditor_id, month, sum(amount) AS received,
	sum(amount) FILTER (WHERE part = 'subrogated') AS recovered
    FROM ah_allocation GROUP BY tenant_id, creditor_id, month) r
    ON r.tenant_id = d.tenant_id AND r.creditor_id = d.creditor_id AND
    r.month = d.month
LEFT JOIN (SELECT l.tenant_id, v.creditor_id, l.for_month AS month,
	sum(l.amount) AS advanced
    FROM payment_line l
    JOIN payment_run pr ON pr.tenant_id = l.tenant_id AND pr.id = l.run_id
    JOIN ah_advance v ON v.tenant_id = l.tenant_id AND v.id = l.source_id
    WHERE l.module = 'alimente' AND l.kind = 'ah_advance' AND
	pr.status = 'approved' AND l.status <> 'returned'
    GROUP BY l.tenant_id, v.creditor_id, l.for_month) a
    ON a.tenant_id = d.tenant_id AND a.creditor_id = d.creditor_id AND
    a.month = d.month;

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['ah_title', 'ah_creditor', 'ah_title_amount',
	    'ah_due', 'ah_advance', 'ah_receipt', 'ah_allocation'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
		    '(tenant_id = kasus_tenant()) WITH CHECK '
		    '(tenant_id = kasus_tenant())', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO '
		    'kasus_app', t);
	END LOOP;
END $$;
GRANT SELECT ON ah_month_v TO kasus_app;
