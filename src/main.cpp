#include <cstdio>
#include <exception>

#include "app/cli.h"

int main(int argc, char** argv) {
  try {
    return da::main_entry(argc, argv);
  } catch (const std::exception& e) {
    // A failure at run time nothing else caught: exit 1, as every runtime failure does.
    std::fprintf(stderr, "error: fatal: %s\n", e.what());
    return 1;
  }
}
