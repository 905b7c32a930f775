// `profiles list|show|export|import|reset|allow`: what the engine has learned, per image, read
// from the state dir. A running agent notices reset, import and allow within a second or two.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/commands.h"
#include "core/clock.h"
#include "core/console.h"
#include "core/json_text.h"
#include "detect/allowances.h"
#include "detect/detector.h"
#include "detect/profile_store.h"
#include "syscalls/syscall_table.h"

namespace da {
namespace {


struct Loaded {
  std::filesystem::path file;
  ImageProfile profile;
};

std::vector<Loaded> load_all(const ProfileStore& store, Console& console) {
  std::vector<Loaded> out;
  for (const auto& file : store.files()) {
    auto p = store.load_file(file);
    if (!p) {
      console.warn(p.error().message);
      continue;
    }
    out.push_back({file, std::move(p.value())});
  }
  return out;
}

// An image given as full id, id prefix (with or without "sha256:") or repo:tag.
Result<Loaded> find_profile(const ProfileStore& store, const std::string& wanted, Console& console) {
  std::vector<Loaded> matches;
  for (auto& l : load_all(store, console)) {
    const std::string& id = l.profile.image_id;
    const std::string bare = id.rfind("sha256:", 0) == 0 ? id.substr(7) : id;
    if (l.profile.image == wanted || id == wanted || (wanted.size() >= 4 && (id.rfind(wanted, 0) == 0 || bare.rfind(wanted, 0) == 0)))
      matches.push_back(std::move(l));
  }
  if (matches.empty()) return Error{"no profile for image '" + wanted + "' in " + store.directory().string()};
  if (matches.size() > 1) {
    std::string ids;
    for (const auto& m : matches) ids += " " + m.profile.image_id.substr(0, 19);
    return Error{"'" + wanted + "' matches several profiles:" + ids + "; give the image id"};
  }
  return std::move(matches.front());
}

int list(const ProfileStore& store, const LearningSettings& learning, bool json, Console& console) {
  const int64_t now = unix_seconds();
  auto all = load_all(store, console);
  if (json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& l : all) {
      ProfileSummary s = summarize(l.profile, learning, now);
      const Convergence c = convergence(l.profile, learning, now);
      out.push_back({{"image", s.image}, {"image_id", s.image_id}, {"state", state_name(s.state)},
                     {"progress", s.progress}, {"progress_text", s.progress_text},
                     {"novelty_estimate", c.estimate}, {"novelty_level", learning.novelty},
                     {"stable_reason", l.profile.stable_reason},
                     {"programs", s.programs}, {"sequences", s.ngrams}, {"calls", s.calls},
                     {"executables", s.execs}, {"files", s.files}, {"peers", s.peers}});
    }
    console.line(json_text(out, 2));
    return 0;
  }
  if (all.empty()) {
    console.line("no profiles in " + store.directory().string());
    return 0;
  }
  char line[512];
  std::snprintf(line, sizeof line, "%-30s %-19s %-9s %5s %8s %10s %12s  %s", "IMAGE", "ID", "STATE",
                "DONE", "PROGRAMS", "SEQUENCES", "CALLS", "PROGRESS");
  console.line(line);
  for (const auto& l : all) {
    ProfileSummary s = summarize(l.profile, learning, now);
    std::snprintf(line, sizeof line, "%-30s %-19s %-9s %4.0f%% %8zu %10llu %12llu  %s", s.image.c_str(),
                  s.image_id.substr(0, 19).c_str(), state_name(s.state), 100 * s.progress, s.programs,
                  static_cast<unsigned long long>(s.ngrams), static_cast<unsigned long long>(s.calls),
                  s.progress_text.c_str());
    console.line(line);
  }
  return 0;
}

int show(const ImageProfile& p, const LearningSettings& learning, bool json, Console& console) {
  const int64_t now = unix_seconds();
  ProfileSummary s = summarize(p, learning, now);
  if (json) {
    nlohmann::ordered_json j;
    j["image"] = p.image;
    j["image_id"] = p.image_id;
    j["state"] = state_name(p.state);
    j["progress"] = s.progress;
    j["progress_text"] = s.progress_text;
    j["stable_reason"] = p.stable_reason;
    j["seeded_from"] = p.seeded_from;
    j["calls"] = p.calls;
    j["programs"] = nlohmann::ordered_json::array();
    for (const auto& [key, program] : p.programs)
      j["programs"].push_back({{"exe", program.exe}, {"comm", program.comm}, {"calls", program.calls},
                               {"sequences", program.ngrams.size() + program.holdout_ngrams.size()},
                               {"threshold", program.threshold},
                               {"sequence_novelty", program.sequence_novelty.estimate(now)},
                               {"resource_novelty", program.resource_novelty.estimate(now)}});
    j["executables"] = p.execs;
    j["files"] = p.files;
    j["peers"] = p.peers;
    console.line(json_text(j, 2));
    return 0;
  }
  console.line("image:     " + p.image + " (" + p.image_id + ")");
  console.line(std::string("state:     ") + state_name(p.state) + ", " + s.progress_text);
  if (!p.seeded_from.empty()) console.line("seeded from: " + p.seeded_from);
  console.line("calls:     " + std::to_string(p.calls) + " learned, " + std::to_string(s.ngrams) +
               " distinct sequences of " + std::to_string(kProfileOrder) + " calls");
  console.line("programs:");
  for (const auto& [key, program] : p.programs) {
    char line[512];
    const bool active = now - program.sequence_novelty.last_event() < learning.idle_seconds;
    // A threshold no window can reach (its held-back scores were too irregular): said plainly.
    const bool unscored = program.threshold >= DetectorConfig{}.max_call_surprise;
    std::snprintf(line, sizeof line, "  %-16s %-28s %10llu calls %7zu sequences  threshold %.2f%s  P(new) %s/%s%s",
                  program.comm.c_str(), program.exe.c_str(),
                  static_cast<unsigned long long>(program.calls),
                  program.ngrams.size() + program.holdout_ngrams.size(), program.threshold,
                  unscored ? " (unreachable)" : "",
                  format_probability(program.sequence_novelty.estimate(now)).c_str(),
                  format_probability(program.resource_novelty.estimate(now)).c_str(),
                  p.state == ProfileState::kLearning && !active ? " (idle)" : "");
    console.line(line);
  }
  auto print_set = [&](const char* title, const LearnedSet& set) {
    console.line(std::string(title) + " (" + std::to_string(set.size()) + "):");
    for (const auto& item : set)
      console.line("  " + item + (item.find('*') != std::string::npos ? "    (learned pattern)" : ""));
  };
  print_set("executables", p.execs);
  print_set("files", p.files);
  print_set("network", p.peers);
  return 0;
}

}  // namespace

