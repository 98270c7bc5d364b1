--[[ cost-allocation 2024.1: who pays for the case-management platform.

The canton finances the platform in phases (like Bern's NFFS): project,
operation, further development and migration, each with its own key between
the canton and the municipalities or social services, set by ordinance.

Rule authors: the keys are the table KEYS below, one line per phase; the
explain texts are in MESSAGES (German and French). A new key is a new
version of this pack (effective-dated by its valid_from), never an edit of
an approved version. VERSION below is the version label the platform runs
(PACK.version).

Called as allocate(input) and keys(input). All amounts are integer Rappen
(CHF 1.00 = 100).

allocate(input), input = {
  period  = { code = str, from = "YYYY-MM-DD", to = "YYYY-MM-DD" },
  costs   = { { phase = "project"|"operation"|"development"|"migration",
                amount = int >= 0, description = str (optional) }, ... },
                -- several items per phase; a phase's total is their sum
  tenants = { { id = int >= 1, slug = str (optional), name = str,
                dossiers = int, users = int, migrated_dossiers = int,
                municipalities = { { bfs = int, name = str,
                                     population = int }, ... } }, ... },
}
result = {
  key_version = VERSION,
  phases = { { phase, total, canton, parties,
               key = { canton_percent, basis, level } }, ... },
  shares = { { phase, party = "canton", amount,
               basis = { figure = "percent", value, of = 100 },
               explain = { de, fr } },
             { phase, party = "municipality", tenant_id, bfs, name, amount,
               basis = { figure = "population", value, of }, explain },
             { phase, party = "tenant", tenant_id, name, amount,
               basis = { figure = <basis>, value, of }, explain }, ... },
}
phases: in the order of KEYS, only phases with at least one cost item.
shares: per phase the canton first (always, also at 0 %), then every party
of the key's level, also those whose figure is 0 (their share is 0, listed
so that the invoice explains it): tenants by id, a tenant's municipalities
by BFS number. canton + parties = total for every phase, and the shares of
a phase add up to its total exactly.

Rounding, in integer Rappen: a phase total T is split between the canton
and the parties by the largest-remainder method with the weights
canton_percent and 100 - canton_percent; the parties' part P then among
the parties by their figures w (sum W) the same way: floor(P * w / W) each,
then one Rappen more to the largest remainders (P * w) mod W until the part
is used up; ties go to the larger weight, then the lower tenant id or BFS
number (between canton and parties at 50 %: the canton). Each share is then
less than 1 Rappen from its exact quota.
When the figures of a phase sum to 0 (no migrated dossiers, say), the
canton carries the parties' part too: its basis is then 100 %, the parties'
basis { value = 0, of = 0 }, and the explanations say why.

keys(input) ignores its input and returns the key table for display:
{ version = VERSION, phases = { { phase, canton_percent, basis, level,
  label = { de, fr } }, ... } }.

Invalid input raises error("<field path> ..."), e.g. "costs[2].phase must
be one of project, operation, development, migration", reported as
rule_error; those messages are in English.
]]

-- The version label of this pack as the platform runs it (PACK is set by
-- the core and by the rule harness): nothing to keep in step by hand.
local VERSION = PACK.version

