-- The money services move into the casework layer (issue 12; core
-- migration 0024_money.sql): the paying account, payment runs and their
-- lines, bank files and transactions, claims and repayments are the
-- core's tables now. Their rows are copied here with their ids (end-to-end
-- ids and claim references are made from the ids, so they stay the same)
-- and the sh_* tables are dropped. On a new database the copies are
-- empty. What stays Sozialhilfe's: one-off payments, the budget-driven
-- line kinds, the marks for back payments (sh_pay_mark, recreated on the
-- core's line table) and which marks a run checked (sh_run_check).

-- The kinds of payment lines this module contributes (its descriptor
-- declares them too; `kasusd migrate` records the vocabulary only after
-- the migrations, and the copied lines are checked against it).
INSERT INTO vocabulary (domain, code, module) VALUES
	('payment_kind', 'support', 'sozialhilfe'),
	('payment_kind', 'rent', 'sozialhilfe'),
	('payment_kind', 'kvg', 'sozialhilfe'),
	('payment_kind', 'one_off', 'sozialhilfe'),
	('payment_kind', 'back_payment', 'sozialhilfe')
ON CONFLICT (domain, code) DO NOTHING;

-- The payment run jobs are the core's (core.payment_run,
-- core.payment_export): a job of the old name still to run runs under the
-- new one, and one done keeps its once-only key (an export asked for
-- again finds it).
UPDATE job SET type = 'core.' || substr(type, length('sozialhilfe.') + 1),
       version = version + 1
 WHERE type IN ('sozialhilfe.payment_run', 'sozialhilfe.payment_export');

-- The paying account is the core's: its permission too.
UPDATE permission SET module = 'core' WHERE code = 'payment.account';

INSERT INTO payment_account (tenant_id, name, iban, bic, street, house_no,
       postcode, town, country, updated_by, updated_at, version)
SELECT tenant_id, name, iban, bic, street, house_no, postcode, town,
       country, updated_by, updated_at, version
  FROM sh_tenant_account;

INSERT INTO payment_run (tenant_id, id, month, status, exec_date,
       created_by, created_at, approved_by, approved_at, msg_id, created_ts,
       debtor, exported_at, exported_by, file_sha256, computed_at, version)
SELECT tenant_id, id, month, status, exec_date, created_by, created_at,
       approved_by, approved_at, msg_id, created_ts, debtor, exported_at,
       exported_by, file_sha256, computed_at, version
  FROM sh_payment_run;

-- Which marked dossiers (at which mark) a run's computation checked for
-- back payments: its approval removes exactly those marks (0004_money).
CREATE TABLE sh_run_check (
	tenant_id	bigint NOT NULL,
	run_id		bigint NOT NULL,
	checked_ids	bigint[] NOT NULL DEFAULT '{}',
	checked_seqs	bigint[] NOT NULL DEFAULT '{}',
	PRIMARY KEY (tenant_id, run_id),
	FOREIGN KEY (tenant_id, run_id) REFERENCES payment_run
	    ON DELETE CASCADE
);
INSERT INTO sh_run_check (tenant_id, run_id, checked_ids, checked_seqs)
SELECT tenant_id, id, checked_ids, checked_seqs FROM sh_payment_run;
ALTER TABLE sh_run_check ENABLE ROW LEVEL SECURITY;
ALTER TABLE sh_run_check FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sh_run_check USING
    (tenant_id = kasus_tenant()) WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON sh_run_check TO kasus_app;

INSERT INTO payment_line (tenant_id, id, run_id, dossier_id, module, kind,
       source_id, for_month, amount, name, street, house_no, postcode, town,
       country, iban, ustrd, status, problem, booked_on, return_reason)
SELECT tenant_id, id, run_id, dossier_id, 'sozialhilfe', kind, source_id,
       for_month, amount, name, street, house_no, postcode, town, country,
       iban, ustrd, status, problem, booked_on, return_reason
  FROM sh_payment_line;

INSERT INTO claim (tenant_id, id, dossier_id, amount, reason, instalment,
       repaid, status, created_by, created_at, version, first_due,
       plan_base)
SELECT tenant_id, id, dossier_id, amount, reason, instalment, repaid,
       status, created_by, created_at, version, first_due, plan_base
  FROM sh_claim;

