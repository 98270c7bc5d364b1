-- Sozialhilfe money: no month goes unpaid, claims with an instalment plan,
-- bank files with manual matching.
--
-- Payment lines name the month they pay (for_month). Regular lines pay
-- their run's month; a back payment (Nachzahlung) pays an earlier month
-- whose run was approved before the support for it was decided (or whose
-- payment was held or returned). The sum paid per dossier and month is
-- then exactly what the budget in force for that month says. The unique
-- index of the lines carries amount and status: that comparison reads
-- the index only.

ALTER TABLE sh_payment_line ADD COLUMN for_month date
    CHECK (extract(day FROM for_month) = 1);
UPDATE sh_payment_line l SET for_month = r.month
  FROM sh_payment_run r
 WHERE r.tenant_id = l.tenant_id AND r.id = l.run_id AND l.kind <> 'one_off';
ALTER TABLE sh_payment_line DROP CONSTRAINT sh_payment_line_kind_check,
    ADD CONSTRAINT sh_payment_line_kind_check CHECK (kind IN ('support',
	'rent', 'kvg', 'one_off', 'back_payment')),
    ADD CONSTRAINT sh_payment_line_for_month CHECK
	((kind = 'one_off') = (for_month IS NULL)),
    DROP CONSTRAINT
	sh_payment_line_tenant_id_run_id_dossier_id_kind_source_id_key,
    ADD CONSTRAINT sh_payment_line_once UNIQUE NULLS NOT DISTINCT
	(tenant_id, run_id, dossier_id, kind, source_id, for_month)
	INCLUDE (amount, status);

-- When a draft run's lines were last computed (creation or recompute),
-- and which marked dossiers (at which mark) that computation checked for
-- back payments (see sh_pay_mark below).
ALTER TABLE sh_payment_run ADD COLUMN computed_at timestamptz,
    ADD COLUMN checked_ids bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN checked_seqs bigint[] NOT NULL DEFAULT '{}';
UPDATE sh_payment_run SET computed_at = created_at;
ALTER TABLE sh_payment_run ALTER COLUMN computed_at SET DEFAULT now(),
    ALTER COLUMN computed_at SET NOT NULL;

-- A dossier is marked when what it is owed or what it was paid may have
-- changed: its state, an approved budget, a payment held or returned, a
-- back payment dropped with its draft run. A run checks the marked
-- dossiers (not all of them: comparing a year of payments of every
-- dossier would double the time a run takes) and remembers each mark it
-- saw; its approval removes exactly those marks, so a dossier marked again
-- meanwhile stays marked for the next run. No lock is needed: a mark not
-- yet committed when a run is computed is simply not among its marks.
-- A run approved after a later month's run marks again what that run's
-- approval removed (queries/payment.sql, pay_run_marks_*).
CREATE SEQUENCE sh_pay_mark_seq;
CREATE TABLE sh_pay_mark (
	tenant_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	seq		bigint NOT NULL,
	PRIMARY KEY (tenant_id, dossier_id)
);
CREATE FUNCTION sh_pay_mark(p_tenant bigint, p_dossier bigint) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO sh_pay_mark (tenant_id, dossier_id, seq)
	VALUES (p_tenant, p_dossier, nextval('sh_pay_mark_seq'))
	ON CONFLICT (tenant_id, dossier_id) DO UPDATE SET seq = EXCLUDED.seq
$$;
CREATE FUNCTION sh_pay_mark_dossier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM sh_pay_mark(NEW.tenant_id, NEW.id);
	RETURN NULL;
END $$;
CREATE FUNCTION sh_pay_mark_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM sh_pay_mark(OLD.tenant_id, OLD.dossier_id);
	ELSE
		PERFORM sh_pay_mark(NEW.tenant_id, NEW.dossier_id);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER sh_pay_mark AFTER INSERT OR UPDATE OF state ON dossier
    FOR EACH ROW WHEN (NEW.module = 'sozialhilfe')
    EXECUTE FUNCTION sh_pay_mark_dossier();
CREATE TRIGGER sh_pay_mark_new AFTER INSERT ON sh_budget
    FOR EACH ROW WHEN (NEW.status = 'approved')
    EXECUTE FUNCTION sh_pay_mark_row();
