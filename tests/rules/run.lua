--[[ tests/rules/run.lua: rule packs under the plain lua5.4 CLI.

  lua5.4 tests/rules/run.lua [plugins/<pack> ...]
  lua5.4 tests/rules/run.lua --eval plugins/<pack> <function> < input.json

For each pack folder (default: cost-allocation and burden-sharing): loads
the source in a cage like core/rules/rules.c's (base without load, loadfile,
dofile, require, print, collectgarbage, rawset, pcall, xpcall; string,
table, math, utf8; text chunks; a fresh _ENV per evaluation), replays the
examples of pack.json (the output, as JSON the way the server converts it,
must equal expected), and for the two cost packs and the three
Alimentenhilfe packs (alimente-advance, -index, -allocation) runs a seeded
property test and checks the refusals of bad input. Exits 1 on any failure.
Instruction counts are measured the way the server's hook counts them.
]]

local SERVER_STEPS = 20000000	-- ks_conf.rules_instructions default
local failures, checks = 0, 0

local function report(ok, what)
	checks = checks + 1
	if not ok then
		failures = failures + 1
		io.stderr:write("FAIL ", what, "\n")
	end
	return ok
end

------------------------------------------------------------------ JSON

-- A small JSON reader: objects and arrays become plain tables (their kind
-- remembered in KIND), integers Lua integers, null is left out.
local KIND = setmetatable({}, { __mode = "k" })

