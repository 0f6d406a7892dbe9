// TEMPORARY STUB
#include <memory>
#include <string_view>
#include "client/transport.h"
namespace inflow {
inline Status MakeSocketTransport(std::string_view, const ClientOptions&, std::unique_ptr<Transport>*) { return Status::Error("not yet"); }
}
