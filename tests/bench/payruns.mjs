// Payment runs for the bench (tests/bench/run.sh), one tenant after the
// other, driven from one process: the same HTTP requests the shell made
// with curl and jq, without starting two or three processes per step
// (on 2 cores a small run's steps spent more time starting curl and jq
// than the server spent on its jobs).
//
//   node tests/bench/payruns.mjs BASE MONTH TENANT...
//
// The file of each run is kept as $BENCH_OUT/pain001-TENANT.xml (default
// build/bench), after its download is timed (until its last byte came;
// its payments are counted after that).
//
// For each tenant: log in its accounting user and its team lead (not
// timed), then time create (a job computes the run), approve (the team
// lead approves the version computed, If-Match), export (a job books it
// and makes the file) and the file's download. Prints one line per
// tenant: "tenant seconds run_id lines compute approve export file".
// Fails (exit 1) on any error, naming the step.
//
// With BENCH_CLIENTS=K (K > 1) K clients run the tenants' runs at once,
// as a canton's services pay at the month's end; the users log in
// first, and the whole time goes to $BENCH_OUT/payruns-wall.txt.

import { writeFileSync } from 'node:fs';

const out = process.env.BENCH_OUT || 'build/bench';
const clients = Math.max(1, Number(process.env.BENCH_CLIENTS || 1));
const [base, month, ...tenants] = process.argv.slice(2);
if (!base || !month || tenants.length === 0) {
	console.error('usage: payruns.mjs BASE MONTH TENANT...');
	process.exit(2);
}

function fail(what, detail) {
	console.error(`payruns: ${what}: ${detail}`);
	process.exit(1);
}

// The answer's body as text, or with raw as the bytes received (a file:
// a bank client stores it, it does not decode 14 MB into a string).
async function call(who, method, path, body, headers = {}, raw = false) {
	const h = { ...headers };
	if (who) {
		h.Cookie = who.cookie;
		if (method !== 'GET')
			h['X-CSRF-Token'] = who.csrf;
	}
	if (body !== undefined)
		h['Content-Type'] = 'application/json';
	const res = await fetch(base + path, {
		method, headers: h,
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	if (raw)
		return { status: res.status, headers: res.headers,
		    bytes: Buffer.from(await res.arrayBuffer()) };
	const text = await res.text();
	return { status: res.status, headers: res.headers, text };
}

function json(r, what) {
	try {
		return JSON.parse(r.text);
	} catch {
		fail(what, `HTTP ${r.status}: ${r.text.slice(0, 200)}`);
	}
}

async function login(tenant, username) {
	const r = await call(null, 'POST', '/api/v1/session',
	    { tenant, username, password: 'kasus-demo' });
	if (r.status !== 200 && r.status !== 201)
		fail(`login ${tenant}/${username}`, `HTTP ${r.status}: ${r.text}`);
	const m = /ks_session=[0-9a-f]+/.exec(r.headers.get('set-cookie') || '');
	if (!m)
		fail(`login ${tenant}/${username}`, 'no session cookie');
	return { cookie: m[0], csrf: json(r, 'login').csrf_token };
}

// The job a route started (its 202 answer), followed until it ended (the
// server answers once it has: ?wait=10): its result.
async function jobResult(who, r, what) {
	const id = json(r, what).id;
	if (!id)
		fail(what, `no job: HTTP ${r.status}: ${r.text}`);
	for (let i = 0; i < 600; i++) {
		const j = json(await call(who, 'GET', `/api/v1/jobs/${id}?wait=10`),
		    what);
		if (j.state === 'done')
			return j.result;
		if (j.state === 'failed' || j.state === 'dead')
			fail(what, `job ${id} ${j.state}: ${JSON.stringify(j)}`);
		await new Promise((ok) => setTimeout(ok, 10));
	}
	fail(what, `job ${id} did not end`);
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

// One tenant's run, its users logged in: prints its line.
async function payRun(t, acc, tl) {
	const t0 = now();
	const run = (await jobResult(acc, await call(acc, 'POST',
	    '/api/v1/payment-runs', { month }), `create ${t}`))?.run;
	if (!run)
		fail(`create ${t}`, 'no run in the job result');
	const t1 = now();
	const v = json(await call(tl, 'GET', `/api/v1/payment-runs/${run}?limit=1`),
	    `read ${t}`).version;
	const a = await call(tl, 'POST', `/api/v1/payment-runs/${run}/approve`,
	    undefined, { 'If-Match': `"${v}"` });
	if (a.status < 200 || a.status > 299)
		fail(`approve ${run}`, `HTTP ${a.status}: ${a.text}`);
	const t2 = now();
	await jobResult(acc, await call(acc, 'POST',
	    `/api/v1/payment-runs/${run}/export`), `export ${run}`);
	const t3 = now();
	const f = await call(acc, 'GET', `/api/v1/payment-runs/${run}/pain001`,
	    undefined, {}, true);
	const t4 = now();
	if (f.status !== 200)
		fail(`file ${run}`, `HTTP ${f.status}: ${f.bytes.toString()
		    .slice(0, 200)}`);
	// The bench's own check, after the clock stopped: the payments in it.
	let lines = 0;
	for (let i = f.bytes.indexOf('<CdtTrfTxInf>'); i >= 0;
	    i = f.bytes.indexOf('<CdtTrfTxInf>', i + 1))
		lines++;
	writeFileSync(`${out}/pain001-${t}.xml`, f.bytes);
	console.log([t, (t4 - t0).toFixed(3), run, lines, (t1 - t0).toFixed(3),
	    (t2 - t1).toFixed(3), (t3 - t2).toFixed(3), (t4 - t3).toFixed(3)]
	    .join(' '));
}

if (clients === 1) {
	for (const t of tenants)
		await payRun(t, await login(t, 'accounting'),
		    await login(t, 'teamlead'));
} else {
	// Everybody logged in first; then the clients take the next tenant
	// until none is left. The time from the first run's start to the
	// last one's end goes to $BENCH_OUT/payruns-wall.txt.
	const users = [];
	for (const t of tenants)
		users.push([t, await login(t, 'accounting'),
		    await login(t, 'teamlead')]);
	const t0 = now();
	await Promise.all(Array.from({ length: clients }, async () => {
		for (let u; (u = users.shift()) !== undefined;)
			await payRun(...u);
	}));
	writeFileSync(`${out}/payruns-wall.txt`, `${(now() - t0).toFixed(3)}\n`);
}
