--[[ alimente-advance 2025.1: the advance of child support (Bevorschussung)
for one child and one month, canton Bern (GIB, IBV).

Rule authors: figures that change live in PARAMS below (caps by date, age
limits, the means-test limits), the explain texts in MESSAGES (German and
French). A new cap, new limits or a change of wording is a new version of
this pack (effective-dated by its valid_from), never an edit of an
approved version.

DEMO VALUES: the means-test limits (PARAMS.means, income and assets by
household size) are illustrative, not the figures of the IBV; every result
says so (limits.demo = true, and the explain of the means-test lines).
The caps are the maximum simple AHV orphan's pension (CHF 980 in 2023 and
2024, CHF 1,008 from 2025-01-01).

Called as advance(input). Amounts are integer Rappen (CHF 1.00 = 100).

input = {
  date      = "YYYY-MM-DD",      -- the day the advance is decided for
  child     = { birth_date = "YYYY-MM-DD", in_education = bool },
  title_amount = int,            -- current child support per month (title)
  on_social_assistance = bool,   -- the child is permanently on social assistance
  household = { size = int >= 1, -- persons in the child's household
                income = int,    -- per year
                assets = int },
  language  = "de"|"fr",         -- optional, default "de": language of explain
}
result = {
  eligible = bool, amount = int, cap = int,
  limits = { income = int, assets = int, demo = true },
  lines = { { code = str, amount = int, explain = str }, ... },
}
Lines, in this order: age (always), social_assistance (only when true),
income, assets (always), then advance (eligible) or no_advance (not).
Only the last line carries an amount: the lines sum to result.amount.
Rules in short: a minor (before the 18th birthday), or a child in
education before the 25th birthday; not permanently on social assistance;
income and assets of the household at most the limits for its size (the
last column for larger households); then amount = min(title_amount, cap)
with the cap in force on input.date. A title of 0 advances nothing.
Birthdays: the n-th birthday of a child born on 29 February is 28 February
in a year without one (OR 77 para. 1 no. 3). The age is taken on
input.date: the module asks for the day it decides (e.g. the first of the
month), so a birthday ends the advance from the next decision on.
Invalid input raises error("input.<field> ..."), reported as rule_error.
]]

local PARAMS = {
	-- Cap per child and month: from the date on (ascending).
	caps = {
		{ from = "2023-01-01", amount = 98000 },
		{ from = "2025-01-01", amount = 100800 },
	},
	minor_below_age = 18,
	education_below_age = 25,
	-- DEMO VALUES, not the IBV's: household income per year and assets,
	-- by household size 1, 2, ..., the last column for larger households.
	means = {
		demo = true,
		income = { 5000000, 6000000, 7000000, 8000000, 9000000, 10000000 },
		assets = { 2500000, 5000000, 6000000, 7000000, 8000000, 9000000 },
	},
}

