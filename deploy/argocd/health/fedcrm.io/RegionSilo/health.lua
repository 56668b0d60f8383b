-- Argo CD health check for fedcrm.io/RegionSilo.
-- Reads the conditions operator/region_silo_controller.cc writes: Ready,
-- Reachable, ResidencyVerified and BudgetAvailable.
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

local function is_false(c)
  return c ~= nil and c.status == "False"
end

local status = obj.status
local ready = status and condition(status, "Ready")
if ready == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to check the silo"
  return hs
end

local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and status.observedGeneration ~= nil and
    status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

-- Data that may not leave the region, or a spent privacy budget, is not
-- fixed by waiting: a person has to act, even when the silo is Ready.
local residency = condition(status, "ResidencyVerified")
if is_false(residency) then
  hs.status = "Degraded"
  hs.message = "residency not verified: " .. tostring(residency.message)
  return hs
end
local budget = condition(status, "BudgetAvailable")
if is_false(budget) then
  hs.status = "Degraded"
  hs.message = tostring(budget.reason) .. ": " .. tostring(budget.message)
  return hs
end
if ready.status == "False" and ready.reason == "InvalidSpec" then
  hs.status = "Degraded"
  hs.message = "invalid spec: " .. tostring(ready.message)
  return hs
end

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = "ready"
  if budget ~= nil and budget.message ~= nil then
    hs.message = hs.message .. "; " .. budget.message
  end
  return hs
end
hs.status = "Progressing"
hs.message = tostring(ready.reason) .. ": " .. tostring(ready.message)
return hs
