-- Bank credits to modules (SDK 2.5, struct ks_money credit): a credit
-- of a camt.054 notification whose reference is no claim's is offered
-- to the modules switched on for the service; the one that books it
-- (e.g. a debtor's payment by the reference on his QR-bill) is named
-- on the transaction, whose outcome is then 'received'. The file
-- counts them like its other outcomes.
ALTER TABLE bank_entry DROP CONSTRAINT bank_entry_outcome_check,
    ADD CONSTRAINT bank_entry_outcome_check CHECK (outcome IN ('booked',
	'returned', 'repayment', 'received', 'pending', 'unmatched')),
    ADD COLUMN module text CHECK (module ~ '^[a-z][a-z0-9_]{1,30}$'),
    ADD CONSTRAINT bank_entry_module CHECK ((outcome = 'received') =
	(module IS NOT NULL));
ALTER TABLE bank_file ADD COLUMN received integer NOT NULL DEFAULT 0;

CREATE OR REPLACE VIEW bank_entry_v WITH (security_invoker = true) AS
SELECT e.id, e.cdi, e.amount, e.currency, e.status_code, e.booking_date,
       e.end_to_end_id, e.reference, e.return_reason, e.outcome, e.reason,
       e.line_id, e.claim_id, e.uploaded_at, e.file_id, e.version,
       e.matched_by, u.display_name AS matched_by_name, e.matched_at,
       coalesce(l.dossier_id, c.dossier_id) AS dossier_id,
       coalesce(l.name, p.last_name || ' ' || p.first_name) AS name,
       to_char(r.month, 'YYYY-MM') AS run_month,
       to_char(l.for_month, 'YYYY-MM') AS for_month,
       c.reference AS claim_reference, e.module
  FROM bank_entry e
  LEFT JOIN payment_line l ON l.tenant_id = e.tenant_id
       AND l.id = e.line_id
  LEFT JOIN payment_run r ON r.tenant_id = l.tenant_id AND r.id = l.run_id
  LEFT JOIN claim c ON c.tenant_id = e.tenant_id AND c.id = e.claim_id
  LEFT JOIN dossier d ON d.tenant_id = c.tenant_id AND d.id = c.dossier_id
  LEFT JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  LEFT JOIN app_user u ON u.tenant_id = e.tenant_id AND u.id = e.matched_by;

-- The same account's QR-IBAN (optional): bills with a QR reference (a
-- debtor's, whose payment a module then takes by it) name it; payments
-- go out from the IBAN.
ALTER TABLE payment_account ADD COLUMN qr_iban text
    CHECK (qr_iban ~ '^(CH|LI)[0-9]{2}3[01][0-9]{3}[A-Z0-9]{12}$');
