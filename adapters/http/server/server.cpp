#include "adapters/http/server/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <csignal>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "adapters/http/server/session.hpp"
#include "adapters/logging/json_log.hpp"

namespace leads::adapters::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

// Accepts connections and starts a session, on its own strand, for each one.
class Listener : public std::enable_shared_from_this<Listener> {
  public:
    Listener(net::io_context& ioc, SessionHost& host)
        : ioc_(ioc), acceptor_(net::make_strand(ioc)), retry_(acceptor_.get_executor()), host_(host) {}

    beast::error_code open(const tcp::endpoint& endpoint) {
        beast::error_code ec;
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
        if (!ec) acceptor_.bind(endpoint, ec);
        if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
        return ec;
    }

    std::uint16_t port() const {
        beast::error_code ec;
        return acceptor_.local_endpoint(ec).port();
    }

    void run() {
        net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
    }

    void close() {
        net::post(acceptor_.get_executor(), [self = shared_from_this()] {
            beast::error_code ec;
            self->acceptor_.close(ec);
            self->retry_.cancel();
        });
    }

  private:
    void accept() {
        // Each connection gets its own strand: its handlers never run concurrently.
        acceptor_.async_accept(net::make_strand(ioc_),
                               beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
    }

    void on_accept(beast::error_code ec, tcp::socket socket) {
        if (!acceptor_.is_open()) return;  // closed for shutdown
        if (ec) {
            // E.g. out of file descriptors: back off instead of spinning on the error.
            spdlog::warn(logging::Fields("accept failed").add("error", ec.message()).str());
            retry_.expires_after(std::chrono::milliseconds(100));
            retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
                if (!wait_ec && self->acceptor_.is_open()) self->accept();
            });
            return;
        }
        std::make_shared<Session>(std::move(socket), host_)->run();
        accept();
    }

    net::io_context& ioc_;
    tcp::acceptor acceptor_;
    net::steady_timer retry_;
    SessionHost& host_;
};

}  // namespace

struct Server::Impl final : SessionHost {
    Impl(ServerOptions options, Endpoints endpoints)
        : options_(std::move(options)),
          metrics_(options_.version),
          router_(std::move(endpoints), metrics_, draining_),
          ioc_(std::max(1, options_.io_threads)),
          workers_(static_cast<std::size_t>(std::max(1, options_.worker_threads))),
          expensive_workers_(static_cast<std::size_t>(std::max(1, options_.expensive_worker_threads))) {}

    ~Impl() {
        destroying_ = true;
        ioc_.stop();
        join_io_threads();
        workers_.join();
        expensive_workers_.join();
    }

    const ServerOptions& options() const override { return options_; }
    const Router& router() const override { return router_; }
    Metrics& metrics() override { return metrics_; }
    net::thread_pool& workers() override { return workers_; }
    net::thread_pool& expensive_workers() override { return expensive_workers_; }
    bool draining() const override { return draining_.load(); }

    std::uint64_t attach(const std::shared_ptr<Session>& session) override {
        std::lock_guard lock(sessions_mutex_);
        const auto key = next_key_++;
        sessions_.emplace(key, session);
        return key;
    }

    void detach(std::uint64_t key) override {
        bool idle = false;
        {
            std::lock_guard lock(sessions_mutex_);
            sessions_.erase(key);
            idle = sessions_.empty();
        }
        if (idle && draining_.load() && !destroying_.load()) stop("drained");
    }

    domain::Result<void> start() {
        beast::error_code ec;
        const auto address = net::ip::make_address(options_.listen.host, ec);
        if (ec) return domain::Error::validation("listen", "not an IP address");
        listener_ = std::make_shared<Listener>(ioc_, *this);
        if (ec = listener_->open(tcp::endpoint(address, options_.listen.port)); ec) {
            return domain::Error::unavailable("cannot listen on " + options_.listen.to_string() + ": " + ec.message());
        }
        port_ = listener_->port();
        listener_->run();
        if (options_.handle_signals) {
            signals_.emplace(ioc_, SIGINT, SIGTERM);
            wait_for_signal();
        }
        const int count = std::max(1, options_.io_threads);
        threads_.reserve(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) threads_.emplace_back([this] { run_io(); });
        return {};
    }

