#include "adapters/webhooks/client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <functional>
#include <memory>

#include "adapters/webhooks/destination.hpp"
#include "domain/webhook.hpp"

namespace leads::adapters::webhooks {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

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

// One attempt's state; the io_context runs it to the end on the calling thread.
class Exchange : public std::enable_shared_from_this<Exchange> {
  public:
    Exchange(net::io_context& io, const Attempt& attempt, const ClientOptions& options, domain::WebhookUrl url,
             std::string target, ssl::context* tls)
        : io_(io),
          attempt_(attempt),
          options_(options),
          url_(std::move(url)),
          target_(std::move(target)),
          resolver_(io),
          deadline_(io),
          socket_(io) {
        if (tls != nullptr) tls_.emplace(socket_, *tls);
    }

    void start() {
        deadline_.expires_after(options_.timeout);
        deadline_.async_wait([self = shared_from_this()](const beast::error_code& ec) {
            if (ec) return;  // cancelled: the attempt ended first
            self->timed_out_ = true;
            self->resolver_.cancel();
            beast::error_code ignored;
            self->socket_.close(ignored);
        });
        std::string host = url_.host();
        if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
        host_ = host;
        resolver_.async_resolve(
            host, std::to_string(url_.port()),
            [self = shared_from_this()](const beast::error_code& ec, tcp::resolver::results_type results) {
                self->on_resolve(ec, std::move(results));
            });
    }

    AttemptResult result() const { return result_; }

  private:
    void finish(std::string error) {
        if (result_.error.empty() && !result_.status) result_.error = timed_out_ ? "timed out" : std::move(error);
        deadline_.cancel();
        beast::error_code ignored;
        socket_.close(ignored);
    }

    void on_resolve(const beast::error_code& ec, const tcp::resolver::results_type& results) {
        if (ec) return finish("cannot resolve " + host_ + ": " + describe(ec));
        std::vector<tcp::endpoint> allowed;
        std::string refusal;
        for (const auto& entry : results) {
            const auto address = entry.endpoint().address();
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
                    refusal = "refused to connect to " + address.to_string() + ": " + std::string(*reason);
                continue;
            }
            allowed.push_back(entry.endpoint());
        }
        if (allowed.empty()) return finish(refusal.empty() ? "no address for " + host_ : refusal);
        net::async_connect(socket_, allowed,
                           [self = shared_from_this()](const beast::error_code& connect_ec, const tcp::endpoint&) {
                               self->on_connect(connect_ec);
                           });
    }

    void on_connect(const beast::error_code& ec) {
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
        tls_->set_verify_mode(ssl::verify_peer);
        tls_->set_verify_callback(ssl::host_name_verification(host_));
        tls_->async_handshake(ssl::stream_base::client, [self = shared_from_this()](const beast::error_code& hs_ec) {
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
                              if (ec) return self->finish("cannot send to " + self->host_ + ": " + describe(ec));
                              self->read(stream);
                          });
    }

    template <class Stream>
    void read(Stream& stream) {
        parser_.body_limit(64 * 1024);
        http::async_read_header(
            stream, buffer_, parser_, [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                if (ec) return self->finish("no answer from " + self->host_ + ": " + describe(ec));
                const auto& response = self->parser_.get();
                self->result_.status = static_cast<int>(response.result_int());
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
    tcp::resolver resolver_;
    net::steady_timer deadline_;
    tcp::socket socket_;
    std::optional<ssl::stream<tcp::socket&>> tls_;
    http::request<http::string_body> request_;
    http::response_parser<http::empty_body> parser_;
    beast::flat_buffer buffer_;
    AttemptResult result_;
    bool timed_out_ = false;
};

}  // namespace

AttemptResult attempt_delivery(const Attempt& attempt, const ClientOptions& options) {
    auto url = domain::WebhookUrl::parse("url", attempt.url);
    if (!url) return AttemptResult{.status = std::nullopt, .retry_after = std::nullopt, .error = "invalid URL"};
    if (!url->https() && !options.allow_http) {
        return AttemptResult{.status = std::nullopt,
                             .retry_after = std::nullopt,
                             .error = "http URLs are not called (LEADS_WEBHOOK_ALLOW_HTTP is off)"};
    }
    // The request target: what follows the authority, without the fragment.
    const std::string& text = url->value();
    const std::size_t authority = text.find("://") + 3;
    std::string target = text.substr(std::min(text.find_first_of("/?#", authority), text.size()));
    if (const std::size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
    if (target.empty() || target.front() != '/') target.insert(0, "/");

    net::io_context io;
    std::optional<ssl::context> tls;
    if (url->https()) {
        tls.emplace(ssl::context::tls_client);
        tls->set_default_verify_paths();
        if (!options.ca_file.empty()) {
            beast::error_code ec;
            tls->load_verify_file(options.ca_file, ec);
            if (ec)
                return AttemptResult{.status = std::nullopt,
                                     .retry_after = std::nullopt,
                                     .error = "cannot read the CA file: " + ec.message()};
        }
    }
    auto exchange = std::make_shared<Exchange>(io, attempt, options, std::move(url).value(), std::move(target),
                                               tls ? &*tls : nullptr);
    exchange->start();
    io.run();
    return exchange->result();
}

}  // namespace leads::adapters::webhooks
