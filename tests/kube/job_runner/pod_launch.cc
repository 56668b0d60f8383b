#include "tests/kube/job_runner/pod_launch.h"

#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <tuple>
#include <utility>

#include "core/common/error.h"
#include "kube/kube_config.h"

namespace fedcrm::testing::jobs {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

// obj[key] when it is of `type`, else a static empty value of that type:
// missing fields read as empty without copying.
const Json& Field(const Json& obj, const char* key, Json::value_t type) {
  static const Json kEmptyArray = Json::array();
  static const Json kEmptyObject = Json::object();
  if (obj.is_object()) {
    auto it = obj.find(key);
    if (it != obj.end() && it->type() == type) return *it;
  }
  return type == Json::value_t::array ? kEmptyArray : kEmptyObject;
}

const Json& ArrayField(const Json& obj, const char* key) {
  return Field(obj, key, Json::value_t::array);
}

const Json& ObjectField(const Json& obj, const char* key) {
  return Field(obj, key, Json::value_t::object);
}

std::string JobName(const Json& job) {
  const Json& meta = job.at("metadata");
  return "Job " + meta.value("namespace", std::string()) + "/" + meta.value("name", std::string());
}

[[noreturn]] void Refuse(const Json& job, const std::string& field, const std::string& problem) {
  throw ConfigError(JobName(job) + ": " + field, problem);
}

const Json& PodSpec(const Json& job) {
  const Json* spec = &job;
  for (const char* key : {"spec", "template", "spec"}) {
    if (!spec->contains(key) || !(*spec)[key].is_object()) {
      Refuse(job, "spec.template.spec", "missing");
    }
    spec = &(*spec)[key];
  }
  return *spec;
}

const Json& OnlyContainer(const Json& job, const Json& pod) {
  const Json& containers = ArrayField(pod, "containers");
  if (containers.size() != 1) {
    Refuse(job, "spec.template.spec.containers", "the job runner runs exactly one container");
  }
  if (!ArrayField(pod, "initContainers").empty()) {
    Refuse(job, "spec.template.spec.initContainers", "init containers are not emulated");
  }
  return containers[0];
}

std::string NoClaimMessage(const std::string& claim) {
  return std::string("persistentVolumeClaim '")
      .append(claim)
      .append("' has no host directory (fedcrm-job-runner --volume ")
      .append(claim)
      .append("=HOSTDIR)");
}

// Fills plan.secrets / plan.empty_dirs; returns volume name -> local directory.
std::map<std::string, fs::path> PlanVolumes(const Json& job, const Json& pod,
                                            const LaunchContext& context, LaunchPlan& plan) {
  std::map<std::string, fs::path> dirs;
  const Json& volumes = ArrayField(pod, "volumes");
  for (size_t i = 0; i < volumes.size(); ++i) {
    const Json& v = volumes[i];
    const std::string field = "spec.template.spec.volumes[" + std::to_string(i) + "]";
    const std::string name = v.value("name", std::string());
    const fs::path local = context.job_dir / name;
    if (v.contains("secret")) {
      const Json& s = v["secret"];
      plan.secrets.push_back({name, s.value("secretName", std::string()), s.value("items", Json()),
                              s.value("defaultMode", 0400), s.value("optional", false), local});
      dirs[name] = local;
    } else if (v.contains("persistentVolumeClaim")) {
      const std::string claim = v["persistentVolumeClaim"].value("claimName", std::string());
      auto it = context.claims.find(claim);
      if (it == context.claims.end()) {
        Refuse(job, field, NoClaimMessage(claim));
      }
      dirs[name] = it->second;
    } else if (v.contains("emptyDir")) {
      plan.empty_dirs.push_back(local);
      dirs[name] = local;
    } else {
      Refuse(job, field,
             "volume '" + name + "': only secret, persistentVolumeClaim and emptyDir are emulated");
    }
  }
  return dirs;
}

using MountTable = std::vector<std::pair<std::string, fs::path>>;  // mountPath -> local

MountTable Mounts(const Json& job, const Json& container,
                  const std::map<std::string, fs::path>& dirs) {
  MountTable mounts;
  for (const Json& m : ArrayField(container, "volumeMounts")) {
    const std::string name = m.value("name", std::string());
    auto it = dirs.find(name);
    if (it == dirs.end()) {
      Refuse(job, "spec.template.spec.containers[0].volumeMounts",
             "mounts volume '" + name + "', which the pod does not declare");
    }
    std::string path = m.value("mountPath", std::string());
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    fs::path local = it->second;
    if (const std::string sub = m.value("subPath", std::string()); !sub.empty()) local /= sub;
    mounts.emplace_back(path, local);
  }
  return mounts;
}

// `value` with the longest mountPath prefix it starts with replaced.
std::string Rewrite(const std::string& value, const MountTable& mounts) {
  const std::pair<std::string, fs::path>* best = nullptr;
  for (const auto& mount : mounts) {
    const std::string& path = mount.first;
    const bool match = value == path || (value.starts_with(path) && value[path.size()] == '/');
    if (match && (best == nullptr || path.size() > best->first.size())) best = &mount;
  }
  if (best == nullptr) return value;
  return best->second.string() + value.substr(best->first.size());
}

std::map<std::string, std::string> Env(const Json& job, const Json& container,
                                       const MountTable& mounts) {
  if (container.contains("envFrom")) {
    Refuse(job, "spec.template.spec.containers[0].envFrom", "not emulated");
  }
  std::map<std::string, std::string> env;
  for (const Json& e : ArrayField(container, "env")) {
    const std::string name = e.value("name", std::string());
    if (e.contains("valueFrom")) {
      Refuse(job, "spec.template.spec.containers[0].env " + name, "valueFrom is not emulated");
    }
    env[name] = Rewrite(e.value("value", std::string()), mounts);
  }
  return env;
}

std::optional<std::string> DataValue(const Json& secret, const std::string& key) {
  const Json& data = ObjectField(secret, "data");
  auto it = data.find(key);
  if (it == data.end() || !it->is_string()) return std::nullopt;
  return kube::DecodeBase64(it->get<std::string>());
}

void WriteFile(const fs::path& path, const std::string& content, int mode) {
  fs::create_directories(path.parent_path());
  fs::remove(path);  // a 0400 file from an earlier run can't be opened for writing
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (!out) throw ConfigError(path.string(), "cannot write the Secret file");
  fs::permissions(path, static_cast<fs::perms>(mode & 07777));
}

// The items to write: key -> (relative path, mode).
std::vector<std::tuple<std::string, std::string, int>> Items(const SecretVolume& volume,
                                                             const Json& secret) {
  std::vector<std::tuple<std::string, std::string, int>> items;
  if (volume.items.is_array() && !volume.items.empty()) {
    for (const Json& item : volume.items) {
      items.emplace_back(item.value("key", std::string()), item.value("path", std::string()),
                         item.value("mode", volume.default_mode));
    }
    return items;
  }
  for (const auto& [key, value] : ObjectField(secret, "data").items()) {
    items.emplace_back(key, key, volume.default_mode);
  }
  return items;
}

}  // namespace

