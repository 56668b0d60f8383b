-- Argo CD health check for fedcrm.io/FederatedRound.
-- Reads what operator/federated_round_controller.cc writes: status.phase
-- (Pending, Admitted, Running, Succeeded, Failed), the Admitted, Succeeded,
-- Failed and LedgerSettled conditions and status.model.digest.
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

local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to admit the round"
  return hs
end

local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and status.observedGeneration ~= nil and
    status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local phase = status.phase
if phase == "Succeeded" then
  local digest = status.model and status.model.digest
  if digest == nil or digest == "" then
    -- Healthy must mean "there is a model to deploy".
    hs.status = "Degraded"
    hs.message = "phase Succeeded but status.model.digest is empty"
    return hs
  end
  hs.status = "Healthy"
  hs.message = "model " .. digest
  if status.participants ~= nil then
    hs.message = hs.message .. " from " .. tostring(status.participants) .. " silos"
  end
  return hs
end

if phase == "Failed" then
  hs.status = "Degraded"
  local failed = condition(status, "Failed")
  if failed ~= nil and failed.status == "True" then
    hs.message = tostring(failed.reason) .. ": " .. tostring(failed.message)
  else
    hs.message = "the round failed"
  end
  -- A round that timed out keeps its reservations until the aggregator
  -- says whether it released the model (docs/operator.md).
  local settled = condition(status, "LedgerSettled")
  if settled ~= nil and settled.status == "False" then
    hs.message = hs.message .. " (privacy ledger not settled yet)"
  end
  return hs
end

hs.status = "Progressing"
if phase == "Running" then
  hs.message = "running with " .. tostring(status.participants or 0) .. " silos"
  if status.aggregatorPhase ~= nil and status.aggregatorPhase ~= "" then
    hs.message = hs.message .. ", aggregator phase " .. status.aggregatorPhase
  end
  return hs
end
local admitted = condition(status, "Admitted")
if admitted ~= nil and admitted.status == "False" and admitted.message ~= nil then
  hs.message = tostring(phase) .. ": " .. admitted.message
else
  hs.message = tostring(phase)
end
return hs
