# sinks/blackhole tests (included by tests/CMakeLists.txt): a raw and a
# windowed job into the blackhole on a cluster over the real Kafka of
# deploy/services.sh, their discarded rows counted on /metrics.
add_test(NAME e2e.blackhole COMMAND ${WEIR_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/tests/test_blackhole.py)
set_tests_properties(e2e.blackhole PROPERTIES LABELS e2e RESOURCE_LOCK services
  ENVIRONMENT "WEIR_BIN=$<TARGET_FILE:weir>")