    void shutdown() {
        if (draining_.exchange(true)) return;
        spdlog::info(logging::Fields("shutting down")
                         .add("grace_ms", static_cast<std::int64_t>(options_.shutdown_grace.count()))
                         .str());
        net::post(ioc_, [this] {
            if (listener_) listener_->close();
            grace_.emplace(ioc_);
            grace_->expires_after(options_.shutdown_grace);
            grace_->async_wait([this](beast::error_code ec) {
                if (!ec) stop("grace period over");
            });
            std::vector<std::shared_ptr<Session>> live;
            bool idle = false;
            {
                std::lock_guard lock(sessions_mutex_);
                for (const auto& [key, weak] : sessions_) {
                    if (auto session = weak.lock()) live.push_back(std::move(session));
                }
                idle = sessions_.empty();
            }
            for (const auto& session : live) session->drain();
            if (idle) stop("drained");
        });
    }

    void wait() {
        join_io_threads();
        workers_.join();
        expensive_workers_.join();
    }

    void stop(std::string_view why) {
        bool expected = false;
        if (!stopped_.compare_exchange_strong(expected, true)) return;
        spdlog::info(logging::Fields("server stopped").add("reason", why).str());
        ioc_.stop();
    }

    void wait_for_signal() {
        signals_->async_wait([this](beast::error_code ec, int signal) {
            if (ec) return;
            if (!draining_.load()) {
                spdlog::info(logging::Fields("signal received").add("signal", static_cast<std::int64_t>(signal)).str());
                shutdown();
                wait_for_signal();
            } else {
                stop("second signal");  // a second signal does not wait for the grace period
            }
        });
    }

    void run_io() {
        // A handler that throws must not take the process down: log it and keep serving.
        for (;;) {
            try {
                ioc_.run();
                return;
            } catch (const std::exception& e) {
                spdlog::error(logging::Fields("uncaught exception on an I/O thread").add("error", e.what()).str());
            } catch (...) {
                spdlog::error("uncaught non-standard exception on an I/O thread");
            }
        }
    }

    void join_io_threads() {
        std::lock_guard lock(join_mutex_);
        for (auto& thread : threads_) {
            if (thread.joinable()) thread.join();
        }
        threads_.clear();
    }

    // Declared before the io_context: sessions destroyed with its pending handlers
    // still detach themselves from here.
    ServerOptions options_;
    std::atomic<bool> draining_{false};
    std::atomic<bool> stopped_{false};
    std::atomic<bool> destroying_{false};
    Metrics metrics_;
    Router router_;
    std::mutex sessions_mutex_;
    std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions_;
    std::uint64_t next_key_ = 1;
    std::atomic<std::uint16_t> port_{0};

    net::io_context ioc_;
    // Declared after the io_context: joined first, its tasks may still post to it.
    net::thread_pool workers_;
    net::thread_pool expensive_workers_;
    std::shared_ptr<Listener> listener_;
    std::optional<net::signal_set> signals_;
    std::optional<net::steady_timer> grace_;
    std::mutex join_mutex_;
    std::vector<std::thread> threads_;
};

Server::Server(ServerOptions options, Endpoints endpoints)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(endpoints))) {}

Server::~Server() = default;

domain::Result<void> Server::start() { return impl_->start(); }
std::uint16_t Server::port() const { return impl_->port_.load(); }
Metrics& Server::metrics() { return impl_->metrics_; }
void Server::shutdown() { impl_->shutdown(); }
bool Server::draining() const { return impl_->draining_.load(); }
void Server::wait() { impl_->wait(); }

}  // namespace leads::adapters::http
