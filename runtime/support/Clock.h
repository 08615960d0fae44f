//===- Clock.h - time, behind an interface -----------------------*- C++
//-*-===//
#ifndef CONNECTORC_RUNTIME_CLOCK_H
#define CONNECTORC_RUNTIME_CLOCK_H

#include <chrono>
#include <string>

namespace connectorc::runtime {

/// Where the runtime reads the time: durations and cool-downs from a
/// monotonic clock, journal stamps from the wall clock.
class Clock {
public:
  virtual ~Clock() = default;
  /// Monotonic seconds since an arbitrary origin.
  virtual double now() const = 0;
  /// The wall-clock time in UTC, "2026-11-30T14:07:55.123Z".
  virtual std::string utcStamp() const = 0;
};

/// The system's clocks.
class SystemClock : public Clock {
public:
  double now() const override;
  std::string utcStamp() const override;
};

/// "20261130T140755Z": the wall-clock time as run directory names use it.
std::string compactUtcStamp();

} // namespace connectorc::runtime

#endif
