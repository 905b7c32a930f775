#include "transport/wire_format.h"

#include <msgpack.hpp>

#include "core/msgpack_fields.h"

#include "syscalls/syscall_table.h"

namespace da {
namespace {

using namespace msgpack_fields;

void pack_value(Packer& pk, const ArgValue& value) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>) {
          pack_string(pk, v);
        } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
          pk.pack_array(static_cast<uint32_t>(v.size()));
          for (const auto& s : v) pack_string(pk, s);
        } else {
          pk.pack(v);
        }
      },
      value);
}

void pack_event(Packer& pk, const SyscallEvent& e) {
  pk.pack_map(13);
  pack_string(pk, "ts"), pk.pack(e.timestamp_ns);
  pack_string(pk, "cid"), pack_string(pk, e.container_id);
  pack_string(pk, "pid"), pk.pack(e.pid);
  pack_string(pk, "tid"), pk.pack(e.tid);
  pack_string(pk, "nspid"), pk.pack(e.ns_pid);
  pack_string(pk, "ppid"), pk.pack(e.ppid);
  pack_string(pk, "uid"), pk.pack(e.uid);
  pack_string(pk, "comm"), pack_string(pk, e.comm);
  pack_string(pk, "exe"), pack_string(pk, e.exe);
  pack_string(pk, "nr"), pk.pack(e.syscall_nr);
  pack_string(pk, "name"), pack_string(pk, syscall_name(e.syscall_nr));
  pack_string(pk, "args");
  pk.pack_array(static_cast<uint32_t>(e.args.size()));
  for (const auto& a : e.args) pack_value(pk, a);
  pack_string(pk, "ret"), pk.pack(e.ret);
}

// Decoding walks msgpack objects by hand so any malformed field becomes an Error naming it.
ArgValue as_arg(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::POSITIVE_INTEGER: return o.via.u64;
    case msgpack::type::NEGATIVE_INTEGER: return o.via.i64;
    case msgpack::type::STR: return std::string(o.via.str.ptr, o.via.str.size);
    case msgpack::type::ARRAY: {
      std::vector<std::string> v;
      for (uint32_t i = 0; i < o.via.array.size; ++i)
        v.emplace_back(as_string(o.via.array.ptr[i], "args[][]"));
      return v;
    }
    default: throw DecodeError{"args[] has an unsupported type"};
  }
}

ContainerMeta decode_container(const msgpack::object& o) {
  if (o.type != msgpack::type::MAP) throw DecodeError{"containers{} is not a map"};
  ContainerMeta meta;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    std::string_view key = as_string(kv.key, "container key");
    if (key == "name") meta.name = as_string(kv.val, "containers{}.name");
    else if (key == "image") meta.image = as_string(kv.val, "containers{}.image");
    else if (key == "image_id") meta.image_id = as_string(kv.val, "containers{}.image_id");
    else if (key == "labels") {
      if (kv.val.type != msgpack::type::MAP) throw DecodeError{"containers{}.labels is not a map"};
      for (uint32_t j = 0; j < kv.val.via.map.size; ++j) {
        const auto& label = kv.val.via.map.ptr[j];
        std::string name(as_string(label.key, "containers{}.labels key"));
        if (!is_reported_label(name)) continue;  // a newer agent's; this reader does not report it
        meta.labels[name] = std::string(as_string(label.val, "containers{}.labels value")).substr(0, kMaxLabelValueBytes);
      }
    }
  }
  return meta;
}

SyscallEvent decode_event(const msgpack::object& o) {
  if (o.type != msgpack::type::MAP) throw DecodeError{"event is not a map"};
  SyscallEvent e;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    std::string_view key = as_string(kv.key, "event key");
    const auto& v = kv.val;
    if (key == "ts") e.timestamp_ns = as_uint(v, "ts");
    else if (key == "cid") e.container_id = as_string(v, "cid");
    else if (key == "pid") e.pid = static_cast<int32_t>(as_int(v, "pid"));
    else if (key == "tid") e.tid = static_cast<int32_t>(as_int(v, "tid"));
    else if (key == "nspid") e.ns_pid = static_cast<int32_t>(as_int(v, "nspid"));
    else if (key == "ppid") e.ppid = static_cast<int32_t>(as_int(v, "ppid"));
    else if (key == "uid") e.uid = static_cast<int32_t>(as_int(v, "uid"));
    else if (key == "comm") e.comm = as_string(v, "comm");
    else if (key == "exe") e.exe = as_string(v, "exe");
    else if (key == "nr") e.syscall_nr = static_cast<int32_t>(as_int(v, "nr"));
    else if (key == "ret") e.ret = as_int(v, "ret");
    else if (key == "args") {
      if (v.type != msgpack::type::ARRAY) throw DecodeError{"args is not an array"};
      for (uint32_t j = 0; j < v.via.array.size; ++j) e.args.push_back(as_arg(v.via.array.ptr[j]));
    }
    // "name" is derived from nr; unknown keys are skipped so newer agents stay readable.
  }
  return e;
}

}  // namespace

