--[[ skos-budget 2025.5: the monthly SKOS budget of one support unit.

Rule authors: figures that change live in PARAMS below, the explain texts in
MESSAGES (German and French); a new year, a canton's own figures or a change
of wording is a new version of this pack (effective-dated by its valid_from),
never an edit of an approved version.
2025.2: the explain texts in German or French (input.language); the figures
and the results are those of 2025.1.
2025.3: a situation-related benefit is explained by its name (input.sil[i].
label, in the explain's language) instead of its code; the figures and the
amounts are those of 2025.1.
2025.4: the same texts, figures and results as 2025.3, made with less work:
each text of MESSAGES becomes a string.format pattern once, when the pack
is loaded, instead of a pattern substitution per line, and amounts are
formatted with integer arithmetic instead of reversing and substituting;
the library functions it calls are locals, not globals looked up through
each evaluation's _ENV.
2025.5: the same texts, figures and results as 2025.4, made with less work:
no string.format per evaluation (each one a C snprintf per number and a
copy of the pattern character by character). Amounts are put together from
digit groups made when the pack is loaded, an explain text is its literal
pieces and values joined in one concatenation, the table's name ("SKOS
2025") is made once per language, a path for an error message
("input.members[2].age") only when the input is refused, and the date's
month and day are compared as two-digit texts instead of by tonumber.

Called as budget(input). All amounts are integer Rappen per month
(CHF 1.00 = 100); a float anywhere in the result is refused by the engine.

input = {
  date          = "YYYY-MM-DD",  -- budget month, not before PARAMS.valid_from
  members       = { { age = int, role = "applicant"|"partner"|"child"|"other",
                      own_household = bool  -- optional, default false
                    }, ... },    -- the support unit: 1 applicant, <= 1 partner
  rent          = int,           -- gross rent of the unit
  rent_ceiling  = int,           -- municipality's maximum (pack rent-ceilings)
  kvg_premium   = int,           -- KVG premiums net of premium reduction
  sil           = { { code = str, amount = int,
                      label = str | { de = str, fr = str }  -- optional name
                    }, ... },    -- optional
  income        = { employment = int, other = int },      -- optional, net
  assets        = int,
  integration_allowance = int,   -- optional: IZU granted (before the cap)
  language      = "de"|"fr",     -- optional, default "de": language of explain
}
result = { need = int, income_counted = int, payment = int,
           lines = { { code = str, amount = int, explain = str }, ... } }

Lines, in this order: gbl, gbl_young_adult_reduction, rent, kvg, sil:<code>
(input order), izu, income_employment, efb, income_other,
assets_above_allowance. gbl, rent and kvg are always present; the others
only when they apply (amount or reason not zero).
Sign convention: need = sum of the amounts of gbl .. izu (a reduction of need
is negative); income_counted = sum of income_employment, efb, income_other
(the allowance EFB is negative). assets_above_allowance is in neither sum: its
amount is the part of the assets above the allowance, and it sets payment 0.
payment = max(0, need - income_counted), or 0 when assets exceed the allowance.
Rules in short: GBL by the number of members; minus 20 % for a one-person
unit whose applicant is 18..25 with own_household true; rent up to the
ceiling; EFB = min(CHF 400, employment income); the IZU is cut so that
IZU + EFB stay within the canton's cap (EFB first, it is a right on
earnings); asset allowance CHF 4,000 alone or 8,000 with a partner, +2,000
per member with role child under 18, at most 10,000.
Rounding: only the young-adult reduction is not exact; it is rounded to the
nearest Rappen, half up, in integer math: (gbl * percent + 50) // 100.
Invalid input raises error("input.<field> ..."), reported as rule_error;
those messages are in English whatever the language.
]]

local PARAMS = {
	table_year = 2025,	-- cited as "SKOS 2025" / "CSIAS 2025"
	valid_from = "2025-01-01",
	-- Grundbedarf by household size 1..7 (SKOS B.2.2, table 2023-2025).
	gbl = { 103100, 157700, 191800, 220600, 249500, 270400, 291300 },
	gbl_per_further_person = 20900,
	-- Young adults in their own single-person household (SKOS 2016).
	young_min_age = 18, young_max_age = 25, young_reduction_percent = 20,
	efb_max = 40000,		-- income allowance on employment income
	izu_efb_cap = 85000,		-- demo canton: IZU + EFB per household
	-- Asset allowance (Vermögensfreibetrag).
	assets_single = 400000, assets_couple = 800000,
	assets_per_minor = 200000, assets_max = 1000000, minor_below_age = 18,
}

