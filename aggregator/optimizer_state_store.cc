#include "aggregator/optimizer_state_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/common/error.h"

namespace fedcrm::aggregator {
namespace {

bool IsSafeName(const std::string& name) {
  if (name.empty() || name.size() > 253 || name[0] == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

OptimizerStateStore::OptimizerStateStore(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error) {
    throw ConfigError(dir_.string(),
                      "cannot create the optimizer state directory: " + error.message());
  }
}

std::filesystem::path OptimizerStateStore::PathFor(const std::string& model_line) const {
  if (!IsSafeName(model_line)) {
    throw ConfigError("model line '" + model_line + "'",
                      "expected 1-253 characters of [A-Za-z0-9._-], not starting with '.'");
  }
  return dir_ / (model_line + ".json");
}

std::optional<nlohmann::json> OptimizerStateStore::Load(const std::string& model_line) const {
  const std::filesystem::path path = PathFor(model_line);
  std::lock_guard<std::mutex> lock(mu_);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::exception& e) {
    throw DataError({path.string(), 0, 0, ""}, "",
                    std::string("optimizer state JSON (") + e.what() + ")");
  }
}

void OptimizerStateStore::Save(const std::string& model_line, const nlohmann::json& state) {
  const std::filesystem::path path = PathFor(model_line);
  const std::string bytes = state.dump() + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  const std::filesystem::path temporary = path.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0;
  size_t done = 0;
  while (ok && done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved_errno = errno;
  if (fd >= 0) ::close(fd);
  if (!ok || std::rename(temporary.c_str(), path.c_str()) != 0) {
    throw ConfigError(path.string(), std::string("cannot write the optimizer state: ") +
                                         std::strerror(ok ? errno : saved_errno));
  }
  const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace fedcrm::aggregator
