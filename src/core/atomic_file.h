#pragma once
// Replaces a file's content all at once: write a temporary file beside it, fsync, rename. A
// crash leaves either the old content or the new, never half of it (profiles, the alert outbox).
#include <filesystem>
#include <string_view>

#include "core/result.h"

namespace da {

Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace da
