-- wrk script for scripts/wrk_overload.py: POST one applicant (the file named by WRK_BODY)
-- to /v1/score and time every answer by status. wrk's own latency figures mix refusals and
-- scores; here each request carries an X-Request-ID that the service echoes, so a response
-- is matched to its request and the accepted (200) latencies are kept apart.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } wrk_timespec;
int clock_gettime(int clk_id, wrk_timespec *tp);
]]
local ts = ffi.new("wrk_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e3 + tonumber(ts.tv_nsec) / 1e6
end

local file = assert(io.open(os.getenv("WRK_BODY"), "rb"))
local body = file:read("*a")
file:close()
local headers = { ["Content-Type"] = "application/json" }
local sent = {}
local n = 0
-- Globals, read by done() with thread:get (which copies flat tables only).
ok_ms, refused_ms = {}, {} -- latencies of the 200 and 503 answers
others = {} -- any other status -> count
unmatched = 0

function request()
  n = n + 1
  local id = "w" .. n
  sent[id] = now_ms()
  headers["X-Request-ID"] = id
  return wrk.format("POST", "/v1/score", headers, body)
end

function response(status, hdrs, _)
  local id = hdrs["x-request-id"] or hdrs["X-Request-ID"]
  local t0 = id and sent[id]
  if not t0 then
    unmatched = unmatched + 1
    return
  end
  sent[id] = nil
  if status == 200 then
    ok_ms[#ok_ms + 1] = now_ms() - t0
  elseif status == 503 then
    refused_ms[#refused_ms + 1] = now_ms() - t0
  else
    local key = tostring(status)
    others[key] = (others[key] or 0) + 1
  end
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

local function quantile(sorted, q)
  if #sorted == 0 then return 0 end
  local i = math.max(1, math.min(#sorted, math.ceil(q * #sorted)))
  return sorted[i]
end

function done(summary, _, _)
  local merged = { ["200"] = {}, ["503"] = {} }
  local counts = {}
  local lost = 0
  for _, t in ipairs(threads) do
    for status, name in pairs({ ["200"] = "ok_ms", ["503"] = "refused_ms" }) do
      local into = merged[status]
      for _, v in ipairs(t:get(name)) do into[#into + 1] = v end
    end
    for status, count in pairs(t:get("others")) do
      counts[status] = (counts[status] or 0) + count
    end
    lost = lost + t:get("unmatched")
  end
  local e = summary.errors
  io.write(string.format("RESULT seconds=%.3f connect=%d read=%d write=%d timeout=%d status=%d unmatched=%d\n",
    summary.duration / 1e6, e.connect, e.read, e.write, e.timeout, e.status, lost))
  for status, list in pairs(merged) do
    table.sort(list)
    if #list > 0 then
      io.write(string.format("STATUS %s count=%d p50=%.3f p99=%.3f max=%.3f\n", status, #list,
        quantile(list, 0.5), quantile(list, 0.99), list[#list]))
    end
  end
  for status, count in pairs(counts) do
    io.write(string.format("STATUS %s count=%d\n", status, count))
  end
end
