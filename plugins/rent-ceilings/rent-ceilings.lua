--[[ rent-ceilings 2025.1: the canton's code and bounds for rent ceilings.

Each social service enters its own rent ceilings (Mietzinsmaxima, gross
rent incl. heating and service charges) per municipality and household
size as rule data; this pack reads them as DATA and declares the bounds
the canton sets for them. The SKOS budget (pack skos-budget) counts the
rent only up to the ceiling.

DATA = { ceilings = { { bfs = 942, name = "Thun",
                        by_size = { 1 person, 2, 3, 4, 5, 6 and more } }, ... } }
in Rappen per month.

ceiling(input)   input = { bfs = int, household_size = int >= 1 }
                 returns { rent_ceiling = int }; households larger than
                 the last column use the last column (6+).
bounds(input)    what the editor shows: the canton's limits.
validate(input)  input = { data = DATA, municipalities = { {bfs, name} } }
                 (the municipalities the social service serves); returns
                 { violations = { { path, bound, limit, value, message } } },
                 empty when the data is within the bounds.

DEMO FIGURES: the canton maxima below are illustrative, not an ordinance.
]]

-- The canton's bounds: change them here, in a new version of this pack.
local SIZES = 6
local MIN = 50000			-- no ceiling below CHF 500.00
local MAX = { 140000, 170000, 195000, 215000, 235000, 250000 }

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

local function whole(v, path)
	local i = math.type(v) and math.tointeger(v)
	if not i then fail("%s must be a whole number", path) end
	return i
end

