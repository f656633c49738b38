#include "control/metrics_text.h"

#include <fmt/format.h>

namespace ebpfaas::control {
namespace {

constexpr const char* kVerdictNames[5] = {"aborted", "drop", "pass", "tx", "redirect"};

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

std::string number(double v) {
  // Integers print as integers; the rest with enough digits to round-trip.
  return fmt::format("{}", v);
}

}  // namespace

std::string prometheus_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string prometheus_text(const MetricsSnapshot& m, const InvocationCodes& codes) {
  std::string out;
  auto add = [&](std::string_view line) {
    out += line;
    out += '\n';
  };

  header(out, "gateway_function_invocation_total", "counter",
         "Invocations of a function through the HTTP API, by HTTP status.");
  for (const auto& [key, n] : codes)
    add(fmt::format("gateway_function_invocation_total{{function_name=\"{}\",code=\"{}\"}} {}",
                    prometheus_label(key.first), key.second, n));

  header(out, "gateway_functions_seconds", "histogram", "Run time of ended executions.");
  for (const FunctionMetrics& f : m.functions) {
    const std::string fn = prometheus_label(f.name);
    for (size_t i = 0; i < kSecondsBuckets.size(); ++i)
      add(fmt::format("gateway_functions_seconds_bucket{{function_name=\"{}\",le=\"{}\"}} {}", fn,
                      number(kSecondsBuckets[i]), f.seconds_buckets[i]));
    add(fmt::format("gateway_functions_seconds_bucket{{function_name=\"{}\",le=\"+Inf\"}} {}", fn,
                    f.seconds_count));
    add(fmt::format("gateway_functions_seconds_sum{{function_name=\"{}\"}} {}", fn,
                    number(f.seconds_sum)));
    add(fmt::format("gateway_functions_seconds_count{{function_name=\"{}\"}} {}", fn,
                    f.seconds_count));
  }

  header(out, "gateway_service_count", "gauge", "Deployed functions.");
  add(fmt::format("gateway_service_count {}", m.service_count));

  header(out, "ebpfaas_function_executions_total", "counter",
         "Ended executions of a function by final status (kept across restarts).");
  for (const FunctionMetrics& f : m.functions)
    for (const auto& [status, n] : f.invocations)
      add(fmt::format("ebpfaas_function_executions_total{{function_name=\"{}\",status=\"{}\"}} {}",
                      prometheus_label(f.name), prometheus_label(status), n));

  header(out, "ebpfaas_function_packets_total", "counter",
         "Packets a function processed since the daemon started, by direction.");
  for (const FunctionMetrics& f : m.functions) {
    const std::string fn = prometheus_label(f.name);
    add(fmt::format("ebpfaas_function_packets_total{{function_name=\"{}\",direction=\"in\"}} {}",
                    fn, f.packets_in));
    add(fmt::format("ebpfaas_function_packets_total{{function_name=\"{}\",direction=\"out\"}} {}",
                    fn, f.packets_out));
    add(fmt::format(
        "ebpfaas_function_packets_total{{function_name=\"{}\",direction=\"dropped\"}} {}", fn,
        f.dropped));
  }
  header(out, "ebpfaas_function_bytes_total", "counter",
         "Bytes a function processed since the daemon started, by direction.");
  for (const FunctionMetrics& f : m.functions) {
    const std::string fn = prometheus_label(f.name);
    add(fmt::format("ebpfaas_function_bytes_total{{function_name=\"{}\",direction=\"in\"}} {}", fn,
                    f.bytes_in));
    add(fmt::format("ebpfaas_function_bytes_total{{function_name=\"{}\",direction=\"out\"}} {}", fn,
                    f.bytes_out));
  }

  header(out, "ebpfaas_function_dropped_total", "counter",
         "Packets of a function that went nowhere, by cause (they add up to "
         "ebpfaas_function_packets_total{direction=\"dropped\"}).");
  for (const FunctionMetrics& f : m.functions)
    for (size_t c = 0; c < kDropCauseCount; ++c)
      add(fmt::format("ebpfaas_function_dropped_total{{function_name=\"{}\",cause=\"{}\"}} {}",
                      prometheus_label(f.name), kDropCauseNames[c], f.drops[c]));

  header(out, "ebpfaas_function_verdicts_total", "counter", "XDP verdicts of a function.");
  for (const FunctionMetrics& f : m.functions)
    for (size_t v = 0; v < 5; ++v)
      add(fmt::format("ebpfaas_function_verdicts_total{{function_name=\"{}\",verdict=\"{}\"}} {}",
                      prometheus_label(f.name), kVerdictNames[v], f.verdicts[v]));

  header(out, "ebpfaas_function_latency_seconds", "gauge",
         "Per-packet run time of a function's program, by quantile.");
  for (const FunctionMetrics& f : m.functions) {
    const std::string fn = prometheus_label(f.name);
    const std::pair<const char*, uint64_t> q[] = {
        {"0.5", f.latency_p50_ns}, {"0.99", f.latency_p99_ns}, {"0.999", f.latency_p999_ns}};
    for (const auto& [quantile, ns] : q)
      add(fmt::format("ebpfaas_function_latency_seconds{{function_name=\"{}\",quantile=\"{}\"}} {}",
                      fn, quantile, number(static_cast<double>(ns) * 1e-9)));
  }

  header(out, "ebpfaas_port_packets_total", "counter",
         "Packets received (rx) and sent (tx) by a daemon port.");
  for (const PortMetrics& p : m.ports) {
    const std::string name = prometheus_label(p.name);
    add(fmt::format("ebpfaas_port_packets_total{{port=\"{}\",direction=\"rx\"}} {}", name,
                    p.rx_packets));
    add(fmt::format("ebpfaas_port_packets_total{{port=\"{}\",direction=\"tx\"}} {}", name,
                    p.tx_packets));
  }
  header(out, "ebpfaas_port_bytes_total", "counter", "Bytes received and sent by a daemon port.");
  for (const PortMetrics& p : m.ports) {
    const std::string name = prometheus_label(p.name);
    add(fmt::format("ebpfaas_port_bytes_total{{port=\"{}\",direction=\"rx\"}} {}", name,
                    p.rx_bytes));
    add(fmt::format("ebpfaas_port_bytes_total{{port=\"{}\",direction=\"tx\"}} {}", name,
                    p.tx_bytes));
  }
  header(out, "ebpfaas_port_dropped_total", "counter",
         "Packets a daemon port could not receive or send (queues full).");
  for (const PortMetrics& p : m.ports) {
    const std::string name = prometheus_label(p.name);
    add(fmt::format("ebpfaas_port_dropped_total{{port=\"{}\",direction=\"rx\"}} {}", name,
                    p.rx_dropped));
    add(fmt::format("ebpfaas_port_dropped_total{{port=\"{}\",direction=\"tx\"}} {}", name,
                    p.tx_dropped));
  }

  header(out, "ebpfaas_scheduler_queue_length", "gauge", "Executions waiting for the data plane.");
  add(fmt::format("ebpfaas_scheduler_queue_length {}", m.queue_length));
  header(out, "ebpfaas_scheduler_running", "gauge",
         "1 while an execution runs (label: its function), 0 while the idle program runs.");
  add(fmt::format("ebpfaas_scheduler_running{{function_name=\"{}\"}} {}",
                  prometheus_label(m.running_function), m.running_function.empty() ? 0 : 1));
  header(out, "ebpfaas_program_swaps_total", "counter", "Programs published into the slot.");
  add(fmt::format("ebpfaas_program_swaps_total {}", m.program_swaps));
  header(out, "ebpfaas_engine_rx_packets_total", "counter",
         "Packets the engines received, by what ran them.");
  add(fmt::format("ebpfaas_engine_rx_packets_total{{program=\"any\"}} {}", m.rx_packets));
  add(fmt::format("ebpfaas_engine_rx_packets_total{{program=\"idle\"}} {}", m.idle_packets));
  add(fmt::format("ebpfaas_engine_rx_packets_total{{program=\"none\"}} {}", m.no_program_drops));
  return out;
}

}  // namespace ebpfaas::control
