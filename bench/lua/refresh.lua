-- POST /token grant_type=refresh_token with client_secret_basic, each answer's refresh token reused for
-- the next refresh of its chain.
-- Every refresh rotates the token, and a rotated token presented again revokes its whole chain, so a
-- chain may have at most one request in flight. wrk cannot tell its connections apart, so the chains
-- wait in a per-thread queue: request() takes one out, response() puts the rotated successor back.
-- wrk pipelines nothing here (one request per connection at a time), so a thread never has more
-- requests in flight than connections: one seeded token per connection suffices; spares absorb lost
-- answers and the request() that wrk makes once at start-up to check for pipelining (never sent).
-- A token is never taken twice (checked: `reused` must stay 0).
-- args: basic credentials (base64), a file with one refresh token a line, the number of wrk threads
-- (default 1; each thread takes every n-th line, so no two threads share a chain).
-- Globals (not locals): wrk's thread:get() reads a thread's globals in done().
ok, errors, reused, starved = 0, 0, 0, 0
local queue, used, basic = {}, {}, nil
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  basic = args[1]
  local threads = tonumber(args[3] or "1")
  local n = 0
  for line in io.lines(args[2]) do
    if line ~= "" then
      if n % threads == (id or 1) - 1 then table.insert(queue, line) end
      n = n + 1
    end
  end
  if #queue == 0 then error("no refresh tokens for this thread in " .. args[2]) end
end

function request()
  local token = table.remove(queue, 1)
  if token == nil then
    -- Every chain is in flight or lost: an unknown token is refused (invalid_grant, no chain revoked).
    starved = starved + 1
    token = "starved"
  elseif used[token] then
    reused = reused + 1
  end
  if token ~= "starved" then used[token] = true end
  return wrk.format("POST", "/token", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic " .. basic,
  }, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  local token = status == 200 and body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if token then
    ok = ok + 1
    table.insert(queue, token)
  else
    errors = errors + 1
    if errors <= 3 then io.write("unexpected ", status, ": ", body:sub(1, 200), "\n") end
  end
end

function done(summary, latency, requests)
  local sum = { ok = 0, errors = 0, reused = 0, starved = 0 }
  for _, t in ipairs(threads) do
    for k in pairs(sum) do sum[k] = sum[k] + t:get(k) end
  end
  io.write(string.format("check ok %d, errors %d, reused %d, starved %d\n", sum.ok, sum.errors, sum.reused, sum.starved))
end
