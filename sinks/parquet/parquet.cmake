# Parquet writer (no Arrow): included from the root CMakeLists.txt.
add_library(weir_parquet STATIC
  sinks/parquet/compact.cpp
  sinks/parquet/levels.cpp
  sinks/parquet/writer.cpp
)
target_include_directories(weir_parquet PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(weir_parquet PRIVATE snappy zstd)
