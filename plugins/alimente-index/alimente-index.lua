--[[ alimente-index 2025.1: indexation of a maintenance amount by the
consumer price index, as the title's clause says (canton Bern).

Called as index(input). The title says which index (base and date) and
which rounding apply; the module looks up the index points and passes
them in. Amounts are integer Rappen.

input = {
  amount     = int >= 0,   -- the amount fixed in the title (Rappen)
  base_index = int >= 1,   -- index points of the title's base, in tenths
                           -- (101.3 points = 1013)
  index      = int >= 1,   -- index points now, in tenths
  rounding   = int >= 1,   -- the unit to round to, in Rappen (1 = to the
                           -- Rappen, 5, 100 = whole francs)
}
result = { amount = int }

amount * index / base_index, rounded half up to the unit, computed in
integers: the multiple of rounding nearest to the exact value, the larger
one when the exact value lies halfway. The index may fall: the amount then
falls too (a title that excludes a reduction is the module's concern: it
keeps the larger amount). The limits below keep every product far from
integer overflow.
Invalid input raises error("input.<field> ..."), reported as rule_error.
]]

local MAX_AMOUNT = 100000000000	-- CHF 1 bn
local MAX_INDEX = 10000000	-- 1,000,000.0 points
local MAX_ROUNDING = 100000000	-- CHF 1 m

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

local function int_in(v, path, lo, hi)
	if v == nil then fail("%s is missing", path) end
	local i = math.type(v) and math.tointeger(v)
	if not i then fail("%s must be a whole number", path) end
	if i < lo or i > hi then fail("%s must be between %d and %d", path, lo, hi) end
	return i
end

function index(input)
	if type(input) ~= "table" then fail("input must be an object") end
	local amount = int_in(input.amount, "input.amount", 0, MAX_AMOUNT)
	local base = int_in(input.base_index, "input.base_index", 1, MAX_INDEX)
	local now = int_in(input.index, "input.index", 1, MAX_INDEX)
	local unit = int_in(input.rounding, "input.rounding", 1, MAX_ROUNDING)
	-- exact = amount * now / base; in units: amount * now / (base * unit).
	-- Half up: floor((2 * amount * now + base * unit) / (2 * base * unit)).
	-- At most 2 * 1e11 * 1e7 + 1e7 * 1e8 = 2e18 < 2^63.
	local units = (2 * amount * now + base * unit) // (2 * base * unit)
	return { amount = units * unit }
end
