#include "runtime/https_server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/common/error.h"
#include "runtime/certificates.h"
#include "runtime/log.h"
#include "runtime/router.h"
#include "runtime/tls_context.h"

namespace fedcrm::runtime {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

constexpr auto kDrainTime = std::chrono::seconds(2);
constexpr size_t kMaxDrainBytes = 64u << 20;

// What a session can be asked to do from outside its strand.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void CloseIfIdle() = 0;
};

// Everything sessions share with the server; they hold it by shared_ptr so it
// outlives the last of them even if the server object is gone.
struct SharedState {
  ServerOptions options;
  Router router;
  std::optional<ssl::context> tls;

  std::mutex mu;
  std::condition_variable drained;
  bool stopping = false;  // guarded by mu; mirrored in stopping_flag for cheap reads
  std::atomic<bool> stopping_flag{false};
  uint64_t next_session_id = 0;
  std::map<uint64_t, std::weak_ptr<SessionBase>> sessions;
};

std::string Endpoint(const tcp::socket& socket) {
  beast::error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return "";
  return remote.address().to_string() + ":" + std::to_string(remote.port());
}

template <bool kTls>
class Session : public SessionBase, public std::enable_shared_from_this<Session<kTls>> {
  using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

 public:
  Session(tcp::socket&& socket, std::shared_ptr<SharedState> state, uint64_t id)
      : remote_(Endpoint(socket)),
        stream_(MakeStream(std::move(socket), *state)),
        state_(std::move(state)),
        id_(id) {}

  ~Session() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->sessions.erase(id_);
    if (state_->sessions.empty()) state_->drained.notify_all();
  }

  uint64_t id() const { return id_; }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->Begin(); });
  }

  void CloseIfIdle() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      const bool idle = self->phase_ == Phase::kHandshake ||
                        (self->phase_ == Phase::kIdle && self->buffer_.size() == 0 &&
                         !(self->parser_ && self->parser_->got_some()));
      if (idle) self->Abort();
    });
  }

 private:
  enum class Phase { kHandshake, kIdle, kBusy, kClosed };

  static Stream MakeStream(tcp::socket&& socket, SharedState& state) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *state.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void Begin() {
    if constexpr (kTls) {
      Tcp().expires_after(state_->options.handshake_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Abort();
                                self->ReadHeader();
                              });
    } else {
      ReadHeader();
    }
  }

  void ReadHeader() {
    if (state_->stopping_flag.load()) return Close();
    phase_ = Phase::kIdle;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    parser_->body_limit(state_->options.max_body_bytes);
    Tcp().expires_after(first_request_ ? state_->options.read_timeout
                                       : state_->options.idle_timeout);
    first_request_ = false;
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == http::error::header_limit) return Reject(431, "request header too large");
    // Beast checks Content-Length against body_limit as soon as the header is parsed.
    if (ec == http::error::body_limit) return RejectTooLarge(parser_->content_length());
    if (ec) return Abort();  // end of stream, timeout, garbage: nothing to answer
    phase_ = Phase::kBusy;
    Tcp().expires_after(state_->options.read_timeout);
    const auto& header = parser_->get();
    const auto length = parser_->content_length();
    if (length && *length > state_->options.max_body_bytes) return RejectTooLarge(length);
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     header.version());
      return http::async_write(
          stream_, *cont, [self = this->shared_from_this(), cont](beast::error_code e, size_t) {
            if (e) return self->Abort();
            self->ReadBody();
          });
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec == http::error::body_limit) return self->RejectTooLarge(boost::none);
                       if (ec) return self->Abort();
                       self->Dispatch();
                     });
  }

  std::string VerifiedIdentity() {
    if constexpr (kTls) {
      SSL* ssl = stream_.native_handle();
      X509* cert = SSL_get0_peer_certificate(ssl);
      if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return "";
      return PeerIdentity(cert);
    } else {
      return "";
    }
  }

  void Dispatch() {
    http::request<http::string_body> message = parser_->release();
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.peer_identity = VerifiedIdentity();
    request.remote_address = remote_;

    Response response;
    if (request.path.empty() || request.path.front() != '/') {
      response = Response::Error(400, "request target must start with '/'");
    } else if (kTls && state_->options.tls->require_client_certificate &&
               request.peer_identity.empty()) {
      response = Response::Error(403, "client certificate carries no fedcrm identity");
    } else {
      response = state_->router.Dispatch(request);
    }
    Write(std::move(response), message.version(), message.keep_alive());
  }

  void RejectTooLarge(const boost::optional<std::uint64_t>& length) {
    const std::string size = length ? std::to_string(*length) + " bytes" : "chunked body";
    Reject(413, "request body (" + size + ") exceeds the limit of " +
                    std::to_string(state_->options.max_body_bytes) + " bytes");
  }

  void Reject(int status, const std::string& message) {
    // The unread body (or header) is still on the wire, so the connection
    // cannot carry another request.
    Write(Response::Error(status, message), parser_ ? parser_->get().version() : 11, false,
          /*drain=*/true);
  }

  void Write(Response response, unsigned version, bool keep_alive, bool drain = false) {
    phase_ = Phase::kBusy;
    auto message = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    message->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) message->insert(name, value);
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive && !state_->stopping_flag.load());
    message->prepare_payload();
    Tcp().expires_after(state_->options.write_timeout);
    http::async_write(
        stream_, *message,
        [self = this->shared_from_this(), message, drain](beast::error_code ec, size_t) {
          if (ec) return self->Abort();
          if (drain) return self->Drain();
          if (!message->keep_alive()) return self->Close();
          self->ReadHeader();
        });
  }

  // After rejecting a request whose body is still arriving, keep reading and
  // discarding it for a while: closing a socket with unread input sends a TCP
  // reset, which makes the client drop our error response unread.
  void Drain() {
    phase_ = Phase::kClosed;
    Tcp().expires_after(kDrainTime);
    DrainSome();
  }

  void DrainSome() {
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrainBytes) return self->Abort();
                              self->DrainSome();
                            });
  }

  // Orderly end: TLS close_notify (bounded by a timeout), then TCP close.
  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    if constexpr (kTls) {
      Tcp().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        self->Tcp().socket().close(ignored);
      });
    } else {
      beast::error_code ignored;
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      Tcp().socket().close(ignored);
    }
  }

  // Abrupt end: pending operations complete with errors and drop their references.
  void Abort() {
    phase_ = Phase::kClosed;
    Tcp().close();
  }

  const std::string remote_;
  Stream stream_;
  std::shared_ptr<SharedState> state_;
  const uint64_t id_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Phase phase_ = Phase::kHandshake;
  bool first_request_ = true;
  std::array<char, 16384> drain_buffer_{};
  size_t drained_ = 0;
};

}  // namespace