CREATE TRIGGER sh_pay_mark_change AFTER UPDATE ON sh_budget
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR
	OLD.payment <> NEW.payment OR OLD.valid_from <> NEW.valid_from)
    EXECUTE FUNCTION sh_pay_mark_row();
CREATE TRIGGER sh_pay_mark_held AFTER INSERT ON sh_payment_line
    FOR EACH ROW WHEN (NEW.status = 'held' AND NEW.kind <> 'one_off')
    EXECUTE FUNCTION sh_pay_mark_row();
CREATE TRIGGER sh_pay_mark_status AFTER UPDATE OF status ON sh_payment_line
    FOR EACH ROW WHEN (NEW.status IN ('held', 'returned') AND
	OLD.status <> NEW.status AND NEW.kind <> 'one_off')
    EXECUTE FUNCTION sh_pay_mark_row();
CREATE TRIGGER sh_pay_mark_dropped AFTER DELETE ON sh_payment_line
    FOR EACH ROW WHEN (OLD.kind = 'back_payment')
    EXECUTE FUNCTION sh_pay_mark_row();
-- What happened before this migration is not known: every dossier is
-- checked by the next run.
INSERT INTO sh_pay_mark (tenant_id, dossier_id, seq)
SELECT tenant_id, id, nextval('sh_pay_mark_seq') FROM dossier
 WHERE module = 'sozialhilfe';
ALTER TABLE sh_pay_mark ENABLE ROW LEVEL SECURITY;
ALTER TABLE sh_pay_mark FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sh_pay_mark USING
    (tenant_id = kasus_tenant()) WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON sh_pay_mark TO kasus_app;
GRANT USAGE ON SEQUENCE sh_pay_mark_seq TO kasus_app;

-- The frozen rules of 0002, with the new columns: an approved run keeps
-- its computation time, a line its kind and month.
CREATE OR REPLACE FUNCTION sh_payment_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'sh_payment_run' THEN
		IF OLD.status = 'approved' AND (NEW.status <> OLD.status OR
		    NEW.msg_id IS DISTINCT FROM OLD.msg_id OR
		    NEW.created_ts IS DISTINCT FROM OLD.created_ts OR
		    NEW.exec_date <> OLD.exec_date OR NEW.month <> OLD.month OR
		    NEW.debtor::text IS DISTINCT FROM OLD.debtor::text OR
		    NEW.approved_by IS DISTINCT FROM OLD.approved_by OR
		    NEW.computed_at <> OLD.computed_at OR
		    NEW.checked_seqs <> OLD.checked_seqs) THEN
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
	    NEW.for_month IS DISTINCT FROM OLD.for_month THEN
		RAISE EXCEPTION 'payment lines are frozen'
		    USING ERRCODE = '23514';
	END IF;
	RETURN NEW;
END $$;

-- A claim's instalment plan: from first_due on, instalment (Rappen)
-- each month over what was owed when the plan was made (amount less
-- plan_base, the repayments until then), the last one the remainder.
-- Later repayments settle the instalments in order.
ALTER TABLE sh_claim ADD COLUMN first_due date,
    ADD COLUMN plan_base bigint NOT NULL DEFAULT 0 CHECK (plan_base >= 0);
UPDATE sh_claim SET first_due = (date_trunc('month', created_at) +
    interval '1 month')::date;
-- At most 600 instalments (50 years); older claims are not checked.
ALTER TABLE sh_claim ALTER COLUMN first_due SET NOT NULL,
    ALTER COLUMN first_due SET DEFAULT (date_trunc('month', now()) +
	interval '1 month')::date,
    ADD CONSTRAINT sh_claim_plan CHECK (plan_base <= repaid AND
	(amount - plan_base + instalment - 1) / instalment <= 600) NOT VALID;

