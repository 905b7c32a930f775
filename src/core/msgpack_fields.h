#pragma once
// Small helpers both msgpack formats (event batches, profiles) use: packing strings, and
// reading typed fields out of msgpack objects where any mismatch becomes a DecodeError naming
// the field — never an exception escaping or a crash on malformed input.
#include <msgpack.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace da::msgpack_fields {

using Packer = msgpack::packer<msgpack::sbuffer>;

inline void pack_string(Packer& pk, std::string_view s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

struct DecodeError {
  std::string what;
};

inline std::string_view as_string(const msgpack::object& o, const char* field) {
  if (o.type != msgpack::type::STR) throw DecodeError{std::string(field) + " is not a string"};
  return {o.via.str.ptr, o.via.str.size};
}

inline int64_t as_int(const msgpack::object& o, const char* field) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) return static_cast<int64_t>(o.via.u64);
  if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
  throw DecodeError{std::string(field) + " is not an integer"};
}

inline uint64_t as_uint(const msgpack::object& o, const char* field) {
  if (o.type != msgpack::type::POSITIVE_INTEGER)
    throw DecodeError{std::string(field) + " is not an unsigned integer"};
  return o.via.u64;
}

inline double as_double(const msgpack::object& o, const char* field) {
  if (o.type == msgpack::type::FLOAT64 || o.type == msgpack::type::FLOAT32) return o.via.f64;
  return static_cast<double>(as_int(o, field));
}

inline const msgpack::object_array& as_array(const msgpack::object& o, const char* field) {
  if (o.type != msgpack::type::ARRAY) throw DecodeError{std::string(field) + " is not an array"};
  return o.via.array;
}

// Unpacks untrusted bytes with limits: a msgpack header may claim 4 G elements in 5 bytes
// (`dd ff ff ff ff`), and msgpack-cxx would try to allocate them all. No container can hold
// more elements than the input has bytes, so that bounds every count.
inline msgpack::object_handle unpack_untrusted(std::string_view bytes) {
  const auto most = static_cast<std::size_t>(bytes.size());
  const msgpack::unpack_limit limits(most, most, most, most, most, 64);
  return msgpack::unpack(bytes.data(), bytes.size(), nullptr, nullptr, limits);
}

}  // namespace da::msgpack_fields
