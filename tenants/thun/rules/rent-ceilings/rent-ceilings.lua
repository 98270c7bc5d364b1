--[[ rent-ceilings 2025.1: Sozialdienst Thun.

Rent ceilings (Mietzinsmaxima, gross rent incl. heating and service
charges) per municipality and household size. The SKOS budget (canton pack
skos-budget) counts the rent only up to this ceiling.

Called as ceiling(input) with input = { bfs = int, household_size = int }
(bfs: the municipality's BFS number, eCH-0007; household_size: persons in
the support unit, 1 or more). Returns { rent_ceiling = int }, Rappen per
month. Households larger than the last column use the last column (6+).
A municipality this social service does not serve raises an error naming
its BFS number, reported as rule_error.

DEMO FIGURES, not the municipalities' published maxima: replace them with
the values decided by the municipal authority in a new version of the pack.
]]

-- CEILINGS[bfs] = { name, { size 1, 2, 3, 4, 5, 6+ } } in Rappen per month.
local CEILINGS = {
	[942] = { "Thun", { 115000, 145000, 165000, 185000, 205000, 225000 } },
}

-- error level 0: the caller wants the message, not a Lua file position.
local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

-- JSON numbers arrive as integers, or floats for "3.0"; accept whole values.
local function whole(v, path)
	local i = math.type(v) and math.tointeger(v)
	if not i then fail("%s must be a whole number", path) end
	return i
end

function ceiling(input)
	if type(input) ~= "table" then fail("input must be an object") end
	local bfs = whole(input.bfs, "input.bfs")
	local size = whole(input.household_size, "input.household_size")
	if size < 1 then fail("input.household_size must be 1 or more") end
	local row = CEILINGS[bfs]
	if row == nil then
		local known = {}
		for k in pairs(CEILINGS) do known[#known + 1] = k end
		table.sort(known)	-- pairs order varies; the message must not
		fail("no rent ceiling for municipality bfs %d: this social service has %s",
		    bfs, table.concat(known, ", "))
	end
	local by_size = row[2]
	return { rent_ceiling = by_size[math.min(size, #by_size)] }
end
