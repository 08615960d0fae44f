//===- ByteSplice.cpp - relays bytes both ways between two sockets --------===//
#include "runtime/ByteSplice.h"

#include <boost/asio/write.hpp>

using namespace connectorc::runtime;
namespace asio = boost::asio;

/// Per direction: large enough that a fast stream costs few system calls.
static constexpr size_t BufferBytes = 64 * 1024;

ByteSplice::ByteSplice(StreamSocket A, StreamSocket B,
                       std::function<void()> OnDone)
    : A(std::move(A)), B(std::move(B)), OnDone(std::move(OnDone)) {
  AToB.From = &this->A;
  AToB.To = &this->B;
  BToA.From = &this->B;
  BToA.To = &this->A;
  AToB.Buf.resize(BufferBytes);
  BToA.Buf.resize(BufferBytes);
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
      S->read(*H);
      continue;
    }
    asio::async_write(*H->To, asio::buffer(H->Pending),
                      [S, H](boost::system::error_code EC, size_t) {
                        H->Pending.clear();
                        if (EC)
                          S->close();
                        else
                          S->read(*H);
                      });
  }
  return S;
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
