#include "adapters/webhooks/client.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "adapters/webhooks/destination.hpp"
#include "domain/webhook.hpp"

namespace leads::adapters::webhooks {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

AttemptResult failed(std::string error) {
    return AttemptResult{.status = std::nullopt, .retry_after = std::nullopt, .error = std::move(error)};
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view text) {
    // Delta-seconds only; an HTTP-date is rare from webhook receivers and is ignored.
    long long seconds = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc{} || end != text.data() + text.size() || seconds < 0) return std::nullopt;
    return std::chrono::seconds(std::min<long long>(seconds, 7 * 24 * 3600));
}

std::string describe(const beast::error_code& ec) {
    if (ec == net::error::operation_aborted) return "timed out";
    return ec.message();
}

// A host's addresses, or why there are none.
struct Addresses {
    std::vector<tcp::endpoint> endpoints;
    std::string error;
};

// getaddrinfo, blocking, for the lookup's own thread.
Addresses look_up(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* list = nullptr;
    const int status = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
    if (status != 0) {
        const std::string why =
            status == EAI_SYSTEM ? std::error_code(errno, std::generic_category()).message() : ::gai_strerror(status);
        return {{}, why};
    }
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(list, ::freeaddrinfo);
    Addresses found;
    for (const addrinfo* entry = list; entry != nullptr; entry = entry->ai_next) {
        if (entry->ai_family == AF_INET && entry->ai_addrlen >= sizeof(sockaddr_in)) {
            sockaddr_in in{};
            std::memcpy(&in, entry->ai_addr, sizeof in);
            found.endpoints.emplace_back(net::ip::address_v4(ntohl(in.sin_addr.s_addr)), ntohs(in.sin_port));
        } else if (entry->ai_family == AF_INET6 && entry->ai_addrlen >= sizeof(sockaddr_in6)) {
            sockaddr_in6 in6{};
            std::memcpy(&in6, entry->ai_addr, sizeof in6);
            net::ip::address_v6::bytes_type bytes{};
            std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
            found.endpoints.emplace_back(net::ip::address_v6(bytes, in6.sin6_scope_id), ntohs(in6.sin6_port));
        }
    }
    return found;
}

// A name looked up on a detached thread of its own, so that the attempt can stop waiting at
// its deadline: getaddrinfo cannot be interrupted, and asio's resolver joins its thread when
// the io_context ends (which would wait for getaddrinfo all the same). The answer is posted
// to the io_context unless abandon() came first; then it is dropped, and the thread ends on
// its own whenever getaddrinfo returns, touching nothing but this object.
class Lookup : public std::enable_shared_from_this<Lookup> {
  public:
    using Done = std::function<void(Addresses)>;

    Lookup(net::io_context& io, Done done) : work_(io.get_executor()), done_(std::move(done)) {}

    // Throws std::system_error when no thread can be started.
    void start(std::string host, std::string port) {
        std::thread([self = shared_from_this(), host = std::move(host), port = std::move(port)] {
            Addresses found;
            try {
                found = look_up(host, port);
            } catch (const std::exception& e) {
                found = {{}, e.what()};
            }
            self->deliver(std::move(found));
        }).detach();
    }

    // On the io_context's thread: no answer will be posted after this returns, and io.run()
    // no longer waits for one.
    void abandon() {
        Done dropped;  // released outside the lock
        std::lock_guard lock(mutex_);
        dropped = std::exchange(done_, nullptr);
        work_.reset();
    }

  private:
    void deliver(Addresses found) {
        try {
            std::lock_guard lock(mutex_);
            if (!done_) return;  // abandoned: the attempt has ended, perhaps its io_context too
            net::post(work_.get_executor(), [done = std::exchange(done_, nullptr), found = std::move(found)]() mutable {
                done(std::move(found));
            });
            work_.reset();
        } catch (...) {
            // Cannot be posted (out of memory): the attempt's deadline ends it.
        }
    }

    std::mutex mutex_;
    net::executor_work_guard<net::io_context::executor_type> work_;  // io.run() waits for the answer
    Done done_;                                                      // empty once posted or abandoned
};

// One attempt's state; the io_context runs it to the end on the calling thread. Every step's
// completion handler first checks whether the attempt has ended (the deadline fired, or an
// earlier step failed) and then does nothing: a handler already queued when the deadline
// closed the socket must not start the next step.
class Exchange : public std::enable_shared_from_this<Exchange> {
  public:
    Exchange(net::io_context& io, const Attempt& attempt, const ClientOptions& options, domain::WebhookUrl url,
             std::string target, ssl::context* tls)
        : io_(io),
          attempt_(attempt),
          options_(options),
          url_(std::move(url)),
          target_(std::move(target)),
          deadline_(io),
          socket_(io) {
        if (tls != nullptr) tls_.emplace(socket_, *tls);
    }

