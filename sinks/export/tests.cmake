# sinks/export tests (included by tests/CMakeLists.txt): an export's Iceberg
# table and how a run finds its own snapshot. No services: e2e.raw_export_lake
# runs exports into a table against PostgreSQL and MinIO, read by pyiceberg.
target_sources(weir_unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/tests/into_lake_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_sink_export)
