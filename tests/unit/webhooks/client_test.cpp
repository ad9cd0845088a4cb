// One delivery attempt against a real receiver on this machine (a loopback socket): what is
// sent, what is read back, and what is refused before any connection is made.
#include "adapters/webhooks/client.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "tests/support/loopback.hpp"
#include "tests/support/random.hpp"

namespace webhooks = leads::adapters::webhooks;

namespace {

// A name whose lookup is slow: slow-lookup.test resolves to 127.0.0.1 after
// slow_lookup_delay. (getaddrinfo cannot be interrupted, so the client must stop waiting for
// it rather than stop it.)
constexpr std::string_view kSlowName = "slow-lookup.test";
std::atomic<int> slow_lookup_delay_ms{0};
std::atomic<int> slow_lookups_started{0};
std::atomic<int> slow_lookups_ended{0};

}  // namespace

// This binary's getaddrinfo, which the client's calls reach before the C library's (a
// definition in the executable comes first): slow-lookup.test as above, every other name
// passed through unchanged.
extern "C" int getaddrinfo(const char* name, const char* service, const addrinfo* hints, addrinfo** found) {
    using Function = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
    static const auto next = reinterpret_cast<Function>(::dlsym(RTLD_NEXT, "getaddrinfo"));
    if (name == nullptr || std::string_view(name) != kSlowName) return next(name, service, hints, found);
    ++slow_lookups_started;
    std::this_thread::sleep_for(std::chrono::milliseconds(slow_lookup_delay_ms.load()));
    const int status = next("127.0.0.1", service, hints, found);
    ++slow_lookups_ended;
    return status;
}

namespace {

using leads::tests::listen_on_loopback;

// Accepts connections on 127.0.0.1 until stopped; answers each request with `answer`
// (nothing at all when it is empty), a byte at a time with `pause` between bytes when one is
// given, and keeps the last request's bytes.
class Receiver {
  public:
    explicit Receiver(std::string answer, std::chrono::milliseconds pause = {})
        : answer_(std::move(answer)), pause_(pause) {
        fd_ = listen_on_loopback(port_);
        thread_ = std::thread([this] { serve(); });
    }
    ~Receiver() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    std::string url(const std::string& path = "/hook") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    int connections() const { return connections_; }
    std::string request() const {
        std::lock_guard lock(mutex_);
        return request_;
    }

  private:
    void serve() {
        while (!stop_) {
            pollfd ready{fd_, POLLIN, 0};
            if (::poll(&ready, 1, 50) <= 0) continue;
            const int client = ::accept(fd_, nullptr, nullptr);
            if (client < 0) continue;
            ++connections_;
            std::string received;
            char buffer[4096];
            for (;;) {
                const auto head_end = received.find("\r\n\r\n");
                if (head_end != std::string::npos) {
                    const auto at = received.find("Content-Length: ");
                    const std::size_t body = at == std::string::npos ? 0 : std::stoul(received.substr(at + 16));
                    if (received.size() >= head_end + 4 + body) break;
                }
                pollfd readable{client, POLLIN, 0};
                if (::poll(&readable, 1, 2000) <= 0) break;
                const ssize_t n = ::read(client, buffer, sizeof buffer);
                if (n <= 0) break;
                received.append(buffer, static_cast<std::size_t>(n));
            }
            {
                std::lock_guard lock(mutex_);
                request_ = received;
            }
            if (answer_.empty()) {
                while (!stop_) ::poll(nullptr, 0, 20);  // never answer
            } else if (pause_.count() > 0) {
                for (std::size_t i = 0; i < answer_.size() && !stop_; ++i) {
                    if (::send(client, &answer_[i], 1, MSG_NOSIGNAL) != 1) break;  // the client has gone
                    std::this_thread::sleep_for(pause_);
                }
            } else {
                [[maybe_unused]] const ssize_t written = ::write(client, answer_.data(), answer_.size());
            }
            ::close(client);
        }
    }

