// msgpack bytes from outside this process (a checkpoint, a handoff, the
// coordinator's saved state, a partial row) are unpacked with limits: no
// array, map, string or binary may claim more elements or bytes than the
// input holds, so a corrupt length cannot make msgpack allocate gigabytes
// (tests/fuzz/ state_unpack found that). Errors throw, as msgpack's do.
#pragma once

#include <msgpack.hpp>

#include <string_view>

namespace weir {

inline msgpack::object_handle unpack_bounded(std::string_view bytes,
                                             msgpack::unpack_reference_func ref = nullptr) {
  const auto n = bytes.size();
  return msgpack::unpack(bytes.data(), n, ref, nullptr,
                         msgpack::unpack_limit(n, n, n, n, n, /*depth=*/64));
}

} // namespace weir
