--[[ retention 2026.1: how long the canton's social services keep records.

periods(input) answers the retention periods in force on the day the rule
is evaluated for (the platform asks for the day the retention job runs;
a new law is a new version of this pack with its valid_from, never an
edit of an approved version). The retention job (core/retention.c)
deletes a closed dossier with everything that belongs to it (journal,
deadlines, documents, budgets, decisions, its client account and payment
lines) and then the persons no other record names, when both hold:

  - the dossier was closed more than dossier_closed_years years ago
    (closed_on + dossier_closed_years < the day), and
  - its last booking (client account) lies in a business year that ended
    more than accounting_years years ago: accounting records are kept
    ten years after the end of the business year (Art. 958f OR, which
    the cantonal laws on public finances apply to the social services).

The figure for dossiers is the platform's choice until the canton sets
its own (the domain facts name none): ten years after closing, as the
cantonal archive rules for social assistance files commonly require and
long enough for repayment claims (Rückerstattung) to be raised.

The audit log is not deleted: it holds ids and digests of what happened
and stays verifiable; a deletion is itself recorded there.

input = {} (nothing needed); result = {
  dossier_closed_years = int, accounting_years = int, version = str }
]]

local VERSION = PACK.version

local PERIODS = {
	dossier_closed_years = 10,
	accounting_years = 10,
}

function periods(input)
	return {
		dossier_closed_years = PERIODS.dossier_closed_years,
		accounting_years = PERIODS.accounting_years,
		version = VERSION,
	}
end
