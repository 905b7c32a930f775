#include "app/config_file.h"

#include <yaml-cpp/yaml.h>

#include "core/console.h"

#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <vector>

namespace da {
namespace {

struct ConfigError {
  std::string message;
};

// " (line N)" for a key read from the file; nothing for one set by -o.
std::string at_line(const YAML::Mark& mark) {
  return mark.is_null() || mark.line < 0 ? "" : " (line " + std::to_string(mark.line + 1) + ")";
}

// Reads one YAML map, refusing keys it was not told about.
class Section {
 public:
  Section(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) throw ConfigError{where() + " must be a map"};
  }

  template <class T>
  void get(const char* key, std::function<void(const T&)> apply) {
    known_.insert(key);
    if (!node_ || node_.IsNull()) return;
    const YAML::Node v = node_[key];
    if (!v || v.IsNull()) return;
    try {
      apply(v.as<T>());
    } catch (const YAML::Exception&) {
      throw ConfigError{"'" + name(key) + "' has the wrong type" + at_line(v.Mark())};
    }
  }
  bool is_map(const char* key) const {
    return node_ && node_.IsMap() && node_[key] && node_[key].IsMap();
  }
  Section section(const char* key) {
    known_.insert(key);
    return Section(node_ && !node_.IsNull() ? node_[key] : YAML::Node(), name(key));
  }
  void check_unknown() const {
    if (!node_ || node_.IsNull()) return;
    for (const auto& kv : node_) {
      const std::string key = kv.first.as<std::string>();
      if (!known_.count(key))
        throw ConfigError{"unknown key '" + name(key.c_str()) + "'" + at_line(kv.first.Mark())};
    }
  }

