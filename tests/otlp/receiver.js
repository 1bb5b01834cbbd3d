// SPDX-License-Identifier: MIT
//
// An OTLP/HTTP trace receiver for the tests. It decodes every POST to
// /v1/traces with the official OTLP definitions (the protobuf root that
// @opentelemetry/otlp-transformer generates from opentelemetry-proto), and
// answers from a script of statuses, so that a test can make it refuse.
//
//   POST /reset   body: {"script": ["503:1", "200"]}   statuses to answer in
//                 turn ("503:1" adds Retry-After: 1); the last one repeats
//   POST /v1/traces                                    an OTLP export
//   POST /check   body: the expectations               {"ok": ..., "errors": [...]}
//
// It prints "listening PORT" once ready, and exits when stdin closes.
'use strict';

const http = require('http');
const os = require('os');
const path = require('path');

const root = require(path.join(__dirname, 'node_modules', '@opentelemetry',
	'otlp-transformer', 'build', 'src', 'generated', 'root.js'));
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const Response = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

let script = ['200'];
let requests = [];

function hex(b) {
	return Buffer.from(b || []).toString('hex');
}

// An AnyValue as a plain JS value (int64 as a Number: counters fit).
function value(v) {
	if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
	if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
	if (v.intValue !== undefined && v.intValue !== null) return Number(v.intValue);
	if (v.doubleValue !== undefined && v.doubleValue !== null) return v.doubleValue;
	return null;
}

function attrs(list) {
	const out = {};
	for (const kv of list || []) out[kv.key] = value(kv.value);
	return out;
}

function decode(body) {
	const msg = Request.toObject(Request.decode(body), { longs: Number, bytes: Array, defaults: false });
	const spans = [];
	const resources = [];
	for (const rs of msg.resourceSpans || []) {
		const res = attrs(rs.resource && rs.resource.attributes);
		resources.push(res);
		for (const ss of rs.scopeSpans || []) {
			for (const s of ss.spans || []) {
				spans.push({
					trace_id: hex(s.traceId),
					span_id: hex(s.spanId),
					parent_span_id: hex(s.parentSpanId),
					name: s.name,
					kind: s.kind || 0,
					flags: s.flags || 0,
					start: Number(s.startTimeUnixNano),
					end: Number(s.endTimeUnixNano),
					attrs: attrs(s.attributes),
					scope: ss.scope && ss.scope.name,
				});
			}
		}
	}
	return { spans, resources };
}

function answer(res, status, retryAfter) {
	const headers = { 'Content-Type': 'application/x-protobuf' };
	if (retryAfter !== undefined) headers['Retry-After'] = retryAfter;
	res.writeHead(status, headers);
	res.end(status === 200 ? Buffer.from(Response.encode(Response.create({})).finish()) : '');
}

function traces(req, res, body) {
	const step = script.length > 1 ? script.shift() : script[0];
	const [status, retryAfter] = step.split(':');
	let decoded;
	try {
		decoded = decode(body);
	} catch (e) {
		requests.push({ status: 400, at: Date.now(), error: String(e), spans: [], resources: [] });
		res.writeHead(400);
		res.end();
		return;
	}
	requests.push({
		status: Number(status),
		at: Date.now(),
		type: req.headers['content-type'],
		spans: decoded.spans,
		resources: decoded.resources,
	});
	answer(res, Number(status), retryAfter);
}