-- Explain texts by input.language. {name} is filled from the line's values
-- (amounts already as "CHF 1'031.00"); a language may order them freely.
-- Both languages hold the same keys with the same placeholders. French: the
-- terms of the CSIAS norms and of Bern's French-speaking social services.
local MESSAGES = {
	de = {
		table = "SKOS {year}",
		person = "1 Person",
		persons = "{n} Personen",
		gbl = "Grundbedarf für {persons} ({table}): {amount}",
		gbl_scaled = "Grundbedarf für {persons} ({table}): {base} für {base_persons} + {further} × {per_person} = {amount}",
		gbl_young_adult_reduction = "Junge Erwachsene {min_age}–{max_age} im eigenen Haushalt: {percent} % von {gbl} abgezogen (auf den Rappen gerundet): {amount}",
		rent = "Miete {rent} (Mietzinsmaximum {ceiling})",
		rent_capped = "Miete {rent} über dem Mietzinsmaximum {ceiling}: angerechnet {amount}",
		kvg = "KVG-Prämie nach Prämienverbilligung: {amount}",
		sil = "Situationsbedingte Leistung, {name}: {amount}",
		izu = "Integrationszulage (IZU): {amount}",
		izu_capped = "Integrationszulage (IZU) {granted}, gekürzt auf {amount}: IZU und EFB zusammen höchstens {cap} (EFB {efb})",
		income_employment = "Erwerbseinkommen netto: {amount}",
		efb = "Einkommensfreibetrag (EFB) auf Erwerbseinkommen: {amount} abgezogen",
		efb_limited_income = "Einkommensfreibetrag (EFB) {max}, begrenzt auf das Erwerbseinkommen: {amount} abgezogen",
		efb_limited_cap = "Einkommensfreibetrag (EFB) {max}, begrenzt auf den Höchstbetrag IZU + EFB: {amount} abgezogen",
		income_other = "Übriges Einkommen: {amount}",
		single = "alleinstehend",
		couple = "Paar",
		assets_above_allowance = "Vermögen {assets} über dem Freibetrag {allowance} ({household}, minderjährige Kinder: {minors}): kein Anspruch, zuerst das Vermögen verwenden",
	},
	fr = {
		table = "CSIAS {year}",
		person = "1 personne",
		persons = "{n} personnes",
		gbl = "Forfait pour l'entretien ({table}) pour {persons} : {amount}",
		gbl_scaled = "Forfait pour l'entretien ({table}) pour {persons} : {base} pour {base_persons} + {further} × {per_person} = {amount}",
		gbl_young_adult_reduction = "Jeunes adultes de {min_age} à {max_age} ans dans leur propre ménage : réduction de {percent} % de {gbl} (arrondie au centime) : {amount}",
		rent = "Loyer {rent} (loyer maximal {ceiling})",
		rent_capped = "Loyer {rent} supérieur au loyer maximal {ceiling} : pris en compte {amount}",
		kvg = "Prime d'assurance-maladie (LAMal) après réduction des primes : {amount}",
		sil = "Prestation circonstancielle, {name} : {amount}",
		izu = "Supplément d'intégration (SI) : {amount}",
		izu_capped = "Supplément d'intégration (SI) {granted}, réduit à {amount} : SI et FR ensemble au maximum {cap} (FR {efb})",
		income_employment = "Revenu net d'une activité lucrative : {amount}",
		efb = "Franchise sur le revenu (FR) de l'activité lucrative : {amount} déduits",
		efb_limited_income = "Franchise sur le revenu (FR) {max}, limitée au revenu de l'activité lucrative : {amount} déduits",
		efb_limited_cap = "Franchise sur le revenu (FR) {max}, limitée au maximum SI + FR : {amount} déduits",
		income_other = "Autres revenus : {amount}",
		single = "personne seule",
		couple = "couple",
		assets_above_allowance = "Fortune {assets} supérieure à la franchise sur la fortune {allowance} ({household}, enfants mineurs : {minors}) : pas de droit, la fortune doit d'abord être utilisée",
	},
}

