--[[ alimente-enforcement 2026.1: the periods of debt enforcement, of the
pension-fund report and of limitation that the Alimentenhilfe module
(ah_enforce.c) turns into deadlines and checks. Federal law (SchKG,
InkHV, OR), kept here as data so that a change of law is a new version of
this pack, effective-dated by its valid_from, and never an edit of C.
Every function takes input.date ("YYYY-MM-DD", the day the law is asked
for: the date of the step, of the report, today); the pension-fund
report exists from 2022-01-01 (InkHV), the rest from 2000-01-01.

deadlines({ date, step }) -> { deadlines = { {
    code = str,          -- what is due
    base = <step>,       -- counted from the date of that step
    years = int, months = int, days = int,   -- the period (0 when absent)
    working_day = bool,  -- an end on a Saturday or Sunday moves to the
                         -- Monday (SchKG 31 para. 3; public holidays are
                         -- not known here)
    pause = bool,        -- add the days from the objection to the
                         -- setting aside (SchKG 88 para. 2)
    de = str, fr = str }, ... } }
  that hold while step is the last step of a proceeding; step is one of
  request, payment_order, objection, setting_aside, continuation,
  seizure, loss_certificate, withdrawn.
pension({ date }) -> { min_missing_months = int,  -- InkHV 13: report from
                       payout_threshold = int,    -- InkHV 14: Rappen
                       payout_block_days = int,   -- InkHV 14
                       regular_months = int }     -- InkHV 14: revocation
limitation({ date }) -> { years = int,            -- OR 128 no. 1
                          child_from_age = int }  -- OR 134 para. 1 no. 1
reminders({ date }) -> { steps = { { level = int,   -- 1 the first, ...
                                     days = int,    -- payment deadline
                                     de = str, fr = str }, ... } }
  the reminders (Mahnungen, InkHV 12) before enforcement: each next
  level only after the deadline of the one before; after the last one
  the service requests enforcement. A payment of the debtor after a
  reminder starts again at level 1.
Invalid input raises error("input.<field> ..."), reported as rule_error.
]]

local PERIODS = {
	steps = {
		payment_order = {
			{ code = "objection_by", base = "payment_order", days = 10,
			  working_day = true,
			  de = "Rechtsvorschlag möglich bis (10 Tage ab Zustellung des Zahlungsbefehls, SchKG 74)",
			  fr = "Opposition possible jusqu'au (10 jours dès la notification du commandement de payer, LP 74)" },
			{ code = "continuation_from", base = "payment_order", days = 20,
			  de = "Fortsetzungsbegehren frühestens (20 Tage ab Zustellung des Zahlungsbefehls, SchKG 88)",
			  fr = "Réquisition de continuer la poursuite au plus tôt (20 jours dès la notification, LP 88)" },
			{ code = "continuation_by", base = "payment_order", years = 1,
			  working_day = true,
			  de = "Fortsetzungsbegehren spätestens (1 Jahr ab Zustellung des Zahlungsbefehls, SchKG 88)",
			  fr = "Réquisition de continuer la poursuite au plus tard (1 an dès la notification, LP 88)" },
		},
		objection = {
			{ code = "continuation_by", base = "payment_order", years = 1,
			  working_day = true,
			  de = "Fortsetzungsbegehren spätestens (1 Jahr ab Zustellung; steht während des Rechtsöffnungsverfahrens still, SchKG 88)",
			  fr = "Réquisition de continuer au plus tard (1 an dès la notification; suspendu pendant la mainlevée, LP 88)" },
		},
		setting_aside = {
			{ code = "continuation_by", base = "payment_order", years = 1,
			  working_day = true, pause = true,
			  de = "Fortsetzungsbegehren spätestens (1 Jahr ab Zustellung, ohne die Dauer des Rechtsöffnungsverfahrens, SchKG 88)",
			  fr = "Réquisition de continuer au plus tard (1 an dès la notification, sans la durée de la mainlevée, LP 88)" },
		},
		seizure = {
			{ code = "sale_from", base = "seizure", months = 1,
			  de = "Verwertungsbegehren frühestens (1 Monat nach der Pfändung, SchKG 116)",
			  fr = "Réquisition de vente au plus tôt (1 mois après la saisie, LP 116)" },
			{ code = "sale_by", base = "seizure", years = 1,
			  working_day = true,
			  de = "Verwertungsbegehren spätestens; Lohnpfändung endet (1 Jahr, SchKG 93, 116)",
			  fr = "Réquisition de vente au plus tard; fin de la saisie de salaire (1 an, LP 93, 116)" },
		},
		loss_certificate = {
			{ code = "loss_certificate_limitation", base = "loss_certificate", years = 20,
			  de = "Verlustschein verjährt (20 Jahre, SchKG 149a)",
			  fr = "Acte de défaut de biens prescrit (20 ans, LP 149a)" },
		},
	},
	pension = {
		min_missing_months = 4,
		payout_threshold = 100000,
		payout_block_days = 30,
		regular_months = 12,
	},
	limitation = { years = 5, child_from_age = 18 },
	-- practice of the services (no federal period): 20 days, then 10
	reminders = {
		{ level = 1, days = 20,
		  de = "Mahnung", fr = "Rappel" },
		{ level = 2, days = 10,
		  de = "Zweite Mahnung mit Androhung der Betreibung",
		  fr = "Second rappel avec menace de poursuite" },
	},
}

local STEPS = { request = true, payment_order = true, objection = true,
	setting_aside = true, continuation = true, seizure = true,
	loss_certificate = true, withdrawn = true }

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

local function copy(v)
	if type(v) ~= "table" then return v end
	local t = {}
	for k, x in pairs(v) do t[k] = copy(x) end
	return t
end

-- The date of input, not before first (what the law asked for begins).
local function date_of(input, first)
	if type(input) ~= "table" then fail("input must be an object") end
	local d = input.date
	if type(d) ~= "string" or not d:match("^%d%d%d%d%-%d%d%-%d%d$") then
		fail("input.date must be a date YYYY-MM-DD")
	end
	if d < first then fail("input.date %s is before %s", d, first) end
	return d
end

function deadlines(input)
	date_of(input, "2000-01-01")
	if type(input.step) ~= "string" or not STEPS[input.step] then
		fail("input.step must be a step of a proceeding")
	end
	return { deadlines = copy(PERIODS.steps[input.step] or {}) }
end

-- The pension-fund report came with the InkHV on 2022-01-01.
function pension(input)
	date_of(input, "2022-01-01")
	return copy(PERIODS.pension)
end

-- The reminders are InkHV art. 12's, from 2022-01-01 like the report.
function reminders(input)
	date_of(input, "2022-01-01")
	return { steps = copy(PERIODS.reminders) }
end

function limitation(input)
	date_of(input, "2000-01-01")
	return copy(PERIODS.limitation)
end
