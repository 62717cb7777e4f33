# Raw paths (sinks/raw, see README.md there): every event into PostgreSQL,
# partitioned Parquet on S3, the scheduled export. Included from the root
# CMakeLists.txt after the Parquet and S3 libraries.
add_library(weir_raw STATIC
  ${CMAKE_CURRENT_LIST_DIR}/rows.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pg_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/postgres_raw.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lake.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exporter.cpp
)
target_include_directories(weir_raw PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(weir_raw PUBLIC weir_parquet weir_s3 PRIVATE weir_jobs PkgConfig::PQXX)
