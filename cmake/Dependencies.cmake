# Every third-party dependency, found once, from Debian's packages (scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(CURL REQUIRED)
find_package(spdlog REQUIRED)
# /metrics and /healthz: prometheus-cpp's text format, served by civetweb (both from Debian).
find_package(prometheus-cpp REQUIRED COMPONENTS core)
find_package(civetweb REQUIRED)
find_package(PkgConfig REQUIRED)
# Abseil's flat_hash_map: the learned n-gram counts, updated on every call a profile learns.
find_package(absl REQUIRED)

# hiredis: Debian ships a pkg-config file; its CMake config varies between releases.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
add_library(da::hiredis ALIAS PkgConfig::HIREDIS)

# msgpack-cxx is header-only; its CMake config insists on Boost, which we do not use.
find_path(MSGPACK_INCLUDE_DIR msgpack.hpp REQUIRED)
add_library(da_msgpack INTERFACE)
target_include_directories(da_msgpack SYSTEM INTERFACE ${MSGPACK_INCLUDE_DIR})
target_compile_definitions(da_msgpack INTERFACE MSGPACK_NO_BOOST MSGPACK_DEFAULT_API_VERSION=3)
add_library(da::msgpack ALIAS da_msgpack)

# yaml-cpp (--config): Debian's CMake config names the target yaml-cpp.
find_package(yaml-cpp REQUIRED)
if(TARGET yaml-cpp::yaml-cpp)
  add_library(da::yaml_cpp ALIAS yaml-cpp::yaml-cpp)
else()
  add_library(da::yaml_cpp ALIAS yaml-cpp)
endif()

# eBPF backend (DA_EBPF): libbpf (library), clang (compiles the BPF program), bpftool (vmlinux.h
# from the kernel's BTF, and the skeleton).
if(DA_EBPF)
  pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
  add_library(da::libbpf ALIAS PkgConfig::LIBBPF)
  find_program(DA_CLANG clang REQUIRED)
  find_program(DA_BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)
endif()
