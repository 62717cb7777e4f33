# web/ tests (included by tests/CMakeLists.txt): the REST bodies, the
# Prometheus exposition and spec errors as JSON, from crafted observed
# clusters. The live server is e2e.operator_api, e2e.api_schema, e2e.dashboard.
target_sources(weir_unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/tests/web_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_web)
