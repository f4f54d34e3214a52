-- POST /token grant_type=refresh_token, each request with a refresh token never used before.
-- Environment: BENCH_TOKENS (file, one token per line), BENCH_AUTH (client_secret_basic).
-- A thread stops once the tokens run out, so none is presented twice (that would be reuse).
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Authorization"] = os.getenv("BENCH_AUTH"),
}
local i = 0

function request()
  i = i + 1
  if i > #tokens then
    wrk.thread:stop()
    i = #tokens
  end
  return wrk.format("POST", "/token", headers, "grant_type=refresh_token&refresh_token=" .. tokens[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
