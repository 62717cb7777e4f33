# sinks/postgres tests (included by tests/CMakeLists.txt): the results writer
# against the real PostgreSQL of deploy/services.sh (fencing of writers that
# are behind, materialization).
add_executable(weir_postgres_it ${CMAKE_CURRENT_LIST_DIR}/tests/results_it.cpp)
target_link_libraries(weir_postgres_it PRIVATE weir_sink_postgres GTest::gtest_main)
add_test(NAME integration.postgres_sink
  COMMAND bash -c ". \"\${WEIR_RUN_DIR:-${CMAKE_SOURCE_DIR}/.run}/env.sh\" && exec \"$<TARGET_FILE:weir_postgres_it>\"")
set_tests_properties(integration.postgres_sink PROPERTIES LABELS integration RESOURCE_LOCK services)
# The statements' golden strings, a unit test (no server).
target_sources(weir_unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/tests/statements_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_sink_postgres)
