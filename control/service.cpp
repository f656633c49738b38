#include "control/service.h"

#include "dataplane/memory_port.h"

namespace ebpfaas::control {

// Not implemented yet: the first commit only declares the interface.
struct Service::Impl {
  ServiceOptions options;
};

namespace {
Failure not_implemented() {
  return fail(ErrorKind::kInternal, "not implemented");
}
}  // namespace

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() = default;
Result<std::unique_ptr<Service>> Service::open(ServiceOptions) {
  return not_implemented();
}
Outcome Service::shutdown() {
  return {};
}
const ServiceOptions& Service::options() const {
  return impl_->options;
}
Result<ArtifactInfo> Service::put_artifact(std::span<const uint8_t>) {
  return not_implemented();
}
Result<ArtifactInfo> Service::artifact_info(std::string_view) const {
  return not_implemented();
}
Result<std::vector<uint8_t>> Service::get_artifact(std::string_view) const {
  return not_implemented();
}
Result<FunctionInfo> Service::deploy(const FunctionSpec&) {
  return not_implemented();
}
Result<FunctionInfo> Service::update(const FunctionSpec&) {
  return not_implemented();
}
Outcome Service::remove(std::string_view) {
  return not_implemented();
}
std::vector<FunctionInfo> Service::list_functions() const {
  return {};
}
Result<FunctionInfo> Service::function(std::string_view) const {
  return not_implemented();
}
Result<FunctionInfo> Service::scale(std::string_view, uint32_t) {
  return not_implemented();
}
Result<ExecutionRecord> Service::execute(const ExecutionRequest&, const WaitOptions&) {
  return not_implemented();
}
Result<std::string> Service::submit(const ExecutionRequest&, CompletionCallback) {
  return not_implemented();
}
Outcome Service::cancel(std::string_view) {
  return not_implemented();
}
Result<ExecutionRecord> Service::execution(std::string_view) const {
  return not_implemented();
}
Result<std::vector<ExecutionRecord>> Service::executions(const ExecutionQuery&) const {
  return not_implemented();
}
Result<std::vector<MapInfo>> Service::maps(std::string_view) const {
  return not_implemented();
}
Result<MapDump> Service::dump_map(std::string_view, std::string_view) const {
  return not_implemented();
}
Outcome Service::update_map(std::string_view, std::string_view, std::string_view, std::string_view,
                            MapUpdateFlag) {
  return not_implemented();
}
Outcome Service::delete_map_entry(std::string_view, std::string_view, std::string_view) {
  return not_implemented();
}
Result<std::vector<LogLine>> Service::logs(const LogQuery&) const {
  return not_implemented();
}
uint64_t Service::subscribe_logs(std::string, std::function<void(const LogLine&)>) {
  return 0;
}
void Service::unsubscribe_logs(uint64_t) {}
MetricsSnapshot Service::metrics() const {
  return {};
}
std::vector<PortMetrics> Service::ports() const {
  return {};
}
dataplane::MemoryPort* Service::memory_port(size_t) {
  return nullptr;
}

}  // namespace ebpfaas::control