int profiles_command(const ProfilesOptions& o) {
  Console console;
  ProfileStore store(o.state_dir);
  const LearningSettings& learning = o.learning;
  if (o.action == "list") return list(store, learning, o.json, console);
  if (o.action == "import") {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) {
      console.error("cannot read " + o.file);
      return 1;
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    auto profile = decode_profile(bytes.str());
    if (!profile) {
      console.error(o.file + ": " + profile.error().message);
      return 1;
    }
    auto saved = store.save(*profile);
    if (!saved) {
      console.error(saved.error().message);
      return 1;
    }
    console.line("imported the profile of " + profile->image + " (" + profile->image_id.substr(0, 19) +
                 "), " + state_name(profile->state));
    return 0;
  }
  if (o.action == "reset" && o.all) {
    // Says what happened: a read-only or otherwise stuck state dir is an error, not "reset".
    int removed = 0, failed = 0;
    for (const auto& file : store.files()) {
      std::error_code ec;
      if (std::filesystem::remove(file, ec)) {
        ++removed;
      } else {
        ++failed;
        console.error("cannot remove " + file.string() + ": " + (ec ? ec.message() : "already gone"));
      }
    }
    console.line("removed " + std::to_string(removed) + " profiles; their images are learned anew");
    if (failed) console.error(std::to_string(failed) + " profiles could not be removed and are still in use");
    return failed ? 1 : 0;
  }
  if (o.image.empty()) {
    console.error("profiles " + o.action + " needs an image (id, id prefix or repo:tag)");
    return 2;
  }
  auto found = find_profile(store, o.image, console);
  if (!found) {
    console.error(found.error().message);
    return 1;
  }
  if (o.action == "show") return show(found->profile, learning, o.json, console);
  if (o.action == "export") {
    const std::string bytes = encode_profile(found->profile);
    if (o.file.empty() || o.file == "-") {
      std::fwrite(bytes.data(), 1, bytes.size(), stdout);
      return 0;
    }
    std::ofstream out(o.file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      console.error("cannot write " + o.file);
      return 1;
    }
    console.line("exported the profile of " + found->profile.image + " to " + o.file);
    return 0;
  }
  if (o.action == "allow") {
    std::vector<std::string> allowances;
    for (const auto& [kind, values] : {std::pair{"program ", &o.allow_programs}, {"file ", &o.allow_files},
                                       {"peer ", &o.allow_peers}, {"sequence ", &o.allow_sequences}})
      for (const auto& v : *values) allowances.push_back(kind + v);
    if (allowances.empty()) {
      console.error("profiles allow needs --program, --file, --peer or --sequence");
      return 2;
    }
    ImageProfile& profile = found->profile;
    std::vector<std::string> added;
    for (const auto& allowance : allowances) {
      auto what = apply_allowance(profile, allowance);
      if (!what) {
        console.error(what.error().message);
        return 2;
      }
      added.push_back(*what);
    }
    if (auto saved = store.save(profile); !saved) {
      console.error(saved.error().message);
      return 1;
    }
    for (const auto& a : added) console.line("allowed in " + profile.image + ": " + a);
    if (profile.state == ProfileState::kLearning)
      console.line("note: the profile is still learning; a running agent keeps learning on top of this");
    return 0;
  }
  if (o.action == "reset") {
    if (!store.remove(found->profile.image_id)) {
      console.error("cannot remove " + found->file.string());
      return 1;
    }
    console.line("reset the profile of " + found->profile.image + ": it is learned anew");
    return 0;
  }
  console.error("unknown action '" + o.action + "'");
  return 2;
}

}  // namespace da