-- The financing keys, one line per phase (the order is the result's order).
--   canton_percent  the canton's part of the phase total, whole percent
--   basis           the figure that shares the rest among the parties:
--                   "population" (a municipality's, or summed over a
--                   tenant's municipalities at level "tenant"), "dossiers",
--                   "users", "migrated_dossiers" (a tenant's)
--   level           the parties: "municipality" (each municipality, invoiced
--                   to its tenant) or "tenant" (the social service)
-- DEMO KEYS, not an ordinance's: replace them by the canton's in a new
-- version of this pack.
local KEYS = {
	{ phase = "project",     canton_percent = 50, basis = "population",        level = "municipality" },
	{ phase = "operation",   canton_percent = 0,  basis = "dossiers",          level = "tenant" },
	{ phase = "development", canton_percent = 0,  basis = "users",             level = "tenant" },
	{ phase = "migration",   canton_percent = 0,  basis = "migrated_dossiers", level = "tenant" },
}

-- Explain texts. {name} is filled from the share's values (amounts already
-- as "CHF 1'234.50", figures as "43'000"). Both languages hold the same
-- keys with the same placeholders.
local MESSAGES = {
	de = {
		canton = "{phase}: {canton_percent} % von {total} zulasten des Kantons: {amount}",
		canton_carries = "{phase}: {basis_zero} ist insgesamt 0, daher trägt der Kanton auch den Anteil {of_parties} ({percent} %): 100 % von {total} zulasten des Kantons: {amount}",
		party = "{phase}: {percent} % von {total} zulasten {of_parties}, nach {basis} {value} von {of}: {amount}",
		party_none = "{phase}: {basis_zero} ist insgesamt 0, daher geht der Anteil {of_parties} zulasten des Kantons: {amount}",
		phase = { project = "Projekt", operation = "Betrieb",
		    development = "Weiterentwicklung", migration = "Migration" },
		of_parties = { municipality = "der Gemeinden", tenant = "der Sozialdienste" },
		basis = { population = "Einwohnerzahl", dossiers = "Anzahl Dossiers",
		    users = "Anzahl Benutzer", migrated_dossiers = "Anzahl migrierter Dossiers" },
		basis_zero = { population = "die Einwohnerzahl", dossiers = "die Anzahl Dossiers",
		    users = "die Anzahl Benutzer", migrated_dossiers = "die Anzahl migrierter Dossiers" },
	},
	fr = {
		canton = "{phase} : {canton_percent} % de {total} à la charge du canton : {amount}",
		canton_carries = "{phase} : {basis_zero} est de 0 au total, le canton prend donc aussi en charge la part {of_parties} ({percent} %) : 100 % de {total} à la charge du canton : {amount}",
		party = "{phase} : {percent} % de {total} à la charge {of_parties}, selon {basis} {value} sur {of} : {amount}",
		party_none = "{phase} : {basis_zero} est de 0 au total, la part {of_parties} est donc à la charge du canton : {amount}",
		phase = { project = "Projet", operation = "Exploitation",
		    development = "Développement", migration = "Migration" },
		of_parties = { municipality = "des communes", tenant = "des services sociaux" },
		basis = { population = "la population", dossiers = "le nombre de dossiers",
		    users = "le nombre d'utilisateurs", migrated_dossiers = "le nombre de dossiers migrés" },
		basis_zero = { population = "la population", dossiers = "le nombre de dossiers",
		    users = "le nombre d'utilisateurs", migrated_dossiers = "le nombre de dossiers migrés" },
	},
}
local LANGS = { "de", "fr" }

local MAX_AMOUNT = 100000000000	-- CHF 1 bn per item and per phase total
local MAX_FIGURE = 100000000	-- population, dossiers, users per party
local MAX_BFS = 9999		-- BFS municipality numbers have 4 digits
local TENANT_FIGURES = { "dossiers", "users", "migrated_dossiers" }

-- error level 0: the caller wants the message, not a Lua file position.
local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

-- The keys are checked on every run: a broken edit fails loudly, not
-- silently with a wrong invoice.
local KEY_OF, PHASE_NAMES = {}, {}
for i, k in ipairs(KEYS) do
	if MESSAGES.de.phase[k.phase] == nil or KEY_OF[k.phase] then
		fail("KEYS[%d].phase %s is unknown or repeated", i, tostring(k.phase))
	end
	if math.type(k.canton_percent) ~= "integer" or k.canton_percent < 0 or k.canton_percent > 100 then
		fail("KEYS[%d].canton_percent must be a whole number 0..100", i)
	end
	if k.level ~= "municipality" and k.level ~= "tenant" then
		fail("KEYS[%d].level must be municipality or tenant", i)
	end
	local fits = k.basis == "population"
	for _, f in ipairs(TENANT_FIGURES) do
		fits = fits or k.level == "tenant" and k.basis == f
	end
	if not fits then
		fail("KEYS[%d].basis %s does not fit level %s", i, tostring(k.basis), k.level)
	end
	KEY_OF[k.phase] = k
	PHASE_NAMES[i] = k.phase
end
PHASE_NAMES = table.concat(PHASE_NAMES, ", ")

local function is_list(t)
	if type(t) ~= "table" then return false end
	local n = 0
	for _ in pairs(t) do n = n + 1 end
	return n == #t
end

-- An empty JSON object arrives as an empty table, like an empty list.
local function is_object(t)
	return type(t) == "table" and (next(t) == nil or not is_list(t))
end

-- JSON numbers arrive as integers, or floats for "12.0"; accept whole values.
local function int_in(v, path, lo, hi)
	if v == nil then fail("%s is missing", path) end
	local i = math.type(v) and math.tointeger(v)
	if not i then fail("%s must be a whole number", path) end
	if i < lo or i > hi then fail("%s must be between %d and %d", path, lo, hi) end
	return i
end

local function text_in(v, path, optional)
	if v == nil and optional then return nil end
	if type(v) ~= "string" or v == "" then fail("%s must be a non-empty text", path) end
	return v
end

local function date_in(v, path)
	local y, m, d = tostring(v):match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
	y, m, d = tonumber(y), tonumber(m), tonumber(d)
	local days = m and ({ 31, (y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)) and 29 or 28,
	    31, 30, 31, 30, 31, 31, 30, 31, 30, 31 })[m]
	if type(v) ~= "string" or not days or d < 1 or d > days then
		fail("%s must be a date YYYY-MM-DD", path)
	end
	return v
end

-- "43'000": Swiss thousands separator.
local function thousands(n)
	local s = tostring(math.abs(n)):reverse():gsub("(%d%d%d)", "%1'"):reverse()
	return (n < 0 and "-" or "") .. (s:gsub("^'", ""))
end

-- "CHF 1'234.50": always two decimals.
local function chf(r)
	return string.format("CHF %s%s.%02d", r < 0 and "-" or "",
	    thousands(math.abs(r) // 100), math.abs(r) % 100)
end

-- The text of MESSAGES[lang][key] with each {name} replaced by vars[name];
-- a table value is looked up by the variable's key in that language.
local function text(lang, key, vars)
	local template = MESSAGES[lang][key]
	return (template:gsub("{([%w_]+)}", function(name)
		local v = vars[name]
		if type(v) == "table" then v = MESSAGES[lang][name][v[1]] end
		if v == nil then fail("MESSAGES.%s.%s: no value for {%s}", lang, key, name) end
		return tostring(v)
	end))
end

local function explain(key, vars)
	local e = {}
	for _, lang in ipairs(LANGS) do e[lang] = text(lang, key, vars) end
	return e
end

-- floor(a * b / c) and (a * b) % c for a, b >= 0 and c > 0, also when
-- a * b does not fit 64 bits (CHF 1 bn times a figure of 1e8 does not): a
-- float gives the quotient to within a unit or two, and the remainder
-- a * b - q * c is exact in Lua's wrapping integer arithmetic because its
-- true value is that small; the loops correct the estimate.
local function muldiv(a, b, c)
	local q = math.floor(a * 1.0 * b / c)
	local r = a * b - q * c
	while r < 0 do q, r = q - 1, r + c end
	while r >= c do q, r = q + 1, r - c end
	return q, r
end

-- Largest remainder: split total >= 0 by the weights items[i].w (sum > 0);
-- ties by larger weight, then lower items[i].tie. Amounts in item order.
local function split(total, items)
	local W, given, amounts, rems, order = 0, 0, {}, {}, {}
	for _, it in ipairs(items) do W = W + it.w end
	for i, it in ipairs(items) do
		amounts[i], rems[i] = muldiv(total, it.w, W)
		given = given + amounts[i]
		order[i] = i
	end
	table.sort(order, function(a, b)
		if rems[a] ~= rems[b] then return rems[a] > rems[b] end
		if items[a].w ~= items[b].w then return items[a].w > items[b].w end
		return items[a].tie < items[b].tie
	end)
	for k = 1, total - given do
		amounts[order[k]] = amounts[order[k]] + 1
	end
	return amounts
end

local function check_period(p)
	if not is_object(p) then fail("period must be an object") end
	text_in(p.code, "period.code")
	date_in(p.from, "period.from")
	date_in(p.to, "period.to")
	if p.to < p.from then fail("period.to must not be before period.from") end
end

-- The phase totals; a phase without cost items has none.
local function check_costs(costs)
	if not is_list(costs) then fail("costs must be a list") end
	local totals = {}
	for i, c in ipairs(costs) do
		local path = "costs[" .. i .. "]"
		if not is_object(c) then fail("%s must be an object", path) end
		if KEY_OF[c.phase] == nil then fail("%s.phase must be one of %s", path, PHASE_NAMES) end
		local a = int_in(c.amount, path .. ".amount", 0, MAX_AMOUNT)
		text_in(c.description, path .. ".description", true)
		local t = (totals[c.phase] or 0) + a
		if t > MAX_AMOUNT then
			fail("%s.amount brings the %s total to %d, above the maximum %d",
			    path, c.phase, t, MAX_AMOUNT)
		end
		totals[c.phase] = t
	end
	return totals
end

-- The tenants by id, each with its municipalities by BFS number (copies).
local function check_tenants(list)
	if not is_list(list) then fail("tenants must be a list") end
	local out, ids, bfs_at = {}, {}, {}
	for i, t in ipairs(list) do
		local path = "tenants[" .. i .. "]"
		if not is_object(t) then fail("%s must be an object", path) end
		local id = int_in(t.id, path .. ".id", 1, math.maxinteger)
		if ids[id] then fail("%s.id %d is a duplicate of %s.id", path, id, ids[id]) end
		ids[id] = path
		local o = { id = id, name = text_in(t.name, path .. ".name"), munis = {} }
		text_in(t.slug, path .. ".slug", true)
		for _, f in ipairs(TENANT_FIGURES) do
			o[f] = int_in(t[f], path .. "." .. f, 0, MAX_FIGURE)
		end
		if not is_list(t.municipalities) then fail("%s.municipalities must be a list", path) end
		local pop = 0
		for j, m in ipairs(t.municipalities) do
			local mpath = path .. ".municipalities[" .. j .. "]"
			if not is_object(m) then fail("%s must be an object", mpath) end
			local bfs = int_in(m.bfs, mpath .. ".bfs", 1, MAX_BFS)
			if bfs_at[bfs] then fail("%s.bfs %d is a duplicate of %s.bfs", mpath, bfs, bfs_at[bfs]) end
			bfs_at[bfs] = mpath
			local p = int_in(m.population, mpath .. ".population", 0, MAX_FIGURE)
			o.munis[j] = { bfs = bfs, name = text_in(m.name, mpath .. ".name"), population = p }
			pop = pop + p
		end
		o.population = pop
		table.sort(o.munis, function(a, b) return a.bfs < b.bfs end)
		out[i] = o
	end
	table.sort(out, function(a, b) return a.id < b.id end)
	return out
end

-- The parties of a key: { w = figure, tie = id or bfs, share = {...} }.
local function parties_of(key, tenants)
	local list = {}
	for _, t in ipairs(tenants) do
		if key.level == "tenant" then
			list[#list + 1] = { w = t[key.basis], tie = t.id,
			    share = { party = "tenant", tenant_id = t.id, name = t.name } }
		else
			for _, m in ipairs(t.munis) do
				list[#list + 1] = { w = m.population, tie = m.bfs,
				    share = { party = "municipality", tenant_id = t.id,
				    bfs = m.bfs, name = m.name } }
			end
		end
	end
	return list
end

-- One phase: its summary and its shares appended to shares.
local function allocate_phase(key, total, tenants, shares)
	local parties = parties_of(key, tenants)
	local pct, W = key.canton_percent, 0
	for _, p in ipairs(parties) do W = W + p.w end
	local carries = W == 0 and pct < 100
	local canton, part = total, 0
	if not carries then
		local two = split(total, { { w = pct, tie = 0 }, { w = 100 - pct, tie = 1 } })
		canton, part = two[1], two[2]
	end
	local amounts = part > 0 and split(part, parties) or {}
	local vars = { phase = { key.phase }, of_parties = { key.level },
	    basis = { key.basis }, basis_zero = { key.basis }, total = chf(total),
	    canton_percent = pct, percent = 100 - pct, amount = chf(canton) }

	shares[#shares + 1] = { phase = key.phase, party = "canton", amount = canton,
	    basis = { figure = "percent", value = carries and 100 or pct, of = 100 },
	    explain = explain(carries and "canton_carries" or "canton", vars) }
	for i, p in ipairs(parties) do
		local s, a = p.share, amounts[i] or 0
		s.phase, s.amount = key.phase, a
		s.basis = { figure = key.basis, value = p.w, of = W }
		vars.amount, vars.value, vars.of = chf(a), thousands(p.w), thousands(W)
		s.explain = explain(carries and "party_none" or "party", vars)
		shares[#shares + 1] = s
	end
	return { phase = key.phase, total = total, canton = canton, parties = part,
	    key = { canton_percent = pct, basis = key.basis, level = key.level } }
end

function allocate(input)
	if not is_object(input) then fail("input must be an object") end
	check_period(input.period)
	local totals = check_costs(input.costs)
	local tenants = check_tenants(input.tenants)
	local phases, shares = {}, {}
	for _, key in ipairs(KEYS) do
		if totals[key.phase] ~= nil then
			phases[#phases + 1] = allocate_phase(key, totals[key.phase], tenants, shares)
		end
	end
	return { key_version = VERSION, phases = phases, shares = shares }
end

function keys(input)
	local phases = {}
	for i, k in ipairs(KEYS) do
		phases[i] = { phase = k.phase, canton_percent = k.canton_percent,
		    basis = k.basis, level = k.level,
		    label = { de = MESSAGES.de.phase[k.phase], fr = MESSAGES.fr.phase[k.phase] } }
	end
	return { version = VERSION, phases = phases }
end
