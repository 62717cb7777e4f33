# sinks/lake tests (included by tests/CMakeLists.txt): the table a spec makes,
# pending lists and the choice of what to commit, merged statistics. No
# services: e2e.lake and fault.lake run the sink against MinIO and PostgreSQL,
# read by pyiceberg and DuckDB.
target_sources(weir_unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/tests/lake_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_sink_lake)
