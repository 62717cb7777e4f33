# Parquet writer tests: included from tests/CMakeLists.txt.
target_sources(weir_unit_tests PRIVATE ${CMAKE_SOURCE_DIR}/tests/parquet/parquet_writer_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_parquet)

# Writes one file per case and codec, with the rows it holds as JSON lines.
add_executable(weir_parquet_sample ${CMAKE_SOURCE_DIR}/tests/parquet/sample.cpp)
target_link_libraries(weir_parquet_sample PRIVATE weir_parquet)

# Same definition as in tests/CMakeLists.txt, which sets it only after this
# file is included; the cache makes the two agree.
set(WEIR_PYTHON "python3" CACHE STRING "Python used by the end-to-end tests")
# Reads every sample file with pyarrow and duckdb. No services needed.
add_test(NAME parquet.pyarrow
  COMMAND ${WEIR_PYTHON} ${CMAKE_SOURCE_DIR}/tests/parquet/check_parquet.py
          $<TARGET_FILE:weir_parquet_sample>)
set_tests_properties(parquet.pyarrow PROPERTIES LABELS e2e)
# The fuzz_parquet harness's kept corpus (tests/fuzz/corpus/parquet/), each
# case written in every codec and read back the same way.
add_test(NAME parquet.fuzz_corpus
  COMMAND ${WEIR_PYTHON} ${CMAKE_SOURCE_DIR}/tests/parquet/check_parquet.py
          $<TARGET_FILE:weir_parquet_sample> ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/parquet)
set_tests_properties(parquet.fuzz_corpus PROPERTIES LABELS e2e)
