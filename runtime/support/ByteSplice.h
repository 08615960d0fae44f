//===- ByteSplice.h - relays bytes both ways between sockets ----*- C++ -*-===//
//
// The egress proxy (EgressProxy.h) and the forwarder inside a sandbox's
// network namespace (NetForwarder.h) both end in the same loop: bytes read
// on one socket are written to the other, in both directions, on the
// caller's io_context. The end of one direction (EOF) is passed on as a
// half-close, so a client that shuts down its sending half after its request
// still receives a long answer (a streamed SSE response); an error on either
// side ends both.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_BYTESPLICE_H
#define CONNECTORC_RUNTIME_BYTESPLICE_H

#include <boost/asio/generic/stream_protocol.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace connectorc::runtime {

/// Any stream socket (TCP or Unix): both kinds convert to it by move.
using StreamSocket = boost::asio::generic::stream_protocol::socket;

/// Relays bytes between two connected sockets until both directions have
/// ended. It keeps itself alive while it runs (the caller may drop its
/// pointer) and calls its OnDone once, after closing both sockets.
///
/// Bytes move with splice(2) through a pipe per direction, so they are not
/// copied through this process; where a pipe cannot be made or the kernel
/// cannot splice a socket, that direction reads and writes through a buffer.
class ByteSplice : public std::enable_shared_from_this<ByteSplice> {
public:
  /// Starts relaying between \p A and \p B. \p ToB (\p ToA) are bytes to
  /// write to B (A) before anything read: what was read ahead of the splice,
  /// or a reply of the caller's own.
  static std::shared_ptr<ByteSplice> start(StreamSocket A, StreamSocket B,
                                           std::string ToB, std::string ToA,
                                           std::function<void()> OnDone = {});
  ~ByteSplice();
  /// Ends both directions now (both sockets closed); OnDone still runs.
  void close();

private:
  /// One direction: what it reads from, writes to, and how.
  struct Half {
    StreamSocket *From;
    StreamSocket *To;
    std::string Pending;    ///< written first
    int Pipe[2] = {-1, -1}; ///< for splice(2); -1: copy through Buf
    size_t InPipe = 0;      ///< bytes read into the pipe, not yet written
    std::vector<char> Buf;
    bool Done = false;
  };
  ByteSplice(StreamSocket A, StreamSocket B, std::function<void()> OnDone);
  void begin(Half &H);
  void pump(Half &H);
  void await(Half &H, StreamSocket &S, StreamSocket::wait_type W);
  void useCopies(Half &H);
  void read(Half &H);
  void write(Half &H, size_t N);
  void finish(Half &H);

  StreamSocket A, B;
  Half AToB, BToA;
  std::function<void()> OnDone;
  bool Closed = false;
};

} // namespace connectorc::runtime

#endif
