#include "adapters/http/server/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace leads::adapters::http {
namespace {

// Label values escape backslash, double quote and newline (exposition format 0.0.4).
void append_label_value(std::string& out, std::string_view value) {
    for (const char c : value) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                out.push_back(c);
        }
    }
}

void append_labels(std::string& out, std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
    out.push_back('{');
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!first) out.push_back(',');
        first = false;
        out.append(name);
        out += "=\"";
        append_label_value(out, value);
        out.push_back('"');
    }
    out.push_back('}');
}

std::string format_number(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.17g", value);
    return buffer;
}

std::string format_bound(double bound) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", bound);
    return buffer;
}

void append_header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
    out += "# HELP ";
    out.append(name);
    out.push_back(' ');
    out.append(help);
    out += "\n# TYPE ";
    out.append(name);
    out.push_back(' ');
    out.append(type);
    out.push_back('\n');
}

}  // namespace

Metrics::Metrics(std::string version) : version_(std::move(version)) {}

std::string_view Metrics::method_label(std::string_view method) {
    for (const std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
        if (method == known) return known;
    }
    return "OTHER";
}

std::atomic<std::uint64_t>& Metrics::counter(std::string_view method, std::string_view route, int status) {
    const CounterKey key{std::string(method), std::string(route), status};
    {
        std::shared_lock lock(counters_mutex_);
        if (const auto it = counters_.find(key); it != counters_.end()) return *it->second;
    }
    std::unique_lock lock(counters_mutex_);
    auto& slot = counters_[key];
    if (!slot) slot = std::make_unique<std::atomic<std::uint64_t>>(0);
    return *slot;
}

Metrics::Histogram& Metrics::histogram(std::string_view method, std::string_view route) {
    const HistogramKey key{std::string(method), std::string(route)};
    {
        std::shared_lock lock(histograms_mutex_);
        if (const auto it = histograms_.find(key); it != histograms_.end()) return *it->second;
    }
    std::unique_lock lock(histograms_mutex_);
    auto& slot = histograms_[key];
    if (!slot) slot = std::make_unique<Histogram>();
    return *slot;
}

void Metrics::observe(std::string_view method, std::string_view route, int status, std::chrono::nanoseconds duration) {
    const auto label = method_label(method);
    counter(label, route, status).fetch_add(1, std::memory_order_relaxed);

    auto& h = histogram(label, route);
    const double seconds = std::chrono::duration<double>(duration).count();
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) {
            h.buckets[i].fetch_add(1, std::memory_order_relaxed);
            break;
        }
    }
    h.count.fetch_add(1, std::memory_order_relaxed);
    h.sum_ns.fetch_add(static_cast<std::uint64_t>(duration.count() < 0 ? 0 : duration.count()),
                       std::memory_order_relaxed);
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> read) {
    std::lock_guard lock(gauges_mutex_);
    gauges_.push_back({std::move(name), std::move(help), std::move(read)});
}

void Metrics::add_counter(std::string name, std::string help, std::string label,
                          std::vector<std::pair<std::string, std::function<double()>>> series) {
    std::lock_guard lock(gauges_mutex_);
    counter_families_.push_back({std::move(name), std::move(help), std::move(label), std::move(series)});
}

std::string Metrics::render() const {
    std::string out;
    out.reserve(4096);

    append_header(out, "leads_http_requests_total", "HTTP requests answered, by method, route template and status.",
                  "counter");
    {
        std::shared_lock lock(counters_mutex_);
        for (const auto& [key, value] : counters_) {
            const auto& [method, route, status] = key;
            out += "leads_http_requests_total";
            const auto status_text = std::to_string(status);
            append_labels(out, {{"method", method}, {"route", route}, {"status", status_text}});
            out.push_back(' ');
            out += std::to_string(value->load(std::memory_order_relaxed));
            out.push_back('\n');
        }
    }

    append_header(out, "leads_http_request_duration_seconds",
                  "Time from a complete request to its written response, by method and route template.", "histogram");
    {
        std::shared_lock lock(histograms_mutex_);
        for (const auto& [key, h] : histograms_) {
            const auto& [method, route] = key;
            // Read the count first: buckets incremented after it only make +Inf look smaller.
            const auto count = h->count.load(std::memory_order_relaxed);
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < kBuckets.size(); ++i) {
                cumulative += h->buckets[i].load(std::memory_order_relaxed);
                out += "leads_http_request_duration_seconds_bucket";
                const auto bound = format_bound(kBuckets[i]);
                append_labels(out, {{"method", method}, {"route", route}, {"le", bound}});
                out.push_back(' ');
                out += std::to_string(cumulative);
                out.push_back('\n');
            }
            out += "leads_http_request_duration_seconds_bucket";
            append_labels(out, {{"method", method}, {"route", route}, {"le", "+Inf"}});
            out.push_back(' ');
            out += std::to_string(std::max(count, cumulative));
            out.push_back('\n');
            out += "leads_http_request_duration_seconds_sum";
            append_labels(out, {{"method", method}, {"route", route}});
            out.push_back(' ');
            out += format_number(static_cast<double>(h->sum_ns.load(std::memory_order_relaxed)) / 1e9);
            out.push_back('\n');
            out += "leads_http_request_duration_seconds_count";
            append_labels(out, {{"method", method}, {"route", route}});
            out.push_back(' ');
            out += std::to_string(std::max(count, cumulative));
            out.push_back('\n');
        }
    }

    append_header(out, "leads_http_requests_in_flight", "HTTP requests being handled right now.", "gauge");
    out += "leads_http_requests_in_flight " + std::to_string(in_flight_.load(std::memory_order_relaxed)) + "\n";

    append_header(out, "leads_build_info", "Build information; the value is always 1.", "gauge");
    out += "leads_build_info";
    append_labels(out, {{"version", version_}});
    out += " 1\n";

    std::lock_guard lock(gauges_mutex_);
    for (const auto& gauge : gauges_) {
        double value = std::nan("");
        try {
            value = gauge.read();
        } catch (...) {
            // A failing source reports NaN rather than breaking the whole scrape.
        }
        append_header(out, gauge.name, gauge.help, "gauge");
        out += gauge.name + " " + format_number(value) + "\n";
    }
    for (const auto& family : counter_families_) {
        append_header(out, family.name, family.help, "counter");
        for (const auto& [label_value, read] : family.series) {
            double value = std::nan("");
            try {
                value = read();
            } catch (...) {
            }
            out += family.name;
            append_labels(out, {{family.label, label_value}});
            out.push_back(' ');
            out += format_number(value);
            out.push_back('\n');
        }
    }
    return out;
}

}  // namespace leads::adapters::http
