-- wrk script for bench/gateway.sh: POSTs whose texts all differ (no cache can answer), paced
-- by WRK_DELAY_MS per connection, and one parseable RESULT line at the end.
--   WRK_KIND=classify  -> {"text": ..., "id": ...} for tunecase serve's /v1/classify
--   WRK_KIND=chat      -> a Chat Completions request for the upstream (directly or via nginx)
--   WRK_PACING=poisson -> (the default) each connection waits a random time after each answer,
--                         exponentially distributed with mean WRK_DELAY_MS: the connections'
--                         requests arrive independently, as a service's clients' do
--   WRK_PACING=fixed   -> each waits exactly WRK_DELAY_MS: connections that started together
--                         stay in step, and their requests arrive in bursts of all of them
local kind = os.getenv("WRK_KIND") or "classify"
local pace = tonumber(os.getenv("WRK_DELAY_MS") or "0")
local pacing = os.getenv("WRK_PACING") or "poisson"
if pacing ~= "poisson" and pacing ~= "fixed" then
  error("WRK_PACING must be poisson or fixed, not " .. pacing)
end
local counter = 0
local words = {"charged", "twice", "refund", "login", "password", "invoice", "shipping",
               "address", "export", "report", "slow", "error", "plan", "upgrade", "cancel"}

math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))

local function text()
  counter = counter + 1
  local parts = {}
  for i = 1, 8 do parts[i] = words[math.random(#words)] end
  return table.concat(parts, " ") .. " order " .. math.random(1, 1000000000) .. "-" .. counter
end

request = function()
  local t = text()
  local body
  if kind == "chat" then
    body = '{"model":"bench","messages":[{"role":"user","content":"' .. t .. '"}]}'
    return wrk.format("POST", "/v1/chat/completions", {["Content-Type"] = "application/json"}, body)
  end
  body = '{"text":"' .. t .. '","id":"' .. t .. '"}'
  return wrk.format("POST", "/v1/classify", {["Content-Type"] = "application/json"}, body)
end

if pace > 0 and pacing == "fixed" then
  delay = function() return pace end
elseif pace > 0 then
  -- wrk takes whole milliseconds; rounding keeps the mean at `pace`.
  delay = function() return math.floor(-pace * math.log(1 - math.random()) + 0.5) end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f p50_us=%d p90_us=%d p99_us=%d non2xx=%d errors=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout, e.connect, e.read,
    e.write, e.timeout))
end
