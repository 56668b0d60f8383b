-- Argo CD health check for fedcrm.io/FederatedModel.
-- Reads what operator/federated_model_controller.cc writes: status.phase
-- (Training, Suspended, Completed, Failed), the Progressing, Completed,
-- Failed and Promoted conditions and status.promoted.
-- Written for Argo CD's Lua 5.1 sandbox: base library only.
local hs = {}

local function condition(status, condition_type)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == condition_type then
      return c
    end
  end
  return nil
end

local function describe(c, fallback)
  if c == nil or c.message == nil or c.message == "" then
    return fallback
  end
  return c.message
end

local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to start the model line"
  return hs
end

-- After a Git commit changes spec.promotedRound, status.promoted still
-- names the previous version until the operator has seen the change.
local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and status.observedGeneration ~= nil and
    status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

-- What GitOps deploys must exist, whatever the line is doing.
local promoted = condition(status, "Promoted")
if promoted ~= nil and promoted.status == "False" then
  hs.status = "Degraded"
  hs.message = "spec.promotedRound: " .. describe(promoted, "the promoted round has no model")
  return hs
end
local suffix = ""
if status.promoted ~= nil and status.promoted.digest ~= nil then
  suffix = "; promoted " .. tostring(status.promoted.round) .. " (" .. status.promoted.digest .. ")"
end

local phase = status.phase
if phase == "Failed" then
  hs.status = "Degraded"
  hs.message = describe(condition(status, "Failed"), "the model line failed") .. suffix
elseif phase == "Completed" then
  hs.status = "Healthy"
  hs.message = describe(condition(status, "Completed"), "the model line completed") .. suffix
elseif phase == "Suspended" then
  hs.status = "Suspended"
  hs.message = describe(condition(status, "Progressing"), "spec.suspend is true") .. suffix
else
  hs.status = "Progressing"
  hs.message = describe(condition(status, "Progressing"), tostring(phase)) .. suffix
end
return hs
