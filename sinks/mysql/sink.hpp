// sink.type mysql: window results into MariaDB or MySQL (mysql.hpp).
#pragma once

#include "sinks/sink.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_mysql_sink(const jobs::job_spec& spec, const context& ctx);

} // namespace weir::sinks
