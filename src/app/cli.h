#pragma once
namespace da {
// Parses the command line and runs the chosen subcommand; returns the exit code.
int main_entry(int argc, char** argv);
}  // namespace da