-- The library functions the rules call, as locals: a global is looked up
-- through each evaluation's fresh _ENV on every use.
local type, tostring, next, ipairs, error = type, tostring, next, ipairs, error
local format = string.format
local mtype, tointeger, abs, min, max = math.type, math.tointeger, math.abs, math.min, math.max

local MAX_AMOUNT = 100000000000	-- CHF 1 bn: keeps integer math far from overflow
local ROLES = { applicant = true, partner = true, child = true, other = true }

-- error level 0: the caller wants the message, not a Lua file position.
local function fail(fmt, ...) error(format(fmt, ...), 0) end

local function is_list(t)
	if type(t) ~= "table" then return false end
	local n = 0
	for _ in next, t do n = n + 1 end
	return n == #t
end

-- JSON numbers arrive as integers, or floats for "12.0"; accept whole values.
local function int_in(v, path, lo, hi, optional)
	if mtype(v) == "integer" and v >= lo and v <= hi then return v end
	if v == nil and optional then return 0 end
	if v == nil then fail("%s is missing", path) end
	local i = mtype(v) and tointeger(v)
	if not i then fail("%s must be a whole number", path) end
	if i < lo or i > hi then fail("%s must be between %d and %d", path, lo, hi) end
	return i
end
local function money(v, path, optional) return int_in(v, path, 0, MAX_AMOUNT, optional) end

-- Digit groups, made once when the pack is loaded: LEAD[i + 1] is i as
-- written ("7", "42", "999"), GROUP[i + 1] is i with three digits ("007"),
-- CENTS[i + 1] with two ("05"), for 0 <= i < 1000 (CENTS: < 100).
local LEAD, GROUP, CENTS = {}, {}, {}
for i = 0, 999 do
	LEAD[i + 1], GROUP[i + 1] = format("%d", i), format("%03d", i)
	if i < 100 then CENTS[i + 1] = format("%02d", i) end
end

