#include "core/model/model_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "core/common/error.h"
#include "core/model/model_file.h"

namespace fedcrm::model {
namespace {

constexpr std::string_view kDigestPrefix = "sha256:";
constexpr size_t kHexDigits = 64;
constexpr std::string_view kModelSuffix = ".safetensors";
constexpr std::string_view kCardSuffix = ".card.json";

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string ErrnoText() { return std::strerror(errno); }

// Closes the descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, reporting the error close() can return on some filesystems.
  bool Close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

// A name no other writer, in this process or another, picks at the same time.
std::string TemporaryName(const std::string& final_name) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t process_nonce = std::random_device{}();
  return ".tmp-" + final_name + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(process_nonce) + "-" + std::to_string(counter.fetch_add(1));
}

void WriteAll(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      throw ConfigError(path.string(), "write failed: " + ErrnoText());
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
}

}  // namespace

ModelStore::ModelStore(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error || !std::filesystem::is_directory(dir_)) {
    throw ConfigError(dir_.string(), "cannot use as the model store directory: " +
                                         (error ? error.message() : "not a directory"));
  }
}

bool ModelStore::IsValidDigest(std::string_view digest) {
  return digest.size() == kDigestPrefix.size() + kHexDigits && digest.starts_with(kDigestPrefix) &&
         IsLowerHex(digest.substr(kDigestPrefix.size()));
}

std::filesystem::path ModelStore::PathFor(const std::string& digest,
                                          std::string_view suffix) const {
  if (!IsValidDigest(digest)) {
    const std::string shown = digest.size() > 80 ? digest.substr(0, 77) + "..." : digest;
    throw ConfigError("model digest '" + shown + "'",
                      "expected sha256: followed by 64 lowercase hex digits");
  }
  return dir_ / (digest.substr(kDigestPrefix.size()) + std::string(suffix));
}

std::string ModelStore::Put(std::string_view bytes) {
  const LoadedModel loaded = ParseModel(bytes, "model upload");
  const std::string hex = loaded.digest.substr(kDigestPrefix.size());
  const std::filesystem::path model_path = PathFor(loaded.digest, kModelSuffix);

  bool intact = false;
  try {
    intact = Get(loaded.digest).has_value();
  } catch (const DataError&) {
    intact = false;  // corrupt copy on disk: replace it below
  }
  if (!intact) WriteAtomically(hex + std::string(kModelSuffix), bytes);
  if (!std::filesystem::exists(PathFor(loaded.digest, kCardSuffix))) {
    WriteAtomically(
        hex + std::string(kCardSuffix),
        loaded.card.ToJson().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  return loaded.digest;
}

std::optional<std::string> ModelStore::Get(const std::string& digest) const {
  const std::filesystem::path path = PathFor(digest, kModelSuffix);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::nullopt;
  std::string bytes = ReadFileBytes(path);
  const std::string actual = Digest(bytes);
  if (actual != digest) {
    throw DataError({path.string(), 0, 0, ""}, "content digest " + actual,
                    "expected " + digest + " (the stored file is corrupt)");
  }
  return bytes;
}

bool ModelStore::Contains(const std::string& digest) const {
  std::error_code error;
  return std::filesystem::exists(PathFor(digest, kModelSuffix), error);
}

std::vector<std::string> ModelStore::List() const {
  std::vector<std::string> digests;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != kHexDigits + kModelSuffix.size() || !name.ends_with(kModelSuffix)) continue;
    const std::string hex = name.substr(0, kHexDigits);
    if (IsLowerHex(hex)) digests.push_back(std::string(kDigestPrefix) + hex);
  }
  if (error) throw ConfigError(dir_.string(), "cannot list the model store: " + error.message());
  std::sort(digests.begin(), digests.end());
  return digests;
}

// Write to a temporary file, fsync it, rename it over the final name, then
// fsync the directory so the rename itself survives a crash.
void ModelStore::WriteAtomically(const std::string& name, std::string_view bytes) const {
  const std::filesystem::path temporary = dir_ / TemporaryName(name);
  const std::filesystem::path final_path = dir_ / name;
  {
    FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (file.get() < 0) throw ConfigError(temporary.string(), "cannot create: " + ErrnoText());
    try {
      WriteAll(file.get(), bytes, temporary);
      if (::fsync(file.get()) != 0) {
        throw ConfigError(temporary.string(), "fsync failed: " + ErrnoText());
      }
      if (!file.Close()) throw ConfigError(temporary.string(), "close failed: " + ErrnoText());
      if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
        throw ConfigError(final_path.string(), "rename failed: " + ErrnoText());
      }
    } catch (...) {
      ::unlink(temporary.c_str());
      throw;
    }
  }
  FileDescriptor directory(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() < 0 || ::fsync(directory.get()) != 0) {
    throw ConfigError(dir_.string(), "fsync of the store directory failed: " + ErrnoText());
  }
}

}  // namespace fedcrm::model
