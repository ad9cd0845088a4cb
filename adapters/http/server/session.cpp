#include "adapters/http/server/session.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <limits>

#include "adapters/http/envelope.hpp"
#include "adapters/http/server/request_id.hpp"
#include "adapters/http/text.hpp"
#include "adapters/logging/json_log.hpp"

namespace leads::adapters::http {
namespace {

// Once per worker thread of the expensive pool (which runs nothing else): nice that thread
// by kExpensiveNiceness. Linux applies setpriority(PRIO_PROCESS, tid) to the one thread.
void lower_cpu_priority() {
    thread_local bool lowered = false;
    if (lowered) return;
    lowered = true;
    const auto tid = static_cast<id_t>(::gettid());
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, tid);
    if (errno == 0) ::setpriority(PRIO_PROCESS, tid, std::min(19, current + kExpensiveNiceness));
}

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// After a response that closes the connection, unread request bytes are discarded for a
// moment so the client reads the response instead of a connection reset.
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr std::chrono::seconds kLingerTime{1};

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

std::string_view target_of(const bhttp::request<bhttp::string_body>& message) {
    return origin_form({message.target().data(), message.target().size()});
}

Request to_request(bhttp::request<bhttp::string_body>&& message, std::string request_id) {
    Request request;
    request.method = std::string(message.method_string());
    const std::string_view target = target_of(message);
    const auto question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
    request.headers.reserve(std::distance(message.begin(), message.end()));
    for (const auto& field : message) {
        request.headers.push_back({ascii_lower({field.name_string().data(), field.name_string().size()}),
                                   std::string(field.value().data(), field.value().size())});
    }
    request.body = std::move(message.body());
    request.request_id = std::move(request_id);
    return request;
}

bool no_body_status(int status) { return status < 200 || status == 204 || status == 304; }

}  // namespace

Session::Session(net::ip::tcp::socket&& socket, SessionHost& host) : stream_(std::move(socket)), host_(host) {}

Session::~Session() {
    if (exchange_.in_flight) host_.metrics().request_finished();
    if (attached_) host_.detach(key_);
    // kept_ (a response never written) goes here: the worker pools may be gone already.
}

void Session::run() {
    // Everything after this runs on the connection's strand.
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
        // A worker's write must never wait for the client: a full socket says would_block.
        beast::error_code ignored;
        self->stream_.socket().non_blocking(true, ignored);
        self->key_ = self->host_.attach(self);
        self->attached_ = true;
        if (self->host_.draining()) return self->abort();
        self->deadline_ = Clock::now() + self->host_.options().read_timeout;
        self->wait_for_request();
    });
}

void Session::drain() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
        const std::lock_guard lock(self->handoff_);
        self->draining_ = true;
        // Only a connection between requests is closed now; one mid-request finishes it.
        if (self->state_ == State::Waiting) beast::get_lowest_layer(self->stream_).cancel();
    });
}

void Session::wait_for_request() {
    state_ = State::Waiting;
    if (draining_) return close_gracefully();
    if (buffer_.size() > 0) {
        // A pipelined request is already here: its deadline starts now.
        if (!first_request_) deadline_ = Clock::now() + host_.options().read_timeout;
        return read_header();
    }
    // The first request's deadline runs from accept; later ones get the idle timeout
    // until their first byte arrives.
    if (first_request_) {
        stream_.expires_at(deadline_);
    } else {
        stream_.expires_after(host_.options().idle_timeout);
    }
    stream_.async_read_some(buffer_.prepare(scratch_.size()),
                            beast::bind_front_handler(&Session::on_first_bytes, shared_from_this()));
}

void Session::on_first_bytes(beast::error_code ec, std::size_t bytes) {
    if (ec) return abort();  // closed by the client, idle timeout, or drained
    buffer_.commit(bytes);
    if (!first_request_) deadline_ = Clock::now() + host_.options().read_timeout;
    read_header();
}

void Session::read_header() {
    state_ = State::Reading;
    exchange_ = Exchange{};
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(host_.options().header_limit));
    // The route's own limit is applied once the request line is known (on_header).
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_at(deadline_);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
}

void Session::note_request_header() {
    const auto& message = parser_->get();
    exchange_.method = std::string(message.method_string());
    exchange_.version = message.version();
    const auto given_id = message["X-Request-Id"];
    const std::string_view id(given_id.data(), given_id.size());
    exchange_.request_id = is_acceptable_request_id(id) ? std::string(id) : generate_request_id();
}