-- "CHF 1'577.00": Swiss thousands separator, always two decimals.
local function chf(r)
	local a = abs(r)
	local f = a // 100
	local s
	if f < 1000 then
		s = LEAD[f + 1]
	elseif f < 1000000 then
		s = LEAD[f // 1000 + 1] .. "'" .. GROUP[f % 1000 + 1]
	else
		s = "'" .. GROUP[f % 1000 + 1]
		f = f // 1000
		while f >= 1000 do
			s = "'" .. GROUP[f % 1000 + 1] .. s
			f = f // 1000
		end
		s = LEAD[f + 1] .. s
	end
	return (r < 0 and "CHF -" or "CHF ") .. s .. "." .. CENTS[a % 100 + 1]
end

-- Each text of MESSAGES as { literal, name, literal, name, ..., literal }:
-- the text cut at each {name}. Made once when the pack is loaded.
local PIECES = {}
for lang, texts in pairs(MESSAGES) do
	PIECES[lang] = {}
	for key, template in pairs(texts) do
		local p, at = {}, 1
		for s, name, e in template:gmatch("(){([%w_]+)}()") do
			p[#p + 1] = template:sub(at, s - 1)
			p[#p + 1] = name
			at = e
		end
		p[#p + 1] = template:sub(at)
		PIECES[lang][key] = p
	end
end

-- The value of {name} in vars.
local function value(lang, key, vars, name)
	local v = vars and vars[name]
	if v == nil then fail("MESSAGES.%s.%s: no value for {%s}", lang, key, name) end
	return v
end

-- The text of MESSAGES[lang][key] with each {name} replaced by vars[name]
-- (a number as tostring writes it), in one concatenation up to four names.
local function text(lang, key, vars)
	local p = PIECES[lang][key]
	if p == nil then fail("MESSAGES.%s has no text %s", lang, key) end
	local n = #p
	if n == 1 then return p[1] end
	if n == 3 then return p[1] .. value(lang, key, vars, p[2]) .. p[3] end
	if n == 5 then
		return p[1] .. value(lang, key, vars, p[2]) .. p[3] ..
		    value(lang, key, vars, p[4]) .. p[5]
	end
	if n == 7 then
		return p[1] .. value(lang, key, vars, p[2]) .. p[3] ..
		    value(lang, key, vars, p[4]) .. p[5] ..
		    value(lang, key, vars, p[6]) .. p[7]
	end
	if n == 9 then
		return p[1] .. value(lang, key, vars, p[2]) .. p[3] ..
		    value(lang, key, vars, p[4]) .. p[5] ..
		    value(lang, key, vars, p[6]) .. p[7] ..
		    value(lang, key, vars, p[8]) .. p[9]
	end
	local s = p[1]
	for i = 2, n - 1, 2 do s = s .. value(lang, key, vars, p[i]) .. p[i + 1] end
	return s
end

local function persons(lang, n)
	return n == 1 and text(lang, "person") or text(lang, "persons", { n = n })
end

-- "SKOS 2025" / "CSIAS 2025", once per language when the pack is loaded.
local TABLE = {}
for lang in pairs(MESSAGES) do
	TABLE[lang] = text(lang, "table", { year = PARAMS.table_year })
end

local function check(input)
	if type(input) ~= "table" then fail("input must be an object") end
	if input.language ~= nil and input.language ~= "de" and input.language ~= "fr" then
		fail("input.language must be de or fr")
	end
	local m, d = tostring(input.date):match("^%d%d%d%d%-(%d%d)%-(%d%d)$")
	if not m or m < "01" or m > "12" or d < "01" or d > "31" then
		fail("input.date must be a date YYYY-MM-DD")
	end
	if input.date < PARAMS.valid_from then
		fail("input.date %s is before this pack's valid_from %s", input.date, PARAMS.valid_from)
	end
	if not is_list(input.members) or #input.members == 0 then
		fail("input.members must be a non-empty list")
	end
	local count = { applicant = 0, partner = 0, child = 0, other = 0 }
	for i, p in ipairs(input.members) do
		if type(p) ~= "table" then fail("input.members[%d] must be an object", i) end
		local age = p.age
		if mtype(age) ~= "integer" or age < 0 or age > 130 then
			int_in(age, "input.members[" .. i .. "].age", 0, 130)
		end
		if not ROLES[p.role] then
			fail("input.members[%d].role must be applicant, partner, child or other", i)
		end
		if p.own_household ~= nil and type(p.own_household) ~= "boolean" then
			fail("input.members[%d].own_household must be true or false", i)
		end
		count[p.role] = count[p.role] + 1
	end
	if count.applicant ~= 1 then fail("input.members must hold exactly one applicant") end
	if count.partner > 1 then fail("input.members must hold at most one partner") end
	if input.sil ~= nil and not is_list(input.sil) then fail("input.sil must be a list") end
	for i, s in ipairs(input.sil or {}) do
		if type(s) ~= "table" then fail("input.sil[%d] must be an object", i) end
		if type(s.code) ~= "string" or s.code == "" then fail("input.sil[%d].code must be a non-empty text", i) end
		local amount = s.amount
		if mtype(amount) ~= "integer" or amount < 0 or amount > MAX_AMOUNT then
			money(amount, "input.sil[" .. i .. "].amount")
		end
		local l = s.label
		if l ~= nil and type(l) ~= "string" and (type(l) ~= "table" or
		    type(l.de) ~= "string" or type(l.fr) ~= "string") then
			fail("input.sil[%d].label must be a text or {de, fr} texts", i)
		end
		if type(l) == "string" and (l == "" or #l > 200) then
			fail("input.sil[%d].label must be 1 to 200 bytes", i)
		end
	end
	if input.income ~= nil and (type(input.income) ~= "table" or is_list(input.income) and #input.income > 0) then
		fail("input.income must be an object")
	end
	return count
end

function budget(input)
	local count = check(input)
	local lang = input.language or "de"
	local members, lines = input.members, {}
	-- One output line; its explain is MESSAGES[lang][key] filled from vars.
	local function line(code, amount, key, vars)
		lines[#lines + 1] = { code = code, amount = amount, explain = text(lang, key, vars) }
		return amount
	end
	local rent, ceiling = money(input.rent, "input.rent"), money(input.rent_ceiling, "input.rent_ceiling")
	local kvg, assets = money(input.kvg_premium, "input.kvg_premium"), money(input.assets, "input.assets")
	local izu_given = money(input.integration_allowance, "input.integration_allowance", true)
	local income = input.income or {}
	local employment = money(income.employment, "input.income.employment", true)
	local other = money(income.other, "input.income.other", true)
	local tbl = TABLE[lang]

	-- Need: basic needs by household size, with the scale extended past 7.
	local n, t = #members, PARAMS.gbl
	local need
	if n <= #t then
		need = line("gbl", t[n], "gbl", { persons = persons(lang, n), table = tbl, amount = chf(t[n]) })
	else
		local g = t[#t] + (n - #t) * PARAMS.gbl_per_further_person
		need = line("gbl", g, "gbl_scaled", { persons = persons(lang, n), table = tbl,
		    base = chf(t[#t]), base_persons = persons(lang, #t), further = n - #t,
		    per_person = chf(PARAMS.gbl_per_further_person), amount = chf(g) })
	end
	local a = members[1]	-- single-person unit: its one member is the applicant
	if n == 1 and a.own_household == true and a.age >= PARAMS.young_min_age and a.age <= PARAMS.young_max_age then
		local cut = (need * PARAMS.young_reduction_percent + 50) // 100
		need = need + line("gbl_young_adult_reduction", -cut, "gbl_young_adult_reduction", {
		    min_age = PARAMS.young_min_age, max_age = PARAMS.young_max_age,
		    percent = PARAMS.young_reduction_percent, gbl = chf(need), amount = chf(cut) })
	end
	if rent > ceiling then
		need = need + line("rent", ceiling, "rent_capped",
		    { rent = chf(rent), ceiling = chf(ceiling), amount = chf(ceiling) })
	else
		need = need + line("rent", rent, "rent", { rent = chf(rent), ceiling = chf(ceiling) })
	end
	need = need + line("kvg", kvg, "kvg", { amount = chf(kvg) })
	for _, s in ipairs(input.sil or {}) do
		local amount = tointeger(s.amount)
		-- The benefit's name in the explain's language; its code without one.
		local name = type(s.label) == "table" and s.label[lang] or s.label or s.code
		if name == "" then name = s.code end
		need = need + line("sil:" .. s.code, amount, "sil", { name = name, amount = chf(amount) })
	end

	-- EFB is a fixed right on earnings, so it comes first; the cap on
	-- IZU + EFB together cuts the IZU.
	local efb = min(PARAMS.efb_max, employment, PARAMS.izu_efb_cap)
	local izu = min(izu_given, PARAMS.izu_efb_cap - efb)
	if izu < izu_given then
		need = need + line("izu", izu, "izu_capped", { granted = chf(izu_given), amount = chf(izu),
		    cap = chf(PARAMS.izu_efb_cap), efb = chf(efb) })
	elseif izu > 0 then
		need = need + line("izu", izu, "izu", { amount = chf(izu) })
	end

	-- Income counted: net income minus the income allowance.
	local counted = 0
	if employment > 0 then
		counted = counted + line("income_employment", employment, "income_employment", { amount = chf(employment) })
		if efb < PARAMS.efb_max then
			counted = counted + line("efb", -efb,
			    employment < PARAMS.efb_max and "efb_limited_income" or "efb_limited_cap",
			    { max = chf(PARAMS.efb_max), amount = chf(efb) })
		else
			counted = counted + line("efb", -efb, "efb", { amount = chf(efb) })
		end
	end
	if other > 0 then
		counted = counted + line("income_other", other, "income_other", { amount = chf(other) })
	end

	-- Assets above the allowance are used first: no entitlement this month.
	local minors = 0
	for _, p in ipairs(members) do
		if p.role == "child" and p.age < PARAMS.minor_below_age then minors = minors + 1 end
	end
	local couple = count.partner == 1
	local allowance = min(PARAMS.assets_max,
	    (couple and PARAMS.assets_couple or PARAMS.assets_single) + minors * PARAMS.assets_per_minor)
	local payment = max(0, need - counted)
	if assets > allowance then
		line("assets_above_allowance", assets - allowance, "assets_above_allowance", {
		    assets = chf(assets), allowance = chf(allowance),
		    household = text(lang, couple and "couple" or "single"), minors = minors })
		payment = 0
	end
	return { need = need, income_counted = counted, payment = payment, lines = lines }
end