    std::string answer_;
    std::chrono::milliseconds pause_;
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    mutable std::mutex mutex_;
    std::string request_;
};

webhooks::ClientOptions open_options() {
    webhooks::ClientOptions options;
    options.allow_http = true;
    options.allow_private = true;
    options.timeout = std::chrono::milliseconds(3000);
    return options;
}

}  // namespace

TEST_CASE("an attempt POSTs the body and headers and reads the status", "[webhooks][client]") {
    Receiver receiver("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    const std::string body = "{\"id\":\"evt_1\",\"name\":\"Ren\xc3\xa9\x65\"}";
    const auto result = webhooks::attempt_delivery({.url = receiver.url("/hook?k=v#frag"),
                                                    .body = body,
                                                    .headers = {{"webhook-id", "evt_1"}, {"webhook-timestamp", "7"}}},
                                                   open_options());
    CHECK(result.error.empty());
    CHECK(result.status == 204);
    const std::string request = receiver.request();
    CHECK(request.rfind("POST /hook?k=v HTTP/1.1\r\n", 0) == 0);
    CHECK(request.find("\r\nwebhook-id: evt_1\r\n") != std::string::npos);
    CHECK(request.find("\r\nwebhook-timestamp: 7\r\n") != std::string::npos);
    CHECK(request.find("\r\nContent-Type: application/json\r\n") != std::string::npos);
    CHECK(request.substr(request.size() - body.size()) == body);
}

TEST_CASE("a failure's status and Retry-After are read; a redirect is an answer, not followed", "[webhooks][client]") {
    {
        Receiver receiver("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n");
        const auto result =
            webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, open_options());
        CHECK(result.status == 503);
        CHECK(result.retry_after == std::chrono::seconds(120));
    }
    {
        Receiver receiver("HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest\r\nContent-Length: 0\r\n\r\n");
        const auto result =
            webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, open_options());
        CHECK(result.status == 302);
        CHECK_FALSE(result.retry_after);
        CHECK(receiver.connections() == 1);
    }
}

TEST_CASE("loopback and http are refused before connecting unless allowed", "[webhooks][client][ssrf]") {
    Receiver receiver("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    webhooks::ClientOptions options = open_options();
    options.allow_private = false;
    const auto refused = webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, options);
    CHECK_FALSE(refused.status);
    CHECK(refused.error == "refused to connect to 127.0.0.1: it resolves to a loopback address");
    // A name that resolves to loopback is refused the same way: the check is on the address.
    const auto by_name =
        webhooks::attempt_delivery({.url = "http://localhost:" + receiver.url().substr(receiver.url().rfind(':') + 1),
                                    .body = "{}",
                                    .headers = {}},
                                   options);
    CHECK_FALSE(by_name.status);
    CHECK(by_name.error.find("loopback") != std::string::npos);

    options = open_options();
    options.allow_http = false;
    const auto plain = webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, options);
    CHECK_FALSE(plain.status);
    CHECK(plain.error == "http URLs are not called (LEADS_WEBHOOK_ALLOW_HTTP is off)");
    CHECK(receiver.connections() == 0);
}

TEST_CASE("a receiver that does not answer in time is a timeout, not a hang", "[webhooks][client]") {
    Receiver receiver("");
    webhooks::ClientOptions options = open_options();
    options.timeout = std::chrono::milliseconds(300);
    const auto started = std::chrono::steady_clock::now();
    const auto result = webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, options);
    CHECK_FALSE(result.status);
    CHECK(result.error == "timed out");
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
}

TEST_CASE("a receiver that sends its headers too slowly is a timeout at the deadline", "[webhooks][client]") {
    Receiver receiver("HTTP/1.1 200 OK\r\nX-Slow: " + std::string(200, 'a') + "\r\n\r\n",
                      std::chrono::milliseconds(20));
    webhooks::ClientOptions options = open_options();
    options.timeout = std::chrono::milliseconds(300);
    const auto started = std::chrono::steady_clock::now();
    const auto result = webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, options);
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK_FALSE(result.status);
    CHECK(result.error == "timed out");
    CHECK(took >= std::chrono::milliseconds(300));
    CHECK(took < std::chrono::milliseconds(1500));
}

