-- Tests the Argo CD health checks in deploy/argocd/health/ on the sample
-- objects in tests/gitops/samples/ (status shapes as the operator writes
-- them; tests/gitops/kubectl-wait-test.sh has the API server accept them),
-- and that deploy/argocd/argocd-cm-health.yaml is what
-- deploy/argocd/render-argocd-cm.lua renders from the checks.
--
--   lua5.4 tests/gitops/health_test.lua REPO_ROOT      prints "N passed, N failed"
local root = arg[1] or "."
local passed, failed = 0, 0

local function report(ok, name, detail)
  if ok then
    passed = passed + 1
    print("ok   " .. name)
  else
    failed = failed + 1
    print("FAIL " .. name .. ": " .. detail)
  end
end

local function read(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

-- JSON -----------------------------------------------------------------------
-- Enough JSON for Kubernetes objects. null becomes nil, as in Argo CD's
-- conversion of the object to a Lua table.
local function decode_json(text, source)
  local pos = 1
  local function fail(what)
    error(source .. ": offset " .. pos .. ": " .. what, 0)
  end
  local function skip()
    pos = text:find("[^ \t\r\n]", pos) or #text + 1
  end
  local value
  local escapes = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n",
                    r = "\r", t = "\t" }
  local function string_value()
    local out = {}
    pos = pos + 1
    while true do
      local c = text:sub(pos, pos)
      if c == "" then fail("unterminated string") end
      if c == '"' then
        pos = pos + 1
        return table.concat(out)
      end
      if c == "\\" then
        local e = text:sub(pos + 1, pos + 1)
        if e == "u" then
          out[#out + 1] = utf8.char(tonumber(text:sub(pos + 2, pos + 5), 16))
          pos = pos + 6
        elseif escapes[e] then
          out[#out + 1] = escapes[e]
          pos = pos + 2
        else
          fail("bad escape")
        end
      else
        out[#out + 1] = c
        pos = pos + 1
      end
    end
  end
  function value()
    skip()
    local c = text:sub(pos, pos)
    if c == "{" then
      local out = {}
      pos = pos + 1
      skip()
      if text:sub(pos, pos) == "}" then
        pos = pos + 1
        return out
      end
      while true do
        skip()
        if text:sub(pos, pos) ~= '"' then fail("expected a key") end
        local key = string_value()
        skip()
        if text:sub(pos, pos) ~= ":" then fail("expected ':'") end
        pos = pos + 1
        out[key] = value()
        skip()
        local sep = text:sub(pos, pos)
        pos = pos + 1
        if sep == "}" then return out end
        if sep ~= "," then fail("expected ',' or '}'") end
      end
    elseif c == "[" then
      local out = {}
      pos = pos + 1
      skip()
      if text:sub(pos, pos) == "]" then
        pos = pos + 1
        return out
      end
      while true do
        out[#out + 1] = value()
        skip()
        local sep = text:sub(pos, pos)
        pos = pos + 1
        if sep == "]" then return out end
        if sep ~= "," then fail("expected ',' or ']'") end
      end
    elseif c == '"' then
      return string_value()
    end
    if text:sub(pos, pos + 3) == "true" then
      pos = pos + 4
      return true
    elseif text:sub(pos, pos + 4) == "false" then
      pos = pos + 5
      return false
    elseif text:sub(pos, pos + 3) == "null" then
      pos = pos + 4
      return nil
    end
    local number = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if number == nil or number == "" then fail("unexpected '" .. c .. "'") end
    pos = pos + #number
    return tonumber(number)
  end
  local result = value()
  skip()
  if pos <= #text then fail("trailing characters") end
  return result
end

-- The checks -------------------------------------------------------------------
local render = dofile(root .. "/deploy/argocd/render-argocd-cm.lua")

local function check_path(kind)
  return root .. "/deploy/argocd/health/" .. render.group .. "/" .. kind .. "/health.lua"
end

-- Argo CD runs the checks in gopher-lua (Lua 5.1) with only a few libraries
-- loaded; give each run the base functions alone, so that a check using
-- string.*, math.* or os.* fails here rather than in Argo CD.
local function run_check(kind, object)
  local env = { obj = object, ipairs = ipairs, pairs = pairs, next = next, type = type,
                tostring = tostring, tonumber = tonumber, error = error, pcall = pcall }
  local chunk = assert(load(read(check_path(kind)), "@" .. check_path(kind), "t", env))
  return chunk()
end

-- Lua 5.4 syntax that gopher-lua (5.1) refuses. Strings and comments are
-- blanked first so that their text does not count.
local function lua51_problems(source)
  local code = source:gsub("%-%-%[%[.-%]%]", ""):gsub("%-%-[^\n]*", "")
  code = code:gsub('"[^"\n]*"', '""'):gsub("'[^'\n]*'", "''")
  local problems = {}
  for _, pattern in ipairs({ "%f[%w]goto%f[%W]", "//", "<const>", "<close>", "&", "|",
                             "<<", ">>", "~[^=]", "::" }) do
    if code:find(pattern) then problems[#problems + 1] = pattern end
  end
  return table.concat(problems, " ")
end

local kStatuses = { Healthy = true, Progressing = true, Degraded = true, Suspended = true,
                    Missing = true }

local D12 = "sha256:" .. string.rep("3f", 32)
-- kind, sample, expected hs.status, expected hs.message.
local cases = {
  { "FederatedRound", "no-status", "Progressing", "waiting for the operator to admit the round" },
  { "FederatedRound", "pending-base-model", "Progressing",
    "Pending: waiting for FederatedRound churn-global-r13 to succeed (phase Running)" },
  { "FederatedRound", "running", "Progressing",
    "running with 3 silos, aggregator phase training/masked-input" },
  { "FederatedRound", "succeeded", "Healthy", "model " .. D12 .. " from 3 silos" },
  { "FederatedRound", "succeeded-without-digest", "Degraded",
    "phase Succeeded but status.model.digest is empty" },
  { "FederatedRound", "failed-insufficient", "Degraded",
    "InsufficientParticipants: 1 eligible of 2 selected, 2 needed; excluded: us-east " ..
    "(BudgetExhausted: needs epsilon 0.52 (epsilon 3.1 composed), has epsilon 0.4 remaining of 3)" },
  { "FederatedRound", "failed-deadline-unsettled", "Degraded",
    "DeadlineExceeded: the round ran longer than spec.deadlines.roundSeconds (3600 s); " ..
    "aggregator phase training/unmask (privacy ledger not settled yet)" },

  { "FederatedModel", "no-status", "Progressing",
    "waiting for the operator to start the model line" },
  { "FederatedModel", "stale-generation", "Progressing",
    "waiting for the operator to observe generation 4" },
  { "FederatedModel", "training", "Progressing",
    "FederatedRound churn-global-r13 is running; promoted churn-global-r12 (" .. D12 .. ")" },
  { "FederatedModel", "suspended", "Suspended", "spec.suspend is true" },
  { "FederatedModel", "completed-promoted", "Healthy",
    "churn-global-r12 reached roc_auc 0.8123; promoted churn-global-r12 (" .. D12 .. ")" },
  { "FederatedModel", "completed-unpromoted", "Healthy", "12 rounds succeeded; spec.rounds is 12" },
  { "FederatedModel", "failed", "Degraded",
    "3 rounds failed in a row (latest churn-global-r15); spec.maxConsecutiveFailures is 3" },
  { "FederatedModel", "promoted-round-running", "Degraded",
    "spec.promotedRound: FederatedRound churn-global-r13 has not succeeded (phase Running)" },
  { "FederatedModel", "promoted-round-missing", "Degraded",
    "spec.promotedRound: FederatedRound churn-global-r40 does not exist in this model line" },

  { "RegionSilo", "no-status", "Progressing", "waiting for the operator to check the silo" },
  { "RegionSilo", "stale-generation", "Progressing",
    "waiting for the operator to observe generation 2" },
  { "RegionSilo", "ready", "Healthy",
    "ready; epsilon 1.07 of 3 remaining (spent 1.93, reserved 0)" },
  { "RegionSilo", "residency-unverified", "Degraded",
    "residency not verified: 1 of 2 nodes the worker could run on are not in region " ..
    "ap-southeast-1: apac-node-2 (us-east-1)" },
  { "RegionSilo", "budget-exhausted", "Degraded",
    "BudgetExhausted: epsilon 0 of 3 remaining (spent 3, reserved 0)" },
  { "RegionSilo", "unreachable", "Progressing",
    'ClusterUnreachable: cluster region-a: Get "https://10.0.0.5:6443/api/v1/nodes": ' ..
    "connection refused" },
  { "RegionSilo", "invalid-spec", "Degraded",
    "invalid spec: RegionSilo fedcrm/eu-west: spec.cluster.kubeconfigSecretRef.name: " ..
    "expected a non-empty string" },
}

for _, kind in ipairs(render.kinds) do
  local problems = lua51_problems(read(check_path(kind)))
  report(problems == "", kind .. " check is Lua 5.1 syntax", "uses " .. problems)
end

for _, case in ipairs(cases) do
  local kind, sample, want_status, want_message = case[1], case[2], case[3], case[4]
  local name = kind .. "/" .. sample
  local path = root .. "/tests/gitops/samples/" .. kind .. "/" .. sample .. ".json"
  local ok, object = pcall(function() return decode_json(read(path), path) end)
  if not ok then
    report(false, name, tostring(object))
  elseif object.kind ~= kind then
    report(false, name, "sample is a " .. tostring(object.kind))
  else
    local ran, hs = pcall(run_check, kind, object)
    if not ran then
      report(false, name, "the check raised: " .. tostring(hs))
    elseif type(hs) ~= "table" or not kStatuses[hs.status] then
      report(false, name, "no valid hs.status: " .. tostring(type(hs) == "table" and hs.status))
    else
      report(hs.status == want_status and hs.message == want_message, name .. " -> " .. want_status,
             "got " .. tostring(hs.status) .. " \"" .. tostring(hs.message) .. "\", want " ..
             want_status .. " \"" .. want_message .. "\"")
    end
  end
end

-- Every branch must see a sample: each (kind, status) the checks can
-- return is covered above. Missing is Argo CD's own (object absent).
local seen = {}
for _, case in ipairs(cases) do seen[case[1] .. " " .. case[3]] = true end
for _, want in ipairs({ "FederatedRound Healthy", "FederatedRound Degraded",
                        "FederatedRound Progressing", "FederatedModel Healthy",
                        "FederatedModel Degraded", "FederatedModel Progressing",
                        "FederatedModel Suspended", "RegionSilo Healthy", "RegionSilo Degraded",
                        "RegionSilo Progressing" }) do
  report(seen[want] == true, "a case for " .. want, "none")
end

-- A check must not fail on an object whose fields are absent or empty.
for _, kind in ipairs(render.kinds) do
  for _, object in ipairs({ { kind = kind, metadata = {} }, { kind = kind, status = {} },
                            { kind = kind, status = { phase = "Succeeded", conditions = {} } },
                            { kind = kind, status = { conditions = { {} } } } }) do
    local ran, hs = pcall(run_check, kind, object)
    report(ran and type(hs) == "table" and kStatuses[hs.status] ~= nil and
           type(hs.message) == "string", kind .. " on a sparse object",
           "got " .. tostring(ran and hs and hs.status or hs))
  end
end

local committed = read(root .. "/deploy/argocd/argocd-cm-health.yaml")
local rendered = render.render(root .. "/deploy/argocd")
report(committed == rendered, "argocd-cm-health.yaml is rendered from the checks",
       "stale; run: lua5.4 deploy/argocd/render-argocd-cm.lua > deploy/argocd/argocd-cm-health.yaml")

print(passed .. " passed, " .. failed .. " failed")
os.exit(failed == 0 and 0 or 1)
