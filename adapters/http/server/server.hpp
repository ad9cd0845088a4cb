#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "adapters/http/server/listen_address.hpp"
#include "adapters/http/server/metrics.hpp"
#include "adapters/http/server/router.hpp"
#include "domain/result.hpp"

// The HTTP/1.1 server (Boost.Beast). Beast stays inside server.cpp and session.cpp.
namespace leads::adapters::http {

// How much nicer (lower CPU priority, per thread) the expensive requests' workers run than
// the others: when both kinds want the cores, the kernel runs the cheap ones first, so a
// get by id keeps its latency under a flood of searches (CONTRACT §10). In-process work
// only (SQLite); a PostgreSQL backend's CPU is the database's to schedule.
inline constexpr int kExpensiveNiceness = 10;

struct ServerOptions {
    ListenAddress listen{"127.0.0.1", 8080, false};
    int io_threads = 1;
    int worker_threads = 8;  // blocking handlers run here; sized like the database pool
    // Expensive requests (Endpoints::expensive) run on these instead: at most this many at
    // once, and never on the workers cheap requests need.
    int expensive_worker_threads = 4;
    std::size_t header_limit = 16 * 1024;
    // Whole request, header and body, from its first byte (from accept for the first one).
    std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
    // A keep-alive connection waiting for its next request.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
    // Writing one response.
    std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
    // A request still waiting for a worker after this long is answered 503 without being
    // run: under a burst of expensive calls the backlog of work whose clients have long
    // given up must not keep every later request waiting too.
    std::chrono::milliseconds queue_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds shutdown_grace{std::chrono::seconds(20)};
    bool handle_signals = false;  // SIGINT/SIGTERM start a graceful shutdown
    std::string version = "0.0.0";
};

class Server {
  public:
    Server(ServerOptions options, Endpoints endpoints);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds, listens and starts the I/O and worker threads. Unavailable when the address
    // cannot be bound.
    domain::Result<void> start();

    // The bound port (useful with port 0); 0 before start().
    std::uint16_t port() const;

    Metrics& metrics();

    // Graceful shutdown, from any thread, idempotent: readiness turns 503, no new
    // connections, idle connections close, in-flight requests finish and their
    // connections close; the server stops once idle or after the grace period.
    void shutdown();

    bool draining() const;

    // Blocks until the server has stopped and its threads are joined.
    void wait();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace leads::adapters::http
