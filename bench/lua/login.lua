-- Successful password logins, each the sequence a browser without an SSO session goes through:
--   1. GET /authorize (no cookie)            -> 200, the login page (its csrf and form action), and
--                                               Set-Cookie: the interaction's binding cookie
--   2. POST the form (cookie, csrf, username, password) to /interaction/{handle}/login
--                                            -> 303 to the redirect URI with ?code= (a first_party client:
--                                               no consent page): one login counted
-- wrk does not say which connection an answer belongs to, so every step is recognised by its answer
-- alone, and the next step waits in a per-thread queue (taken last in, first out, so logins under way
-- finish before new ones start). Usernames go round the provisioned users, so the per-account
-- throttle sees each account only every n-th login (and successes clear it anyway).
-- Steady rate: with c connections about c logins are under way at any moment, and those still under
-- way when wrk stops are lost (at 64 connections a large share of a 10 s run), so logins are also
-- counted per wall-clock second, and done() also prints the logins of the whole seconds after the
-- first two (warm-up: connections start in step, and the first second is partial) and before the last,
-- partial, one.
-- args: authorize path+query, username prefix, user count, password (all users share it).
-- Globals (not locals): wrk's thread:get() reads a thread's globals in done().
logins, errors = 0, 0
seconds = ""          -- "second:logins," for each finished second (a string: thread:get() copies it)
current, in_current = 0, 0
local authorize, prefix, users, password
local queue, next_user = {}, 0

function init(args)
  authorize, prefix, users, password = args[1], args[2], tonumber(args[3]), args[4]
  next_user = math.random(0, users - 1)
end

local function form_encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function header(headers, name)
  return headers[name] or headers[name:lower()] or ""
end

local function unexpected(status, what, body)
  errors = errors + 1
  if errors <= 3 then io.write("unexpected ", status, " (", what, "): ", ((body or ""):sub(1, 200):gsub("\n", " ")), "\n") end
end

function request()
  local step = table.remove(queue)
  if step == nil then
    return wrk.format("GET", authorize)
  end
  next_user = (next_user + 1) % users
  local body = "csrf=" .. form_encode(step.csrf) .. "&username=" .. form_encode(prefix .. next_user)
    .. "&password=" .. form_encode(password)
  return wrk.format("POST", step.path, {
    ["Cookie"] = step.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function response(status, headers, body)
  local location = header(headers, "Location")
  if status == 303 and location:match("[?&]code=") then
    logins = logins + 1
    local now = os.time()
    if now ~= current then
      if current ~= 0 then seconds = seconds .. current .. ":" .. in_current .. "," end
      current, in_current = now, 0
    end
    in_current = in_current + 1
  elseif status == 200 then
    -- Step 1's answer: the login page, and the cookie binding its interaction to this "browser".
    local action = body:match('<form method="post" action="([^"]+)"')
    local csrf = body:match('name="csrf" value="([^"]*)"')
    local path = action and (action:match("^https?://[^/]+(/.*)$") or action)
    local cookie = header(headers, "Set-Cookie"):match("^(valet_interaction=[^;]+)")
    if path and path:match("/interaction/[^/?]+/login$") and csrf and cookie then
      table.insert(queue, { path = path, cookie = cookie, csrf = csrf })
    else
      unexpected(status, "login page", body)
    end
  else
    unexpected(status, "login", body)
  end
end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function done(summary, latency, requests)
  local total, failed, per_second, first, last = 0, 0, {}, nil, nil
  for _, t in ipairs(threads) do
    total = total + t:get("logins")
    failed = failed + t:get("errors")
    -- The thread's last second is not in its string: it was still running when wrk stopped.
    for sec, n in t:get("seconds"):gmatch("(%d+):(%d+),") do
      sec, n = tonumber(sec), tonumber(n)
      per_second[sec] = (per_second[sec] or 0) + n
      first = math.min(first or sec, sec)
      last = math.max(last or sec, sec)
    end
  end
  io.write(string.format("logins %d\nlogin_errors %d\n", total, failed))
  -- LOGIN_DEBUG=1 in the environment prints each thread's logins per second.
  if os.getenv("LOGIN_DEBUG") then for _, t in ipairs(threads) do io.write(t:get("seconds"), "\n") end end
  if first then
    local from, steady = first + 2, 0
    for sec = from, last do steady = steady + (per_second[sec] or 0) end
    if last >= from then
      io.write(string.format("steady_logins %d\nsteady_seconds %d\n", steady, last - from + 1))
    end
  end
end
