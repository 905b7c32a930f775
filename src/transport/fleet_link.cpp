#include "transport/fleet_link.h"

#include <hiredis/hiredis.h>

#include "transport/redis_command.h"

namespace da {

using redis::ReplyPtr;

namespace {

constexpr long long kAlertStreamLength = 100000;  // alerts kept for a dispatcher that is away

// One command, reconnecting first if the last one broke the connection; a Redis error is an Error.
Result<ReplyPtr> run(RedisContextPtr& context, const RedisUrl& url, const std::string& where,
                     const std::vector<std::string>& args) {
  if (auto s = redis::ensure_connected(context, url); !s) return s.error();
  ReplyPtr reply = redis::command(context.get(), args);
  if (!redis::is_error(reply)) return reply;
  const std::string why = redis::error_of(context.get(), reply);
  if (!reply) context.reset();
  return Error{"Redis " + args.front() + " (" + where + "): " + why};
}

}  // namespace

Result<std::unique_ptr<FleetLink>> FleetLink::create(const RedisUrl& url, std::string prefix) {
  auto c = connect_redis(url);
  if (!c) return c.error();
  return std::unique_ptr<FleetLink>(new FleetLink(url, std::move(prefix), std::move(*c)));
}

std::string FleetLink::describe() const { return "fleet " + prefix_ + " at " + url_.redacted(); }

Status FleetLink::contribute(const std::string& image_id, const std::string& node, const std::string& profile) {
  auto added = run(context_, url_, describe(), {"SADD", prefix_ + ":images", image_id});
  if (!added) return added.error();
  auto set = run(context_, url_, describe(), {"HSET", prefix_ + ":" + image_id + ":learned", node, profile});
  if (!set) return set.error();
  return ok_status();
}

Result<std::optional<std::string>> FleetLink::stable(const std::string& image_id) {
  auto r = run(context_, url_, describe(), {"GET", prefix_ + ":" + image_id + ":stable"});
  if (!r) return r.error();
  if ((*r)->type != REDIS_REPLY_STRING) return std::optional<std::string>();
  return std::optional<std::string>(redis::text(r->get()));
}

Status FleetLink::publish_alert(const std::string& json) {
  auto r = run(context_, url_, describe(), {"XADD", prefix_ + ":alerts", "MAXLEN", "~", std::to_string(kAlertStreamLength), "*",
                       "alert", json});
  if (!r) return r.error();
  return ok_status();
}

Result<std::vector<std::string>> FleetLink::images() {
  auto r = run(context_, url_, describe(), {"SMEMBERS", prefix_ + ":images"});
  if (!r) return r.error();
  std::vector<std::string> out;
  for (size_t i = 0; i < (*r)->elements; ++i) out.push_back(redis::text((*r)->element[i]));
  return out;
}

Result<std::map<std::string, std::string>> FleetLink::contributions(const std::string& image_id) {
  auto r = run(context_, url_, describe(), {"HGETALL", prefix_ + ":" + image_id + ":learned"});
  if (!r) return r.error();
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < (*r)->elements; i += 2)
    out.emplace(redis::text((*r)->element[i]), redis::text((*r)->element[i + 1]));
  return out;
}

Status FleetLink::publish_stable(const std::string& image_id, const std::string& profile) {
  auto r = run(context_, url_, describe(), {"SET", prefix_ + ":" + image_id + ":stable", profile});
  if (!r) return r.error();
  // The hosts' learning is in the stable profile now: its copies only took memory (hundreds of
  // KB per host and image). A host still learning adds its own again until it sees the profile.
  auto d = run(context_, url_, describe(), {"DEL", prefix_ + ":" + image_id + ":learned"});
  if (!d) return d.error();
  return ok_status();
}

Result<std::vector<FleetLink::Alert>> FleetLink::read_alerts(const std::string& group, const std::string& consumer,
                                                             long long timeout_ms) {
  const std::string stream = prefix_ + ":alerts";
  if (auto s = redis::ensure_connected(context_, url_); !s) return s.error();
  ReplyPtr r = redis::command(context_.get(), {"XREADGROUP", "GROUP", group, consumer, "COUNT", "100", "BLOCK",
                                               std::to_string(timeout_ms), "STREAMS", stream, ">"});
  if (r && r->type == REDIS_REPLY_ERROR && redis::text(r.get()).rfind("NOGROUP", 0) == 0) {
    // First start, or a Redis that lost its data: the group reads from the stream's start.
    auto created = run(context_, url_, describe(), {"XGROUP", "CREATE", stream, group, "0", "MKSTREAM"});
  if (!created) return created.error();
    return std::vector<Alert>{};
  }
  if (redis::is_error(r)) {
    const std::string why = redis::error_of(context_.get(), r);
    if (!r) context_.reset();
    return Error{"Redis (" + describe() + "): " + why};
  }
  std::vector<Alert> out;
  if (r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t s = 0; s < r->elements; ++s) {
    redisReply* entries = r->element[s]->element[1];
    for (size_t e = 0; e < entries->elements; ++e) {
      redisReply* entry = entries->element[e];
      Alert a{redis::text(entry->element[0]), ""};
      redisReply* fields = entry->element[1];
      for (size_t f = 0; fields->type == REDIS_REPLY_ARRAY && f + 1 < fields->elements; f += 2)
        if (redis::text(fields->element[f]) == "alert") a.json = redis::text(fields->element[f + 1]);
      out.push_back(std::move(a));
    }
  }
  return out;
}

Status FleetLink::acknowledge_alerts(const std::string& group, const std::vector<Alert>& alerts) {
  if (alerts.empty()) return ok_status();
  std::vector<std::string> args{"XACK", prefix_ + ":alerts", group};
  for (const auto& a : alerts) args.push_back(a.id);
  auto r = run(context_, url_, describe(), args);
  if (!r) return r.error();
  return ok_status();
}

}  // namespace da