local function chf(r)
	local s = string.format("%d", r // 100)
	local t = s:reverse():gsub("(%d%d%d)", "%1'"):reverse()
	if t:sub(1, 1) == "'" then t = t:sub(2) end
	return string.format("CHF %s.%02d", t, r % 100)
end

local function persons(n, lang)
	local plus = n == SIZES and "+" or ""
	if lang == "fr" then
		return string.format("%d%s personne%s", n, plus, n > 1 and "s" or "")
	end
	return string.format("%d%s Person%s", n, plus, n > 1 and "en" or "")
end

function ceiling(input)
	if type(input) ~= "table" then fail("input must be an object") end
	local bfs = whole(input.bfs, "input.bfs")
	local size = whole(input.household_size, "input.household_size")
	if size < 1 then fail("input.household_size must be 1 or more") end
	if type(DATA) ~= "table" or type(DATA.ceilings) ~= "table" then
		fail("this social service has entered no rent ceilings yet")
	end
	local known = {}
	for _, row in ipairs(DATA.ceilings) do
		if row.bfs == bfs then
			local by = row.by_size
			return { rent_ceiling = by[math.min(size, #by)] }
		end
		known[#known + 1] = row.bfs
	end
	table.sort(known)
	fail("no rent ceiling for municipality bfs %d: this social service has %s",
	    bfs, table.concat(known, ", "))
end

function bounds(input)
	local cols = {}
	for n = 1, SIZES do
		cols[n] = { size = n, max = MAX[n], min = MIN,
		    label = { de = persons(n, "de"), fr = persons(n, "fr") } }
	end
	return { sizes = SIZES, min = MIN, max_by_size = MAX, columns = cols,
	    rules = {
		de = "Je Gemeinde und Haushaltsgrösse ein Mietzinsmaximum zwischen "
		    .. chf(MIN) .. " und dem kantonalen Höchstwert; grössere "
		    .. "Haushalte nicht tiefer als kleinere; jede Gemeinde des "
		    .. "Sozialdienstes genau einmal.",
		fr = "Par commune et taille du ménage un loyer maximal entre "
		    .. chf(MIN) .. " et la valeur maximale cantonale ; un ménage "
		    .. "plus grand pas plus bas qu'un plus petit ; chaque commune "
		    .. "du service social une seule fois." } }
end

local function violation(list, path, bound, limit, value, de, fr)
	list[#list + 1] = { path = path, bound = bound, limit = limit,
	    value = value, message = { de = de, fr = fr } }
end

-- One municipality's row: sizes, each value within MIN..MAX, increasing.
local function check_row(v, row, i, name)
	local p = string.format("ceilings[%d]", i)
	if type(row.by_size) ~= "table" or #row.by_size ~= SIZES then
		violation(v, p .. ".by_size", "columns", SIZES, nil,
		    string.format("%s: genau %d Werte (1 bis %d+ Personen)", name, SIZES, SIZES),
		    string.format("%s : exactement %d valeurs (1 à %d+ personnes)", name, SIZES, SIZES))
		return
	end
	for n = 1, SIZES do
		local x = row.by_size[n]
		local q = string.format("%s.by_size[%d]", p, n)
		if math.type(x) ~= "integer" then
			violation(v, q, "integer", nil, nil,
			    string.format("%s, %s: ein Betrag in Rappen", name, persons(n, "de")),
			    string.format("%s, %s : un montant en centimes", name, persons(n, "fr")))
		elseif x > MAX[n] then
			violation(v, q, "max", MAX[n], x,
			    string.format("%s, %s: %s über dem kantonalen Höchstwert %s", name, persons(n, "de"), chf(x), chf(MAX[n])),
			    string.format("%s, %s : %s dépasse la valeur maximale cantonale %s", name, persons(n, "fr"), chf(x), chf(MAX[n])))
		elseif x < MIN then
			violation(v, q, "min", MIN, x,
			    string.format("%s, %s: %s unter dem kantonalen Mindestwert %s", name, persons(n, "de"), chf(x), chf(MIN)),
			    string.format("%s, %s : %s inférieur à la valeur minimale cantonale %s", name, persons(n, "fr"), chf(x), chf(MIN)))
		elseif n > 1 and math.type(row.by_size[n - 1]) == "integer" and x < row.by_size[n - 1] then
			violation(v, q, "increasing", row.by_size[n - 1], x,
			    string.format("%s, %s: %s tiefer als für %s (%s)", name, persons(n, "de"), chf(x), persons(n - 1, "de"), chf(row.by_size[n - 1])),
			    string.format("%s, %s : %s plus bas que pour %s (%s)", name, persons(n, "fr"), chf(x), persons(n - 1, "fr"), chf(row.by_size[n - 1])))
		end
	end
end

function validate(input)
	if type(input) ~= "table" then fail("input must be an object") end
	local data, served, v = input.data, {}, {}
	for _, m in ipairs(input.municipalities or {}) do served[m.bfs] = m.name end
	if type(data) ~= "table" or type(data.ceilings) ~= "table" then
		violation(v, "ceilings", "required", nil, nil,
		    "Die Mietzinsmaxima fehlen", "Les loyers maximaux manquent")
		return { violations = v }
	end
	local seen = {}
	for i, row in ipairs(data.ceilings) do
		local bfs = type(row) == "table" and math.tointeger(row.bfs)
		local name = bfs and served[bfs]
		if not bfs or not name then
			violation(v, string.format("ceilings[%d].bfs", i), "served", nil,
			    type(row) == "table" and row.bfs or nil,
			    string.format("Gemeinde %s wird von diesem Sozialdienst nicht betreut", tostring(bfs or "?")),
			    string.format("La commune %s n'est pas desservie par ce service social", tostring(bfs or "?")))
		elseif seen[bfs] then
			violation(v, string.format("ceilings[%d].bfs", i), "unique", nil, bfs,
			    string.format("%s ist doppelt erfasst", name),
			    string.format("%s figure deux fois", name))
		else
			seen[bfs] = true
			check_row(v, row, i, name)
		end
	end
	local missing = {}
	for bfs in pairs(served) do
		if not seen[bfs] then missing[#missing + 1] = bfs end
	end
	table.sort(missing)
	for _, bfs in ipairs(missing) do
		violation(v, "ceilings", "complete", nil, bfs,
		    string.format("%s (%d) hat kein Mietzinsmaximum", served[bfs], bfs),
		    string.format("%s (%d) n'a pas de loyer maximal", served[bfs], bfs))
	end
	return { violations = v }
end
