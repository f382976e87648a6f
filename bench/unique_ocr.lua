-- wrk script for bench/ocr_cache.py: every request OCRs a document never sent before.
-- `wrk -s unique_ocr.lua URL -- PAD_CHARS RUN_ID PROVIDER [AUTHORIZATION]`.
-- The document is a base64 data URI: "%PDF-1.4\n", then 12 bytes from this run's id and a
-- request counter (hex digits are base64 characters too), then PAD_CHARS of base64 padding
-- bytes. Same shape and size every time, never the same bytes: every request is a cache miss.
local counter = 0
local head, tail

function init(args)
  local pad = string.rep("QUJD", math.floor((tonumber(args[1]) or 0) / 4))
  local run = tonumber(args[2]) or 0
  head = '{"provider":"' .. (args[3] or "mistral") ..
    '","document":{"type":"document_url","document_url":"data:application/pdf;base64,JVBERi0xLjQK' ..
    string.format("%08x", run % 4294967296)
  tail = pad .. '"}}'
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[4] and args[4] ~= "" then
    wrk.headers["Authorization"] = args[4]
  end
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, head .. string.format("%08x", counter) .. tail)
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
