-- Complete authorization code flows: GET /authorize with an existing SSO session (303 with a code),
-- then POST /token for that code (PKCE verifier, client_secret_basic). Codes wait in a per-thread queue.
-- args: authorize path+query, Cookie header value, basic credentials, redirect_uri (form-encoded), verifier.
-- Globals (not locals): wrk's thread:get() reads a thread's globals in done().
codes, flows, errors = {}, 0, 0
local authorize, cookie, basic, redirect, verifier

function init(args)
  authorize, cookie, basic, redirect, verifier = args[1], args[2], args[3], args[4], args[5]
end

function request()
  local code = table.remove(codes)
  if code then
    local body = "grant_type=authorization_code&code=" .. code .. "&redirect_uri=" .. redirect .. "&code_verifier=" .. verifier
    return wrk.format("POST", "/token", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Authorization"] = "Basic " .. basic,
    }, body)
  end
  return wrk.format("GET", authorize, { ["Cookie"] = cookie })
end

function response(status, headers, body)
  if status == 303 then
    local location = headers["Location"] or headers["location"] or ""
    local code = location:match("[?&]code=([^&]+)")
    if code then table.insert(codes, code) else errors = errors + 1 end
  elseif status == 200 then
    flows = flows + 1
  else
    errors = errors + 1
    if errors <= 3 then io.write("unexpected ", status, ": ", body:sub(1, 200), "\n") end
  end
end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function done(summary, latency, requests)
  local total, failed = 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("flows")
    failed = failed + t:get("errors")
  end
  io.write(string.format("flows %d\nflow_errors %d\n", total, failed))
end
