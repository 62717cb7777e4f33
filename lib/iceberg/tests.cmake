# Iceberg tests: included from tests/CMakeLists.txt.
target_sources(weir_unit_tests PRIVATE ${CMAKE_SOURCE_DIR}/lib/iceberg/tests/iceberg_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_iceberg)
# Manifests other writers made (tests/data/), read by the unit tests.
target_compile_definitions(weir_unit_tests PRIVATE
  WEIR_ICEBERG_TESTDATA="${CMAKE_SOURCE_DIR}/lib/iceberg/tests/data")
