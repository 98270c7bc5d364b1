-- The client accounts' payments are the exported payment lines (core
-- migration 0044, view ledger): the export no longer writes a ledger
-- entry per line, and the index that kept it from writing one twice
-- has nothing left to keep.
DROP INDEX IF EXISTS ledger_payment_once;