struct HttpsServer::Impl {
  explicit Impl(ServerOptions options)
      : state(std::make_shared<SharedState>()),
        io(options.threads > 0 ? options.threads : 1),
        acceptor(net::make_strand(io)) {
    if (options.tls) {
      state->tls.emplace(MakeServerTlsContext(
          options.tls->certificate_pem, options.tls->private_key_pem, options.tls->client_ca_pem,
          options.tls->require_client_certificate));
    }
    if (options.threads < 1) throw ConfigError("server threads", "expected at least 1");
    state->options = std::move(options);
  }

  void Accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) Register(std::move(socket));
      // Other errors (EMFILE, a reset before accept) concern one connection;
      // the listener carries on.
      Accept();
    });
  }

  void Register(tcp::socket socket) {
    if (state->tls) {
      Track(std::make_shared<Session<true>>(std::move(socket), state, NextId()));
    } else {
      Track(std::make_shared<Session<false>>(std::move(socket), state, NextId()));
    }
  }

  uint64_t NextId() {
    std::lock_guard<std::mutex> lock(state->mu);
    return state->next_session_id++;
  }

  template <typename S>
  void Track(std::shared_ptr<S> session) {
    {
      std::lock_guard<std::mutex> lock(state->mu);
      if (state->stopping) return;  // the session dies here and closes its socket
      state->sessions[session->id()] = session;
    }
    session->Start();
  }

  // Members die in reverse order: the acceptor before the io_context it uses,
  // then the io_context, whose pending handlers release the last sessions.
  std::shared_ptr<SharedState> state;
  net::io_context io;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

HttpsServer::HttpsServer(ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpsServer::~HttpsServer() { Stop(std::chrono::milliseconds(0)); }

void HttpsServer::Handle(std::string method, std::string path_prefix, Handler handler) {
  if (impl_->started) throw std::logic_error("HttpsServer::Handle called after Start");
  impl_->state->router.Handle(std::move(method), std::move(path_prefix), std::move(handler));
}

void HttpsServer::Start() {
  if (impl_->started) return;
  const ServerOptions& options = impl_->state->options;
  const std::string where =
      "listen address " + options.address + ":" + std::to_string(options.port);
  beast::error_code ec;
  const auto address = net::ip::make_address(options.address, ec);
  if (ec) throw ConfigError(where, "expected an IPv4 or IPv6 address");
  const tcp::endpoint endpoint(address, options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw ConfigError(where, "cannot listen: " + ec.message());
  impl_->port = acceptor.local_endpoint().port();
  impl_->started = true;
  impl_->Accept();
  for (int i = 0; i < options.threads; ++i) {
    impl_->threads.emplace_back([this] {
      for (;;) {
        try {
          impl_->io.run();
          return;
        } catch (const std::exception& e) {
          Log().Error("HTTP server thread caught an exception", {{"error", e.what()}});
        }
      }
    });
  }
  Log().Info(
      "HTTP server listening",
      {{"address", options.address}, {"port", impl_->port}, {"tls", options.tls.has_value()}});
}

uint16_t HttpsServer::port() const { return impl_->port; }

bool HttpsServer::Stop(std::chrono::milliseconds grace) {
  Impl& impl = *impl_;
  if (!impl.started || impl.stopped) return true;
  impl.stopped = true;
  std::vector<std::weak_ptr<SessionBase>> sessions;
  {
    std::lock_guard<std::mutex> lock(impl.state->mu);
    impl.state->stopping = true;
    impl.state->stopping_flag = true;
    for (const auto& [id, session] : impl.state->sessions) sessions.push_back(session);
  }
  net::post(impl.acceptor.get_executor(), [&impl] {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
  });
  for (const auto& weak : sessions) {
    if (auto session = weak.lock()) session->CloseIfIdle();
  }
  bool drained = false;
  {
    std::unique_lock<std::mutex> lock(impl.state->mu);
    drained =
        impl.state->drained.wait_for(lock, grace, [&] { return impl.state->sessions.empty(); });
  }
  impl.io.stop();
  for (auto& thread : impl.threads) thread.join();
  impl.threads.clear();
  beast::error_code ignored;
  impl.acceptor.close(ignored);  // in case the posted close never ran
  return drained;
}

}  // namespace fedcrm::runtime
