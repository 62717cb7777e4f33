# jobs/sql tests (included by tests/CMakeLists.txt): each construct and each
# error of the SQL front end, and every shipped SQL twin against its YAML spec.
target_sources(weir_unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/tests/front_end_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tests/flink_test.cpp)
target_compile_definitions(weir_unit_tests PRIVATE
  WEIR_SPECS_DIR="${CMAKE_SOURCE_DIR}/jobs/specs"
  WEIR_FLINK_JOB="${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/spec_sql/flink-nexmark.sql")
