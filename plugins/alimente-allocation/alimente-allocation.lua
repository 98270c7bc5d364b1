--[[ alimente-allocation 2025.1: one debtor payment over the open items of
a maintenance dossier, in canton Bern's order.

Rule authors: the order is PARAMS.order below (the item kinds, first paid
first); the explain texts are in MESSAGES (German and French). Another
order is a new version of this pack (effective-dated by its valid_from).

Bern's order (demo of the canton's practice): the creditor's current
maintenance first, then the creditor's arrears, then the advances the
community made and took over (subrogated, ZGB 289 para. 2): the child's
own claims come before the community's. Within a kind the oldest due date
first (OR 87); items of the same kind and due date (e.g. two children's
maintenance of one month) share a payment that does not cover them all
pro rata to their open amounts, by the largest remainder (larger
remainder, then larger open amount, then lower id get the extra Rappen).

Called as allocate(input). Amounts are integer Rappen.

input = {
  payment = int >= 0,            -- the debtor's payment
  items   = { { id = int >= 1,   -- the module's open item (unique)
                kind = "current"|"arrears"|"subrogated",
                due_date = "YYYY-MM-DD",
                amount = int >= 0 },  -- still open on the item
              ... },
  language = "de"|"fr",          -- optional, default "de": language of explain
}
result = {
  order = { "current", "arrears", "subrogated" },
  parts = { { id, kind, due_date, amount, explain }, ...,
            { kind = "surplus", amount, explain } },  -- the last only if > 0
  surplus = int,                 -- what is left when every item is paid
}
parts: the items that get more than 0, in the order they are paid; the
parts sum to the payment (the surplus, a credit of the debtor that the
module refunds or keeps for the next month, is a part of its own); no item
gets more than it is owed.
Invalid input raises error("input.<field> ..."), reported as rule_error.
]]

local PARAMS = {
	order = { "current", "arrears", "subrogated" },
}

local MESSAGES = {
	de = {
		current = "Laufender Unterhalt fällig am {due} (Posten {id}): {amount}",
		arrears = "Ausstand fällig am {due} (Posten {id}): {amount}",
		subrogated = "Bevorschusster Unterhalt fällig am {due}, an das Gemeinwesen (Posten {id}): {amount}",
		partial = "{text}, Teilzahlung von {open}",
		surplus = "Überschuss, alle offenen Posten bezahlt: {amount}",
	},
	fr = {
		current = "Entretien courant échu le {due} (poste {id}) : {amount}",
		arrears = "Arriéré échu le {due} (poste {id}) : {amount}",
		subrogated = "Entretien avancé échu le {due}, à la collectivité (poste {id}) : {amount}",
		partial = "{text}, paiement partiel de {open}",
		surplus = "Excédent, tous les postes ouverts payés : {amount}",
	},
}

-- CHF 10 m per amount, at most 10,000 items: a share's product
-- payment * open stays below 2^63.
local MAX_AMOUNT = 1000000000
local MAX_ITEMS = 10000

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

local function int_in(v, path, lo, hi)
	if v == nil then fail("%s is missing", path) end
	local i = math.type(v) and math.tointeger(v)
	if not i then fail("%s must be a whole number", path) end
	if i < lo or i > hi then fail("%s must be between %d and %d", path, lo, hi) end
	return i
end

local function is_list(t)
	if type(t) ~= "table" then return false end
	local n = 0
	for _ in pairs(t) do n = n + 1 end
	return n == #t
end

local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
local function date(v, path)
	local y, m, d
	if type(v) == "string" then y, m, d = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$") end
	y, m, d = tonumber(y), tonumber(m), tonumber(d)
	local leap = y and y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
	if not y or m < 1 or m > 12 or d < 1
	    or d > (m == 2 and leap and 29 or MONTH_DAYS[m]) then
		fail("%s must be a date YYYY-MM-DD", path)
	end
	return v
end

local function chf(r)
	local s = tostring(r // 100):reverse():gsub("(%d%d%d)", "%1'"):reverse()
	return string.format("CHF %s.%02d", (s:gsub("^'", "")), r % 100)
end

local function text(lang, key, vars)
	return (MESSAGES[lang][key]:gsub("{([%w_]+)}", function(name)
		return tostring(vars[name])
	end))
end

function allocate(input)
	if type(input) ~= "table" then fail("input must be an object") end
	local lang = input.language == nil and "de" or input.language
	if lang ~= "de" and lang ~= "fr" then fail("input.language must be de or fr") end
	local payment = int_in(input.payment, "input.payment", 0, MAX_AMOUNT)
	if not is_list(input.items) then fail("input.items must be a list") end
	if #input.items > MAX_ITEMS then fail("input.items must hold at most %d items", MAX_ITEMS) end
	local rank, kinds = {}, table.concat(PARAMS.order, ", ")
	for i, k in ipairs(PARAMS.order) do rank[k] = i end
	local items, seen = {}, {}
	for i, it in ipairs(input.items) do
		local p = "input.items[" .. i .. "]"
		if type(it) ~= "table" then fail("%s must be an object", p) end
		local id = int_in(it.id, p .. ".id", 1, math.maxinteger)
		if seen[id] then fail("%s.id %d is a duplicate of input.items[%d].id", p, id, seen[id]) end
		seen[id] = i
		if not rank[it.kind] then fail("%s.kind must be one of %s", p, kinds) end
		items[i] = { id = id, kind = it.kind, rank = rank[it.kind],
		    due = date(it.due_date, p .. ".due_date"),
		    open = int_in(it.amount, p .. ".amount", 0, MAX_AMOUNT) }
	end
	table.sort(items, function(a, b)
		if a.rank ~= b.rank then return a.rank < b.rank end
		if a.due ~= b.due then return a.due < b.due end
		return a.id < b.id
	end)

	local parts, left = {}, payment
	local function part(it, amount)
		local t = text(lang, it.kind, { due = it.due, id = it.id, amount = chf(amount) })
		if amount < it.open then t = text(lang, "partial", { text = t, open = chf(it.open) }) end
		parts[#parts + 1] = { id = it.id, kind = it.kind, due_date = it.due,
		    amount = amount, explain = t }
	end
	local i = 1
	while i <= #items and left > 0 do
		-- the group: same kind and due date
		local j, total = i, 0
		while j <= #items and items[j].rank == items[i].rank and items[j].due == items[i].due do
			total = total + items[j].open
			j = j + 1
		end
		if total <= left then
			for k = i, j - 1 do
				if items[k].open > 0 then part(items[k], items[k].open) end
			end
			left = left - total
		else	-- pro rata, largest remainder; left < total
			local share, order, given = {}, {}, 0
			for k = i, j - 1 do
				local it = items[k]
				share[k] = left * it.open // total
				it.rem = left * it.open % total
				given = given + share[k]
				order[#order + 1] = k
			end
			table.sort(order, function(a, b)
				local x, y = items[a], items[b]
				if x.rem ~= y.rem then return x.rem > y.rem end
				if x.open ~= y.open then return x.open > y.open end
				return x.id < y.id
			end)
			for n = 1, left - given do share[order[n]] = share[order[n]] + 1 end
			for k = i, j - 1 do
				if share[k] > 0 then part(items[k], share[k]) end
			end
			left = 0
		end
		i = j
	end
	if left > 0 then
		parts[#parts + 1] = { kind = "surplus", amount = left,
		    explain = text(lang, "surplus", { amount = chf(left) }) }
	end
	return { order = PARAMS.order, parts = parts, surplus = left }
end
