--[[ alimente-index 2025.2: indexation of a maintenance amount by the
consumer price index, as the title's clause says (canton Bern).

Called as index(input). The title says which index (base and date) and
which rounding apply; the module looks up the index points with
points(input) and passes them in. Amounts are integer Rappen.

points(input)   input = { month = "YYYY-MM" }
                result = { month = "YYYY-MM", base = "2020-12", demo = true,
                           points = int }   -- tenths; no points when the
                                            -- month is not in PARAMS.cpi
The points are the Swiss consumer price index (LIK) on the base December
2020 = 100.0, one figure a month in tenths (PARAMS.cpi below). A title on
an older base has its base points converted to this base by the case
worker. A new month is a new version of this pack.
DEMO VALUES: PARAMS.cpi is illustrative (roughly the LIK's course), not the
Federal Statistical Office's figures; every result says so (demo = true).

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

local PARAMS = {
	-- DEMO VALUES: consumer price index, December 2020 = 100.0, in tenths,
	-- by year, January to December (a year so far: the months published).
	cpi_base = "2020-12",
	cpi_demo = true,
	cpi = {
	[2015] = { 1005, 1004, 1003, 1002, 1001, 1000, 998, 997, 996, 995, 994, 993 },
	[2016] = { 993, 993, 993, 993, 993, 993, 993, 993, 993, 993, 993, 993 },
	[2017] = { 994, 994, 995, 996, 996, 997, 998, 998, 999, 1000, 1000, 1001 },
	[2018] = { 1001, 1002, 1002, 1003, 1003, 1004, 1004, 1004, 1005, 1005, 1006, 1006 },
	[2019] = { 1006, 1006, 1006, 1007, 1007, 1007, 1007, 1007, 1008, 1008, 1008, 1008 },
	[2020] = { 1007, 1007, 1006, 1005, 1005, 1004, 1003, 1003, 1002, 1001, 1001, 1000 },
	[2021] = { 1001, 1002, 1004, 1005, 1006, 1008, 1009, 1010, 1011, 1012, 1014, 1015 },
	[2022] = { 1017, 1020, 1022, 1025, 1027, 1030, 1032, 1034, 1037, 1039, 1042, 1044 },
	[2023] = { 1046, 1047, 1048, 1050, 1052, 1053, 1054, 1056, 1058, 1059, 1060, 1062 },
	[2024] = { 1062, 1063, 1064, 1064, 1064, 1065, 1066, 1066, 1066, 1067, 1068, 1068 },
	[2025] = { 1068, 1068, 1068, 1069, 1069, 1069, 1069, 1069, 1070, 1070, 1070, 1070 },
	[2026] = { 1070, 1070, 1071, 1071, 1071, 1072, 1072, 1072, 1072, 1072, 1073 },
	},
}

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

function points(input)
	if type(input) ~= "table" then fail("input must be an object") end
	local m = input.month
	if type(m) ~= "string" then fail("input.month is missing") end
	local y, mo = m:match("^(%d%d%d%d)%-(%d%d)$")
	y, mo = tonumber(y), tonumber(mo)
	if not y or mo < 1 or mo > 12 then
		fail("input.month must be YYYY-MM")
	end
	local year = PARAMS.cpi[y]
	return { month = m, base = PARAMS.cpi_base, demo = PARAMS.cpi_demo,
	    points = year and year[mo] or nil }
end