local MESSAGES = {
	de = {
		minor = "Minderjährig: 18. Geburtstag am {birthday}",
		education = "In Ausbildung vor dem 25. Geburtstag ({birthday})",
		adult = "Volljährig seit {birthday18} und nicht in Ausbildung: keine Bevorschussung",
		too_old = "25. Geburtstag am {birthday}: keine Bevorschussung mehr, auch in Ausbildung",
		social_assistance = "Das Kind wird dauernd von der Sozialhilfe unterstützt: keine Bevorschussung, der Unterhalt wird an die Sozialhilfe abgetreten",
		income = "Einkommen des Haushalts ({size}) {value} im Jahr, Grenze {limit} (Demo-Werte)",
		income_above = "Einkommen des Haushalts ({size}) {value} im Jahr über der Grenze {limit} (Demo-Werte): keine Bevorschussung",
		assets = "Vermögen des Haushalts ({size}) {value}, Grenze {limit} (Demo-Werte)",
		assets_above = "Vermögen des Haushalts ({size}) {value} über der Grenze {limit} (Demo-Werte): keine Bevorschussung",
		person = "1 Person",
		persons = "{n} Personen",
		advance = "Unterhaltsbeitrag gemäss Titel {title}, Höchstbetrag ab {from} {cap}: bevorschusst {amount}",
		advance_capped = "Unterhaltsbeitrag gemäss Titel {title} über dem Höchstbetrag ab {from} {cap}: bevorschusst {amount}",
		title_zero = "Der Titel setzt keinen Unterhaltsbeitrag fest: nichts zu bevorschussen",
		no_advance = "Keine Bevorschussung: {reasons}",
		r_age = "Alter",
		r_social_assistance = "Sozialhilfe",
		r_income = "Einkommen",
		r_assets = "Vermögen",
		r_title = "kein Unterhaltsbeitrag",
	},
	fr = {
		minor = "Mineur : 18 ans le {birthday}",
		education = "En formation avant ses 25 ans ({birthday})",
		adult = "Majeur depuis le {birthday18} et pas en formation : pas d'avance",
		too_old = "25 ans le {birthday} : plus d'avance, même en formation",
		social_assistance = "L'enfant est durablement soutenu par l'aide sociale : pas d'avance, l'entretien est cédé à l'aide sociale",
		income = "Revenu du ménage ({size}) {value} par an, limite {limit} (valeurs de démonstration)",
		income_above = "Revenu du ménage ({size}) {value} par an supérieur à la limite {limit} (valeurs de démonstration) : pas d'avance",
		assets = "Fortune du ménage ({size}) {value}, limite {limit} (valeurs de démonstration)",
		assets_above = "Fortune du ménage ({size}) {value} supérieure à la limite {limit} (valeurs de démonstration) : pas d'avance",
		person = "1 personne",
		persons = "{n} personnes",
		advance = "Contribution d'entretien selon le titre {title}, montant maximal dès le {from} {cap} : avance {amount}",
		advance_capped = "Contribution d'entretien selon le titre {title} supérieure au montant maximal dès le {from} {cap} : avance {amount}",
		title_zero = "Le titre ne fixe aucune contribution d'entretien : rien à avancer",
		no_advance = "Pas d'avance : {reasons}",
		r_age = "âge",
		r_social_assistance = "aide sociale",
		r_income = "revenu",
		r_assets = "fortune",
		r_title = "aucune contribution",
	},
}

local MAX_AMOUNT = 100000000000	-- CHF 1 bn: keeps integer math far from overflow

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

local function int_in(v, path, lo, hi)
	if v == nil then fail("%s is missing", path) end
	local i = math.type(v) and math.tointeger(v)
	if not i then fail("%s must be a whole number", path) end
	if i < lo or i > hi then fail("%s must be between %d and %d", path, lo, hi) end
	return i
end

local function bool(v, path)
	if type(v) ~= "boolean" then fail("%s must be true or false", path) end
	return v
end

local function leap(y) return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) end
local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
local function days_in(y, m) return m == 2 and leap(y) and 29 or MONTH_DAYS[m] end

local function date(v, path)
	local y, m, d
	if type(v) == "string" then y, m, d = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$") end
	y, m, d = tonumber(y), tonumber(m), tonumber(d)
	if not y or m < 1 or m > 12 or d < 1 or d > days_in(y, m) then
		fail("%s must be a date YYYY-MM-DD", path)
	end
	return { y = y, m = m, d = d, s = v }
end

-- The n-th birthday as "YYYY-MM-DD"; 29 February -> 28 February (OR 77).
local function birthday(b, n)
	local y, d = b.y + n, b.d
	if d > days_in(y, b.m) then d = days_in(y, b.m) end
	return string.format("%04d-%02d-%02d", y, b.m, d)
end