local function decode(s)
	local pos = 1
	local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
	local function err(msg) error(string.format("json: %s at %d", msg, pos)) end
	local value
	local function str()
		local out = {}
		pos = pos + 1
		while true do
			local c = s:sub(pos, pos)
			if c == '"' then pos = pos + 1; return table.concat(out) end
			if c == "" then err("unterminated string") end
			if c == "\\" then
				local e = s:sub(pos + 1, pos + 1)
				local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
				if e == "u" then
					local cp = tonumber(s:sub(pos + 2, pos + 5), 16)
					if cp >= 0xD800 and cp <= 0xDBFF then
						local lo = tonumber(s:sub(pos + 8, pos + 11), 16)
						cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
						pos = pos + 6
					end
					out[#out + 1] = utf8.char(cp)
					pos = pos + 6
				else
					out[#out + 1] = map[e] or e
					pos = pos + 2
				end
			else
				local j = s:find('["\\]', pos) or #s + 1
				out[#out + 1] = s:sub(pos, j - 1)
				pos = j
			end
		end
	end
	function value()
		ws()
		local c = s:sub(pos, pos)
		if c == "{" then
			local t = {}
			KIND[t] = "object"
			pos = pos + 1
			ws()
			if s:sub(pos, pos) == "}" then pos = pos + 1; return t end
			while true do
				ws()
				if s:sub(pos, pos) ~= '"' then err("key expected") end
				local k = str()
				ws()
				if s:sub(pos, pos) ~= ":" then err("':' expected") end
				pos = pos + 1
				local v = value()
				if v ~= nil then t[k] = v end
				ws()
				c = s:sub(pos, pos)
				pos = pos + 1
				if c == "}" then return t end
				if c ~= "," then err("',' or '}' expected") end
			end
		elseif c == "[" then
			local t, n = {}, 0
			KIND[t] = "array"
			pos = pos + 1
			ws()
			if s:sub(pos, pos) == "]" then pos = pos + 1; return t end
			while true do
				n = n + 1
				t[n] = value()
				ws()
				c = s:sub(pos, pos)
				pos = pos + 1
				if c == "]" then return t end
				if c ~= "," then err("',' or ']' expected") end
			end
		elseif c == '"' then
			return str()
		elseif s:find("^true", pos) then pos = pos + 4; return true
		elseif s:find("^false", pos) then pos = pos + 5; return false
		elseif s:find("^null", pos) then pos = pos + 4; return nil
		else
			local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
			if not num or num == "" then err("value expected") end
			pos = pos + #num
			if num:find("[.eE]") then return tonumber(num) end
			return math.tointeger(tonumber(num)) or err("integer out of range")
		end
	end
	local v = value()
	ws()
	if pos <= #s then err("trailing text") end
	return v
end

-- Canonical JSON (sorted keys). Tables read by decode keep their kind; a
-- rule's tables are converted like core/rules/rules.c's to_json: empty -> [],
-- a sequence -> array, otherwise an object with string keys; a float is
-- refused unless whole.
local function encode(v)
	local t = type(v)
	if t == "string" then
		return '"' .. v:gsub('[%c"\\]', function(c)
			local m = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r" }
			return m[c] or string.format("\\u%04x", c:byte())
		end) .. '"'
	elseif t == "number" then
		if math.type(v) == "integer" then return tostring(v) end
		if v == math.floor(v) and math.abs(v) < 9e15 then return string.format("%d", v) end
		error("the result holds a number that is not a whole number: " .. v)
	elseif t == "boolean" then
		return tostring(v)
	elseif t == "nil" then
		return "null"
	elseif t ~= "table" then
		error("the result holds a " .. t)
	end
	local n, count, isarr = #v, 0, true
	for k in pairs(v) do
		count = count + 1
		if math.type(k) ~= "integer" or k < 1 or k > n then isarr = false end
	end
	local kind = KIND[v] or (count == 0 and "array") or (isarr and count == n and "array") or "object"
	local out = {}
	if kind == "array" then
		for i = 1, n do out[i] = encode(v[i]) end
		return "[" .. table.concat(out, ",") .. "]"
	end
	local keys = {}
	for k in pairs(v) do
		if type(k) ~= "string" then error("the result mixes list entries and named fields") end
		keys[#keys + 1] = k
	end
	table.sort(keys)
	for i, k in ipairs(keys) do out[i] = encode(k) .. ":" .. encode(v[k]) end
	return "{" .. table.concat(out, ",") .. "}"
end

local function readfile(path)
	local f = assert(io.open(path, "rb"))
	local s = f:read("a")
	f:close()
	return s
end

------------------------------------------------------------------ cage

local BASE = {}
for _, k in ipairs({ "assert", "error", "getmetatable", "ipairs", "next",
    "pairs", "rawequal", "rawget", "rawlen", "select", "setmetatable",
    "tonumber", "tostring", "type", "warn", "_VERSION" }) do
	BASE[k] = _G[k]
end
for _, lib in ipairs({ "string", "table", "math", "utf8" }) do
	local copy = {}
	for k, f in pairs(_G[lib]) do copy[k] = f end
	BASE[lib] = setmetatable({}, { __index = copy, __newindex = function()
		error("rule libraries are read-only") end, __metatable = false })
end

-- Deep copy of a decoded value: the rule gets plain tables, as from C.
local function copy(v)
	if type(v) ~= "table" then return v end
	local t = {}
	for k, x in pairs(v) do t[k] = copy(x) end
	return t
end

local max_steps = {}

-- Run fn(input) in a fresh _ENV (with a tenant's rule data as DATA and
-- the pack's name and version as PACK, as the server hands them over);
-- returns ok, result-or-message.
local function evaluate(pack, fn, input, data)
	local env = setmetatable({}, { __index = BASE, __metatable = false })
	if data ~= nil then env.DATA = copy(data) end
	env.PACK = { name = pack.name, version = pack.version }
	local chunk = assert(load(pack.src, "=" .. pack.name, "t", env))
	local steps = 0
	debug.sethook(function() steps = steps + 1000 end, "", 1000)
	local ok, res = pcall(function()
		chunk()
		if type(env[fn]) ~= "function" then error("no function " .. fn, 0) end
		return env[fn](copy(input))
	end)
	debug.sethook()
	local key = pack.name .. "." .. fn
	max_steps[key] = math.max(max_steps[key] or 0, steps)
	if steps > SERVER_STEPS then
		return false, "the rule ran out of time (" .. steps .. " steps)"
	end
	return ok, res
end

local function load_pack(dir)
	local doc = decode(readfile(dir .. "/pack.json"))
	return { name = doc.name, version = doc.version, doc = doc,
	    src = readfile(dir .. "/" .. doc.source) }
end

local function run_examples(pack)
	local n = 0
	for i, e in ipairs(pack.doc.examples or {}) do
		local ok, res = evaluate(pack, e["function"], e.input, e.data)
		local what = string.format("%s example %d (%s)", pack.name, i, e.title)
		if not ok then
			report(false, what .. ": " .. tostring(res))
		else
			local got, want = encode(res), encode(e.expected)
			if report(got == want, what) then
				n = n + 1
			else
				io.stderr:write("  expected ", want, "\n  got      ", got, "\n")
			end
		end
	end
	print(string.format("%s %s: %d of %d examples pass", pack.name,
	    pack.version, n, #(pack.doc.examples or {})))
end

------------------------------------------------------------------ properties

local function rnd(lo, hi) return math.random(lo, hi) end

-- A figure: often 0 or small, sometimes up to the maximum.
local function figure(max)
	local r = math.random()
	if r < 0.2 then return 0 end
	if r < 0.5 then return rnd(1, 20) end
	if r < 0.9 then return rnd(1, 200000) end
	return rnd(1, max)
end

local function money(max)
	local r = math.random()
	if r < 0.1 then return 0 end
	if r < 0.4 then return rnd(1, 1000) end
	if r < 0.8 then return rnd(1, 1000000000) end
	return rnd(1, max)
end

local function shuffle(t)
	for i = #t, 2, -1 do
		local j = rnd(1, i)
		t[i], t[j] = t[j], t[i]
	end
	return t
end

local PERIOD = { code = "2026", from = "2026-01-01", to = "2026-12-31" }
local PHASES = { "project", "operation", "development", "migration" }

local function gen_allocation()
	local costs = {}
	for _, ph in ipairs(PHASES) do
		if math.random() < 0.8 then
			local left = money(100000000000)
			for k = rnd(1, 4), 1, -1 do
				local a = k == 1 and left or rnd(0, left)
				costs[#costs + 1] = { phase = ph, amount = a, description = ph .. " item" }
				left = left - a
			end
		end
	end
	shuffle(costs)
	local bfs = {}
	for i = 1, 9999 do bfs[i] = i end
	shuffle(bfs)
	local tenants, nb, ids = {}, 0, {}
	local zero = {}	-- a figure that is 0 everywhere in this case
	for _, f in ipairs({ "population", "dossiers", "users", "migrated_dossiers" }) do
		zero[f] = math.random() < 0.15
	end
	local function fig(f) return zero[f] and 0 or figure(100000000) end
	for i = 1, rnd(1, 12) do
		local id
		repeat id = rnd(1, 1000000) until not ids[id]
		ids[id] = true
		local t = { id = id, slug = "t" .. id, name = "Sozialdienst " .. id,
		    dossiers = fig("dossiers"), users = fig("users"),
		    migrated_dossiers = fig("migrated_dossiers"), municipalities = {} }
		for j = 1, rnd(1, 5) do
			nb = nb + 1
			t.municipalities[j] = { bfs = bfs[nb], name = "Gemeinde " .. bfs[nb],
			    population = fig("population") }
		end
		tenants[i] = t
	end
	return { period = PERIOD, costs = costs, tenants = tenants }
end

-- Largest remainder, checked without overflow: d = amount * W - T * w
-- (wrapping integer arithmetic, exact since |d| < W is what is checked).
-- A party got the extra Rappen iff d > 0; its remainder is then W - d,
-- else -d. Every party that got one must come before every one that did
-- not: larger remainder, then larger weight, then lower tie key.
local function check_lr(T, parties, what)
	local W = 0
	for _, p in ipairs(parties) do W = W + p.w end
	local sum = 0
	for _, p in ipairs(parties) do
		sum = sum + p.amount
		if not report(math.type(p.amount) == "integer", what .. ": integer amount") then return end
		if W == 0 then
			report(p.amount == 0, what .. ": weight sum 0 gives 0")
		else
			local d = p.amount * W - T * p.w
			if not report(d > -W and d < W, what .. ": within 1 Rappen of the quota") then return end
			p.up = d > 0
			p.rem = p.up and W - d or -d
		end
	end
	if W == 0 then return end
	report(sum == T, what .. ": shares sum to the total")
	local worst_up, best_down
	local function before(a, b)
		if a.rem ~= b.rem then return a.rem > b.rem end
		if a.w ~= b.w then return a.w > b.w end
		return a.tie < b.tie
	end
	for _, p in ipairs(parties) do
		if p.up and (worst_up == nil or before(worst_up, p)) then worst_up = p end
		if not p.up and (best_down == nil or before(p, best_down)) then best_down = p end
	end
	if worst_up and best_down then
		report(before(worst_up, best_down), what .. ": the extra Rappen go to the largest remainders")
	end
end

local KEYS_OF = {}

local function check_allocation(input, out)
	local totals = {}
	for _, c in ipairs(input.costs) do
		totals[c.phase] = (totals[c.phase] or 0) + c.amount
	end
	local figures = {}	-- tenant id -> tenant
	for _, t in ipairs(input.tenants) do figures[t.id] = t end
	local expect_phases = {}
	for _, ph in ipairs(PHASES) do
		if totals[ph] then expect_phases[#expect_phases + 1] = ph end
	end
	report(#out.phases == #expect_phases, "one summary per phase with costs")
	for i, s in ipairs(out.phases) do
		local ph, key = s.phase, KEYS_OF[s.phase]
		report(ph == expect_phases[i], "phases in fixed order")
		report(s.total == totals[ph], ph .. ": total")
		report(s.canton + s.parties == s.total, ph .. ": canton + parties = total")
		report(s.key.canton_percent == key.canton_percent and s.key.basis == key.basis
		    and s.key.level == key.level, ph .. ": key")
		local canton, parties, sum, W = nil, {}, 0, 0
		for _, sh in ipairs(out.shares) do
			if sh.phase == ph then
				report(math.type(sh.amount) == "integer" and sh.amount >= 0, ph .. ": amount >= 0")
				sum = sum + sh.amount
				if sh.party == "canton" then
					report(canton == nil, ph .. ": one canton share")
					canton = sh
				else
					report(sh.party == key.level, ph .. ": party level")
					local w
					if sh.party == "tenant" then
						local t = figures[sh.tenant_id]
						if key.basis == "population" then
							w = 0
							for _, m in ipairs(t.municipalities) do w = w + m.population end
						else
							w = t[key.basis]
						end
						report(sh.name == t.name, ph .. ": tenant name")
					else
						for _, m in ipairs(figures[sh.tenant_id].municipalities) do
							if m.bfs == sh.bfs then w = m.population end
						end
					end
					report(w ~= nil and sh.basis.value == w and sh.basis.figure == key.basis, ph .. ": basis value")
					W = W + (w or 0)
					parties[#parties + 1] = { amount = sh.amount, w = w or 0,
					    tie = sh.party == "tenant" and sh.tenant_id or sh.bfs }
					report(type(sh.explain.de) == "string" and type(sh.explain.fr) == "string", ph .. ": explain")
				end
			end
		end
		report(sum == s.total, ph .. ": shares sum to the total")
		report(canton and canton.amount == s.canton, ph .. ": canton share = summary")
		local n_expected = 0
		for _, t in ipairs(input.tenants) do
			n_expected = n_expected + (key.level == "tenant" and 1 or #t.municipalities)
		end
		report(#parties == n_expected, ph .. ": every party listed")
		if W == 0 and key.canton_percent < 100 then
			report(s.canton == s.total and canton.basis.value == 100, ph .. ": canton carries a zero basis")
		else
			report(canton.basis.value == key.canton_percent and canton.basis.of == 100, ph .. ": canton basis")
			check_lr(s.total, { { amount = s.canton, w = key.canton_percent, tie = 0 },
			    { amount = s.parties, w = 100 - key.canton_percent, tie = 1 } }, ph .. " canton/parties")
			check_lr(s.parties, parties, ph .. " parties")
		end
	end
end

local function gen_sharing()
	local bfs = {}
	for i = 1, 9999 do bfs[i] = i end
	shuffle(bfs)
	local rows = {}
	local nopop = math.random() < 0.05
	for i = 1, rnd(1, 60) do
		local c = money(100000000000)
		if math.random() < 0.25 then c = -c end
		rows[i] = { bfs = bfs[i], name = "Gemeinde " .. bfs[i],
		    tenant_id = math.random() < 0.8 and rnd(1, 50) or nil,
		    population = nopop and 0 or figure(100000000), costs = c }
	end
	if nopop then	-- only allowed when there is nothing to share
		for _, r in ipairs(rows) do r.costs = 0 end
	elseif #rows == 1 or math.random() < 0.1 then
		rows[1].population = rnd(1, 100000000)
	end
	local P = 0
	for _, r in ipairs(rows) do P = P + r.population end
	if P == 0 then rows[#rows].population = rnd(1, 1000) end
	return { period = PERIOD, municipalities = rows }
end

local function check_sharing(input, out, pct)
	local total, P, byb = 0, 0, {}
	for _, m in ipairs(input.municipalities) do
		total, P, byb[m.bfs] = total + m.costs, P + m.population, m
	end
	report(out.total_costs == total, "total_costs")
	report(out.canton + out.municipalities_total == total, "canton + municipalities = total")
	report(out.canton_percent == pct, "canton_percent")
	local sgn = total < 0 and -1 or 1
	check_lr(math.abs(total), { { amount = sgn * out.canton, w = pct, tie = 0 },
	    { amount = sgn * out.municipalities_total, w = 100 - pct, tie = 1 } }, "canton/municipalities")
	report(#out.rows == #input.municipalities, "one row per municipality")
	local parties, sum, last = {}, 0, 0
	local M = out.municipalities_total
	local s2 = M < 0 and -1 or 1
	for _, r in ipairs(out.rows) do
		local m = byb[r.bfs]
		report(r.bfs > last, "rows sorted by bfs")
		last = r.bfs
		report(m and r.population == m.population and r.costs == m.costs
		    and r.tenant_id == m.tenant_id and r.name == m.name, "row echoes its input")
		report(r.balance == r.share - r.costs, "balance = share - costs")
		report(M == 0 and r.share == 0 or s2 * r.share >= 0, "share has the sign of the part")
		sum = sum + r.share
		parties[#parties + 1] = { amount = s2 * r.share, w = r.population, tie = r.bfs }
	end
	report(sum == M, "shares sum to municipalities_total")
	if M ~= 0 then check_lr(math.abs(M), parties, "municipalities") end
end

local function same_twice(pack, fn, input, out)
	local ok, again = evaluate(pack, fn, input)
	report(ok and encode(again) == encode(out), fn .. ": deterministic")
end

local function property(pack, fn, gen, check, n)
	local failed_before = failures
	for i = 1, n do
		local input = gen()
		local ok, out = evaluate(pack, fn, input)
		if not report(ok, string.format("%s case %d: %s", fn, i, tostring(out))) then
			io.stderr:write("  input ", encode(input), "\n")
			return
		else
			check(input, out)
			same_twice(pack, fn, input, out)
			-- the order of the input lists does not matter
			local perm = copy(input)
			shuffle(perm.tenants or perm.municipalities or perm.items or {})
			for _, t in ipairs(perm.tenants or {}) do shuffle(t.municipalities) end
			if perm.costs then shuffle(perm.costs) end
			local ok2, out2 = evaluate(pack, fn, perm)
			report(ok2 and encode(out2) == encode(out), fn .. ": independent of input order")
			if failures > failed_before then
				io.stderr:write("  input ", encode(input), "\n  output ", encode(out), "\n")
				return
			end
		end
	end
	print(string.format("%s.%s: %d random cases, %s", pack.name, fn, n,
	    failures == failed_before and "all properties hold" or "FAILED"))
end

-- Refusals: each input must fail with a message containing the text.
local function refusals(pack, fn, cases)
	local n = 0
	for _, c in ipairs(cases) do
		local ok, msg = evaluate(pack, fn, c[1])
		if report(not ok and type(msg) == "string" and msg:find(c[2], 1, true),
		    string.format("%s refuses (%s): got %s", fn, c[2], tostring(msg))) then
			n = n + 1
		end
	end
	print(string.format("%s.%s: %d of %d bad inputs refused with the field named", pack.name, fn, n, #cases))
end

local function tenant(over)
	local t = { id = 1, name = "SD", dossiers = 1, users = 1, migrated_dossiers = 1,
	    municipalities = { { bfs = 1, name = "A", population = 1 } } }
	for k, v in pairs(over or {}) do t[k] = v end
	return t
end

local function alloc_in(costs, tenants, period)
	return { period = period or PERIOD, costs = costs or { { phase = "project", amount = 100 } },
	    tenants = tenants or { tenant() } }
end

local ALLOC_BAD = {
	{ "x", "input must be an object" },
	{ { costs = {}, tenants = {} }, "period must be an object" },
	{ alloc_in(nil, nil, { code = "2026", from = "2026-02-30", to = "2026-12-31" }), "period.from must be a date" },
	{ alloc_in(nil, nil, { code = "2026", from = "2026-12-31", to = "2026-01-01" }), "period.to must not be before period.from" },
	{ alloc_in({ { phase = "project", amount = 1 }, { phase = "hosting", amount = 1 } }),
	  "costs[2].phase must be one of project, operation, development, migration" },
	{ alloc_in({ { phase = "project", amount = -1 } }), "costs[1].amount must be between 0 and 100000000000" },
	{ alloc_in({ { phase = "project", amount = 1.5 } }), "costs[1].amount must be a whole number" },
	{ alloc_in({ { phase = "project", amount = "10" } }), "costs[1].amount must be a whole number" },
	{ alloc_in({ { phase = "project" } }), "costs[1].amount is missing" },
	{ alloc_in({ { phase = "project", amount = 100000000001 } }), "costs[1].amount must be between" },
	{ alloc_in({ { phase = "project", amount = 60000000000 }, { phase = "project", amount = 40000000001 } }),
	  "costs[2].amount brings the project total to 100000000001, above the maximum 100000000000" },
	{ alloc_in(nil, { tenant(), tenant({ municipalities = { { bfs = 2, name = "B", population = 1 } } }) }),
	  "tenants[2].id 1 is a duplicate of tenants[1].id" },
	{ alloc_in(nil, { tenant(), tenant({ id = 2 }) }),
	  "tenants[2].municipalities[1].bfs 1 is a duplicate of tenants[1].municipalities[1].bfs" },
	{ alloc_in(nil, { tenant({ dossiers = -3 }) }), "tenants[1].dossiers must be between 0 and 100000000" },
	{ alloc_in(nil, { tenant({ users = 100000001 }) }), "tenants[1].users must be between 0 and 100000000" },
	{ alloc_in(nil, { tenant({ migrated_dossiers = false }) }), "tenants[1].migrated_dossiers must be a whole number" },
	{ alloc_in(nil, { tenant({ municipalities = { { bfs = 1, name = "A", population = 2.5 } } }) }),
	  "tenants[1].municipalities[1].population must be a whole number" },
	{ alloc_in(nil, { tenant({ municipalities = { { bfs = 0, name = "A", population = 2 } } }) }),
	  "tenants[1].municipalities[1].bfs must be between 1 and 9999" },
	{ alloc_in(nil, { tenant({ name = "" }) }), "tenants[1].name must be a non-empty text" },
	{ alloc_in(nil, { tenant({ municipalities = "none" }) }), "tenants[1].municipalities must be a list" },
}

local function share_in(rows, period)
	return { period = period or PERIOD, municipalities = rows }
end
local function muni(over)
	local m = { bfs = 1, name = "A", tenant_id = 1, population = 10, costs = 100 }
	for k, v in pairs(over or {}) do m[k] = v end
	return m
end

local SHARE_BAD = {
	{ { municipalities = { muni() } }, "period must be an object" },
	{ share_in({}), "municipalities must be a non-empty list" },
	{ share_in({ muni(), muni() }), "municipalities[2].bfs 1 is a duplicate of municipalities[1].bfs" },
	{ share_in({ muni({ population = -1 }) }), "municipalities[1].population must be between 0 and 100000000" },
	{ share_in({ muni({ costs = 12.5 }) }), "municipalities[1].costs must be a whole number" },
	{ share_in({ muni({ costs = -100000000001 }) }), "municipalities[1].costs must be between -100000000000 and 100000000000" },
	{ share_in({ muni({ tenant_id = 0 }) }), "municipalities[1].tenant_id must be between 1 and" },
	{ share_in({ muni({ name = 7 }) }), "municipalities[1].name must be a non-empty text" },
	{ share_in({ muni({ population = 0 }), muni({ bfs = 2, population = 0 }) }),
	  "municipalities[].population sums to 0" },
}

------------------------------------------------------------------ alimente

local KINDS = { "current", "arrears", "subrogated" }	-- Bern's order
local KIND_RANK = { current = 1, arrears = 2, subrogated = 3 }

-- Items with few due dates, so that several share a kind and a month.
local function gen_alimente_alloc()
	local items, ids, total = {}, {}, 0
	local tiny = math.random() < 0.25	-- small figures: ties of remainders
	local months = {}
	for m = 1, rnd(1, 4) do months[m] = string.format("2025-%02d-01", rnd(1, 12)) end
	for i = 1, rnd(0, 15) do
		local id
		repeat id = rnd(1, 1000000) until not ids[id]
		ids[id] = true
		local a = math.random() < 0.1 and 0 or (math.random() < 0.5 and rnd(1, 200000) or money(1000000000))
		if a > 1000000000 then a = rnd(1, 1000000000) end
		if tiny then a = rnd(0, 6) end
		items[i] = { id = id, kind = KINDS[rnd(1, 3)], due_date = months[rnd(1, #months)], amount = a }
		total = total + a
	end
	local r, pay = math.random()
	if r < 0.05 then pay = 0
	elseif r < 0.2 then pay = math.min(total + rnd(1, 100000), 1000000000)
	elseif r < 0.3 then pay = math.min(total, 1000000000)
	else pay = rnd(0, math.min(math.max(total, 1), 1000000000)) end
	return { payment = pay, items = items }
end

local function check_alimente_alloc(input, out)
	local byid, sorted = {}, {}
	for _, it in ipairs(input.items) do
		byid[it.id] = it
		sorted[#sorted + 1] = it
	end
	table.sort(sorted, function(a, b)
		if KIND_RANK[a.kind] ~= KIND_RANK[b.kind] then return KIND_RANK[a.kind] < KIND_RANK[b.kind] end
		if a.due_date ~= b.due_date then return a.due_date < b.due_date end
		return a.id < b.id
	end)
	local pos = {}
	for i, it in ipairs(sorted) do pos[it.id] = i end
	local sum, got, last, surplus_part = 0, {}, 0, 0
	for n, p in ipairs(out.parts) do
		report(math.type(p.amount) == "integer" and p.amount > 0, "allocate: part amount > 0")
		sum = sum + p.amount
		if p.kind == "surplus" then
			report(n == #out.parts, "allocate: surplus is the last part")
			surplus_part = p.amount
		else
			local it = byid[p.id]
			if report(it ~= nil, "allocate: part names an input item") then
				report(got[p.id] == nil, "allocate: one part per item")
				got[p.id] = p.amount
				report(p.amount <= it.amount, "allocate: never more than the item is owed")
				report(p.kind == it.kind and p.due_date == it.due_date, "allocate: part echoes its item")
				report(pos[p.id] > last, "allocate: parts in the canton's order")
				last = pos[p.id]
			end
		end
	end
	report(sum == input.payment, "allocate: the parts sum to the payment")
	report(out.surplus == surplus_part, "allocate: surplus = the surplus part")
	-- Groups (kind, due date) in order: full, full, ..., one partial
	-- shared by largest remainder, then nothing; a surplus only if all
	-- is paid.
	local left, i, short = input.payment, 1, false
	while i <= #sorted do
		local j, total, parties = i, 0, {}
		while j <= #sorted and sorted[j].kind == sorted[i].kind and sorted[j].due_date == sorted[i].due_date do
			local it = sorted[j]
			total = total + it.amount
			parties[#parties + 1] = { amount = got[it.id] or 0, w = it.amount, tie = it.id }
			j = j + 1
		end
		local paid = 0
		for _, q in ipairs(parties) do paid = paid + q.amount end
		if short then
			report(paid == 0, "allocate: nothing after a group not paid in full")
		elseif total <= left then
			report(paid == total, "allocate: a group the payment covers is paid in full")
			left = left - total
		else
			report(paid == left, "allocate: the first group not covered gets the rest")
			check_lr(left, parties, "allocate: pro rata within a month")
			left, short = 0, true
		end
		i = j
	end
	report(out.surplus == left, "allocate: surplus only when every item is paid")
end

local function gen_alimente_index()
	local function points()
		return math.random() < 0.8 and rnd(800, 1300) or rnd(1, 10000000)
	end
	local units = { 1, 5, 10, 50, 100, 100, 1000 }
	local amount = math.random() < 0.7 and rnd(0, 300000) or money(100000000000)
	return { amount = amount, base_index = points(), index = points(),
	    rounding = math.random() < 0.9 and units[rnd(1, #units)] or rnd(1, 100000000) }
end

local function check_alimente_index(pack, input, out)
	local A, B, I, R = input.amount, input.base_index, input.index, input.rounding
	local r = out.amount
	if not report(math.type(r) == "integer" and r >= 0 and r % R == 0, "index: a multiple of the rounding unit") then return end
	-- half up: r - exact in (-R/2, R/2], i.e. -B*R < 2*(r*B - A*I) <= B*R
	local d = 2 * (r * B - A * I)
	report(d > -B * R and d <= B * R, "index: nearest multiple, half up")
	if I < 10000000 then
		local ok, up = evaluate(pack, "index", { amount = A, base_index = B, index = I + 1, rounding = R })
		report(ok and up.amount >= r, "index: a higher index never gives less")
	end
	local ok, same = evaluate(pack, "index", { amount = A, base_index = B, index = B, rounding = R })
	report(ok and same.amount == (2 * A + R) // (2 * R) * R, "index: unchanged index rounds the amount only")
end

local function gen_alimente_advance()
	local function day(y0, y1)
		local m = rnd(1, 12)
		return string.format("%04d-%02d-%02d", rnd(y0, y1), m, rnd(1, m == 2 and 28 or 30))
	end
	local date = day(2023, 2030)
	local birth
	repeat birth = day(1995, 2030) until birth <= date
	return { date = date, child = { birth_date = birth, in_education = math.random() < 0.3 },
	    title_amount = math.random() < 0.1 and 0 or rnd(1, 200000),
	    on_social_assistance = math.random() < 0.1,
	    household = { size = rnd(1, 9), income = rnd(0, 12000000), assets = rnd(0, 10000000) } }
end

local function check_alimente_advance(input, out)
	local cap = input.date < "2025-01-01" and 98000 or 100800
	report(out.cap == cap, "advance: the cap in force on the date")
	local sum = 0
	for _, l in ipairs(out.lines) do sum = sum + l.amount end
	report(sum == out.amount, "advance: the lines sum to the amount")
	report(out.amount <= input.title_amount and out.amount <= cap, "advance: at most the title and the cap")
	report(out.eligible == (out.amount > 0), "advance: eligible iff an amount")
	if out.eligible then
		report(out.amount == math.min(input.title_amount, cap), "advance: min(title, cap)")
		report(not input.on_social_assistance, "advance: none on social assistance")
	end
	local lastl = out.lines[#out.lines]
	report(lastl.code == (out.amount > 0 and "advance" or "no_advance"), "advance: the last line says why")
	report(out.limits.demo == true, "advance: limits marked as demo values")
end

local function alim_in(payment, items)
	return { payment = payment, items = items }
end
local function alim_item(over)
	local t = { id = 1, kind = "current", due_date = "2025-03-01", amount = 100 }
	for k, v in pairs(over or {}) do t[k] = v end
	return t
end

local ALLOCATE_BAD = {
	{ "x", "input must be an object" },
	{ alim_in(-1, {}), "input.payment must be between 0 and 1000000000" },
	{ alim_in(10.5, {}), "input.payment must be a whole number" },
	{ { items = {} }, "input.payment is missing" },
	{ alim_in(10, "none"), "input.items must be a list" },
	{ alim_in(10, { alim_item(), alim_item() }), "input.items[2].id 1 is a duplicate of input.items[1].id" },
	{ alim_in(10, { alim_item({ kind = "spousal" }) }), "input.items[1].kind must be one of current, arrears, subrogated" },
	{ alim_in(10, { alim_item({ due_date = "2025-02-29" }) }), "input.items[1].due_date must be a date" },
	{ alim_in(10, { alim_item({ amount = -5 }) }), "input.items[1].amount must be between 0 and" },
	{ alim_in(10, { alim_item({ id = 0 }) }), "input.items[1].id must be between 1 and" },
	{ { payment = 1, items = {}, language = "it" }, "input.language must be de or fr" },
}

local INDEX_BAD = {
	{ "x", "input must be an object" },
	{ { base_index = 1000, index = 1000, rounding = 100 }, "input.amount is missing" },
	{ { amount = -1, base_index = 1000, index = 1000, rounding = 100 }, "input.amount must be between 0 and" },
	{ { amount = 100, base_index = 0, index = 1000, rounding = 100 }, "input.base_index must be between 1 and" },
	{ { amount = 100, base_index = 1000, index = 100.5, rounding = 100 }, "input.index must be a whole number" },
	{ { amount = 100, base_index = 1000, index = 1000, rounding = 0 }, "input.rounding must be between 1 and" },
}

local function adv_in(over)
	local t = { date = "2025-03-01", child = { birth_date = "2015-01-01", in_education = false },
	    title_amount = 100, on_social_assistance = false,
	    household = { size = 2, income = 0, assets = 0 } }
	for k, v in pairs(over or {}) do t[k] = v end
	return t
end

local ADVANCE_BAD = {
	{ "x", "input must be an object" },
	{ adv_in({ date = "2025-13-01" }), "input.date must be a date" },
	{ adv_in({ date = "2022-12-31" }), "input.date 2022-12-31 is before this pack's first cap" },
	{ adv_in({ child = "none" }), "input.child must be an object" },
	{ adv_in({ child = { birth_date = "2026-01-01", in_education = false } }), "input.child.birth_date is after input.date" },
	{ adv_in({ child = { birth_date = "2015-01-01" } }), "input.child.in_education must be true or false" },
	{ adv_in({ title_amount = -1 }), "input.title_amount must be between 0 and" },
	{ adv_in({ on_social_assistance = "no" }), "input.on_social_assistance must be true or false" },
	{ adv_in({ household = { size = 0, income = 0, assets = 0 } }), "input.household.size must be between 1 and" },
	{ adv_in({ household = { size = 2, income = 1.5, assets = 0 } }), "input.household.income must be a whole number" },
	{ adv_in({ household = { size = 2, income = 0 } }), "input.household.assets is missing" },
}

------------------------------------------------------------------ main

local args = { ... }
if args[1] == "--eval" then	-- one evaluation: JSON in, canonical JSON out
	local ok, out = evaluate(load_pack(args[2]), args[3], decode(io.read("a")))
	if not ok then io.stderr:write(tostring(out), "\n"); os.exit(1) end
	print(encode(out))
	os.exit(0)
end
local dirs = args
if #dirs == 0 then dirs = { "plugins/cost-allocation", "plugins/burden-sharing" } end
math.randomseed(20260630)
for _, dir in ipairs(dirs) do
	local pack = load_pack(dir)
	run_examples(pack)
	if pack.name == "cost-allocation" then
		local ok, k = evaluate(pack, "keys", {})
		report(ok and k.version == pack.version, "keys().version is the pack's version")
		for _, p in ipairs(k.phases) do KEYS_OF[p.phase] = p end
		local ok2, a = evaluate(pack, "allocate", alloc_in({}))
		report(ok2 and a.key_version == pack.version, "key_version is the pack's version")
		property(pack, "allocate", gen_allocation, check_allocation, 500)
		refusals(pack, "allocate", ALLOC_BAD)
	elseif pack.name == "burden-sharing" then
		local ok, r = evaluate(pack, "share", share_in({ muni() }))
		report(ok and r.key_version == pack.version, "key_version is the pack's version")
		local pct = r.canton_percent
		property(pack, "share", gen_sharing, function(i, o) check_sharing(i, o, pct) end, 500)
		refusals(pack, "share", SHARE_BAD)
	elseif pack.name == "alimente-allocation" then
		property(pack, "allocate", gen_alimente_alloc, check_alimente_alloc, 1000)
		refusals(pack, "allocate", ALLOCATE_BAD)
	elseif pack.name == "alimente-index" then
		property(pack, "index", gen_alimente_index,
		    function(i, o) check_alimente_index(pack, i, o) end, 1000)
		refusals(pack, "index", INDEX_BAD)
	elseif pack.name == "alimente-advance" then
		property(pack, "advance", gen_alimente_advance, check_alimente_advance, 1000)
		refusals(pack, "advance", ADVANCE_BAD)
	end
end
local keys = {}
for k in pairs(max_steps) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do
	print(string.format("  most instructions for %s: %d (server limit %d)", k, max_steps[k], SERVER_STEPS))
end
print(string.format("%d checks, %d failed", checks, failures))
os.exit(failures == 0 and 0 or 1)
