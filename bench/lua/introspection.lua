-- POST /introspect (RFC 7662) with client_secret_basic for one live access token; an answer counts only
-- if it is a 200 with "active":true. args: basic credentials (base64), the access token.
-- Globals (not locals): wrk's thread:get() reads a thread's globals in done().
ok, errors = 0, 0

function init(args)
  wrk.method = "POST"
  wrk.body = "token=" .. args[2]
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Authorization"] = "Basic " .. args[1]
end

function response(status, headers, body)
  if status == 200 and body:find('"active":true', 1, true) then
    ok = ok + 1
  else
    errors = errors + 1
    if errors <= 3 then io.write("unexpected ", status, ": ", body:sub(1, 200), "\n") end
  end
end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function done(summary, latency, requests)
  local good, bad = 0, 0
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    bad = bad + t:get("errors")
  end
  io.write(string.format("check ok %d, errors %d\n", good, bad))
end
