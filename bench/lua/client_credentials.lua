-- POST /token grant_type=client_credentials with client_secret_basic; args: basic credentials (base64).
function init(args)
  wrk.method = "POST"
  wrk.body = "grant_type=client_credentials"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Authorization"] = "Basic " .. args[1]
end
