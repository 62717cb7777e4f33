# Iceberg tests: included from tests/CMakeLists.txt.
target_sources(weir_unit_tests PRIVATE ${CMAKE_SOURCE_DIR}/lib/iceberg/tests/iceberg_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_iceberg)
# Manifests other writers made (tests/data/), read by the unit tests.
target_compile_definitions(weir_unit_tests PRIVATE
  WEIR_ICEBERG_TESTDATA="${CMAKE_SOURCE_DIR}/lib/iceberg/tests/data")

find_package(nlohmann_json REQUIRED) # imported targets are per directory
# Writes a small partitioned table (Parquet data files by lib/parquet) into
# a local directory: two appends, a compaction (replace), an expiry.
add_executable(weir_iceberg_sample ${CMAKE_SOURCE_DIR}/lib/iceberg/tests/sample.cpp)
target_link_libraries(weir_iceberg_sample PRIVATE weir_iceberg weir_parquet nlohmann_json::nlohmann_json)

# Same definition as in tests/CMakeLists.txt, which sets it only after this
# file is included; the cache makes the two agree.
set(WEIR_PYTHON "python3" CACHE STRING "Python used by the end-to-end tests")
# pyiceberg, fastavro and DuckDB read that table. No services.
add_test(NAME iceberg.readers
  COMMAND ${WEIR_PYTHON} ${CMAKE_SOURCE_DIR}/lib/iceberg/tests/check_iceberg.py
          $<TARGET_FILE:weir_iceberg_sample>)
set_tests_properties(iceberg.readers PROPERTIES LABELS e2e)