 private:
  std::string name(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  std::string where() const { return path_.empty() ? "the file" : "'" + path_ + "'"; }
  YAML::Node node_;
  std::string path_;
  std::set<std::string> known_;
};

template <class T>
std::function<void(const T&)> set_all(std::vector<T*> targets) {
  return [targets](const T& v) {
    for (T* t : targets)
      if (t) *t = v;
  };
}

}  // namespace

// Sets `key.path` in the tree to `value` read as YAML, creating maps on the way.
void apply_override(YAML::Node& root, const std::string& override_text) {
  const auto eq = override_text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError{"-o needs key=value (e.g. -o alerts.json_file=/var/log/da.jsonl), got '" + override_text + "'"};
  const std::string key = override_text.substr(0, eq);
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (parts.back().empty()) throw ConfigError{"-o " + key + ": empty part in the key"};
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  YAML::Node value;
  try {
    value = YAML::Load(override_text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw ConfigError{"-o " + key + ": the value is not valid YAML (" + e.msg + ")"};
  }
  // yaml-cpp nodes are handles: walking with operator[] on copies writes into the tree.
  std::vector<YAML::Node> path{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = path.back()[parts[i]];
    if (next.IsDefined() && !next.IsNull() && !next.IsMap())
      throw ConfigError{"-o " + key + ": '" + parts[i] + "' is not a section"};
    if (!next.IsDefined() || next.IsNull()) {
      path.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = path.back()[parts[i]];
    }
    path.push_back(next);
  }
  path.back()[parts.back()] = value;
}

Status load_config(const std::string& path, const std::vector<std::string>& overrides,
                   const ConfigTargets& t) {
  const std::string source = path.empty() ? std::string("-o") : path;
  try {
    YAML::Node root = path.empty() ? YAML::Node(YAML::NodeType::Map) : YAML::LoadFile(path);
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) throw ConfigError{"the file must be a map of settings"};
    for (const auto& o : overrides) apply_override(root, o);
    Section top(root, "");
    std::vector<CaptureOptions*> captures{t.run, t.agent, t.check, t.trace};
    std::vector<DetectionOptions*> detections{t.run ? &t.run->detection : nullptr,
                                              t.detect ? &t.detect->detection : nullptr,
                                              t.check ? &t.check->detection : nullptr,
                                              t.fleet ? &t.fleet->detection : nullptr};
    auto each_capture = [&](auto member) {
      std::vector<std::decay_t<decltype(t.run->*member)>*> out;
      for (auto* c : captures)
        if (c) out.push_back(&(c->*member));
      return out;
    };
    auto each_detection = [&](auto member) {
      std::vector<std::decay_t<decltype(t.run->detection.*member)>*> out;
      for (auto* d : detections)
        if (d) out.push_back(&(d->*member));
      return out;
    };
    std::vector<AlertSettings*> alerts;
    for (auto* d : detections)
      if (d) alerts.push_back(&d->alerts);
    if (t.alert_test) alerts.push_back(&t.alert_test->alerts);
    auto each_alert = [&](auto getter) {
      using V = std::decay_t<decltype(getter(*alerts.front()))>;
      std::vector<V*> out;
      for (auto* a : alerts) out.push_back(&getter(*a));
      return out;
    };

    top.get<std::string>("docker_host", set_all(each_capture(&CaptureOptions::docker_host)));
    top.get<std::string>("backend", set_all(each_capture(&CaptureOptions::backend)));
    top.get<bool>("judge_in_kernel", set_all(each_capture(&CaptureOptions::judge_in_kernel)));
    auto set_redis_url = [&](const std::string& v) {
      for (auto* c : captures)
        if (c) c->redis_url = v;
      if (t.detect) t.detect->redis_url = v;
      if (t.fleet) t.fleet->redis_url = v;
      if (t.dump) t.dump->redis_url = v;
    };
    auto set_redis_credentials = [&](const std::string& v) {
      for (auto* c : captures)
        if (c) c->redis_credentials = v;
      if (t.detect) t.detect->redis_credentials = v;
      if (t.fleet) t.fleet->redis_credentials = v;
      if (t.dump) t.dump->redis_credentials = v;
    };
    auto set_stream = [&](const std::string& v) {
      for (auto* c : captures)
        if (c) c->stream = v;
      if (t.detect) t.detect->stream = v;
      if (t.dump) t.dump->stream = v;
    };
    auto set_metrics = [&](const std::string& v) {
      for (auto* c : captures)
        if (c) c->metrics_address = v;
      if (t.detect) t.detect->metrics_address = v;
    };
    // redis: {url, credentials, stream} (also the older `redis: URL`, `redis_credentials`, `stream`).
    if (top.is_map("redis")) {
      Section redis = top.section("redis");
      redis.get<std::string>("url", set_redis_url);
      redis.get<std::string>("credentials", set_redis_credentials);
      redis.get<std::string>("stream", set_stream);
      redis.get<long long>("shards", [&](long long v) {
        if (v < 1 || v > 1024) throw ConfigError{"'redis.shards' must be 1 to 1024"};
        for (auto* c : captures)
          if (c) c->shards = static_cast<uint32_t>(v);
        if (t.detect) t.detect->shards = static_cast<uint32_t>(v);
      });
      redis.get<long long>("lease_ms", [&](long long v) {
        if (v < 500 || v > 600000) throw ConfigError{"'redis.lease_ms' must be 500 to 600000"};
        if (t.detect) t.detect->lease_ms = v;
      });
      redis.get<std::string>("group", [&](const std::string& v) {
        if (t.detect) t.detect->group = v;
      });
      redis.check_unknown();
    } else {
      top.get<std::string>("redis", set_redis_url);
    }
    top.get<std::string>("redis_credentials", set_redis_credentials);
    top.get<std::string>("stream", set_stream);
    // metrics: {address} (also `metrics: ADDRESS`).
    if (top.is_map("metrics")) {
      Section metrics = top.section("metrics");
      metrics.get<std::string>("address", set_metrics);
      metrics.check_unknown();
    } else {
      top.get<std::string>("metrics", set_metrics);
    }
    // fleet: {url, node, sync_seconds}: run's edge mode (app/fleet_sync.h).
    if (top.is_map("fleet")) {
      Section fleet = top.section("fleet");
      fleet.get<std::string>("url", [&](const std::string& v) {
        if (t.run) t.run->fleet_url = v;
      });
      fleet.get<std::string>("node", [&](const std::string& v) {
        if (t.run) t.run->fleet_node = v;
      });
      fleet.get<long long>("sync_seconds", [&](long long v) {
        if (v < 1 || v > 3600) throw ConfigError{"'fleet.sync_seconds' must be 1 to 3600"};
        if (t.run) t.run->fleet_sync_seconds = v;
      });
      fleet.check_unknown();
    }
    top.get<std::string>("log_level", [&](const std::string& v) {
      if (!parse_log_level(v)) throw ConfigError{"'log_level' must be debug, info, warning or error"};
      if (t.log_level) *t.log_level = v;
    });
    top.get<std::string>("state_dir", [&](const std::string& v) {
      for (auto* d : detections)
        if (d) d->state_dir = v;
      if (t.profiles) t.profiles->state_dir = v;
      if (t.alert_test) t.alert_test->state_dir = v;
    });

    Section learning = top.section("learning");
    auto set_learning = [&](auto member) {
      return [&, member](const auto& v) {
        for (auto* d : detections)
          if (d) d->learning.*member = v;
        if (t.profiles) t.profiles->learning.*member = v;
      };
    };
    learning.get<long long>("min_seconds", set_learning(&LearningSettings::min_seconds));
    learning.get<long long>("max_seconds", set_learning(&LearningSettings::max_seconds));
    learning.get<double>("novelty", set_learning(&LearningSettings::novelty));
    learning.get<long long>("idle_seconds", set_learning(&LearningSettings::idle_seconds));
    learning.get<long long>("progress_seconds", set_all(each_detection(&DetectionOptions::progress_interval_seconds)));
    learning.get<bool>("seed_from_previous_tag", set_all(each_detection(&DetectionOptions::seed_from_previous_tag)));
    learning.check_unknown();

    Section detection = top.section("detection");
    detection.get<double>("min_threshold", set_all(each_detection(&DetectionOptions::min_threshold)));
    detection.get<int>("window", set_all(each_detection(&DetectionOptions::window)));
    detection.check_unknown();

    if (!alerts.empty()) {
      Section a = top.section("alerts");
      a.get<std::string>("json_file", set_all(each_alert([](AlertSettings& s) -> std::string& { return s.json_file; })));
      a.get<bool>("console_json", set_all(each_alert([](AlertSettings& s) -> bool& { return s.console_json; })));
      a.get<size_t>("outbox_limit", set_all(each_alert([](AlertSettings& s) -> size_t& { return s.outbox_limit; })));
      Section email = a.section("email");
      email.get<std::string>("smtp_url", set_all(each_alert([](AlertSettings& s) -> std::string& { return s.email.smtp_url; })));
      email.get<std::string>("from", set_all(each_alert([](AlertSettings& s) -> std::string& { return s.email.from; })));
      email.get<std::vector<std::string>>("to", set_all(each_alert([](AlertSettings& s) -> std::vector<std::string>& { return s.email.to; })));
      email.get<bool>("require_tls", set_all(each_alert([](AlertSettings& s) -> bool& { return s.email.require_tls; })));
      email.get<std::string>("credentials_file", set_all(each_alert([](AlertSettings& s) -> std::string& { return s.email.credentials_file; })));
      email.get<std::string>("ca_file", set_all(each_alert([](AlertSettings& s) -> std::string& { return s.email.ca_file; })));
      email.get<bool>("insecure", set_all(each_alert([](AlertSettings& s) -> bool& { return s.email.insecure; })));
      email.get<int>("digest_minutes", set_all(each_alert([](AlertSettings& s) -> int& { return s.email.digest_minutes; })));
      email.check_unknown();
      Section webhook = a.section("webhook");
      webhook.get<std::string>("url", set_all(each_alert([](AlertSettings& s) -> std::string& { return s.webhook.url; })));
      webhook.get<std::vector<std::string>>("headers", set_all(each_alert([](AlertSettings& s) -> std::vector<std::string>& { return s.webhook.headers; })));
      webhook.get<std::string>("headers_file", set_all(each_alert([](AlertSettings& s) -> std::string& { return s.webhook.headers_file; })));
      webhook.get<std::string>("ca_file", set_all(each_alert([](AlertSettings& s) -> std::string& { return s.webhook.ca_file; })));
      webhook.get<bool>("insecure", set_all(each_alert([](AlertSettings& s) -> bool& { return s.webhook.insecure; })));
      webhook.check_unknown();
      Section syslog = a.section("syslog");
      syslog.get<std::string>("target", set_all(each_alert([](AlertSettings& s) -> std::string& { return s.syslog.target; })));
      syslog.get<std::string>("facility", set_all(each_alert([](AlertSettings& s) -> std::string& { return s.syslog.facility; })));
      syslog.check_unknown();
      Section noise = a.section("noise");
      noise.get<int>("window_seconds", set_all(each_alert([](AlertSettings& s) -> int& { return s.noise.window_seconds; })));
      noise.get<int>("rate_per_minute", set_all(each_alert([](AlertSettings& s) -> int& { return s.noise.rate_per_minute; })));
      noise.check_unknown();
      a.check_unknown();
    } else {
      top.section("alerts");
    }
    top.check_unknown();
    return ok_status();
  } catch (const ConfigError& e) {
    return Error{source + ": " + e.message, ErrorCause::kInvalid};
  } catch (const YAML::BadFile&) {
    return Error{"cannot read the config file " + path + ": " + std::strerror(errno), ErrorCause::kInvalid};
  } catch (const YAML::Exception& e) {
    return Error{source + ": " + e.what(), ErrorCause::kInvalid};
  }
}

std::vector<std::string> find_option_overrides(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    if ((std::strcmp(argv[i], "-o") == 0 || std::strcmp(argv[i], "--option") == 0) && i + 1 < argc)
      out.push_back(argv[++i]);
    else if (std::strncmp(argv[i], "--option=", 9) == 0)
      out.push_back(argv[i] + 9);
    else if (std::strncmp(argv[i], "-o", 2) == 0 && argv[i][2] != '\0')
      out.push_back(argv[i] + 2);
  }
  return out;
}

std::string find_config_argument(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) return argv[i + 1];
    if (std::strncmp(argv[i], "--config=", 9) == 0) return argv[i] + 9;
  }
  return {};
}

}  // namespace da
