#pragma once
// Profiles on disk: one versioned msgpack file per image in <state-dir>/profiles, written
// atomically (temp file + rename) so a crash never leaves half a profile. `profiles reset` and
// `profiles import` edit these files; a running engine notices and follows.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "detect/profile.h"

namespace da {

// Where profiles (and the alert outbox) live unless --state-dir says otherwise.
constexpr const char* kDefaultStateDir = "/var/lib/docker-anomalies";

class ProfileStore {
 public:
  explicit ProfileStore(std::filesystem::path state_dir);

  // Creates the directory; the message says why it cannot (e.g. not root).
  Status prepare() const;
  std::filesystem::path path_for(const std::string& image_id) const;
  // Writes the profile; returns the file's modification time after writing.
  Result<std::filesystem::file_time_type> save(const ImageProfile& profile) const;
  // nullopt when there is no file for the image.
  std::optional<Result<ImageProfile>> load(const std::string& image_id) const;
  Result<ImageProfile> load_file(const std::filesystem::path& file) const;
  std::vector<std::filesystem::path> files() const;
  // Modification time, or nullopt if the file is gone.
  std::optional<std::filesystem::file_time_type> modified(const std::string& image_id) const;
  bool remove(const std::string& image_id) const;

  const std::filesystem::path& directory() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace da