LaunchPlan PlanLaunch(const Json& job, const LaunchContext& context) {
  const Json& pod = PodSpec(job);
  const Json& container = OnlyContainer(job, pod);
  LaunchPlan plan;
  const MountTable mounts = Mounts(job, container, PlanVolumes(job, pod, context, plan));
  for (const Json& arg : ArrayField(container, "args")) {
    plan.args.push_back(Rewrite(arg.is_string() ? arg.get<std::string>() : arg.dump(), mounts));
  }
  plan.env = Env(job, container, mounts);
  for (const auto& [name, value] : context.extra_env) plan.env[name] = value;
  return plan;
}

void WriteSecretVolume(const SecretVolume& volume, const Json& secret) {
  const std::string where = "Secret " + volume.secret_name + " (volume " + volume.volume + ")";
  fs::create_directories(volume.dir);
  if (secret.is_null()) {
    if (volume.optional) return;
    throw ConfigError(where, "not found");
  }
  for (const auto& [key, path, mode] : Items(volume, secret)) {
    const fs::path relative = fs::path(path).lexically_normal();
    if (path.empty() || relative.is_absolute() || *relative.begin() == "..") {
      throw ConfigError(std::string(where).append(": item ").append(key),
                        std::string("path '").append(path).append("' leaves the volume"));
    }
    std::optional<std::string> value = DataValue(secret, key);
    if (!value) {
      if (volume.optional) continue;
      throw ConfigError(std::string(where).append(": data.").append(key),
                        "missing or not valid base64");
    }
    WriteFile(volume.dir / relative, *value, mode);
  }
}

}  // namespace fedcrm::testing::jobs