std::string encode_batch(const EventBatch& batch) {
  msgpack::sbuffer buffer(64 + batch.events.size() * 160);
  Packer pk(buffer);
  pk.pack_map(7);
  pack_string(pk, "v"), pk.pack(kWireFormatVersion);
  pack_string(pk, "host"), pack_string(pk, batch.host);
  pack_string(pk, "agent"), pack_string(pk, batch.agent_id);
  pack_string(pk, "seq"), pk.pack(batch.sequence);
  pack_string(pk, "lost"), pk.pack(batch.lost);
  pack_string(pk, "events");
  pk.pack_array(static_cast<uint32_t>(batch.events.size()));
  for (const auto& e : batch.events) pack_event(pk, e);
  pack_string(pk, "containers");
  pk.pack_map(static_cast<uint32_t>(batch.containers.size()));
  for (const auto& [id, meta] : batch.containers) {
    pack_string(pk, id);
    pk.pack_map(meta.labels.empty() ? 3 : 4);
    pack_string(pk, "name"), pack_string(pk, meta.name);
    pack_string(pk, "image"), pack_string(pk, meta.image);
    pack_string(pk, "image_id"), pack_string(pk, meta.image_id);
    if (!meta.labels.empty()) {
      pack_string(pk, "labels");
      pk.pack_map(static_cast<uint32_t>(meta.labels.size()));
      for (const auto& [name, value] : meta.labels) pack_string(pk, name), pack_string(pk, value);
    }
  }
  return std::string(buffer.data(), buffer.size());
}

Result<EventBatch> decode_batch(std::string_view bytes) {
  try {
    msgpack::object_handle handle = unpack_untrusted(bytes);
    const msgpack::object& root = handle.get();
    if (root.type != msgpack::type::MAP) return Error{"batch is not a msgpack map"};
    EventBatch batch;
    bool has_version = false;
    for (uint32_t i = 0; i < root.via.map.size; ++i) {
      const auto& kv = root.via.map.ptr[i];
      std::string_view key = as_string(kv.key, "batch key");
      if (key == "v") {
        uint64_t v = as_uint(kv.val, "v");
        if (v != kWireFormatVersion)
          return Error{"unsupported wire format version " + std::to_string(v) + " (this build reads " +
                       std::to_string(kWireFormatVersion) + ")"};
        has_version = true;
      } else if (key == "host") {
        batch.host = as_string(kv.val, "host");
      } else if (key == "agent") {
        batch.agent_id = as_string(kv.val, "agent");
      } else if (key == "seq") {
        batch.sequence = as_uint(kv.val, "seq");
      } else if (key == "lost") {
        batch.lost = as_uint(kv.val, "lost");
      } else if (key == "events") {
        if (kv.val.type != msgpack::type::ARRAY) return Error{"events is not an array"};
        batch.events.reserve(kv.val.via.array.size);
        for (uint32_t j = 0; j < kv.val.via.array.size; ++j)
          batch.events.push_back(decode_event(kv.val.via.array.ptr[j]));
      } else if (key == "containers") {
        if (kv.val.type != msgpack::type::MAP) return Error{"containers is not a map"};
        for (uint32_t j = 0; j < kv.val.via.map.size; ++j) {
          const auto& c = kv.val.via.map.ptr[j];
          batch.containers[std::string(as_string(c.key, "containers key"))] =
              decode_container(c.val);
        }
      }
    }
    if (!has_version) return Error{"batch has no version field \"v\""};
    return batch;
  } catch (const DecodeError& e) {
    return Error{"malformed event batch: " + e.what};
  } catch (const std::exception& e) {
    return Error{std::string("malformed event batch: ") + e.what()};
  }
}

}  // namespace da
