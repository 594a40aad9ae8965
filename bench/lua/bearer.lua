-- GET with a bearer token; args: the access token.
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
end
