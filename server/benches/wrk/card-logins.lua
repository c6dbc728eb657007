-- wrk posts each pre-signed assertion of $THAIID_ASSERTIONS (one per line) once, as
-- POST /api/v1/card-logins. $THAIID_SHARD = "i/n" takes every n-th line from the i-th
-- (several wrk processes, one per server instance); wrk's $THAIID_WRK_THREADS threads
-- split the shard. A thread that has all its answers stops and writes a file in
-- $THAIID_WRK_DONE (wrk itself waits out -d: scripts/bench-server.sh interrupts it).
-- Prints what was accepted, and the first request's and last answer's monotonic times.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } thaiid_timespec;
  int clock_gettime(int clock, thaiid_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local function now()
  local t = ffi.new("thaiid_timespec")
  ffi.C.clock_gettime(CLOCK_MONOTONIC, t)
  return tonumber(t.tv_sec) + tonumber(t.tv_nsec) / 1e9
end

local path = os.getenv("THAIID_ASSERTIONS")
local shard, shards = (os.getenv("THAIID_SHARD") or "0/1"):match("(%d+)/(%d+)")
shard, shards = tonumber(shard), tonumber(shards)
local thread_count = tonumber(os.getenv("THAIID_WRK_THREADS"))

local threads = {}
local count = 0

function setup(thread)
  thread:set("index", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  local line_no, mine = 0, 0
  for line in io.lines(path) do
    if line_no % shards == shard then
      if mine % thread_count == index then
        tokens[#tokens + 1] = line
      end
      mine = mine + 1
    end
    line_no = line_no + 1
  end
  sent, accepted, refused, first_refusal = 0, 0, 0, ""
  started, finished = 0, 0
  -- wrk calls the first thread's request() once before the run, to check it: that call
  -- must not take an assertion.
  checking = index == 0
end

function request()
  if checking then
    checking = false
    return wrk.format("GET", "/wrk-idle")
  end
  sent = sent + 1
  if sent == 1 then started = now() end
  if sent <= #tokens then
    return wrk.format("POST", "/api/v1/card-logins",
      { ["Content-Type"] = "application/jose" }, tokens[sent])
  end
  -- All sent, some still in flight: a path that answers 404 and touches no table.
  return wrk.format("GET", "/wrk-idle")
end

function response(status, headers, body)
  if status == 200 then
    accepted = accepted + 1
  elseif status ~= 404 then
    refused = refused + 1
    if first_refusal == "" then first_refusal = status .. " " .. body end
  end
  if accepted + refused == #tokens then
    finished = now()
    local done = io.open(os.getenv("THAIID_WRK_DONE") .. "/" .. shard .. "-" .. index, "w")
    done:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local ok, no, why, first, last = 0, 0, "", math.huge, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("accepted")
    no = no + thread:get("refused")
    first = math.min(first, thread:get("started"))
    last = math.max(last, thread:get("finished"))
    local refusal = thread:get("first_refusal")
    if why == "" and refusal ~= "" then why = refusal end
  end
  io.write(string.format("accepted %d\n", ok))
  io.write(string.format("refused %d\n", no))
  if why ~= "" then io.write("first_refusal " .. why:gsub("\n", " ") .. "\n") end
  io.write(string.format("started %.6f\n", first))
  io.write(string.format("finished %.6f\n", last))
  io.write(string.format("p50_ms %.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("p99_ms %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("max_ms %.2f\n", latency.max / 1000))
end