    void start() {
        // The deadline bounds every step, the name's lookup included: when it fires, the
        // lookup is abandoned and the socket closed, which ends whatever step is under way.
        deadline_.expires_after(options_.timeout);
        deadline_.async_wait([self = shared_from_this()](const beast::error_code& ec) {
            if (ec || self->ended_) return;  // cancelled: the attempt ended first
            self->timed_out_ = true;
            self->finish("timed out");
        });
        std::string host = url_.host();
        if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
        host_ = host;
        // An address literal needs no lookup.
        beast::error_code literal_ec;
        const auto literal = net::ip::make_address(host_, literal_ec);
        if (!literal_ec) {
            return on_resolve(
                {.endpoints = {tcp::endpoint(literal, static_cast<unsigned short>(url_.port()))}, .error = {}});
        }
        lookup_ = std::make_shared<Lookup>(
            io_, [self = shared_from_this()](Addresses found) { self->on_resolve(std::move(found)); });
        try {
            lookup_->start(host_, std::to_string(url_.port()));
        } catch (const std::system_error& e) {
            finish("cannot resolve " + host_ + ": " + e.what());
        }
    }

    // Ends the attempt where it is (io.run() threw): nothing is posted to the io_context after this.
    void abandon() {
        if (lookup_) lookup_->abandon();
    }

    AttemptResult result() const { return result_; }

  private:
    void finish(std::string error) {
        if (!result_.status && result_.error.empty()) result_.error = timed_out_ ? "timed out" : std::move(error);
        ended_ = true;
        deadline_.cancel();
        if (lookup_) lookup_->abandon();
        beast::error_code ignored;
        socket_.close(ignored);
    }

    void on_resolve(Addresses found) {
        if (ended_) return;
        if (!found.error.empty()) return finish("cannot resolve " + host_ + ": " + found.error);
        std::vector<tcp::endpoint> allowed;
        std::string refusal;
        for (const auto& endpoint : found.endpoints) {
            const auto address = endpoint.address();
            std::optional<std::string_view> reason;
            if (address.is_v4()) {
                const auto bytes = address.to_v4().to_bytes();
                reason = refused_address(bytes);
            } else {
                const auto bytes = address.to_v6().to_bytes();
                reason = refused_address(bytes);
            }
            if (reason && !options_.allow_private) {
                if (refusal.empty())
                    // The host as given, not the address: a tenant must not map the network.
                    refusal = "refused to connect to " + host_ + ": it resolves to a " + std::string(*reason);
                continue;
            }
            allowed.push_back(endpoint);
        }
        if (allowed.empty()) return finish(refusal.empty() ? "no address for " + host_ : refusal);
        net::async_connect(socket_, allowed,
                           [self = shared_from_this()](const beast::error_code& connect_ec, const tcp::endpoint&) {
                               self->on_connect(connect_ec);
                           });
    }

    void on_connect(const beast::error_code& ec) {
        if (ended_) return;
        if (ec) return finish("cannot connect to " + host_ + ": " + describe(ec));
        if (!tls_) return send(socket_);
        beast::error_code ip_ec;
        net::ip::make_address(host_, ip_ec);
        // SNI for a name (never for an address literal), and the certificate must name it.
        // (SSL_set_tlsext_host_name is a macro casting to void*; SSL_ctrl only reads the name.)
        if (ip_ec && SSL_ctrl(tls_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                              const_cast<char*>(host_.c_str())) != 1) {
            return finish("TLS: cannot set the server name");
        }
        beast::error_code verify_ec;
        tls_->set_verify_mode(ssl::verify_peer, verify_ec);
        if (!verify_ec) tls_->set_verify_callback(ssl::host_name_verification(host_), verify_ec);
        if (verify_ec) return finish("TLS: cannot set up verification: " + verify_ec.message());
        tls_->async_handshake(ssl::stream_base::client, [self = shared_from_this()](const beast::error_code& hs_ec) {
            if (self->ended_) return;
            if (hs_ec) return self->finish("TLS handshake with " + self->host_ + " failed: " + describe(hs_ec));
            self->send(*self->tls_);
        });
    }

