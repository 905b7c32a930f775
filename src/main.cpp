#include <cstdio>
#include <exception>

#include "app/cli.h"

int main(int argc, char** argv) {
  try {
    return da::main_entry(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "docker-anomalies: fatal: %s\n", e.what());
    return 70;
  }
}