void Session::on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    note_request_header();
    const auto& message = parser_->get();

    if (exchange_.version != 10 && exchange_.version != 11) {
        return reject(400, "bad_request", "Only HTTP/1.0 and HTTP/1.1 are supported.");
    }
    // RFC 9112 §3.2: an HTTP/1.1 request carries exactly one Host; none has two.
    const auto hosts = message.count(bhttp::field::host);
    if (hosts > 1 || (hosts == 0 && exchange_.version == 11)) {
        return reject(400, "bad_request", "The request must carry exactly one Host header.");
    }
    const auto limit = host_.router().body_limit(exchange_.method, path_of(target_of(message)));
    if (const auto length = parser_->content_length(); length && *length > limit) {
        return reject(413, "payload_too_large", "The request body is too large.");
    }
    parser_->body_limit(limit);
    if (parser_->is_done()) return dispatch_request();

    const auto expect = message[beast::http::field::expect];
    if (iequals({expect.data(), expect.size()}, "100-continue")) {
        // curl and others wait for this before sending a large body.
        return net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                                beast::bind_front_handler(&Session::on_continue_sent, shared_from_this()));
    }
    read_body();
}

void Session::on_continue_sent(beast::error_code ec, std::size_t) {
    if (ec) return abort();
    read_body();
}

void Session::read_body() {
    stream_.expires_at(deadline_);
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_body, shared_from_this()));
}

void Session::on_body(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    dispatch_request();
}

void Session::on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::header_limit) {
        return reject(431, "headers_too_large", "The request headers are too large.");
    }
    if (ec == bhttp::error::body_limit) {
        // A Content-Length over the parser's limit fails the header read itself, after
        // every field was parsed: the request line and X-Request-Id are known.
        if (exchange_.method.empty()) note_request_header();
        return reject(413, "payload_too_large", "The request body is too large.");
    }
    if (ec == beast::error::timeout) {
        // Too slow: the stream has closed the socket already (no response is possible).
        spdlog::debug("read deadline passed; connection closed");
        return abort();
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) {
        return abort();  // the peer went away or the socket failed
    }
    reject(400, "bad_request", "The request is not valid HTTP/1.1.");
}

void Session::dispatch_request() {
    state_ = State::Handling;
    exchange_.keep_alive = parser_->get().keep_alive();
    exchange_.head = parser_->get().method() == bhttp::verb::head;
    exchange_.started = Clock::now();
    exchange_.in_flight = true;
    host_.metrics().request_started();
    Request request = to_request(parser_->release(), exchange_.request_id);
    parser_.reset();

    if (auto answer = host_.router().try_inline(request)) return send(std::move(*answer));

    // Blocking work goes to a worker pool (expensive requests to their own); the worker
    // writes the response (respond_from_worker).
    const auto deadline = exchange_.started + host_.options().queue_timeout;
    const bool expensive = host_.router().expensive(request);
    auto& pool = expensive ? host_.expensive_workers() : host_.workers();
    net::post(pool, [self = shared_from_this(), request = std::move(request), deadline, expensive]() mutable {
        if (expensive) lower_cpu_priority();
        Response response;
        if (Clock::now() > deadline) {
            response = unavailable_response("The service is overloaded; retry later.");
            response.route = "overloaded";
        } else {
            logging::RequestIdScope scope(request.request_id);
            response = self->host_.router().handle(request);
        }
        self->respond_from_worker(std::move(response));
    });
}

void Session::send(Response response) {
    prepare(std::move(response));
    write_async();
}

void Session::respond_from_worker(Response response) {
    try {
        prepare(std::move(response));
        serializer_.emplace(*response_);
        beast::error_code ec;
        bhttp::write(stream_.socket(), *serializer_, ec);
        if (ec == net::error::would_block || ec == net::error::try_again) {
            // The socket took part of it: the rest is written on the strand, with its timeout.
            return net::post(stream_.get_executor(), [self = shared_from_this()] { self->write_async(); });
        }
        // (A worker paused between arming the read's deadline and starting the read for longer
        // than the idle timeout would race the timeout's close; timeouts are seconds.)
        on_write(ec, 0);
    } catch (const std::exception&) {
        // Out of memory, most likely: a worker must not end the process (asio's thread pool
        // would); the connection is given up on its strand.
        net::post(stream_.get_executor(), [self = shared_from_this()] { self->abort(); });
    }
}

