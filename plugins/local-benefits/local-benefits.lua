--[[ local-benefits 2025.1: the canton's code and bounds for the local
benefits a social service grants on top of the SKOS budget (e.g. a
municipal winter allowance or a contribution to public transport).

Each social service enters its own benefits as rule data; this pack reads
them as DATA and declares the bounds the canton sets. The Sozialhilfe
budget adds the benefits as circumstance-related benefits (SIL).

DATA = { benefits = { { code = "winterzulage",
                        label = { de = "Winterzulage", fr = "Allocation d'hiver" },
                        amount = <Rappen per month>,
                        per = "household" | "person" }, ... } }

benefits(input)  input = { household_size = int >= 1 }
                 returns { lines = { { code, amount, label = {de, fr} } } }
                 (empty when the service grants none).
bounds(input)    what the editor shows: the canton's limits.
validate(input)  input = { data = DATA, municipalities = ... }; returns
                 { violations = { { path, bound, limit, value, message } } }.

DEMO FIGURES: the canton's limits below are illustrative.
]]

-- The canton's bounds: change them here, in a new version of this pack.
local MAX_AMOUNT = 30000	-- CHF 300.00 per month and benefit
local MAX_BENEFITS = 10
local PER = { household = true, person = true }

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

local function chf(r)
	local s = string.format("%d", r // 100)
	local t = s:reverse():gsub("(%d%d%d)", "%1'"):reverse()
	if t:sub(1, 1) == "'" then t = t:sub(2) end
	return string.format("CHF %s.%02d", t, r % 100)
end

function benefits(input)
	if type(input) ~= "table" then fail("input must be an object") end
	local size = math.type(input.household_size) and math.tointeger(input.household_size)
	if not size or size < 1 then fail("input.household_size must be a whole number, 1 or more") end
	local lines = {}
	if type(DATA) ~= "table" or type(DATA.benefits) ~= "table" then
		return { lines = lines }
	end
	for _, b in ipairs(DATA.benefits) do
		local amount = b.per == "person" and b.amount * size or b.amount
		lines[#lines + 1] = { code = b.code, amount = amount, label = b.label }
	end
	return { lines = lines }
end

function bounds(input)
	return { max_amount = MAX_AMOUNT, max_benefits = MAX_BENEFITS,
	    per = { "household", "person" },
	    rules = {
		de = "Höchstens " .. MAX_BENEFITS .. " Leistungen, je höchstens "
		    .. chf(MAX_AMOUNT) .. " im Monat (pro Haushalt oder pro Person); "
		    .. "Kürzel aus Kleinbuchstaben, eindeutig; Bezeichnung deutsch und französisch.",
		fr = "Au plus " .. MAX_BENEFITS .. " prestations, chacune au plus "
		    .. chf(MAX_AMOUNT) .. " par mois (par ménage ou par personne) ; "
		    .. "code en minuscules, unique ; libellé en allemand et en français." } }
end

local function violation(list, path, bound, limit, value, de, fr)
	list[#list + 1] = { path = path, bound = bound, limit = limit,
	    value = value, message = { de = de, fr = fr } }
end

local function check(v, b, i, seen)
	local p = string.format("benefits[%d]", i)
	if type(b) ~= "table" then
		violation(v, p, "object", nil, nil, "Leistung " .. i .. ": ungültig",
		    "Prestation " .. i .. " : invalide")
		return
	end
	local code = type(b.code) == "string" and b.code or ""
	if not code:match("^[a-z][a-z0-9_]*$") or #code > 30 then
		violation(v, p .. ".code", "code", nil, nil,
		    string.format("Leistung %d: Kürzel aus Kleinbuchstaben, Ziffern und _ (höchstens 30)", i),
		    string.format("Prestation %d : code en minuscules, chiffres et _ (30 au plus)", i))
	elseif seen[code] then
		violation(v, p .. ".code", "unique", nil, nil,
		    string.format("Das Kürzel %s ist doppelt", code),
		    string.format("Le code %s figure deux fois", code))
	end
	seen[code] = true
	local l = type(b.label) == "table" and b.label or {}
	for _, lang in ipairs({ "de", "fr" }) do
		if type(l[lang]) ~= "string" or l[lang] == "" or utf8.len(l[lang]) == nil or utf8.len(l[lang]) > 60 then
			violation(v, p .. ".label." .. lang, "label", 60, nil,
			    string.format("Leistung %d: Bezeichnung (%s) fehlt oder ist länger als 60 Zeichen", i, lang),
			    string.format("Prestation %d : libellé (%s) manquant ou plus long que 60 caractères", i, lang))
		end
	end
	if not PER[b.per] then
		violation(v, p .. ".per", "per", nil, nil,
		    string.format("Leistung %d: pro Haushalt oder pro Person", i),
		    string.format("Prestation %d : par ménage ou par personne", i))
	end
	local a = b.amount
	if math.type(a) ~= "integer" or a <= 0 then
		violation(v, p .. ".amount", "positive", nil, nil,
		    string.format("Leistung %d: ein Betrag über null in Rappen", i),
		    string.format("Prestation %d : un montant positif en centimes", i))
	elseif a > MAX_AMOUNT then
		local name_de = type(l.de) == "string" and l.de or code
		local name_fr = type(l.fr) == "string" and l.fr or code
		violation(v, p .. ".amount", "max", MAX_AMOUNT, a,
		    string.format("%s: %s über dem kantonalen Höchstbetrag %s", name_de, chf(a), chf(MAX_AMOUNT)),
		    string.format("%s : %s dépasse le montant maximal cantonal %s", name_fr, chf(a), chf(MAX_AMOUNT)))
	end
end

function validate(input)
	if type(input) ~= "table" then fail("input must be an object") end
	local v, data = {}, input.data
	if type(data) ~= "table" or type(data.benefits) ~= "table" then
		violation(v, "benefits", "required", nil, nil,
		    "Die Liste der Leistungen fehlt (leer ist erlaubt)",
		    "La liste des prestations manque (vide est permis)")
		return { violations = v }
	end
	if #data.benefits > MAX_BENEFITS then
		violation(v, "benefits", "count", MAX_BENEFITS, #data.benefits,
		    string.format("Höchstens %d Leistungen", MAX_BENEFITS),
		    string.format("Au plus %d prestations", MAX_BENEFITS))
	end
	local seen = {}
	for i, b in ipairs(data.benefits) do check(v, b, i, seen) end
	return { violations = v }
end
