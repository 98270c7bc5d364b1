--[[ burden-sharing 2024.1: the Lastenausgleich of social assistance costs.

Canton Bern style (FILAG): the eligible social assistance costs of all
municipalities are pooled; the canton carries KEY.canton_percent of the
pool, the municipalities together the rest, each municipality its part of
that municipal half by population. A municipality whose share is above its
own costs pays the difference into the pool; one below receives it.

Rule authors: the key is KEY below, the explain texts are in MESSAGES
(German and French). A new key is a new version of this pack
(effective-dated by its valid_from), never an edit of an approved version.
VERSION below is the version label the platform runs (PACK.version).

Called as share(input). All amounts are integer Rappen (CHF 1.00 = 100).

input = {
  period         = { code = str, from = "YYYY-MM-DD", to = "YYYY-MM-DD" },
  municipalities = { { bfs = int, name = str,
                       tenant_id = int (optional: a municipality whose
                                   social service is not on the platform
                                   takes part all the same),
                       population = int >= 0,
                       costs = int  -- may be negative: repayments above
                                    -- payments },
                     ... },     -- at least one
}
result = {
  key_version = VERSION, canton_percent = int, total_costs = int,
  canton = int, municipalities_total = int,
  rows = { { bfs, name, tenant_id, population, costs,
             share = int,    -- its part of municipalities_total
             balance = int,  -- share - costs: > 0 pays into the pool,
                             -- < 0 receives from it
             explain = { de, fr } }, ... },   -- by BFS number
}
canton + municipalities_total = total_costs and the shares add up to
municipalities_total, exactly.

Rounding, in integer Rappen, by the largest-remainder method: the total
costs T between canton and municipalities with the weights canton_percent
and 100 - canton_percent, then the municipal part M by population p (sum
P): floor(M * p / P) each, then one Rappen more to the largest remainders
(M * p) mod P until M is used up; ties go to the larger population, then to
the lower BFS number (between canton and municipalities at 50 %: the
canton). A negative amount is split by its absolute value and negated.
Each share is then less than 1 Rappen from its exact quota.

Invalid input raises error("<field path> ..."), reported as rule_error;
those messages are in English. A population summing to 0 while the
municipalities' part is not 0 is refused: that part cannot be shared.
]]

-- The version label of this pack as the platform runs it (PACK is set by
-- the core and by the rule harness): nothing to keep in step by hand.
local VERSION = PACK.version

-- The key: the canton's part in whole percent; the municipalities' part
-- is shared by population.
local KEY = { canton_percent = 50 }

-- Explain texts; {name} is filled from the row (amounts as "CHF 1'234.50",
-- figures as "43'000"). Both languages hold the same keys.
local MESSAGES = {
	de = {
		row = "Lastenausgleich: {percent} % von {total} zulasten der Gemeinden, nach Einwohnerzahl {population} von {of}: Anteil {share}; eigene Kosten {costs}; Saldo {balance}, {direction}",
		pays = "zahlt in den Ausgleich ein",
		receives = "erhält aus dem Ausgleich",
		even = "ausgeglichen",
	},
	fr = {
		row = "Compensation des charges : {percent} % de {total} à la charge des communes, selon la population {population} sur {of} : part {share} ; coûts propres {costs} ; solde {balance}, {direction}",
		pays = "verse à la compensation",
		receives = "reçoit de la compensation",
		even = "équilibré",
	},
}
local LANGS = { "de", "fr" }

local MAX_AMOUNT = 100000000000	-- CHF 1 bn of costs per municipality
local MAX_FIGURE = 100000000	-- population per municipality
local MAX_BFS = 9999		-- BFS municipality numbers have 4 digits

-- error level 0: the caller wants the message, not a Lua file position.
local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

if math.type(KEY.canton_percent) ~= "integer" or KEY.canton_percent < 0 or KEY.canton_percent > 100 then
	fail("KEY.canton_percent must be a whole number 0..100")
end

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

local function text_in(v, path)
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

