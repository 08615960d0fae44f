//===- Clock.cpp - time, behind an interface ------------------------------===//
#include "runtime/support/Clock.h"

#include <fmt/format.h>

#include <ctime>

using namespace connectorc::runtime;

double SystemClock::now() const {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {
std::tm utcNow(long &Millis) {
  auto Now = std::chrono::system_clock::now();
  std::time_t T = std::chrono::system_clock::to_time_t(Now);
  Millis = std::chrono::duration_cast<std::chrono::milliseconds>(
               Now.time_since_epoch())
               .count() %
           1000;
  std::tm Tm{};
  ::gmtime_r(&T, &Tm);
  return Tm;
}
} // namespace

std::string SystemClock::utcStamp() const {
  long Ms = 0;
  std::tm Tm = utcNow(Ms);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                     Tm.tm_year + 1900, Tm.tm_mon + 1, Tm.tm_mday, Tm.tm_hour,
                     Tm.tm_min, Tm.tm_sec, Ms);
}

std::string connectorc::runtime::compactUtcStamp() {
  long Ms = 0;
  std::tm Tm = utcNow(Ms);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", Tm.tm_year + 1900,
                     Tm.tm_mon + 1, Tm.tm_mday, Tm.tm_hour, Tm.tm_min,
                     Tm.tm_sec);
}