TEST_CASE("a name whose lookup outlasts the deadline is a timeout at the deadline, and nothing follows it",
          "[webhooks][client]") {
    Receiver receiver("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    const std::string port = receiver.url().substr(receiver.url().rfind(':') + 1);
    const std::string url = "http://" + std::string(kSlowName) + ":" + port;
    webhooks::ClientOptions options = open_options();
    options.timeout = std::chrono::milliseconds(300);
    slow_lookup_delay_ms = 1500;
    const int lookups = slow_lookups_started.load();
    const auto started = std::chrono::steady_clock::now();
    const auto result = webhooks::attempt_delivery({.url = url, .body = "{}", .headers = {}}, options);
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK_FALSE(result.status);
    CHECK(result.error == "timed out");
    CHECK(took < std::chrono::milliseconds(1200));
    // The lookup ends later; its answer is dropped: no connection is made.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((slow_lookups_started == lookups || slow_lookups_ended != slow_lookups_started) &&
           std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(slow_lookups_ended == slow_lookups_started);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(receiver.connections() == 0);

    // A slow lookup within the deadline is waited for, and the receiver answers.
    slow_lookup_delay_ms = 100;
    options.timeout = std::chrono::milliseconds(3000);
    const auto answered = webhooks::attempt_delivery({.url = url, .body = "{}", .headers = {}}, options);
    INFO(answered.error);
    CHECK(answered.status == 204);
    CHECK(receiver.connections() == 1);
}

TEST_CASE("interim 1xx responses are skipped: the status is the final response's", "[webhooks][client]") {
    {
        Receiver receiver(
            "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        const auto result =
            webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, open_options());
        INFO(result.error);
        CHECK(result.status == 204);
    }
    {
        Receiver receiver(
            "HTTP/1.1 100 Continue\r\n\r\n"
            "HTTP/1.1 103 Early Hints\r\nLink: </a.js>; rel=preload\r\nRetry-After: 5\r\n\r\n"
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 60\r\nContent-Length: 0\r\n\r\n");
        const auto result =
            webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, open_options());
        INFO(result.error);
        CHECK(result.status == 503);
        CHECK(result.retry_after == std::chrono::seconds(60));
    }
    {
        // Only interim responses, then nothing: no answer, not a 1xx status.
        Receiver receiver("HTTP/1.1 100 Continue\r\n\r\n");
        const auto result =
            webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, open_options());
        CHECK_FALSE(result.status);
        CHECK(result.error.rfind("no answer from 127.0.0.1", 0) == 0);
    }
}

TEST_CASE("a CA file that cannot be read is the attempt's error, not an exception", "[webhooks][client]") {
    webhooks::ClientOptions options = open_options();
    options.ca_file = "/nonexistent/" + leads::tests::unique_name("ca-") + ".pem";
    webhooks::AttemptResult result;
    CHECK_NOTHROW(
        result = webhooks::attempt_delivery({.url = "https://127.0.0.1:9/hook", .body = "{}", .headers = {}}, options));
    CHECK_FALSE(result.status);
    CHECK(result.error.rfind("cannot read the CA file: ", 0) == 0);
}