INSERT INTO repayment (tenant_id, id, claim_id, amount, paid_on, source,
       bank_entry_id, created_by, created_at)
SELECT tenant_id, id, claim_id, amount, paid_on, source, bank_entry_id,
       created_by, created_at
  FROM sh_repayment;

INSERT INTO bank_upload (tenant_id, id, body, created_by, created_at)
SELECT tenant_id, id, body, created_by, created_at FROM sh_bank_upload;

INSERT INTO bank_file (tenant_id, id, sha256, account, entries, booked,
       returned, repayments, pending, duplicates, unmatched, uploaded_by,
       uploaded_at)
SELECT tenant_id, id, sha256, account, entries, booked, returned,
       repayments, pending, duplicates, unmatched, uploaded_by, uploaded_at
  FROM sh_bank_file;

INSERT INTO bank_entry (tenant_id, id, key, file_sha256, file_id, account,
       cdi, amount, currency, status_code, booking_date, end_to_end_id,
       reference, return_reason, outcome, reason, line_id, claim_id,
       uploaded_by, uploaded_at, matched_by, matched_at, version)
SELECT tenant_id, id, key, file_sha256, file_id, account, cdi, amount,
       currency, status_code, booking_date, end_to_end_id, reference,
       return_reason, outcome, reason, line_id, claim_id, uploaded_by,
       uploaded_at, matched_by, matched_at, version
  FROM sh_bank_entry;

DROP VIEW sh_bank_entry_v;
DROP TABLE sh_repayment, sh_bank_entry, sh_bank_file, sh_bank_upload,
    sh_claim, sh_payment_line, sh_payment_run, sh_tenant_account;
DROP FUNCTION sh_payment_frozen(), sh_claim_due(bigint, bigint, date,
    bigint), sh_claim_plan(bigint, bigint, date, bigint);

-- A one-off payment is paid by one run only, whatever the month.
CREATE UNIQUE INDEX sh_payment_line_one_off ON payment_line
    (tenant_id, source_id)
    WHERE module = 'sozialhilfe' AND kind = 'one_off' AND status <> 'held';

-- The marks of 0004_money on the core's lines: a Sozialhilfe line held or
-- returned, a back payment dropped with its draft run.
CREATE TRIGGER sh_pay_mark_held AFTER INSERT ON payment_line
    FOR EACH ROW WHEN (NEW.module = 'sozialhilfe' AND NEW.status = 'held'
	AND NEW.kind <> 'one_off')
    EXECUTE FUNCTION sh_pay_mark_row();
CREATE TRIGGER sh_pay_mark_status AFTER UPDATE OF status ON payment_line
    FOR EACH ROW WHEN (NEW.module = 'sozialhilfe' AND
	NEW.status IN ('held', 'returned') AND OLD.status <> NEW.status AND
	NEW.kind <> 'one_off')
    EXECUTE FUNCTION sh_pay_mark_row();
CREATE TRIGGER sh_pay_mark_dropped AFTER DELETE ON payment_line
    FOR EACH ROW WHEN (OLD.module = 'sozialhilfe' AND
	OLD.kind = 'back_payment')
    EXECUTE FUNCTION sh_pay_mark_row();

-- The eligible costs (0003) from the core's tables: this module's lines
-- and the repayments on claims of its dossiers.
CREATE OR REPLACE FUNCTION sh_eligible_costs(p_from date, p_to date)
RETURNS TABLE (bfs integer, amount bigint) LANGUAGE sql STABLE AS $$
	SELECT d.municipality_bfs, sum(l.amount)::bigint
	  FROM payment_line l JOIN dossier d
	       ON d.tenant_id = l.tenant_id AND d.id = l.dossier_id
	 WHERE l.module = 'sozialhilfe' AND l.status = 'booked'
	   AND l.booked_on BETWEEN p_from AND p_to
	 GROUP BY d.municipality_bfs
	UNION ALL
	SELECT d.municipality_bfs, -sum(r.amount)::bigint
	  FROM repayment r
	  JOIN claim c ON c.tenant_id = r.tenant_id AND c.id = r.claim_id
	  JOIN dossier d ON d.tenant_id = c.tenant_id AND d.id = c.dossier_id
	 WHERE d.module = 'sozialhilfe' AND r.paid_on BETWEEN p_from AND p_to
	 GROUP BY d.municipality_bfs
$$;