-- "CHF 1'234.50", "CHF -12.05": always two decimals.
local function chf(r)
	return string.format("CHF %s%s.%02d", r < 0 and "-" or "",
	    thousands(math.abs(r) // 100), math.abs(r) % 100)
end

local function text(lang, key, vars)
	return (MESSAGES[lang][key]:gsub("{([%w_]+)}", function(name)
		local v = vars[name]
		if type(v) == "table" then v = MESSAGES[lang][v[1]] end
		if v == nil then fail("MESSAGES.%s.%s: no value for {%s}", lang, key, name) end
		return tostring(v)
	end))
end

-- floor(a * b / c) and (a * b) % c for a, b >= 0 and c > 0, also when
-- a * b does not fit 64 bits: a float gives the quotient to within a unit
-- or two, and the remainder a * b - q * c is exact in Lua's wrapping
-- integer arithmetic because its true value is that small; the loops
-- correct the estimate.
local function muldiv(a, b, c)
	local q = math.floor(a * 1.0 * b / c)
	local r = a * b - q * c
	while r < 0 do q, r = q - 1, r + c end
	while r >= c do q, r = q + 1, r - c end
	return q, r
end

-- Largest remainder: split total by the weights items[i].w (sum > 0); ties
-- by larger weight, then lower items[i].tie. A negative total is split by
-- its absolute value and negated. Amounts in item order.
local function split(total, items)
	local T, W, given, amounts, rems, order = math.abs(total), 0, 0, {}, {}, {}
	for _, it in ipairs(items) do W = W + it.w end
	for i, it in ipairs(items) do
		amounts[i], rems[i] = muldiv(T, it.w, W)
		given = given + amounts[i]
		order[i] = i
	end
	table.sort(order, function(a, b)
		if rems[a] ~= rems[b] then return rems[a] > rems[b] end
		if items[a].w ~= items[b].w then return items[a].w > items[b].w end
		return items[a].tie < items[b].tie
	end)
	for k = 1, T - given do
		amounts[order[k]] = amounts[order[k]] + 1
	end
	if total < 0 then
		for i = 1, #amounts do amounts[i] = -amounts[i] end
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

-- The rows by BFS number (copies), with the sums of population and costs.
local function check_municipalities(list)
	if not is_list(list) or #list == 0 then fail("municipalities must be a non-empty list") end
	local rows, at, population, costs = {}, {}, 0, 0
	for i, m in ipairs(list) do
		local path = "municipalities[" .. i .. "]"
		if not is_object(m) then fail("%s must be an object", path) end
		local r = { bfs = int_in(m.bfs, path .. ".bfs", 1, MAX_BFS) }
		if at[r.bfs] then fail("%s.bfs %d is a duplicate of %s.bfs", path, r.bfs, at[r.bfs]) end
		at[r.bfs] = path
		r.name = text_in(m.name, path .. ".name")
		if m.tenant_id ~= nil then
			r.tenant_id = int_in(m.tenant_id, path .. ".tenant_id", 1, math.maxinteger)
		end
		r.population = int_in(m.population, path .. ".population", 0, MAX_FIGURE)
		r.costs = int_in(m.costs, path .. ".costs", -MAX_AMOUNT, MAX_AMOUNT)
		population, costs = population + r.population, costs + r.costs
		rows[i] = r
	end
	table.sort(rows, function(a, b) return a.bfs < b.bfs end)
	return rows, population, costs
end

function share(input)
	if not is_object(input) then fail("input must be an object") end
	check_period(input.period)
	local rows, population, total = check_municipalities(input.municipalities)
	local pct = KEY.canton_percent
	local two = split(total, { { w = pct, tie = 0 }, { w = 100 - pct, tie = 1 } })
	local canton, part = two[1], two[2]
	local shares = {}
	if part ~= 0 then
		if population == 0 then
			fail("municipalities[].population sums to 0: the municipalities' part %s of the costs cannot be shared by population", chf(part))
		end
		local items = {}
		for i, r in ipairs(rows) do items[i] = { w = r.population, tie = r.bfs } end
		shares = split(part, items)
	end
	for i, r in ipairs(rows) do
		r.share = shares[i] or 0
		r.balance = r.share - r.costs
		local vars = { percent = 100 - pct, total = chf(total),
		    population = thousands(r.population), of = thousands(population),
		    share = chf(r.share), costs = chf(r.costs), balance = chf(r.balance),
		    direction = { r.balance > 0 and "pays" or r.balance < 0 and "receives" or "even" } }
		r.explain = {}
		for _, lang in ipairs(LANGS) do r.explain[lang] = text(lang, "row", vars) end
	end
	return { key_version = VERSION, canton_percent = pct, total_costs = total,
	    canton = canton, municipalities_total = part, rows = rows }
end