    template <class Stream>
    void send(Stream& stream) {
        request_.method(http::verb::post);
        request_.target(target_);
        request_.version(11);
        request_.set(http::field::host,
                     url_.host() + (url_.port() == (url_.https() ? 443U : 80U) ? std::string()
                                                                               : ":" + std::to_string(url_.port())));
        request_.set(http::field::user_agent, "leads-api-webhooks");
        request_.set(http::field::content_type, "application/json");
        for (const auto& [name, value] : attempt_.headers) request_.set(name, value);
        request_.body() = attempt_.body;
        request_.keep_alive(false);
        request_.prepare_payload();
        http::async_write(stream, request_,
                          [self = shared_from_this(), &stream](const beast::error_code& ec, std::size_t) {
                              if (self->ended_) return;
                              if (ec) return self->finish("cannot send to " + self->host_ + ": " + describe(ec));
                              self->read(stream);
                          });
    }

    // One response's header. An interim (1xx) response (100 Continue, 103 Early Hints) is
    // not the answer: the next response is read, with a parser of its own (a parser reads
    // one message), from what the buffer holds already.
    template <class Stream>
    void read(Stream& stream) {
        parser_.emplace();
        parser_->body_limit(64 * 1024);
        http::async_read_header(
            stream, buffer_, *parser_, [self = shared_from_this(), &stream](const beast::error_code& ec, std::size_t) {
                if (self->ended_) return;
                if (ec) return self->finish("no answer from " + self->host_ + ": " + describe(ec));
                const auto& response = self->parser_->get();
                const int status = static_cast<int>(response.result_int());
                if (status < 200) return self->read(stream);
                self->result_.status = status;
                const auto retry_after = response[http::field::retry_after];
                if (!retry_after.empty()) {
                    self->result_.retry_after = parse_retry_after({retry_after.data(), retry_after.size()});
                }
                self->finish({});
            });
    }

    net::io_context& io_;
    const Attempt& attempt_;
    const ClientOptions& options_;
    domain::WebhookUrl url_;
    std::string target_, host_;
    std::shared_ptr<Lookup> lookup_;  // while the name is looked up
    net::steady_timer deadline_;
    tcp::socket socket_;
    std::optional<ssl::stream<tcp::socket&>> tls_;
    http::request<http::string_body> request_;
    std::optional<http::response_parser<http::empty_body>> parser_;
    beast::flat_buffer buffer_;
    AttemptResult result_;
    bool timed_out_ = false;
    bool ended_ = false;
};

// The attempt, which may throw (out of memory, or a library that does).
AttemptResult deliver(const Attempt& attempt, const ClientOptions& options) {
    auto url = domain::WebhookUrl::parse("url", attempt.url);
    if (!url) return failed("invalid URL");
    if (!url->https() && !options.allow_http)
        return failed("http URLs are not called (LEADS_WEBHOOK_ALLOW_HTTP is off)");
    // The request target: what follows the authority, without the fragment.
    const std::string& text = url->value();
    const std::size_t authority = text.find("://") + 3;
    std::string target = text.substr(std::min(text.find_first_of("/?#", authority), text.size()));
    if (const std::size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
    if (target.empty() || target.front() != '/') target.insert(0, "/");

    net::io_context io;
    std::optional<ssl::context> tls;
    if (url->https()) {
        try {
            tls.emplace(ssl::context::tls_client);
        } catch (const boost::system::system_error& e) {
            return failed("TLS: cannot create a context: " + e.code().message());
        }
        beast::error_code ec;
        tls->set_default_verify_paths(ec);
        if (ec) return failed("cannot read the system's trusted CAs: " + ec.message());
        if (!options.ca_file.empty()) {
            tls->load_verify_file(options.ca_file, ec);
            if (ec) return failed("cannot read the CA file: " + ec.message());
        }
    }
    auto exchange = std::make_shared<Exchange>(io, attempt, options, std::move(url).value(), std::move(target),
                                               tls ? &*tls : nullptr);
    try {
        exchange->start();
        io.run();
    } catch (...) {
        exchange->abandon();  // the lookup's thread must not post to io once io is gone
        throw;
    }
    return exchange->result();
}

}  // namespace

// Never throws: whatever goes wrong is the attempt's error.
AttemptResult attempt_delivery(const Attempt& attempt, const ClientOptions& options) {
    try {
        return deliver(attempt, options);
    } catch (const std::exception& e) {
        return failed(std::string("delivery attempt failed: ") + e.what());
    } catch (...) {
        return failed("delivery attempt failed");
    }
}

}  // namespace leads::adapters::webhooks
