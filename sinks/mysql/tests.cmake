# sinks/mysql tests (included by tests/CMakeLists.txt): the URL and literals
# as units; against the real MariaDB of deploy/services.sh, the versioned
# upsert and the table check; end to end, seed 004's per-user job through a
# worker kill, read with the mariadb client.
target_sources(weir_unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/tests/mysql_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_sink_mysql)
add_executable(weir_mysql_it ${CMAKE_CURRENT_LIST_DIR}/tests/results_it.cpp)
# Through the registry (weir_sinks): with keys across partitions, the partials
# PostgreSQL keeps merge into MariaDB.
target_link_libraries(weir_mysql_it PRIVATE weir_sinks GTest::gtest_main)
add_test(NAME integration.mysql_sink
  COMMAND bash -c ". \"\${WEIR_RUN_DIR:-${CMAKE_SOURCE_DIR}/.run}/env.sh\" && exec \"$<TARGET_FILE:weir_mysql_it>\"")
set_tests_properties(integration.mysql_sink PROPERTIES LABELS integration RESOURCE_LOCK services)
add_test(NAME e2e.mysql COMMAND ${WEIR_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/tests/test_mysql.py)
set_tests_properties(e2e.mysql PROPERTIES LABELS e2e RESOURCE_LOCK services
  ENVIRONMENT "WEIR_BIN=$<TARGET_FILE:weir>")