local function chf(r)
	local s = tostring(r // 100):reverse():gsub("(%d%d%d)", "%1'"):reverse()
	return string.format("CHF %s.%02d", (s:gsub("^'", "")), r % 100)
end

local function text(lang, key, vars)
	local template = MESSAGES[lang][key]
	if template == nil then fail("MESSAGES.%s has no text %s", lang, key) end
	return (template:gsub("{([%w_]+)}", function(name)
		local v = vars and vars[name]
		if v == nil then fail("MESSAGES.%s.%s: no value for {%s}", lang, key, name) end
		return tostring(v)
	end))
end

local function by_size(list, size) return list[math.min(size, #list)] end

function advance(input)
	if type(input) ~= "table" then fail("input must be an object") end
	local lang = input.language == nil and "de" or input.language
	if lang ~= "de" and lang ~= "fr" then fail("input.language must be de or fr") end
	local day = date(input.date, "input.date")
	if day.s < PARAMS.caps[1].from then
		fail("input.date %s is before this pack's first cap (%s)", day.s, PARAMS.caps[1].from)
	end
	if type(input.child) ~= "table" then fail("input.child must be an object") end
	local born = date(input.child.birth_date, "input.child.birth_date")
	if born.s > day.s then fail("input.child.birth_date is after input.date") end
	local in_education = bool(input.child.in_education, "input.child.in_education")
	local title = int_in(input.title_amount, "input.title_amount", 0, MAX_AMOUNT)
	local on_sa = bool(input.on_social_assistance, "input.on_social_assistance")
	local h = input.household
	if type(h) ~= "table" then fail("input.household must be an object") end
	local size = int_in(h.size, "input.household.size", 1, 100)
	local income = int_in(h.income, "input.household.income", 0, MAX_AMOUNT)
	local assets = int_in(h.assets, "input.household.assets", 0, MAX_AMOUNT)

	local cap = PARAMS.caps[1]
	for _, c in ipairs(PARAMS.caps) do
		if c.from <= day.s then cap = c end
	end
	local lines, reasons = {}, {}
	local function line(code, key, vars)
		lines[#lines + 1] = { code = code, amount = 0, explain = text(lang, key, vars) }
	end

	local b18 = birthday(born, PARAMS.minor_below_age)
	local b25 = birthday(born, PARAMS.education_below_age)
	if day.s < b18 then
		line("age", "minor", { birthday = b18 })
	elseif in_education and day.s < b25 then
		line("age", "education", { birthday = b25 })
	else
		line("age", in_education and "too_old" or "adult", { birthday = b25, birthday18 = b18 })
		reasons[#reasons + 1] = text(lang, "r_age")
	end
	if on_sa then
		line("social_assistance", "social_assistance")
		reasons[#reasons + 1] = text(lang, "r_social_assistance")
	end
	local who = size == 1 and text(lang, "person") or text(lang, "persons", { n = size })
	local lim_income = by_size(PARAMS.means.income, size)
	local lim_assets = by_size(PARAMS.means.assets, size)
	local over_income, over_assets = income > lim_income, assets > lim_assets
	line("income", over_income and "income_above" or "income",
	    { size = who, value = chf(income), limit = chf(lim_income) })
	if over_income then reasons[#reasons + 1] = text(lang, "r_income") end
	line("assets", over_assets and "assets_above" or "assets",
	    { size = who, value = chf(assets), limit = chf(lim_assets) })
	if over_assets then reasons[#reasons + 1] = text(lang, "r_assets") end

	local eligible = #reasons == 0 and title > 0
	local amount = 0
	if #reasons > 0 then
		lines[#lines + 1] = { code = "no_advance", amount = 0,
		    explain = text(lang, "no_advance", { reasons = table.concat(reasons, ", ") }) }
	elseif title == 0 then
		lines[#lines + 1] = { code = "no_advance", amount = 0, explain = text(lang, "title_zero") }
	else
		amount = math.min(title, cap.amount)
		lines[#lines + 1] = { code = "advance", amount = amount,
		    explain = text(lang, title > cap.amount and "advance_capped" or "advance",
		    { title = chf(title), from = cap.from, cap = chf(cap.amount), amount = chf(amount) }) }
	end
	return { eligible = eligible, amount = amount, cap = cap.amount,
	    limits = { income = lim_income, assets = lim_assets, demo = PARAMS.means.demo },
	    lines = lines }
end
