#pragma once

// Internal to the server: one connection. Includes Beast, so only server.cpp and
// session.cpp include it.

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/http/message.hpp"
#include "adapters/http/server/metrics.hpp"
#include "adapters/http/server/router.hpp"
#include "adapters/http/server/server.hpp"

namespace leads::adapters::http {

class Session;

// What a session needs from the server that owns it; outlives every session.
class SessionHost {
  public:
    virtual const ServerOptions& options() const = 0;
    virtual const Router& router() const = 0;
    virtual Metrics& metrics() = 0;
    virtual boost::asio::thread_pool& workers() = 0;
    virtual boost::asio::thread_pool& expensive_workers() = 0;
    virtual bool draining() const = 0;
    // Registers a live session (so shutdown can reach it); returns its key.
    virtual std::uint64_t attach(const std::shared_ptr<Session>& session) = 0;
    virtual void detach(std::uint64_t key) = 0;

  protected:
    ~SessionHost() = default;
};

// One connection, doing I/O only: wait → read header → read body → (worker pool) →
// write → wait again. Requests are processed strictly one at a time, so pipelined
// requests are answered in order and each sees the effects of the ones before it.
// The connection's strand runs every step but one: the worker that ran a handler writes
// its response itself when the socket takes it whole, and starts the wait for the next
// request (no hop back to an I/O thread). Meanwhile no operation of the connection is
// pending (a finished one's timer completion may still run on the strand: it touches no
// state), and drain() is kept apart from that last step by handoff_.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(boost::asio::ip::tcp::socket&& socket, SessionHost& host);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void run();
    // From any thread: close when idle, or after the current response.
    void drain();

  private:
    enum class State { Waiting, Reading, Handling, Writing, Closing };
    using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
    using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;
    using Serializer = boost::beast::http::response_serializer<boost::beast::http::string_body>;

    void wait_for_request();
    void on_first_bytes(boost::beast::error_code ec, std::size_t bytes);
    void read_header();
    void on_header(boost::beast::error_code ec, std::size_t bytes);
    // Records the method, version and request id of the header just parsed.
    void note_request_header();
    void on_continue_sent(boost::beast::error_code ec, std::size_t bytes);
    void read_body();
    void on_body(boost::beast::error_code ec, std::size_t bytes);
    void on_read_error(boost::beast::error_code ec);
    void dispatch_request();
    void send(Response response);
    // Builds response_ (and records the exchange's outcome) from a handler's response.
    void prepare(Response response);
    void write_async();
    // On the worker that ran the handler: writes what the socket takes now, then carries on.
    void respond_from_worker(Response response);
    // After the response went out (or failed): on the strand, or on the worker that wrote it.
    void on_write(boost::beast::error_code ec, std::size_t bytes);
    void finish_exchange();
    void reject(int status, std::string_view code, std::string_view message);
    void close_gracefully();
    void on_linger(boost::beast::error_code ec, std::size_t bytes);
    // Lets the written response's keep_until_sent go, on a worker.
    void release_kept();
    void abort();

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    SessionHost& host_;
    std::uint64_t key_ = 0;
    bool attached_ = false;

    std::atomic<State> state_ = State::Waiting;
    std::atomic<bool> draining_ = false;
    std::mutex handoff_;  // drain() against a worker starting the wait for the next request
    bool first_request_ = true;
    bool close_after_response_ = false;
    std::chrono::steady_clock::time_point deadline_;
    std::optional<Parser> parser_;
    std::unique_ptr<BeastResponse> response_;
    std::shared_ptr<const void> kept_;      // the response's keep_until_sent, until it is written
    std::optional<Serializer> serializer_;  // response_'s, while it is written
    std::size_t lingered_ = 0;
    std::array<char, 4096> scratch_{};

    // The exchange in progress, for metrics and the access log.
    struct Exchange {
        std::string method;
        std::string route = "unmatched";
        std::string request_id;
        std::string log_detail;
        int status = 0;
        std::size_t bytes = 0;
        unsigned version = 11;
        bool keep_alive = false;
        bool head = false;
        bool in_flight = false;
        std::chrono::steady_clock::time_point started;
    } exchange_;
};

}  // namespace leads::adapters::http
