-- POST the same form to every request. Environment: BENCH_PATH, BENCH_BODY, BENCH_AUTH
-- (Authorization header, optional), BENCH_COOKIE (optional). Prints a JSON summary line.
local path = os.getenv("BENCH_PATH")
local body = os.getenv("BENCH_BODY")
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
if os.getenv("BENCH_AUTH") then headers["Authorization"] = os.getenv("BENCH_AUTH") end
if os.getenv("BENCH_COOKIE") then headers["Cookie"] = os.getenv("BENCH_COOKIE") end
local req

function init(args)
  -- wrk.headers.Host is known only from here on; format the request once.
  req = wrk.format("POST", path, headers, body)
end

function request()
  return req
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
