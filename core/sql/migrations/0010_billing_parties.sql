-- A run keeps the creditor and the social services' invoice addresses as
-- they were when it was made: its invoices never change afterwards.
ALTER TABLE billing_run ADD COLUMN parties jsonb NOT NULL DEFAULT '{}';