TEST_CASE("https checks the certificate: a server that is not trusted fails the handshake", "[webhooks][client]") {
    // The receiver speaks plain HTTP, so the TLS handshake cannot succeed: no status, and
    // the error says it was the handshake.
    Receiver receiver("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    const std::string url = "https" + receiver.url().substr(4);
    const auto result = webhooks::attempt_delivery({.url = url, .body = "{}", .headers = {}}, open_options());
    CHECK_FALSE(result.status);
    CHECK(result.error.rfind("TLS handshake with 127.0.0.1 failed", 0) == 0);
}

namespace {

struct X509Free {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

// A self-signed certificate for one DNS name (its own CA), written as PEM files.
struct Certificate {
    std::string cert_file, key_file;
};

Certificate make_certificate(const std::string& name, const std::string& directory) {
    std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    REQUIRE(key);
    std::unique_ptr<X509, X509Free> cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* subject = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(cert.get(), subject);
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (const std::string& extension :
         {"subjectAltName=DNS:" + name, std::string("basicConstraints=critical,CA:TRUE")}) {
        const auto equals = extension.find('=');
        X509_EXTENSION* ext = X509V3_EXT_conf(nullptr, &context, extension.substr(0, equals).c_str(),
                                              extension.substr(equals + 1).c_str());
        REQUIRE(ext != nullptr);
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
    Certificate files{directory + "/" + name + ".crt", directory + "/" + name + ".key"};
    FILE* out = std::fopen(files.cert_file.c_str(), "w");
    PEM_write_X509(out, cert.get());
    std::fclose(out);
    out = std::fopen(files.key_file.c_str(), "w");
    PEM_write_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(out);
    return files;
}

// Accepts one TLS connection on 127.0.0.1 with this certificate and answers 200.
class TlsReceiver {
  public:
    explicit TlsReceiver(const Certificate& certificate) : context_(SSL_CTX_new(TLS_server_method())) {
        REQUIRE(SSL_CTX_use_certificate_file(context_, certificate.cert_file.c_str(), SSL_FILETYPE_PEM) == 1);
        REQUIRE(SSL_CTX_use_PrivateKey_file(context_, certificate.key_file.c_str(), SSL_FILETYPE_PEM) == 1);
        fd_ = listen_on_loopback(port_);
        thread_ = std::thread([this] { serve(); });
    }
    ~TlsReceiver() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
        SSL_CTX_free(context_);
    }
    int port() const { return port_; }
    int answered() const { return answered_; }

  private:
    void serve() {
        while (!stop_) {
            pollfd ready{fd_, POLLIN, 0};
            if (::poll(&ready, 1, 50) <= 0) continue;
            const int client = ::accept(fd_, nullptr, nullptr);
            if (client < 0) continue;
            timeval wait{2, 0};
            ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
            SSL* ssl = SSL_new(context_);
            SSL_set_fd(ssl, client);
            if (SSL_accept(ssl) == 1) {
                char buffer[4096];
                if (SSL_read(ssl, buffer, sizeof buffer) > 0) {
                    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
                    SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
                    ++answered_;
                }
                SSL_shutdown(ssl);
            }
            SSL_free(ssl);
            ::close(client);
        }
    }

    SSL_CTX* context_;
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> answered_{0};
};

}  // namespace

TEST_CASE("https is answered only by a certificate that a trusted CA issued for the URL's host name",
          "[webhooks][client]") {
    const std::filesystem::path directory_path =
        std::filesystem::temp_directory_path() / leads::tests::unique_name("webhook-tls-");
    std::filesystem::create_directories(directory_path);
    const std::string directory = directory_path.string();
    const Certificate localhost = make_certificate("localhost", directory);
    const Certificate other = make_certificate("other.example", directory);
    webhooks::ClientOptions options = open_options();
    options.allow_http = false;

    TlsReceiver receiver(localhost);
    const std::string url = "https://localhost:" + std::to_string(receiver.port()) + "/hook";
    // Not in the system store: refused.
    const auto untrusted = webhooks::attempt_delivery({.url = url, .body = "{}", .headers = {}}, options);
    CHECK_FALSE(untrusted.status);
    CHECK(untrusted.error.find("certificate verify failed") != std::string::npos);
    // Trusted, and issued for the name asked for: answered.
    options.ca_file = localhost.cert_file;
    const auto trusted = webhooks::attempt_delivery({.url = url, .body = "{}", .headers = {}}, options);
    INFO(trusted.error);
    CHECK(trusted.status == 200);
    CHECK(receiver.answered() == 1);

    // Trusted, but for another name: refused.
    TlsReceiver impostor(other);
    options.ca_file = other.cert_file;
    const auto wrong_name = webhooks::attempt_delivery(
        {.url = "https://localhost:" + std::to_string(impostor.port()) + "/hook", .body = "{}", .headers = {}},
        options);
    CHECK_FALSE(wrong_name.status);
    CHECK(wrong_name.error.find("certificate verify failed") != std::string::npos);
    CHECK(impostor.answered() == 0);
    std::filesystem::remove_all(directory_path);
}
