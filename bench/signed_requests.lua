-- wrk script: replays pre-signed webhook requests from a file, each thread its own share.
-- File format: one request per line, "<signature>\t<json body>".
local threads = {}
local lines = {}
local next_index = 0

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path, count = args[1], tonumber(args[2])
  local number = 0
  for line in io.lines(path) do
    if number % count == thread_number then
      local signature, body = line:match("^([^\t]+)\t(.*)$")
      table.insert(lines, { signature = signature, body = body })
    end
    number = number + 1
  end
end

function request()
  next_index = next_index % #lines + 1
  local item = lines[next_index]
  return wrk.format("POST", wrk.path, {
    ["Content-Type"] = "application/json",
    ["X-Payalert-Signature"] = item.signature,
  }, item.body)
end
