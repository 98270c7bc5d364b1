-- Collection (ah_collect.c): what of a debtor's payment no open item
-- took yet (the debtor's credit: paid ahead, or more than was open) is
-- kept on the receipt and allocated first when his next payment comes
-- in; the payer as the bank named him. Pass-on lines of payment runs
-- point at the allocation they pass on (payment_line.source_id).
ALTER TABLE ah_receipt
    ADD COLUMN surplus bigint NOT NULL DEFAULT 0 CHECK (surplus >= 0),
    ADD COLUMN debtor_name text CHECK (length(debtor_name) <= 140),
    ADD COLUMN note text CHECK (length(note) <= 500),
    ADD CONSTRAINT ah_receipt_surplus CHECK (surplus <= amount),
    ADD CONSTRAINT ah_receipt_bank CHECK ((source = 'bank') =
	(bank_entry_id IS NOT NULL));
CREATE INDEX ah_receipt_credit ON ah_receipt (tenant_id, title_id, id)
    WHERE surplus > 0;
