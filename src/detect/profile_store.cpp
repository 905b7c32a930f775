#include "detect/profile_store.h"

#include "core/atomic_file.h"


#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

namespace da {

namespace fs = std::filesystem;

ProfileStore::ProfileStore(fs::path state_dir) : dir_(std::move(state_dir) / "profiles") {}

Status ProfileStore::prepare() const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Error{"cannot create the profile directory " + dir_.string() + ": " + ec.message()};
  return ok_status();
}

fs::path ProfileStore::path_for(const std::string& image_id) const {
  // "sha256:abc..." -> "sha256-abc....profile"; anything unusual becomes '_'.
  std::string name;
  for (char c : image_id) name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : c == ':' ? '-' : '_');
  return dir_ / (name + ".profile");
}

Result<fs::file_time_type> ProfileStore::save(const ImageProfile& profile) const {
  if (auto s = prepare(); !s) return s.error();
  const fs::path target = path_for(profile.image_id);
  if (auto s = write_file_atomically(target, encode_profile(profile)); !s) return s.error();
  std::error_code ec;
  auto mtime = fs::last_write_time(target, ec);
  if (ec) return Error{"cannot stat " + target.string() + ": " + ec.message()};
  return mtime;
}

Result<ImageProfile> ProfileStore::load_file(const fs::path& file) const {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{"cannot read " + file.string() + ": " + std::strerror(errno)};
  std::ostringstream bytes;
  bytes << in.rdbuf();
  auto profile = decode_profile(bytes.str());
  if (!profile) return Error{file.string() + ": " + profile.error().message};
  return profile;
}

std::optional<Result<ImageProfile>> ProfileStore::load(const std::string& image_id) const {
  const fs::path file = path_for(image_id);
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  return load_file(file);
}

std::vector<fs::path> ProfileStore::files() const {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec))
    if (entry.path().extension() == ".profile") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<fs::file_time_type> ProfileStore::modified(const std::string& image_id) const {
  std::error_code ec;
  auto t = fs::last_write_time(path_for(image_id), ec);
  if (ec) return std::nullopt;
  return t;
}

bool ProfileStore::remove(const std::string& image_id) const {
  std::error_code ec;
  return fs::remove(path_for(image_id), ec);
}

}  // namespace da
