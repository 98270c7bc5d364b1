-- wrk script: GET the paths in $BENCH_PATHS (a file, one path a line) in
-- turn, each thread from its own place in the list, with the session
-- cookie from $BENCH_COOKIE. The audited dossier read reads many
-- dossiers, as a service's case workers do, not one over and over.
local paths = {}
for line in assert(io.open(os.getenv("BENCH_PATHS"), "r")):lines() do
	if line ~= "" then
		paths[#paths + 1] = line
	end
end
assert(#paths > 0, "BENCH_PATHS lists no path")
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")

local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("first", threads)
end

local i
function request()
	if i == nil then
		i = (first or 1) * 997 % #paths
	end
	i = i % #paths + 1
	return wrk.format(nil, paths[i])
end
