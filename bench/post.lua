-- wrk script for the aigateway bench:
-- `wrk -s post.lua URL -- METHOD BODY_FILE|- CONTENT_TYPE [AUTHORIZATION]`.
-- Sends the same request on every connection and prints one JSON line of results at the end.
function init(args)
  wrk.method = args[1] or "GET"
  local path = args[2]
  if path and path ~= "-" then
    local f = assert(io.open(path, "rb"))
    wrk.body = f:read("*a")
    f:close()
    wrk.headers["Content-Type"] = args[3]
  end
  if args[4] and args[4] ~= "" then
    wrk.headers["Authorization"] = args[4]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d,"err_connect":%d,"err_read":%d,"err_write":%d,' ..
    '"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