-- The instalments of a plan over p_amount with p_paid repaid on it.
CREATE FUNCTION sh_claim_plan(p_amount bigint, p_instalment bigint,
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
CREATE FUNCTION sh_claim_due(p_amount bigint, p_instalment bigint,
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
	  FROM sh_claim_plan(p_amount, p_instalment, p_first_due, p_paid)
$$;

-- One row per uploaded bank file (by content): when, by whom, for which
-- account, and what its transactions became.
CREATE TABLE sh_bank_file (
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

-- Files uploaded before this migration, from their transactions.
INSERT INTO sh_bank_file (tenant_id, sha256, entries, booked, returned,
       repayments, pending, unmatched, uploaded_by, uploaded_at)
SELECT tenant_id, file_sha256, count(*),
       count(*) FILTER (WHERE outcome = 'booked'),
       count(*) FILTER (WHERE outcome = 'returned'),
       count(*) FILTER (WHERE outcome = 'repayment'),
       count(*) FILTER (WHERE outcome = 'pending'),
       count(*) FILTER (WHERE outcome = 'unmatched'),
       min(uploaded_by), min(uploaded_at)
  FROM sh_bank_entry
 GROUP BY tenant_id, file_sha256;

-- A transaction knows its file; an unmatched one can be matched by hand
-- (If-Match on its version; who and when are kept).
ALTER TABLE sh_bank_entry ADD COLUMN file_id bigint,
    ADD COLUMN account text,
    ADD COLUMN matched_by bigint,
    ADD COLUMN matched_at timestamptz,
    ADD COLUMN version bigint NOT NULL DEFAULT 1;
UPDATE sh_bank_entry e SET file_id = f.id
  FROM sh_bank_file f
 WHERE f.tenant_id = e.tenant_id AND f.sha256 = e.file_sha256;
ALTER TABLE sh_bank_entry ALTER COLUMN file_id SET NOT NULL,
    ADD FOREIGN KEY (tenant_id, file_id) REFERENCES sh_bank_file;
CREATE INDEX sh_bank_entry_file ON sh_bank_entry (tenant_id, file_id, id);

ALTER TABLE sh_bank_file ENABLE ROW LEVEL SECURITY;
ALTER TABLE sh_bank_file FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sh_bank_file USING
    (tenant_id = kasus_tenant()) WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT, UPDATE ON sh_bank_file TO kasus_app;

-- A transaction with what it was matched to and by whom (the lists and
-- the manual matching read it). security_invoker: the caller's row-level
-- security applies to every table behind it.
CREATE VIEW sh_bank_entry_v WITH (security_invoker = true) AS
SELECT e.id, e.cdi, e.amount, e.currency, e.status_code, e.booking_date,
       e.end_to_end_id, e.reference, e.return_reason, e.outcome, e.reason,
       e.line_id, e.claim_id, e.uploaded_at, e.file_id, e.version,
       e.matched_by, u.display_name AS matched_by_name, e.matched_at,
       coalesce(l.dossier_id, c.dossier_id) AS dossier_id,
       coalesce(l.name, p.last_name || ' ' || p.first_name) AS name,
       to_char(r.month, 'YYYY-MM') AS run_month,
       to_char(l.for_month, 'YYYY-MM') AS for_month,
       c.reference AS claim_reference
  FROM sh_bank_entry e
  LEFT JOIN sh_payment_line l ON l.tenant_id = e.tenant_id
       AND l.id = e.line_id
  LEFT JOIN sh_payment_run r ON r.tenant_id = l.tenant_id AND r.id = l.run_id
  LEFT JOIN sh_claim c ON c.tenant_id = e.tenant_id AND c.id = e.claim_id
  LEFT JOIN dossier d ON d.tenant_id = c.tenant_id AND d.id = c.dossier_id
  LEFT JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  LEFT JOIN app_user u ON u.tenant_id = e.tenant_id AND u.id = e.matched_by;
GRANT SELECT ON sh_bank_entry_v TO kasus_app;

-- A one-off payment with the names the screens show: the client, who
-- proposed and who approved it.
CREATE VIEW sh_one_off_v WITH (security_invoker = true) AS
SELECT o.id, o.dossier_id, o.amount, o.text, o.creditor::text AS creditor,
       o.status, o.created_by, o.created_at, o.approved_by, o.approved_at,
       o.run_id, o.version, p.last_name || ' ' || p.first_name AS client,
       u1.display_name AS created_by_name,
       u2.display_name AS approved_by_name
  FROM sh_one_off o
  JOIN dossier d ON d.tenant_id = o.tenant_id AND d.id = o.dossier_id
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  LEFT JOIN app_user u1 ON u1.tenant_id = o.tenant_id AND u1.id = o.created_by
  LEFT JOIN app_user u2 ON u2.tenant_id = o.tenant_id
       AND u2.id = o.approved_by;
GRANT SELECT ON sh_one_off_v TO kasus_app;
