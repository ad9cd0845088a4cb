#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

// Prometheus metrics of the HTTP server, hand-written: a shared lock per series map (taken
// exclusively only to add a series) and atomics for the values.
namespace leads::adapters::http {

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

class Metrics {
  public:
    explicit Metrics(std::string version);

    // One finished request. Unknown methods are folded into "OTHER" to bound the series.
    void observe(std::string_view method, std::string_view route, int status, std::chrono::nanoseconds duration);
    void request_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
    void request_finished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

    // A gauge read at every scrape (e.g. the database pool: leads_db_pool_connections).
    // Register before the server starts; the function must be thread-safe and cheap.
    void add_gauge(std::string name, std::string help, std::function<double()> read);
    // A counter family read at every scrape, one series per value of its one label (e.g.
    // leads_webhook_deliveries_total{outcome="succeeded"}). Same rules as add_gauge.
    void add_counter(std::string name, std::string help, std::string label,
                     std::vector<std::pair<std::string, std::function<double()>>> series);

    // Text exposition format 0.0.4.
    std::string render() const;

    static std::string_view method_label(std::string_view method);

    // Upper bounds of the latency histogram, in seconds.
    static constexpr std::array<double, 12> kBuckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                        0.25,  0.5,   1.0,  2.5,   5.0,  10.0};

  private:
    struct Histogram {
        std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};  // non-cumulative
        std::atomic<std::uint64_t> count{0};
        std::atomic<std::uint64_t> sum_ns{0};
    };
    struct Gauge {
        std::string name;
        std::string help;
        std::function<double()> read;
    };
    struct CounterFamily {
        std::string name;
        std::string help;
        std::string label;
        std::vector<std::pair<std::string, std::function<double()>>> series;
    };
    using CounterKey = std::tuple<std::string, std::string, int>;
    using HistogramKey = std::tuple<std::string, std::string>;

    std::atomic<std::uint64_t>& counter(std::string_view method, std::string_view route, int status);
    Histogram& histogram(std::string_view method, std::string_view route);

    const std::string version_;
    std::atomic<std::int64_t> in_flight_{0};
    mutable std::shared_mutex counters_mutex_;
    std::map<CounterKey, std::unique_ptr<std::atomic<std::uint64_t>>, std::less<>> counters_;
    mutable std::shared_mutex histograms_mutex_;
    std::map<HistogramKey, std::unique_ptr<Histogram>, std::less<>> histograms_;
    mutable std::mutex gauges_mutex_;
    std::vector<Gauge> gauges_;
    std::vector<CounterFamily> counter_families_;  // guarded by gauges_mutex_
};

}  // namespace leads::adapters::http
