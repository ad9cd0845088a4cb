#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

// Runs the real leads-api binary as a child process, with its own environment, and
// collects what it writes.
namespace leads::testing {

using namespace std::chrono_literals;

class ChildProcess {
  public:
    // env: the whole environment of the child (LEADS_* from the parent are not inherited,
    // so the test decides every setting).
    ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env);
    ~ChildProcess();  // SIGKILL if still running
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Waits for a stdout line containing needle; returns it (nullopt: timeout or exit).
    std::optional<std::string> wait_for_line(const std::string& needle, std::chrono::milliseconds timeout = 20s);

    // The port from the "listening" log line.
    std::optional<std::uint16_t> wait_until_listening(std::chrono::milliseconds timeout = 20s);

    void signal(int sig);

    // The exit code (128 + signal when killed by one); nullopt if still running at timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = 20s);

    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }
    pid_t pid() const { return pid_; }

  private:
    void pump(std::chrono::milliseconds timeout);  // reads what is available from both pipes

    pid_t pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string out_;
    std::string err_;
    std::optional<int> exit_code_;
};

// Runs to completion and returns {exit code, stdout, stderr}.
struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};
RunResult run_to_exit(const std::string& binary, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env, std::chrono::milliseconds timeout = 30s);

}  // namespace leads::testing