// Check what arrived against what the test says it sent.
function check(want) {
	const errors = [];
	const err = (m) => errors.push(m);
	const accepted = requests.filter((r) => r.status === 200);
	const delivered = new Map();

	for (const r of requests) {
		if (r.error) err('undecodable request: ' + r.error);
		if (r.type !== 'application/x-protobuf') err('content-type ' + r.type);
	}
	for (const r of accepted) {
		for (const res of r.resources) {
			if (res['service.name'] !== want.service_name)
				err('service.name ' + res['service.name']);
			if (res['host.name'] !== os.hostname())
				err('host.name ' + res['host.name'] + ' != ' + os.hostname());
			if (res['process.pid'] !== want.pid)
				err('process.pid ' + res['process.pid'] + ' != ' + want.pid);
		}
		for (const s of r.spans) {
			delivered.set(s.span_id, (delivered.get(s.span_id) || 0) + 1);
			if (!delivered.has('span:' + s.span_id)) delivered.set('span:' + s.span_id, s);
		}
	}
	for (const w of want.spans) {
		const n = delivered.get(w.span_id) || 0;
		const s = delivered.get('span:' + w.span_id);
		if (n !== 1) {
			err(`span ${w.name} ${w.span_id} delivered ${n} times`);
			continue;
		}
		if (s.trace_id !== w.trace_id) err(`${w.name}: trace_id ${s.trace_id} != ${w.trace_id}`);
		if (s.parent_span_id !== (w.parent_span_id || ''))
			err(`${w.name}: parent ${s.parent_span_id} != ${w.parent_span_id}`);
		if (s.name !== w.name) err(`name ${s.name} != ${w.name}`);
		if (!(s.flags & 0x100)) err(`${w.name}: flags ${s.flags} lack has_is_remote`);
		if (!!(s.flags & 0x200) !== !!w.remote) err(`${w.name}: is_remote ${s.flags}`);
		if (w.kind !== undefined && s.kind !== w.kind) err(`${w.name}: kind ${s.kind} != ${w.kind}`);
		if (!(s.end >= s.start && s.start > 1.5e18)) err(`${w.name}: times ${s.start} ${s.end}`);
		for (const [k, v] of Object.entries(w.attrs || {})) {
			const got = s.attrs[k];
			if (v !== null && typeof v === 'object') {
				if (v.min !== undefined && !(typeof got === 'number' && got >= v.min))
					err(`${w.name}: ${k} = ${got}, want >= ${v.min}`);
				if (v.max !== undefined && !(typeof got === 'number' && got <= v.max))
					err(`${w.name}: ${k} = ${got}, want <= ${v.max}`);
				if (v.present !== undefined && (got !== undefined) !== v.present)
					err(`${w.name}: ${k} ${v.present ? 'missing' : 'present'}`);
			} else if (got !== v) {
				err(`${w.name}: ${k} = ${JSON.stringify(got)}, want ${JSON.stringify(v)}`);
			}
		}
	}
	const wanted = new Set(want.spans.map((w) => w.span_id));
	for (const r of accepted)
		for (const s of r.spans)
			if (!wanted.has(s.span_id)) err(`unexpected span ${s.name} ${s.span_id}`);
	// Statuses in order, and the wait a Retry-After asked for.
	const statuses = requests.map((r) => r.status);
	if (want.statuses && JSON.stringify(statuses) !== JSON.stringify(want.statuses))
		err(`statuses ${JSON.stringify(statuses)} != ${JSON.stringify(want.statuses)}`);
	for (let i = 1; i < requests.length; i++) {
		const gap = requests[i].at - requests[i - 1].at;
		if (want.min_gap_ms !== undefined && requests[i - 1].status !== 200 && gap < want.min_gap_ms)
			err(`retry after ${gap} ms, want >= ${want.min_gap_ms}`);
	}
	return {
		ok: errors.length === 0,
		errors,
		requests: requests.length,
		statuses,
		delivered: accepted.reduce((n, r) => n + r.spans.length, 0),
	};
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks);
		if (req.method === 'POST' && req.url === '/v1/traces') return traces(req, res, body);
		if (req.method === 'POST' && req.url === '/reset') {
			script = JSON.parse(body.toString()).script;
			requests = [];
			res.writeHead(200);
			return res.end('{}');
		}
		if (req.method === 'POST' && req.url === '/check') {
			const result = check(JSON.parse(body.toString()));
			res.writeHead(200, { 'Content-Type': 'application/json' });
			return res.end(JSON.stringify(result));
		}
		res.writeHead(404);
		res.end();
	});
});

server.listen(0, '127.0.0.1', () => {
	process.stdout.write(`listening ${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
