#include "tests/e2e/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace leads::testing {
namespace {

using Clock = std::chrono::steady_clock;

void append_available(int& fd, std::string& into) {
    if (fd < 0) return;
    char chunk[8192];
    for (;;) {
        const auto n = ::read(fd, chunk, sizeof chunk);
        if (n > 0) {
            into.append(chunk, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        ::close(fd);  // EOF or error
        fd = -1;
        return;
    }
}

}  // namespace

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env) {
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");

    std::vector<std::string> argv_storage{binary};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_storage;
    for (const auto& [k, v] : env) env_storage.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        ::execve(binary.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    out_fd_ = out_pipe[0];
    err_fd_ = err_pipe[0];
    ::fcntl(out_fd_, F_SETFL, O_NONBLOCK);
    ::fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

ChildProcess::~ChildProcess() {
    if (!exit_code_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
}

void ChildProcess::pump(std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    if (out_fd_ < 0 && err_fd_ < 0) {
        std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(20)));
        return;
    }
    ::poll(fds, 2, static_cast<int>(timeout.count()));
    append_available(out_fd_, out_);
    append_available(err_fd_, err_);
}

std::optional<std::string> ChildProcess::wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::size_t scanned = 0;
    for (;;) {
        // Complete lines only.
        for (auto end = out_.find('\n', scanned); end != std::string::npos; end = out_.find('\n', scanned)) {
            const auto line = out_.substr(scanned, end - scanned);
            scanned = end + 1;
            if (line.find(needle) != std::string::npos) return line;
        }
        if (Clock::now() >= deadline) return std::nullopt;
        if (out_fd_ < 0 && (exit_code_ || wait_exit(0ms))) return std::nullopt;
        pump(std::chrono::duration_cast<std::chrono::milliseconds>(
            std::min<Clock::duration>(deadline - Clock::now(), std::chrono::milliseconds(100))));
    }
}

std::optional<std::uint16_t> ChildProcess::wait_until_listening(std::chrono::milliseconds timeout) {
    const auto line = wait_for_line(R"("msg":"listening")", timeout);
    if (!line) return std::nullopt;
    const auto at = line->find(R"("port":)");
    if (at == std::string::npos) return std::nullopt;
    return static_cast<std::uint16_t>(std::atoi(line->c_str() + at + 7));
}

void ChildProcess::signal(int sig) {
    if (!exit_code_) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        int status = 0;
        const auto done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            // Whatever is still in the pipes.
            while (out_fd_ >= 0 || err_fd_ >= 0) pump(std::chrono::milliseconds(100));
            return exit_code_;
        }
        if (Clock::now() >= deadline) return std::nullopt;
        pump(std::chrono::milliseconds(20));
    }
}

RunResult run_to_exit(const std::string& binary, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env, std::chrono::milliseconds timeout) {
    ChildProcess child(binary, args, env);
    RunResult result;
    const auto code = child.wait_exit(timeout);
    result.exit_code = code.value_or(-1);
    result.out = child.out();
    result.err = child.err();
    return result;
}

}  // namespace leads::testing
