# sinks/clickhouse tests (included by tests/CMakeLists.txt): RowBinary and the
# URL as units; end to end, seed 004's per-user jobs into the real ClickHouse
# of deploy/services.sh through a worker kill, read with clickhouse-client.
target_sources(weir_unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/tests/clickhouse_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_sink_clickhouse)
add_test(NAME e2e.clickhouse COMMAND ${WEIR_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/tests/test_clickhouse.py)
set_tests_properties(e2e.clickhouse PROPERTIES LABELS e2e RESOURCE_LOCK services
  ENVIRONMENT "WEIR_BIN=$<TARGET_FILE:weir>")
add_executable(weir_clickhouse_it ${CMAKE_CURRENT_LIST_DIR}/tests/results_it.cpp)
# Through the registry (weir_sinks): with keys across partitions, the partials
# PostgreSQL keeps merge into ClickHouse.
target_link_libraries(weir_clickhouse_it PRIVATE weir_sinks GTest::gtest_main)
add_test(NAME integration.clickhouse_sink
  COMMAND bash -c ". \"\${WEIR_RUN_DIR:-${CMAKE_SOURCE_DIR}/.run}/env.sh\" && exec \"$<TARGET_FILE:weir_clickhouse_it>\"")
set_tests_properties(integration.clickhouse_sink PROPERTIES LABELS integration RESOURCE_LOCK services)
add_test(NAME e2e.clickhouse_social COMMAND ${WEIR_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/tests/test_social.py)
set_tests_properties(e2e.clickhouse_social PROPERTIES LABELS e2e RESOURCE_LOCK services
  ENVIRONMENT "WEIR_BIN=$<TARGET_FILE:weir>")