void Session::write_async() {
    stream_.expires_after(host_.options().write_timeout);
    if (!serializer_) serializer_.emplace(*response_);
    bhttp::async_write(stream_, *serializer_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
}

void Session::prepare(Response response) {
    state_ = State::Writing;
    // The server's flag, not this session's: shutdown() sets it at once, the session's
    // only when its posted drain() runs, which a busy machine can delay past this response.
    if (host_.draining() || !exchange_.keep_alive) close_after_response_ = true;

    try {
        response_ = std::make_unique<BeastResponse>();
        auto& out = *response_;
        out.version(exchange_.version == 10 ? 10 : 11);
        out.result(static_cast<unsigned>(response.status));
        if (no_body_status(response.status)) {
            response.body.clear();
        } else if (!response.content_type.empty()) {
            out.set(bhttp::field::content_type, response.content_type);
        }
        for (const auto& header : response.headers) {
            // Framing is the server's business, whatever a handler sets.
            if (!iequals(header.name, "content-length") && !iequals(header.name, "transfer-encoding") &&
                !iequals(header.name, "connection")) {
                out.insert(header.name, header.value);
            }
        }
        out.set("X-Request-Id", exchange_.request_id);
        out.set("X-Content-Type-Options", "nosniff");
        out.keep_alive(!close_after_response_);
        out.body() = std::move(response.body);
        // RFC 9110: no Content-Length on 1xx and 204 (and 304 would describe another body).
        if (!no_body_status(response.status)) out.prepare_payload();
        exchange_.bytes = out.body().size();
        if (exchange_.head) out.body().clear();  // Content-Length stays: it describes the GET
    } catch (const std::exception& e) {
        // A response Beast refuses (e.g. a header value with CR/LF) is a bug: answer 500.
        response = internal_error(std::string("invalid response: ") + e.what());
        response_ = std::make_unique<BeastResponse>(bhttp::status::internal_server_error, 11);
        response_->set(bhttp::field::content_type, response.content_type);
        response_->set("X-Request-Id", exchange_.request_id);
        response_->set("X-Content-Type-Options", "nosniff");
        close_after_response_ = true;
        response_->keep_alive(false);
        response_->body() = response.body;
        response_->prepare_payload();
        exchange_.bytes = response_->body().size();
    }
    exchange_.status = response.status;
    exchange_.route = std::move(response.route);
    exchange_.log_detail = std::move(response.log_detail);
    kept_ = std::move(response.keep_until_sent);
}

void Session::on_write(beast::error_code ec, std::size_t) {
    release_kept();
    finish_exchange();
    serializer_.reset();
    response_.reset();
    // On a worker (respond_from_worker), drain() may run on the strand meanwhile.
    const std::lock_guard lock(handoff_);
    if (ec) return abort();
    if (close_after_response_) return close_gracefully();
    first_request_ = false;
    wait_for_request();
}

void Session::finish_exchange() {
    const auto elapsed = exchange_.in_flight ? Clock::now() - exchange_.started : Clock::duration::zero();
    if (exchange_.in_flight) {
        exchange_.in_flight = false;
        host_.metrics().request_finished();
    }
    host_.metrics().observe(exchange_.method, exchange_.route, exchange_.status, elapsed);

    // The access log: the route template, never the raw path or query (ids, search terms).
    logging::RequestIdScope scope(exchange_.request_id);
    logging::Fields fields("request");
    fields.add("method", Metrics::method_label(exchange_.method))
        .add("route", exchange_.route)
        .add("status", static_cast<std::int64_t>(exchange_.status))
        .add("duration_ms", std::chrono::duration<double, std::milli>(elapsed).count())
        .add("bytes", static_cast<std::int64_t>(exchange_.bytes));
    if (exchange_.status >= 500 && !exchange_.log_detail.empty()) fields.add("log_detail", exchange_.log_detail);
    spdlog::default_logger_raw()->log(exchange_.status >= 500 ? spdlog::level::err : spdlog::level::info, fields.str());
}

void Session::reject(int status, std::string_view code, std::string_view message) {
    // The request could not be read whole: answer, then close (the stream is out of sync).
    if (exchange_.request_id.empty()) exchange_.request_id = generate_request_id();
    exchange_.keep_alive = false;
    exchange_.started = Clock::now();
    exchange_.in_flight = true;
    host_.metrics().request_started();
    close_after_response_ = true;
    parser_.reset();
    send(error_response(status, code, message));
}

void Session::close_gracefully() {
    state_ = State::Closing;
    beast::error_code ec;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    if (ec) return abort();
    buffer_.clear();
    lingered_ = 0;
    stream_.expires_after(kLingerTime);
    stream_.async_read_some(net::buffer(scratch_), beast::bind_front_handler(&Session::on_linger, shared_from_this()));
}

void Session::on_linger(beast::error_code ec, std::size_t bytes) {
    lingered_ += bytes;
    if (ec || lingered_ > kLingerBytes) return abort();
    stream_.async_read_some(net::buffer(scratch_), beast::bind_front_handler(&Session::on_linger, shared_from_this()));
}

void Session::release_kept() {
    // By a worker: this may be an I/O thread (a response the socket did not take at once),
    // which other connections wait on. A pool already stopped frees it when it goes.
    if (kept_) net::post(host_.workers(), [kept = std::move(kept_)]() mutable { kept.reset(); });
}

void Session::abort() {
    state_ = State::Closing;
    beast::error_code ec;
    stream_.socket().close(ec);
}

}  // namespace leads::adapters::http
