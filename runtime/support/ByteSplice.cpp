//===- ByteSplice.cpp - relays bytes both ways between two sockets --------===//
#include "runtime/support/ByteSplice.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <utility>

using namespace connectorc::runtime;
namespace asio = boost::asio;

/// Per direction: large enough that a fast stream costs few system calls.
static constexpr size_t BufferBytes = 64 * 1024;
/// What one splice(2) moves at most, and the size asked of each pipe.
static constexpr size_t PipeBytes = 256 * 1024;
/// Splices one direction makes before letting other connections run.
static constexpr int Rounds = 16;

ByteSplice::ByteSplice(StreamSocket A, StreamSocket B,
                       std::function<void()> OnDone)
    : A(std::move(A)), B(std::move(B)), OnDone(std::move(OnDone)) {
  AToB.From = &this->A;
  AToB.To = &this->B;
  BToA.From = &this->B;
  BToA.To = &this->A;
  boost::system::error_code Ignored;
  this->A.non_blocking(true, Ignored);
  this->B.non_blocking(true, Ignored);
  for (Half *H : {&AToB, &BToA}) {
    if (::pipe2(H->Pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
      useCopies(*H); // out of descriptors, most likely
      continue;
    }
    ::fcntl(H->Pipe[1], F_SETPIPE_SZ, static_cast<int>(PipeBytes));
  }
}

ByteSplice::~ByteSplice() {
  for (Half *H : {&AToB, &BToA})
    for (int &FD : H->Pipe)
      if (FD >= 0)
        ::close(std::exchange(FD, -1));
}

std::shared_ptr<ByteSplice> ByteSplice::start(StreamSocket A, StreamSocket B,
                                              std::string ToB, std::string ToA,
                                              std::function<void()> OnDone) {
  std::shared_ptr<ByteSplice> S(
      new ByteSplice(std::move(A), std::move(B), std::move(OnDone)));
  S->AToB.Pending = std::move(ToB);
  S->BToA.Pending = std::move(ToA);
  for (Half *H : {&S->AToB, &S->BToA}) {
    if (H->Pending.empty()) {
      S->begin(*H);
      continue;
    }
    asio::async_write(*H->To, asio::buffer(H->Pending),
                      [S, H](boost::system::error_code EC, size_t) {
                        H->Pending.clear();
                        if (EC)
                          S->close();
                        else
                          S->begin(*H);
                      });
  }
  return S;
}

void ByteSplice::begin(Half &H) {
  if (H.Pipe[0] >= 0)
    pump(H);
  else
    read(H);
}

void ByteSplice::useCopies(Half &H) {
  for (int &FD : H.Pipe)
    if (FD >= 0)
      ::close(std::exchange(FD, -1));
  H.Buf.resize(BufferBytes);
}

void ByteSplice::await(Half &H, StreamSocket &S, StreamSocket::wait_type W) {
  S.async_wait(W,
               [Self = shared_from_this(), &H](boost::system::error_code EC) {
                 if (EC)
                   Self->close();
                 else
                   Self->pump(H);
               });
}

// Socket to pipe, pipe to socket, until one would block; then wait for it.
void ByteSplice::pump(Half &H) {
  for (int Round = 0; Round < Rounds; ++Round) {
    if (Closed)
      return;
    if (H.InPipe > 0) {
      ssize_t N = ::splice(H.Pipe[0], nullptr, H.To->native_handle(), nullptr,
                           H.InPipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (N > 0) {
        H.InPipe -= static_cast<size_t>(N);
        continue;
      }
      if (N < 0 && errno == EINTR)
        continue;
      if (N < 0 && errno == EAGAIN)
        return await(H, *H.To, StreamSocket::wait_write);
      return close();
    }
    ssize_t N = ::splice(H.From->native_handle(), nullptr, H.Pipe[1], nullptr,
                         PipeBytes, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (N > 0) {
      H.InPipe = static_cast<size_t>(N);
      continue;
    }
    if (N == 0)
      return finish(H);
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN)
      return await(H, *H.From, StreamSocket::wait_read);
    if (errno == EINVAL) { // a socket the kernel cannot splice from
      useCopies(H);
      return read(H);
    }
    return close();
  }
  // A fast stream: let the loop's other work run before going on.
  asio::post(A.get_executor(),
             [Self = shared_from_this(), &H] { Self->pump(H); });
}

void ByteSplice::read(Half &H) {
  if (Closed)
    return;
  H.From->async_read_some(
      asio::buffer(H.Buf),
      [Self = shared_from_this(), &H](boost::system::error_code EC, size_t N) {
        if (N > 0)
          Self->write(H, N);
        else if (EC == asio::error::eof)
          Self->finish(H);
        else
          Self->close();
      });
}

void ByteSplice::write(Half &H, size_t N) {
  if (Closed)
    return;
  asio::async_write(
      *H.To, asio::buffer(H.Buf.data(), N),
      [Self = shared_from_this(), &H](boost::system::error_code EC, size_t) {
        if (EC)
          Self->close();
        else
          Self->read(H);
      });
}

// This direction's source has no more to send: tell its destination (a
// half-close), and keep the other direction going until it ends too.
void ByteSplice::finish(Half &H) {
  H.Done = true;
  boost::system::error_code Ignored;
  H.To->shutdown(asio::socket_base::shutdown_send, Ignored);
  if (AToB.Done && BToA.Done)
    close();
}

void ByteSplice::close() {
  if (Closed)
    return;
  Closed = true;
  boost::system::error_code Ignored;
  A.close(Ignored);
  B.close(Ignored);
  if (auto Done = std::move(OnDone)) {
    OnDone = nullptr;
    Done();
  }
}
